/** tokensOfMany by row number: heads of another DVA or type, numbers without a row, moved and unmoved heads mixed, resources without index rows, odd ids. */
import { describe, expect, test } from "bun:test";
import { DVA, ownedTask } from "../../helpers/fhir-store.ts";
import { FhirStore, type RowHead, type Resource } from "../../../src/dva/fhir/store.ts";
import { openDatabase } from "../../../src/shared/db.ts";

const task = ownedTask;
const ownerOf = (m: Map<string, { param: string; value: string }[]>, id: string) => (m.get(id) ?? []).filter((t) => t.param === "owner").map((t) => t.value);

describe("tokensOfMany, heads that are not what their number names", () => {
  test("a head of another DVA / type whose number exists here: read by its id in this DVA and type", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    s.save(DVA, task("t1", "org-a"));
    s.save("ggzconnect", task("t2", "org-x"));
    s.save(DVA, { resourceType: "Endpoint", id: "t3", status: "active" } as Resource);
    const foreign = s.heads("ggzconnect", "Task")[0]!;
    const endpoint = s.heads(DVA, "Endpoint")[0]!;
    const m = s.tokensOfMany(DVA, "Task", [foreign, { ...endpoint }]);
    expect(m.get("t2")).toEqual([]); // no Task t2 at zorgnet: never ggzconnect's rows
    expect(m.get("t3")).toEqual([]);
    s.save(DVA, task("t2", "org-a"));
    expect(ownerOf(s.tokensOfMany(DVA, "Task", [foreign]), "t2")).toEqual(["Organization/org-a"]);
  });

  test("a number that names no row: read by id; mixed with unmoved heads; params and not", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    for (let i = 0; i < 5; i++) s.save(DVA, task(`t${i}`, i % 2 ? "org-a" : "org-b", i % 2 ? "requested" : "completed"));
    const heads = s.heads(DVA, "Task");
    const mixed: RowHead[] = heads.map((h, i) => (i % 2 ? { ...h, rid: h.rid + 1000 } : h));
    for (const params of [undefined, ["owner"], ["owner", "status"]]) {
      const m = s.tokensOfMany(DVA, "Task", mixed, params);
      expect([...m.keys()].sort()).toEqual(heads.map((h) => h.id).sort());
      for (let i = 0; i < 5; i++) expect(ownerOf(m, `t${i}`)).toEqual([i % 2 ? "Organization/org-a" : "Organization/org-b"]);
    }
    expect(s.tokensOfMany(DVA, "Task", mixed, []).get("t1")).toEqual([]);
  });

  test("a resource without any token rows stays itself (no second read, empty)", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    s.save(DVA, task("t1", "org-a"));
    db.exec("DELETE FROM fhir_token");
    expect(s.tokensOfMany(DVA, "Task", s.heads(DVA, "Task")).get("t1")).toEqual([]);
  });

  test("300 heads, half moved to numbers no row has: one entry per id, each its own rows", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    s.saveAll(DVA, Array.from({ length: 300 }, (_, i) => task(`t${i}`, `org-${i}`)));
    const heads = s.heads(DVA, "Task");
    const shuffled = heads.map((h, i) => (i % 2 ? { ...h, rid: h.rid + 10_000 } : h));
    const m = s.tokensOfMany(DVA, "Task", shuffled);
    expect(m.size).toBe(300);
    for (const h of heads) expect(ownerOf(m, h.id)).toEqual([`Organization/org-${h.id.slice(1)}`]);
  });

  test("a number given as text, and ids JSON has to escape", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    s.save(DVA, task("a.b-1", "org-a"));
    const h = s.heads(DVA, "Task")[0]!;
    const m = s.tokensOfMany(DVA, "Task", [{ ...h, rid: String(h.rid) as unknown as number }]);
    expect(ownerOf(m, "a.b-1")).toEqual(["Organization/org-a"]);
    // Odd ids cannot be stored (ID_PATTERN), but as heads they must not confuse the binding.
    const odd = ['x"]', "\\", "é\u0000", "[1]", "1"].map((id, i) => ({ ...h, rid: h.rid + 100 + i, id }));
    const m2 = s.tokensOfMany(DVA, "Task", odd);
    expect([...m2.keys()]).toEqual(odd.map((o) => o.id));
    for (const o of odd) expect(m2.get(o.id)).toEqual([]);
  });

  test("the row-number join is a rowid lookup, the id one the (dva, type, id) index", () => {
    const db = openDatabase(":memory:");
    const plan = db.query("EXPLAIN QUERY PLAN SELECT j.value AS rid, r.id FROM json_each(?1) j LEFT JOIN fhir_resource r ON r.rid = j.value AND r.dva = ?2 AND r.type = ?3 LEFT JOIN fhir_token t ON t.r = r.rid")
      .all("[1]", DVA, "Task") as { detail: string }[];
    const text = plan.map((p) => p.detail).join("\n");
    expect(text).toMatch(/SEARCH r USING INTEGER PRIMARY KEY/);
    expect(text).toMatch(/SEARCH t USING (COVERING )?INDEX fhir_token_resource/);
  });
});
