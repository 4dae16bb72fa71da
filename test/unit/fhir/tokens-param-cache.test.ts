/**
 * The parameter numbers kept in memory (TokenParams, store.ts): grouped writes whose
 * savepoints roll back and whose numbers SQLite hands out again, a failing reset, a reset after a
 * day of use, a second FhirStore, a second connection. After each, every resource's tokens read
 * back (tokensOf, tokensOfMany, searches) must be what indexEntries makes of its JSON.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FhirStore, type Resource } from "../../../src/dva/fhir/store.ts";
import { indexEntries, type TokenEntry } from "../../../src/dva/fhir/search-index.ts";
import { openDatabase, openReader, tablesChildrenFirst } from "../../../src/shared/db.ts";
import { keptOnReset } from "../../../seed/seed.ts";

const dir = mkdtempSync(join(tmpdir(), "review-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);
const sorted = (list: readonly TokenEntry[]) => [...new Set(list.map((t) => JSON.stringify([t.param, t.system, t.value])))].sort();
const patient = (id: string, system: string, value: string): Resource => ({ resourceType: "Patient", id, identifier: [{ system, value }], meta: { tag: [{ system: `${system}#tag`, code: value }] } });

/** Every current resource's tokens as read (by id and by row number) equal those of its JSON, and each identifier search finds it. */
function consistent(db: Database, store: FhirStore): void {
  const rows = db.query<{ dva: string; type: string; id: string; json: string }, []>("SELECT dva, type, id, json FROM fhir_resource").all();
  for (const r of rows) {
    const want = sorted(indexEntries(JSON.parse(r.json) as Resource).tokens);
    expect(sorted(store.tokensOf(r.dva, r.type, r.id))).toEqual(want);
    const many = store.tokensOfMany(r.dva, r.type, store.heads(r.dva, r.type));
    expect(sorted(many.get(r.id)!)).toEqual(want);
    for (const t of indexEntries(JSON.parse(r.json) as Resource).tokens.filter((x) => x.param === "identifier")) {
      expect(store.findByIdentifier(r.dva, r.type, t.system!, t.value).map((s) => s.resource.id)).toContain(r.id);
    }
  }
}

describe("the parameter numbers in memory", () => {
  test("grouped writes: a savepoint that rolls back a new parameter, whose number goes to another's parameter", async () => {
    const path = join(dir, `${files++}.db`);
    const db = openDatabase(path);
    const store = new FhirStore(db);
    const other = new FhirStore(db);
    store.save("zorgnet", patient("seed", "urn:seed", "0"));
    const ok = await Promise.all([
      settled(store.grouped(() => { store.save("zorgnet", patient("x", "urn:rolled-back", "1")); store.tokensOf("zorgnet", "Patient", "x"); throw new Error("refused"); })),
      settled(other.grouped(() => { other.save("zorgnet", patient("y", "urn:kept", "2")); return other.tokensOf("zorgnet", "Patient", "y"); })),
      settled(store.grouped(() => { store.save("ggzconnect", patient("x", "urn:rolled-back", "3")); throw new Error("refused"); })),
      settled(store.grouped(() => store.save("ggzconnect", patient("z", "urn:kept-too", "4")))),
    ]);
    expect(ok).toEqual([false, true, false, true]);
    consistent(db, store);
    consistent(db, other);
    // Now the rolled-back parameter for real.
    store.save("zorgnet", patient("x", "urn:rolled-back", "1"));
    consistent(db, store);
    // A second connection (the reader worker's), inside a read transaction and outside.
    const reader = openReader(path);
    const reading = new FhirStore(reader);
    consistent(reader, reading);
    reader.transaction(() => consistent(reader, reading))();
    store.save("zorgnet", patient("w", "urn:after-reader", "5"));
    reader.transaction(() => consistent(reader, reading))();
    reader.close();
    db.close();
  });

  test("a reset that fails after numbering new parameters, then one that commits, after a day of use", () => {
    const db = openDatabase(join(dir, `${files++}.db`));
    const store = new FhirStore(db);
    for (let i = 0; i < 20; i++) store.save("zorgnet", patient(`day${i}`, `urn:day${i % 4}`, `v${i}`));
    const reset = (resources: Resource[], fail: boolean) => db.transaction(() => {
      for (const table of tablesChildrenFirst(db)) if (!keptOnReset(table)) db.exec(`DELETE FROM "${table}"`);
      store.saveAll("zorgnet", resources);
      consistent(db, store);
      if (fail) throw new Error("seed failed");
    })();
    expect(() => reset([patient("s1", "urn:only-in-failed-seed", "a"), patient("s2", "urn:day1", "b")], true)).toThrow("seed failed");
    consistent(db, store);
    reset([patient("s3", "urn:after-failed-seed", "c"), patient("s1", "urn:only-in-failed-seed", "a")], false);
    consistent(db, store);
    expect(store.findByIdentifier("zorgnet", "Patient", "urn:day1", "v1")).toEqual([]);
    store.save("zorgnet", patient("s4", "urn:day2", "v1"));
    consistent(db, store);
  });
});
