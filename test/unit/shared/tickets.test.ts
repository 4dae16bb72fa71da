import { describe, expect, test } from "bun:test";
import { TICKET_TTL_MS, Tickets } from "../../../src/shared/tickets.ts";

describe("hand-off tickets", () => {
  const tickets = new Tickets("secret-a");
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
    expect(new Tickets("secret-b").redeem("x", t, now)).toBeNull();
    const [body, sig] = t.split(".");
    const changed = Buffer.from(Buffer.from(body!, "base64url").toString().replace("tom", "koos")).toString("base64url");
    expect(tickets.redeem("x", `${changed}.${sig}`, now)).toBeNull();
    for (const bad of [null, 42, "", ".", "a.b.c", "x".repeat(2000), `${body}.`]) expect(tickets.redeem("x", bad, now)).toBeNull();
  });
});
