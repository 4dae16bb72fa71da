/**
 * MedMij Beheer checks a delivery (issue 13 §2): a JSON array or NDJSON, technisch OK only when
 * every line passes validateLine for the sender's role and was written on the sender's own host;
 * the store keeps lines as the retention of the chain log says.
 */
import { describe, expect, test } from "bun:test";
import { MAX_DELIVERY_CHARS, checkDelivery } from "../../../src/beheer/delivery.ts";
import { BeheerStore } from "../../../src/beheer/store.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../src/shared/db.ts";
import { stopReader } from "../../../src/shared/reader.ts";
import type { Participant } from "../../../src/shared/participants.ts";

const pgo: Participant = { username: "pgo.localhost", password: "x-beheer-secret", role: "pgo", name: "MijnGezondheid PGO", hosts: ["pgo.localhost"], internalHosts: [], origin: "http://pgo.localhost" };

const line = (type: string, extra: Record<string, unknown> = {}, event: Record<string, unknown> = {}) => ({
  event: { type, location: "pgo.localhost", datetime: "2026-12-01T10:00:00.000+01:00", session_id: null, trace_id: "t-1", ...event }, ...extra,
});
const tokenRequest = line("send_token_request", { request: { id: "r-1", method: "post", client_id: "pgo.localhost", server_id: "auth.zorgnet.localhost",
  uri: "http://auth.zorgnet.localhost/token", initiated_by: "machine", grant_type: "authorization_code" } });
const tokenResponse = line("receive_token_response", { response: { request_id: "r-1", status: 200 } });

describe("checking a delivery", () => {
  test("a JSON array of good lines is technisch OK; so is the same as NDJSON", () => {
    const asJson = checkDelivery(JSON.stringify([tokenRequest, tokenResponse]), pgo);
    expect(asJson).toMatchObject({ format: "json", technischOk: true, problems: [] });
    expect(asJson.lines.map((l) => l.problems)).toEqual([[], []]);
    const asNdjson = checkDelivery(`${JSON.stringify(tokenRequest)}\n\n${JSON.stringify(tokenResponse)}\n`, pgo);
    expect(asNdjson).toMatchObject({ format: "ndjson", technischOk: true });
    expect(asNdjson.lines.map((l) => l.index)).toEqual([0, 1]);
  });

  test("per line the problems: not JSON, unknown event, another role's event, a missing attribute, a wrong type, another host", () => {
    const rows = [
      "{ niet json",
      JSON.stringify(line("send_coffee_request")),
      JSON.stringify(line("send_token_response", { response: { request_id: "r-1", status: 200 } })),
      JSON.stringify(line("receive_token_response", { response: { request_id: "r-1" } })),
      JSON.stringify(line("receive_token_response", { response: { request_id: "r-1", status: "200" } })),
      JSON.stringify(line("receive_token_response", { response: { request_id: "r-1", status: 200 } }, { location: "auth.zorgnet.localhost" })),
      JSON.stringify(tokenResponse),
    ];
    const checked = checkDelivery(rows.join("\n"), pgo);
    expect(checked.technischOk).toBe(false);
    const problems = checked.lines.map((l) => l.problems.join(" | "));
    expect(problems[0]).toContain("geen geldige JSON");
    expect(problems[1]).toContain("onbekend event send_coffee_request");
    expect(problems[2]).toContain("hoort niet bij de rol pgo");
    expect(problems[3]).toContain("response.status ontbreekt");
    expect(problems[4]).toContain("response.status is geen geheel getal");
    expect(problems[5]).toContain("event.location auth.zorgnet.localhost is geen host van MijnGezondheid PGO");
    expect(problems[6]).toBe("");
  });

  test("a broken JSON array and an empty delivery are niet OK as a whole", () => {
    expect(checkDelivery("[{\"event\": ", pgo)).toMatchObject({ technischOk: false, lines: [], problems: [expect.stringContaining("geen geldige JSON")] });
    expect(checkDelivery("  \n", pgo)).toMatchObject({ technischOk: false, problems: ["de aanlevering bevat geen logregels"] });
    expect(checkDelivery("[]", pgo).technischOk).toBe(false);
  });

  test("a functional error: an error part or an _error event", () => {
    const checked = checkDelivery([tokenRequest, line("receive_token_request_error", { error: { request_id: "r-1", code: "invalid_grant", description: "x", status: 400 } })]
      .map((l) => JSON.stringify(l)).join("\n"), pgo);
    expect(checked.lines.map((l) => l.functionalError)).toEqual([false, true]);
  });

  test("the limit is the real one's 60 MB in characters", () => {
    expect(MAX_DELIVERY_CHARS).toBe(62_914_560);
  });
});

