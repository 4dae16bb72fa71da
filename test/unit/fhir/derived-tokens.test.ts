/**
 * A resource's index rows, kept in memory until its rows change (DerivedCaches.tokens,
 * FhirStore.tokensOfMany, issue 16): a PGO collects the same patient's Tasks again and again, and
 * reading their index rows was half of the collection's SQLite time. The collection matches
 * (`status:not=completed`, `_tag`) and follows `_include`s on those rows, so a kept row that is
 * stale shows a completed Task as open or includes what a Task no longer refers to. These tests
 * change, roll back, group and reset the Tasks between two collections and check that the second
 * sees the rows as they are.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Access } from "../../../src/dva/fhir/access.ts";
import { search, type FhirContext } from "../../../src/dva/fhir/rest.ts";
import { FhirStore, flushFhirWrites, KEPT_ROWS_OF_ONE, keptTokenBytes, TOKEN_BYTES_KEPT, type Resource, type RowHead } from "../../../src/dva/fhir/store.ts";
import { DATA_SERVICE_TAG } from "../../../src/shared/fhir-profiles.ts";
import { openDatabase, openReader, type Database } from "../../../src/shared/db.ts";
import { activityOf, activityOfA, collectedTask, COLLECTION_TAG, DVA, resetTo, ruleOfAWithPublisher } from "../../helpers/fhir-store.ts";

const TAG = COLLECTION_TAG;
const rule = ruleOfAWithPublisher;
const task = collectedTask;
const activity = activityOfA;
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);
/** A Task's status as a collection reads it: its kept index rows of `status` (FhirStore.keptTokensOf). */
const keptStatus = (fhir: FhirStore, id: string, dva = DVA) =>
  fhir.keptTokensOf(dva, "Task", fhir.heads(dva, "Task").filter((h) => h.id === id), ["status"]).get(id)?.[0]?.value;

