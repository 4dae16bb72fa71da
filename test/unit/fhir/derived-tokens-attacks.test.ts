/**
 * DerivedCaches.tokens (FhirStore.keptTokensOf) under attack, from an outside review: sequences of
 * grouped writes, rollbacks, re-indexing, resets, walks and the bound after which a search, an
 * include or an access decision could use index rows that are not the stored rows as they are.
 * (The review's one finding — the bound counted resources, not rows — is in derived-tokens.test.ts.)
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Access } from "../../../src/dva/fhir/access.ts";
import { conditionalMatches, search, searchTuning, type FhirContext } from "../../../src/dva/fhir/rest.ts";
import { FhirStore, keptTokenBytes, TOKEN_BYTES_KEPT, type Resource } from "../../../src/dva/fhir/store.ts";
import { openDatabase, type Database } from "../../../src/shared/db.ts";
import { activityOf, activityOfA, collectedTask, COLLECTION_TAG, DVA, resetTo, ruleOfAWithPublisher } from "../../helpers/fhir-store.ts";

const TAG = COLLECTION_TAG;
const rule = ruleOfAWithPublisher;
const task = collectedTask;
const activity = activityOfA;
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);
const keptOf = (fhir: FhirStore, type: string, id: string, params: string[]) =>
  fhir.keptTokensOf(DVA, type, fhir.heads(DVA, type).filter((h) => h.id === id), params).get(id) ?? [];
const base = [{ resourceType: "Patient", id: "p1" } as Resource, activity("ad-1"), activity("ad-2")];

function setup(db: Database = openDatabase(":memory:")) {
  const fhir = new FhirStore(db);
  for (const r of [...base, task("t1"), task("t2")]) fhir.save(DVA, r);
  const pgo: Access = { kind: "pgo", patient: "p1", clientId: "pgo", scopes: [], zorgaanbieder: "A", rule, fhir, dva: DVA };
  const system: Access = { kind: "system", clientId: "his", scopes: ["system/*.*"], zorgaanbieder: "A", rule, fhir, dva: DVA };
  const ctxOf = (access: Access): FhirContext => ({ dva: DVA, fhirBase: "http://fhir.test/fhir", store: fhir, access, now: () => new Date(), networkAgbs: [] });
  const collectWith = async (access: Access, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams({ _tag: TAG, "status:not": "completed", _include: "Task:digital-activity", _count: "1000", ...extra });
    const result = await search(ctxOf(access), "Task", params, "http://fhir.test/fhir/Task", false);
    const bundle = JSON.parse(result.body as string) as { entry?: { resource: Resource }[] };
    return (bundle.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  };
  /** What a collection reads of a Task's status: its kept rows (keptTokensOf). */
  const status = (id: string) => keptOf(fhir, "Task", id, ["status"]).map((t) => t.value);
  return { db, fhir, pgo, system, ctxOf, collect: () => collectWith(pgo), collectWith, status };
}

const saved = { ...searchTuning };
afterEach(() => Object.assign(searchTuning, saved));