describe("the store keeps lines like the chain log", () => {
  /** As the logging API does: store a delivery, then prune what is due (BeheerStore.pruneDue). */
  const saved = async (store: BeheerStore, ...args: Parameters<BeheerStore["saveDelivery"]>) => {
    const d = store.saveDelivery(...args);
    await store.pruneDue(2 * d.regels, args[2]);
    return d;
  };

  // In memory the deletes run here; with a file in the reader worker (shared/reader.ts): the same rows go, the same totals stay.
  for (const where of ["in memory", "in a file"] as const) test(`the newest keepLines lines and deliveries; a delivery older than keepHours goes with its lines (${where})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "beheer-"));
    const db = openDatabase(where === "in memory" ? ":memory:" : join(dir, "sandbox.db"));
    try {
      const store = new BeheerStore(db, { keepLines: 5, keepHours: 1 });
      const batch = (n: number) => checkDelivery(Array.from({ length: n }, () => JSON.stringify(tokenResponse)).join("\n"), pgo);
      const now = Date.now();
      const old = await saved(store, "pgo.localhost", batch(3), now - 2 * 3_600_000);
      await saved(store, "pgo.localhost", batch(3), now);
      const lines = () => db.query<{ n: number }, []>("SELECT count(*) AS n FROM beheer_regel").get()!.n;
      // The second delivery pruned: the old delivery (and its lines) is beyond keepHours; 3 lines are left.
      expect(store.delivery(old.id)).toBeNull();
      expect(lines()).toBe(3);
      await saved(store, "pgo.localhost", batch(4), now);
      expect(lines()).toBe(5);
      expect(store.deliveriesOf("pgo.localhost").length).toBe(2);
      expect(store.totals()).toMatchObject([{ deelnemer: "pgo.localhost", aanleveringen: 2, regels: 7 }]);
    } finally {
      await stopReader(db);
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bounded reads (issue 16): totals kept in step with deliveries and pruning, lines in delivery order per delivery range, buckets by arrival", async () => {
    const db = openDatabase(":memory:");
    const store = new BeheerStore(db, { keepLines: 0, keepHours: 1 });
    const other: Participant = { ...pgo, username: "other.localhost", hosts: ["other.localhost"], origin: "http://other.localhost" };
    const bad = JSON.stringify(line("send_token_request"));
    const now = Date.now();
    const fromScratch = () => db.query<{ deelnemer: string; n: number; ok: number; regels: number; fouten: number }, []>(
      "SELECT deelnemer, count(*) AS n, sum(technisch_ok) AS ok, sum(regels) AS regels, sum(functionele_fouten) AS fouten FROM beheer_aanlevering GROUP BY deelnemer ORDER BY deelnemer").all();
    const totals = () => store.totals().sort((a, b) => a.deelnemer.localeCompare(b.deelnemer)).map((t) => ({ deelnemer: t.deelnemer, n: t.aanleveringen, ok: t.ok, regels: t.regels, fouten: t.functioneleFouten }));
    expect(totals()).toEqual([]);
    await saved(store, "pgo.localhost", checkDelivery(`${JSON.stringify(tokenResponse)}\n${bad}`, pgo), now - 2 * 3_600_000);
    for (let i = 0; i < 3; i++) await saved(store, i === 1 ? "other.localhost" : "pgo.localhost",
      checkDelivery(Array.from({ length: 2 }, () => JSON.stringify({ ...tokenResponse, event: { ...tokenResponse.event, location: i === 1 ? "other.localhost" : "pgo.localhost" } })).join("\n"), i === 1 ? other : pgo), now - i);
    expect(totals()).toEqual(fromScratch()); // the old delivery was pruned by keepHours, and subtracted
    expect(totals().find((t) => t.deelnemer === "pgo.localhost")!.n).toBe(2);
    // Lines of one participant in delivery order: both of its deliveries, never the other's.
    const lines = store.linesOf("pgo.localhost", { count: 10 });
    expect(lines.length).toBe(4);
    expect(lines.every((l) => l.deelnemer === "pgo.localhost")).toBe(true);
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    expect(store.linesOf("pgo.localhost", { count: 3 }).length).toBe(3);
    expect(store.linesOf("pgo.localhost", { count: 10, valid: false })).toEqual([]);
    const buckets = store.deliveriesPerBucket("pgo.localhost", now - 60_000, 60_000);
    expect(buckets.reduce((n, b) => n + b.ok + b.nietOk, 0)).toBe(2);
    expect(store.deliveriesPerBucket("pgo.localhost", now + 60_000, 60_000)).toEqual([]);
  });
});