/** A store with patient p1, two ActivityDefinitions and Tasks t1, t2 of p1; a PGO's collection of p1, counting the index-row reads. */
function setup(db: Database = openDatabase(":memory:")) {
  const fhir = new FhirStore(db);
  const seedAll = () => {
    fhir.save(DVA, { resourceType: "Patient", id: "p1" });
    fhir.save(DVA, activity("ad-1"));
    fhir.save(DVA, activity("ad-2"));
    fhir.save(DVA, task("t1"));
    fhir.save(DVA, task("t2"));
  };
  seedAll();
  let reads = 0;
  const query = db.query.bind(db);
  (db as { query: typeof db.query }).query = ((sql: string) => {
    if (sql.includes("LEFT JOIN fhir_token t ON t.r = r.rid")) reads++;
    return query(sql);
  }) as typeof db.query;
  const access: Access = { kind: "pgo", patient: "p1", clientId: "pgo", scopes: [], zorgaanbieder: "A", rule, fhir, dva: DVA };
  const ctx: FhirContext = { dva: DVA, fhirBase: "http://fhir.test/fhir", store: fhir, access, now: () => new Date(), networkAgbs: [] };
  /** The collection: open Tasks with the tag, their ActivityDefinitions included — "Task/t1", "ActivityDefinition/ad-1", … */
  const collect = async (c: FhirContext = ctx) => {
    const params = new URLSearchParams({ _tag: TAG, "status:not": "completed", _include: "Task:digital-activity" });
    const result = await search(c, "Task", params, "http://fhir.test/fhir/Task", false);
    const bundle = JSON.parse(result.body as string) as { entry?: { resource: Resource; search: { mode: string } }[] };
    return (bundle.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  };
  return { db, fhir, ctx, collect, reads: () => reads, seedAll };
}

const BOTH = ["ActivityDefinition/ad-1", "Task/t1", "Task/t2"];

describe("a resource's index rows, kept until its rows change", () => {
  test("a stream of collections of the same patient reads the Tasks' index rows once", async () => {
    const { collect, reads } = setup();
    for (let i = 0; i < 5; i++) expect(await collect()).toEqual(BOTH);
    expect(reads()).toBe(1);
  });

  test("a Task completed between two collections is gone from the second; one that moves to another ActivityDefinition includes that one", async () => {
    const { fhir, collect, reads } = setup();
    expect(await collect()).toEqual(BOTH);
    fhir.save(DVA, task("t2", { status: "completed" }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1"]);
    fhir.save(DVA, task("t1", { extension: activityOf("ad-2") }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-2", "Task/t1"]);
    // Only the changed Task is read again (and t1 once more after its own change).
    expect(reads()).toBe(3);
  });

  test("a Task whose tag is removed, or that moves to another patient, leaves the collection at once", async () => {
    const { fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    fhir.save(DVA, task("t1", { meta: {} }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t2"]);
    fhir.save(DVA, { resourceType: "Patient", id: "p2" });
    fhir.save(DVA, task("t2", { for: { reference: "Patient/p2" } }));
    expect(await collect()).toEqual([]);
  });

  test("what is read inside a transaction that rolls back is not kept", async () => {
    const { db, fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    expect(() => db.transaction(() => {
      fhir.save(DVA, task("t1", { status: "completed" }));
      expect(keptStatus(fhir, "t1")).toBe("completed");
      throw new Error("rolled back");
    })()).toThrow("rolled back");
    expect(keptStatus(fhir, "t1")).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("grouped writes: a write that completes a Task and then fails in its own savepoint — the others' reads of it are not kept", async () => {
    const { fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    const results = await Promise.all([
      settled(fhir.grouped(() => expect(keptStatus(fhir, "t1")).toBe("requested"))),
      settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { status: "completed" })); expect(keptStatus(fhir, "t1")).toBe("completed"); throw new Error("refused after writing"); })),
      settled(fhir.grouped(() => expect(keptStatus(fhir, "t1")).toBe("requested"))),
    ]);
    expect(results).toEqual([true, false, true]);
    expect(keptStatus(fhir, "t1")).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("grouped writes: a savepoint rolled back inside a write that catches it and goes on — what was read inside is not kept", async () => {
    const { db, fhir, collect } = setup();
    const ok = await settled(fhir.grouped(() => {
      try {
        db.transaction(() => { fhir.save(DVA, task("t2", { status: "completed" })); expect(keptStatus(fhir, "t2")).toBe("completed"); throw new Error("inner"); })();
      } catch { /* the write goes on */ }
      fhir.save(DVA, task("t1", { status: "in-progress" }));
    }));
    expect(ok).toBe(true);
    expect(keptStatus(fhir, "t2")).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a flush from inside another transaction that rolls back keeps nothing", async () => {
    const { db, fhir, collect } = setup();
    const pending = settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { status: "completed" })); return keptStatus(fhir, "t1"); }));
    expect(() => db.transaction(() => { flushFhirWrites(db); throw new Error("outer"); })()).toThrow("outer");
    await pending;
    expect(keptStatus(fhir, "t1")).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a reset with other data under the same ids drops what was kept", async () => {
    const { db, fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    resetTo(db, fhir, [{ resourceType: "Patient", id: "p1" }, activity("ad-1"), activity("ad-2"), task("t2", { status: "completed" }), task("t1", { status: "cancelled" })]);
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1"]);
    expect(keptStatus(fhir, "t1")).toBe("cancelled");
  });

  test("the same Task id at two DVAs are two sets of rows", async () => {
    const { fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    fhir.save("ggzconnect", task("t1", { status: "completed" }));
    expect(keptStatus(fhir, "t1", "ggzconnect")).toBe("completed");
    expect(keptStatus(fhir, "t1")).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a second FhirStore on the same connection sees the other's writes", async () => {
    const { db, ctx, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    new FhirStore(db).save(DVA, task("t1", { status: "completed" }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t2"]);
    expect(keptStatus(ctx.store, "t1")).toBe("completed");
  });

  test("what a caller is given is a copy: changing it changes no later answer", () => {
    const { fhir } = setup();
    const heads = fhir.heads(DVA, "Task");
    fhir.keptTokensOf(DVA, "Task", heads, ["status", "owner"]);
    const kept = fhir.keptTokensOf(DVA, "Task", heads, ["status", "owner"]).get("t1")!; // from what is kept
    kept.length = 0;
    fhir.keptTokensOf(DVA, "Task", heads, ["status", "owner"]).get("t2")!.push({ param: "status", system: null, value: "completed" });
    // An entry given from what is kept cannot be changed (frozen).
    expect(() => { (fhir.keptTokensOf(DVA, "Task", heads, ["status", "owner"]).get("t1")![0] as { value: string }).value = "x"; }).toThrow();
    for (const id of ["t1", "t2"]) expect(fhir.keptTokensOf(DVA, "Task", heads, ["status", "owner"]).get(id)!.map((t) => t.value).sort()).toEqual(["Organization/org-a", "requested"]);
  });

  test("only the parameters asked for are read and kept, per set of parameters", () => {
    const { fhir } = setup();
    const heads = fhir.heads(DVA, "Task");
    expect(fhir.keptTokensOf(DVA, "Task", heads, ["status", "_tag"]).get("t1")!.map((t) => t.param).sort()).toEqual(["_tag", "status"]);
    expect(fhir.keptTokensOf(DVA, "Task", heads, ["owner"]).get("t1")!.map((t) => t.param)).toEqual(["owner"]);
    expect(fhir.keptTokensOf(DVA, "Task", heads, ["focus"]).get("t1")).toEqual([]);
    // Each entry weighs what it takes of the heap: t1 and t2 with 2, 1 and 0 rows.
    expect(fhir.derivedTokens.weighed).toBe(2 * (keptTokenBytes([1, 2]) + keptTokenBytes([1]) + keptTokenBytes([])));
  });

  test("a read-only connection (the reader worker's) keeps nothing: it hears of no write", () => {
    const dir = mkdtempSync(join(tmpdir(), "derived-tokens-"));
    const path = join(dir, "data.db");
    const db = openDatabase(path);
    const reader = openReader(path);
    try {
      const { fhir } = setup(db);
      const reading = new FhirStore(reader);
      expect(keptStatus(reading, "t1")).toBe("requested");
      fhir.save(DVA, task("t1", { status: "completed" }));
      expect(keptStatus(reading, "t1")).toBe("completed");
      expect(reading.derivedTokens.size).toBe(0);
    } finally {
      reader.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what is kept is bounded, whatever a resource holds or a client asks (found by outside reviews)", () => {
  const TASK = keptTokenBytes([1]); // a Task's entry of its status row
  const tasksOfP2 = (n: number) => Array.from({ length: n }, (_, i) => task(`m${i}`, { status: i % 2 ? "completed" : "requested", for: { reference: "Patient/p2" } }));
  /** Read `heads` ten at a time, as collections of ten Tasks each. */
  const inTens = (fhir: FhirStore, heads: RowHead[]) => { for (let i = 0; i < heads.length; i += 10) fhir.keptTokensOf(DVA, "Task", heads.slice(i, i + 10), ["status"]); };

  test(`past ${TOKEN_BYTES_KEPT} bytes in all the cache starts again, and answers stay right`, () => {
    const { fhir } = setup();
    const n = Math.ceil(TOKEN_BYTES_KEPT / TASK) + 50;
    fhir.saveAll(DVA, tasksOfP2(n));
    const heads = fhir.heads(DVA, "Task");
    inTens(fhir, heads);
    // More than the bound: the cache started again on the way.
    expect(fhir.derivedTokens.weighed).toBeLessThanOrEqual(TOKEN_BYTES_KEPT);
    expect(fhir.derivedTokens.size).toBeLessThan(n);
    expect(fhir.derivedTokens.weighed).toBe(TASK * fhir.derivedTokens.size);
    fhir.save(DVA, task("m1", { status: "requested" }));
    const again = fhir.keptTokensOf(DVA, "Task", heads, ["status"]);
    expect(again.get("m1")?.[0]?.value).toBe("requested");
    expect(again.get(`m${n - 1}`)?.[0]?.value).toBe((n - 1) % 2 ? "completed" : "requested");
    expect(fhir.derivedTokens.weighed).toBeLessThanOrEqual(TOKEN_BYTES_KEPT);
  });

  test("the same parameters in another order, or twice, are one kept entry", () => {
    const { fhir } = setup();
    const heads = fhir.heads(DVA, "Task");
    fhir.keptTokensOf(DVA, "Task", heads, ["_tag", "status", "digital-activity"]);
    const once = { size: fhir.derivedTokens.size, weighed: fhir.derivedTokens.weighed };
    fhir.keptTokensOf(DVA, "Task", heads, ["digital-activity", "status", "_tag"]);
    fhir.keptTokensOf(DVA, "Task", heads, ["status", "_tag", "status", "digital-activity"]);
    expect({ size: fhir.derivedTokens.size, weighed: fhir.derivedTokens.weighed }).toEqual(once);
  });

  test("a request whose rows would take more than a quarter of the bound keeps nothing: what is kept for everyone else stays", () => {
    const { fhir } = setup();
    const n = Math.ceil(TOKEN_BYTES_KEPT / 4 / TASK) + 10;
    fhir.saveAll(DVA, tasksOfP2(n));
    fhir.keptTokensOf(DVA, "Task", fhir.heads(DVA, "Task").filter((h) => !h.id.startsWith("m")), ["status"]);
    const kept = fhir.derivedTokens.size;
    expect(kept).toBe(2);
    const big = fhir.heads(DVA, "Task").filter((h) => h.id.startsWith("m"));
    for (let i = 0; i < 3; i++) expect(fhir.keptTokensOf(DVA, "Task", big, ["status"]).get("m1")?.[0]?.value).toBe("completed");
    expect(fhir.derivedTokens.size).toBe(kept);
    // The same Tasks asked for ten at a time (ordinary collections) are kept.
    inTens(fhir, big.slice(0, 100));
    expect(fhir.derivedTokens.size).toBe(kept + 100);
  });

  test(`a resource with more than ${KEPT_ROWS_OF_ONE} rows of the parameters asked is read every time, never kept`, () => {
    const { fhir } = setup();
    const tags = Array.from({ length: KEPT_ROWS_OF_ONE + 1 }, (_, i) => ({ system: "urn:test", code: `t${i}` }));
    fhir.save(DVA, task("big", { meta: { tag: [{ ...DATA_SERVICE_TAG }, ...tags] } }));
    const heads = fhir.heads(DVA, "Task");
    expect(fhir.keptTokensOf(DVA, "Task", heads, ["_tag"]).get("big")).toHaveLength(KEPT_ROWS_OF_ONE + 2);
    expect(fhir.derivedTokens.size).toBe(2); // t1 and t2
    fhir.save(DVA, task("big", { meta: { tag: [{ ...DATA_SERVICE_TAG }] } }));
    expect(fhir.keptTokensOf(DVA, "Task", heads, ["_tag"]).get("big")).toHaveLength(1);
    expect(fhir.derivedTokens.size).toBe(3);
  });

  test("a collection of Tasks with thousands of identifiers and tags keeps a few rows each, not their identifiers", async () => {
    const { fhir, ctx } = setup();
    const identifiers = (i: number) => Array.from({ length: 2_000 }, (_, j) => ({ system: "urn:ietf:rfc:3986", value: `urn:uuid:${i}-${j}-0000-0000-000000000000` }));
    const tags = Array.from({ length: 500 }, (_, j) => ({ system: "urn:test", code: `tag-${j}` }));
    fhir.saveAll(DVA, Array.from({ length: 20 }, (_, i) => task(`w${i}`, { identifier: identifiers(i), meta: { tag: [{ ...DATA_SERVICE_TAG }, ...tags] } })));
    const heap = () => { Bun.gc(true); return process.memoryUsage().heapUsed; };
    const collect = async () => {
      const result = await search(ctx, "Task", new URLSearchParams({ _tag: TAG, "status:not": "completed", _count: "100" }), "http://fhir.test/fhir/Task", false);
      return (JSON.parse(result.body as string) as { entry?: unknown[] }).entry?.length ?? 0;
    };
    const before = heap();
    expect(await collect()).toBe(22);
    expect(await collect()).toBe(22);
    // The 20 wide Tasks have 501 _tag rows each: read every time, none kept; t1 and t2 kept.
    expect(fhir.derivedTokens.size).toBe(2);
    expect((heap() - before) / 1e6).toBeLessThan(2);
  });
});
