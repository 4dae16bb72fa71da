import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../src/shared/db.ts";
import { TICKET_TTL_MS, Tickets } from "../../../src/shared/tickets.ts";

describe("hand-off tickets", () => {
  const db = openDatabase(":memory:");
  const tickets = new Tickets("secret-a", db);
  const now = 1_800_000_000_000;

  test("a ticket names its subject once, for its purpose, until it expires", () => {
    const t = tickets.issue("pgo-login p", "tom", now);
    expect(tickets.redeem("pgo-login other", t, now)).toBeNull();
    expect(tickets.redeem("pgo-login p", t, now + 1000)).toBe("tom");
    expect(tickets.redeem("pgo-login p", t, now + 2000)).toBeNull();
    const late = tickets.issue("pgo-login p", "tom", now);
    expect(tickets.redeem("pgo-login p", late, now + TICKET_TTL_MS)).toBeNull();
  });

  test("another secret, a changed body or garbage never passes", () => {
    const t = tickets.issue("x", "tom", now);
    expect(new Tickets("secret-b", db).redeem("x", t, now)).toBeNull();
    const [body, sig] = t.split(".");
    const changed = Buffer.from(Buffer.from(body!, "base64url").toString().replace("tom", "koos")).toString("base64url");
    expect(tickets.redeem("x", `${changed}.${sig}`, now)).toBeNull();
    for (const bad of [null, 42, "", ".", "a.b.c", "x".repeat(2000), `${body}.`]) expect(tickets.redeem("x", bad, now)).toBeNull();
  });

  test("a redeemed ticket stays used across a restart, until it expires", () => {
    const dir = mkdtempSync(join(tmpdir(), "tickets-"));
    try {
      const file = join(dir, "sandbox.db");
      const before = openDatabase(file);
      const t = new Tickets("secret-r", before).issue("pgo-login p", "tom", now);
      expect(new Tickets("secret-r", before).redeem("pgo-login p", t, now + 1000)).toBe("tom");
      before.close();
      const after = openDatabase(file);
      expect(new Tickets("secret-r", after).redeem("pgo-login p", t, now + 2000)).toBeNull();
      // Expired nonces are forgotten (their tickets are refused by then anyway): only the newest stays.
      const later = new Tickets("secret-r", after);
      expect(later.redeem("pgo-login p", later.issue("pgo-login p", "koos", now + TICKET_TTL_MS), now + TICKET_TTL_MS + 1)).toBe("koos");
      expect(after.query<{ n: number }, []>("SELECT count(*) AS n FROM sandbox_used_ticket").get()!.n).toBe(1);
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
