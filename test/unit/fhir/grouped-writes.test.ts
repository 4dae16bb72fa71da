/**
 * FHIR writes of one event-loop turn run in one transaction, each in its own savepoint
 * (FhirStore.grouped, issue 16): one commit, each write its own outcome, nothing half-written,
 * nothing read from a write that did not commit kept in memory.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storedOrganisations } from "../../../src/dva/fhir/access.ts";
import { FhirStore, flushFhirWrites } from "../../../src/dva/fhir/store.ts";
import { openDatabase } from "../../../src/shared/db.ts";

const dir = mkdtempSync(join(tmpdir(), "grouped-writes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function setup() {
  const path = join(dir, `${files++}.db`);
  const db = openDatabase(path);
  const store = new FhirStore(db);
  // Another connection sees one data_version step per commit of this one.
  const observer = new Database(path, { readonly: true });
  const commits = () => observer.query<{ data_version: number }, []>("PRAGMA data_version").get()!.data_version;
  return { db, store, commits };
}
const patient = (id: string) => ({ resourceType: "Patient", id });
const settled = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error: Error) => ({ ok: false as const, error }));

describe("grouped FHIR writes", () => {
  test("the writes of one turn are one commit; a write that fails is rolled back alone, also after it wrote", async () => {
    const { db, store, commits } = setup();
    const before = commits();
    const outcomes = await Promise.all([
      settled(store.grouped(() => { expect(db.inTransaction).toBe(true); return store.save("zorgnet", patient("a")).versionId; })),
      settled(store.grouped(() => { store.save("zorgnet", patient("half")); throw new Error("refused after writing"); })),
      settled(store.grouped(() => store.save("zorgnet", patient("c")).versionId)),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]!.ok ? "" : outcomes[1]!.error.message).toBe("refused after writing");
    expect(commits()).toBe(before + 1);
    expect(store.read("zorgnet", "Patient", "a")).not.toBeNull();
    expect(store.read("zorgnet", "Patient", "c")).not.toBeNull();
    expect(store.read("zorgnet", "Patient", "half")).toBeNull();
    expect(store.tokensOf("zorgnet", "Patient", "half")).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  test("writes run in the order they came, each seeing the ones before it", async () => {
    const { store } = setup();
    const versions = await Promise.all([1, 2, 3].map((n) => store.grouped(() => store.save("zorgnet", { ...patient("same"), gender: n === 2 ? "female" : "male" }).versionId)));
    expect(versions).toEqual([1, 2, 3]);
    expect(store.read("zorgnet", "Patient", "same")!.resource.gender).toBe("male");
  });

  test("a full disk: the writes that do not fit get the storage error, the database stays whole and takes writes again once there is room", async () => {
    const { db, store } = setup();
    store.save("zorgnet", patient("before"));
    const pages = db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
    db.exec(`PRAGMA max_page_count = ${pages}`);
    const big = (id: string) => ({ ...patient(id), name: Array.from({ length: 200 }, (_, i) => ({ text: `naam ${i} ${"x".repeat(100)}` })) });
    const outcomes = await Promise.all([settled(store.grouped(() => store.save("zorgnet", big("full-1")))), settled(store.grouped(() => store.save("zorgnet", big("full-2"))))]);
    expect(outcomes.every((o) => !o.ok && /full/i.test(String(o.error)))).toBe(true);
    expect(db.inTransaction).toBe(false);
    expect(store.read("zorgnet", "Patient", "full-1")).toBeNull();
    expect(store.read("zorgnet", "Patient", "before")).not.toBeNull();
    db.exec(`PRAGMA max_page_count = ${pages * 100}`);
    await store.grouped(() => store.save("zorgnet", big("after")));
    expect(store.read("zorgnet", "Patient", "after")).not.toBeNull();
    expect(db.query<{ quick_check: string }, []>("PRAGMA quick_check").get()!.quick_check).toBe("ok");
  });

  test("what a grouped write read is kept once committed, and forgotten when one of the group failed", async () => {
    const { store } = setup();
    const scope = { fhir: store, dva: "zorgnet", rule: { own: new Set<string>(), others: new Set<string>(), publishers: new Map() } };
    store.save("zorgnet", patient("p"), { registeredBy: "Organization/a" });
    await store.grouped(() => storedOrganisations(scope, "Patient", "p"));
    expect(store.derived.size).toBe(1);
    store.derived.clear();
    const outcomes = await Promise.all([
      settled(store.grouped(() => { store.register("zorgnet", "Patient", "p", "Organization/b"); return storedOrganisations(scope, "Patient", "p"); })),
      settled(store.grouped(() => { store.register("zorgnet", "Patient", "p", "Organization/c"); throw new Error("refused"); })),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect(store.derived.size).toBe(0);
    expect([...storedOrganisations(scope, "Patient", "p")].sort()).toEqual(["Organization/a", "Organization/b"]);
  });

  test("a flush before a reset or a close runs what waits, at once", async () => {
    const { db, store } = setup();
    const written = store.grouped(() => store.save("zorgnet", patient("waiting")));
    expect(store.read("zorgnet", "Patient", "waiting")).toBeNull();
    flushFhirWrites(db);
    expect(store.read("zorgnet", "Patient", "waiting")).not.toBeNull();
    expect((await written).versionId).toBe(1);
  });

  test("a write still waiting when the database closes (a request in flight at stop) gets the error; nothing throws at the turn's end", async () => {
    const { db, store } = setup();
    const written = settled(store.grouped(() => store.save("zorgnet", patient("late"))));
    db.close();
    const outcome = await written;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : String(outcome.error)).toContain("closed");
  });
});
