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
import type { Access, OrgRule } from "../../../src/dva/fhir/access.ts";
import { search, type FhirContext } from "../../../src/dva/fhir/rest.ts";
import { FhirStore, flushFhirWrites, TOKENS_KEPT, type Resource } from "../../../src/dva/fhir/store.ts";
import { DATA_SERVICE_TAG, DIGITAL_ACTIVITY_EXTENSIONS } from "../../../src/shared/fhir-profiles.ts";
import { openDatabase, openReader, type Database } from "../../../src/shared/db.ts";
import { DVA, resetTo, ruleOfA } from "../../helpers/fhir-store.ts";

const TAG = `${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`;
const activityOf = (ad: string) => [{ url: DIGITAL_ACTIVITY_EXTENSIONS[0], valueReference: { reference: `ActivityDefinition/${ad}` } }];
/** Zorgaanbieder A: its organisation, and its ActivityDefinitions (publisher "A"). */
const rule: OrgRule = { ...ruleOfA, publishers: new Map([["a", ["Organization/org-a"]]]) };
const task = (id: string, patch: Partial<Resource> = {}): Resource => ({
  resourceType: "Task", id, status: "requested", intent: "order", for: { reference: "Patient/p1" },
  owner: { reference: "Organization/org-a" }, requester: { reference: "Organization/org-a" },
  meta: { tag: [{ ...DATA_SERVICE_TAG }] },
  extension: activityOf("ad-1"),
  ...patch,
});
const activity = (id: string): Resource => ({ resourceType: "ActivityDefinition", id, status: "active", publisher: "A" });
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);

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
    const tokens = () => fhir.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value;
    expect(() => db.transaction(() => {
      fhir.save(DVA, task("t1", { status: "completed" }));
      expect(tokens()).toBe("completed");
      throw new Error("rolled back");
    })()).toThrow("rolled back");
    expect(tokens()).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("grouped writes: a write that completes a Task and then fails in its own savepoint — the others' reads of it are not kept", async () => {
    const { fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    const status = () => fhir.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value;
    const results = await Promise.all([
      settled(fhir.grouped(() => expect(status()).toBe("requested"))),
      settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { status: "completed" })); expect(status()).toBe("completed"); throw new Error("refused after writing"); })),
      settled(fhir.grouped(() => expect(status()).toBe("requested"))),
    ]);
    expect(results).toEqual([true, false, true]);
    expect(status()).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("grouped writes: a savepoint rolled back inside a write that catches it and goes on — what was read inside is not kept", async () => {
    const { db, fhir, collect } = setup();
    const status = () => fhir.tokensOf(DVA, "Task", "t2").find((t) => t.param === "status")?.value;
    const ok = await settled(fhir.grouped(() => {
      try {
        db.transaction(() => { fhir.save(DVA, task("t2", { status: "completed" })); expect(status()).toBe("completed"); throw new Error("inner"); })();
      } catch { /* the write goes on */ }
      fhir.save(DVA, task("t1", { status: "in-progress" }));
    }));
    expect(ok).toBe(true);
    expect(status()).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a flush from inside another transaction that rolls back keeps nothing", async () => {
    const { db, fhir, collect } = setup();
    const pending = settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { status: "completed" })); return fhir.tokensOf(DVA, "Task", "t1"); }));
    expect(() => db.transaction(() => { flushFhirWrites(db); throw new Error("outer"); })()).toThrow("outer");
    await pending;
    expect(fhir.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a reset with other data under the same ids drops what was kept", async () => {
    const { db, fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    resetTo(db, fhir, [{ resourceType: "Patient", id: "p1" }, activity("ad-1"), activity("ad-2"), task("t2", { status: "completed" }), task("t1", { status: "cancelled" })]);
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1"]);
    expect(fhir.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value).toBe("cancelled");
  });

  test("the same Task id at two DVAs are two sets of rows", async () => {
    const { fhir, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    fhir.save("ggzconnect", task("t1", { status: "completed" }));
    expect(fhir.tokensOf("ggzconnect", "Task", "t1").find((t) => t.param === "status")?.value).toBe("completed");
    expect(fhir.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value).toBe("requested");
    expect(await collect()).toEqual(BOTH);
  });

  test("a second FhirStore on the same connection sees the other's writes", async () => {
    const { db, ctx, collect } = setup();
    expect(await collect()).toEqual(BOTH);
    new FhirStore(db).save(DVA, task("t1", { status: "completed" }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t2"]);
    expect(ctx.store.tokensOf(DVA, "Task", "t1").find((t) => t.param === "status")?.value).toBe("completed");
  });

  test("what a caller is given is a copy: changing it changes no later answer", () => {
    const { fhir } = setup();
    fhir.tokensOf(DVA, "Task", "t1");
    const kept = fhir.tokensOf(DVA, "Task", "t1"); // from what is kept
    kept.length = 0;
    const many = fhir.tokensOfMany(DVA, "Task", fhir.heads(DVA, "Task")).get("t1")!;
    many.push({ param: "status", system: null, value: "completed" });
    expect(() => { (fhir.tokensOf(DVA, "Task", "t1")[0] as { value: string }).value = "x"; }).toThrow();
    expect(fhir.tokensOf(DVA, "Task", "t1").filter((t) => t.param === "status").map((t) => t.value)).toEqual(["requested"]);
    expect(fhir.tokensOfMany(DVA, "Task", fhir.heads(DVA, "Task"), ["status"]).get("t1")).toEqual([{ param: "status", system: null, value: "requested" }]);
  });

  test("only the parameters asked for are given, whatever was kept", () => {
    const { fhir } = setup();
    const all = fhir.tokensOf(DVA, "Task", "t1").map((t) => t.param);
    expect(all).toContain("owner");
    const heads = fhir.heads(DVA, "Task");
    expect(fhir.tokensOfMany(DVA, "Task", heads, ["status", "_tag"]).get("t1")!.map((t) => t.param).sort()).toEqual(["_tag", "status"]);
    expect(fhir.tokensOfMany(DVA, "Task", heads).get("t1")!.map((t) => t.param).sort()).toEqual([...all].sort());
  });

  test("a read-only connection (the reader worker's) keeps nothing: it hears of no write", () => {
    const dir = mkdtempSync(join(tmpdir(), "derived-tokens-"));
    const path = join(dir, "data.db");
    const db = openDatabase(path);
    const reader = openReader(path);
    try {
      const { fhir } = setup(db);
      const reading = new FhirStore(reader);
      const status = () => reading.tokensOfMany(DVA, "Task", reading.heads(DVA, "Task"), ["status"]).get("t1")?.[0]?.value;
      expect(status()).toBe("requested");
      fhir.save(DVA, task("t1", { status: "completed" }));
      expect(status()).toBe("completed");
    } finally {
      reader.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`at most ${TOKENS_KEPT} resources' rows are kept; past that the cache starts again and answers stay right`, () => {
    const { fhir } = setup();
    const many = Array.from({ length: TOKENS_KEPT + 50 }, (_, i) => task(`m${i}`, { status: i % 2 ? "completed" : "requested" }));
    fhir.saveAll(DVA, many);
    const heads = fhir.heads(DVA, "Task");
    const first = fhir.tokensOfMany(DVA, "Task", heads, ["status"]);
    expect(first.get("m1")?.[0]?.value).toBe("completed");
    fhir.save(DVA, task("m1", { status: "requested" }));
    const again = fhir.tokensOfMany(DVA, "Task", heads, ["status"]);
    expect(again.get("m1")?.[0]?.value).toBe("requested");
    expect(again.get(`m${TOKENS_KEPT + 49}`)?.[0]?.value).toBe("completed");
    expect(fhir.derivedTokensKept).toBeLessThanOrEqual(TOKENS_KEPT);
  });
});