describe("kept index rows under attack", () => {
  test("grouped: W1 completes t1 (ok), W2 reads it (tentative), W3 fails — t1 stays completed, not requested", async () => {
    const { fhir, collect, status } = setup();
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]);
    const r = await Promise.all([
      settled(fhir.grouped(() => fhir.save(DVA, task("t1", { status: "completed" })))),
      settled(fhir.grouped(() => expect(status("t1")).toEqual(["completed"]))),
      settled(fhir.grouped(() => { fhir.save(DVA, task("t2", { status: "cancelled" })); throw new Error("fails after writing"); })),
    ]);
    expect(r).toEqual([true, true, false]);
    expect(status("t1")).toEqual(["completed"]);
    expect(status("t2")).toEqual(["requested"]);
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t2"]);
  });

  test("grouped: a conditional create's index-path search (tentative tokens of every candidate) next to a write that rolls back", async () => {
    const { fhir, system, ctxOf, collect, status } = setup();
    searchTuning.indexFrom = 0; // the system search reads the candidates' index rows (visibleOf → tokensOfMany)
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]);
    const r = await Promise.all([
      settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { status: "completed" })); throw new Error("no"); })),
      settled(fhir.grouped(() => expect(conditionalMatches(ctxOf(system), "Task", new URLSearchParams({ status: "completed" }))).toEqual([]))),
      settled(fhir.grouped(() => fhir.save(DVA, task("t2", { status: "on-hold" })))),
      settled(fhir.grouped(() => expect(conditionalMatches(ctxOf(system), "Task", new URLSearchParams({ status: "on-hold" })).map((s) => s.resource.id)).toEqual(["t2"]))),
    ]);
    expect(r).toEqual([false, true, true, true]);
    expect(status("t1")).toEqual(["requested"]);
    expect(status("t2")).toEqual(["on-hold"]);
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]);
  });

  test("a parameter number made in a savepoint that rolls back is made again for another system in the same group: kept rows name the right system", async () => {
    const { fhir } = setup();
    const ids = (id: string) => keptOf(fhir, "Task", id, ["identifier"]).map((t) => `${t.system}|${t.value}`);
    const r = await Promise.all([
      settled(fhir.grouped(() => { fhir.save(DVA, task("t1", { identifier: [{ system: "urn:s1", value: "x" }] })); expect(ids("t1")).toEqual(["urn:s1|x"]); throw new Error("no"); })),
      settled(fhir.grouped(() => { fhir.save(DVA, task("t2", { identifier: [{ system: "urn:s2", value: "y" }] })); expect(ids("t2")).toEqual(["urn:s2|y"]); })),
    ]);
    expect(r).toEqual([false, true]);
    expect(ids("t2")).toEqual(["urn:s2|y"]);
    expect(ids("t1")).toEqual([]);
    const many = fhir.keptTokensOf(DVA, "Task", fhir.heads(DVA, "Task"), ["identifier"]);
    expect(many.get("t2")!.map((t) => t.system)).toEqual(["urn:s2"]);
  });

  test("reindexOutdated: rows read (and kept) before the re-index are not served after it", () => {
    const { db, fhir } = setup();
    const adStatus = () => keptOf(fhir, "ActivityDefinition", "ad-1", ["status"]).map((t) => t.value);
    // An older sandbox's index (ActivityDefinition is in INDEX_VERSION): ad-1's status row says retired, written without FhirStore.
    db.exec("INSERT OR IGNORE INTO fhir_token_value (value) VALUES ('retired')");
    db.exec(`UPDATE fhir_token SET v = (SELECT id FROM fhir_token_value WHERE value = 'retired')
             WHERE r = (SELECT rid FROM fhir_resource WHERE type = 'ActivityDefinition' AND id = 'ad-1') AND k IN (SELECT id FROM fhir_token_param WHERE param = 'status')`);
    expect(adStatus()).toEqual(["retired"]); // read from the old rows, and kept
    db.exec("INSERT INTO sandbox_meta (key, value) VALUES ('search_index_version:ActivityDefinition', '1') ON CONFLICT (key) DO UPDATE SET value = '1'");
    expect(fhir.reindexOutdated()).toBeGreaterThan(0);
    expect(adStatus()).toEqual(["active"]);
  });

  test("a main-thread walk (`:memory:`) across a reset under the same ids: the page is the rows as they are after it", async () => {
    const { db, fhir, system, ctxOf, collectWith } = setup();
    Object.assign(searchTuning, { indexFrom: 0, walkFrom: 1, step: 1, minStep: 1 });
    // warm the cache with t1/t2 as they are now
    expect(await collectWith(system)).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]);
    const params = new URLSearchParams({ _tag: TAG, "status:not": "completed", _count: "10", _include: "Task:digital-activity" });
    const pending = search(ctxOf(system), "Task", params, "http://fhir.test/fhir/Task", false);
    // while it yields between steps: a reset with t2 completed and t1 pointing at ad-2, in another order (other row numbers)
    await Promise.resolve();
    resetTo(db, fhir, [...base, task("t2", { status: "completed" }), task("t1", { extension: activityOf("ad-2") }), task("t3", { extension: activityOf("ad-2") })]);
    const result = await pending;
    const entries = (JSON.parse(result.body as string) as { entry?: { resource: Resource }[] }).entry ?? [];
    const got = entries.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    // whatever the walk met, nothing is shown as it was before the reset
    expect(got).not.toContain("Task/t2");
    expect(got).not.toContain("ActivityDefinition/ad-1");
    expect(await collectWith(system)).toEqual(["ActivityDefinition/ad-2", "Task/t1", "Task/t3"]);
  });

  test("the bound reached inside one collection (the cache starts again mid-request) — then a change is still seen", async () => {
    const { fhir, collect } = setup();
    // Tasks of another patient (an entry of a status row each), read ten at a time up to just under the bound.
    const each = keptTokenBytes([1]);
    const n = Math.floor(TOKEN_BYTES_KEPT / each);
    fhir.saveAll(DVA, Array.from({ length: n }, (_, i) => task(`m${i}`, { for: { reference: "Patient/other" } })));
    const others = fhir.heads(DVA, "Task").filter((h) => h.id.startsWith("m"));
    for (let i = 0; i < others.length; i += 10) fhir.keptTokensOf(DVA, "Task", others.slice(i, i + 10), ["status"]);
    expect(fhir.derivedTokens.weighed).toBe(n * each);
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]); // t1 starts the cache again
    expect(fhir.derivedTokens.weighed).toBeLessThanOrEqual(TOKEN_BYTES_KEPT);
    fhir.save(DVA, task("t1", { status: "completed" }));
    fhir.save(DVA, task("t2", { extension: activityOf("ad-2") }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-2", "Task/t2"]);
  });

  test("an access decision (storedRefs) follows a PractitionerRole that moves to another organisation", async () => {
    const { fhir, collect } = setup();
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", organization: { reference: "Organization/org-a" } });
    fhir.save(DVA, task("t1", { owner: { reference: "PractitionerRole/role" }, requester: { reference: "PractitionerRole/role" } }));
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t1", "Task/t2"]);
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", organization: { reference: "Organization/org-b" } });
    expect(await collect()).toEqual(["ActivityDefinition/ad-1", "Task/t2"]); // now B's: A's PGO collection no longer shows it
  });

  test("heads of before a reset whose row numbers now name other ids, with those ids' rows kept: each id gets its own rows", () => {
    const { db, fhir } = setup();
    const before = fhir.heads(DVA, "Task"); // t1, t2 with their numbers
    resetTo(db, fhir, [...base, task("t2", { status: "completed" }), task("t1", { status: "cancelled" })]);
    keptOf(fhir, "Task", "t2", ["status"]); // kept by id
    const got = fhir.keptTokensOf(DVA, "Task", before, ["status"]);
    expect(got.get("t1")!.map((t) => t.value)).toEqual(["cancelled"]);
    expect(got.get("t2")!.map((t) => t.value)).toEqual(["completed"]);
  });
});
