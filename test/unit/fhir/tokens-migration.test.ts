/**
 * Migration 23 on data the old code wrote: every distinct token survives (as a number),
 * each resource keeps its old rowid as rid, nothing else of the FHIR tables is lost, and the
 * indexes are those of migrations 4 and 20 (plus the new ones).
 */
import { describe, expect, test } from "bun:test";
import { FhirStore } from "../../../src/dva/fhir/store.ts";
import { migrate, openDatabase } from "../../../src/shared/db.ts";
import { MIGRATIONS } from "../../../src/shared/migrations.ts";

type OldToken = { dva: string; type: string; id: string; param: string; system: string | null; value: string };

describe("migration 23 on old data", () => {
  test("tokens (NULL systems, duplicates, odd values, deleted rows), rowids with gaps, history and registrations", () => {
    const db = openDatabase(":memory:", MIGRATIONS.filter((m) => m.version < 23));
    const put = db.query("INSERT INTO fhir_resource (dva, type, id, version_id, last_updated, patient, deleted, json) VALUES (?, ?, ?, 2, ?, ?, ?, ?)");
    const tok = db.query("INSERT INTO fhir_search_token (dva, type, id, param, system, value) VALUES (?, ?, ?, ?, ?, ?)");
    const odd = ["it's \"quoted\"", "a\u0000b", "%_*", "Zoë\u2028x", "  spaced ", "[\"json\"]", "1", "1.0", "Patient/p1"];
    for (let i = 0; i < 30; i++) {
      const dva = i % 2 ? "zorgnet" : "ggzconnect";
      const type = i % 3 ? "Task" : "Patient";
      put.run(dva, type, `r${i}`, `2026-01-01T00:00:${String(i).padStart(2, "0")}.000Z`, i % 5 ? "Patient/p1" : null, i === 7 ? 1 : 0, JSON.stringify({ resourceType: type, id: `r${i}` }));
      tok.run(dva, type, `r${i}`, "status", null, "requested");
      tok.run(dva, type, `r${i}`, "status", null, "requested"); // a duplicate row
      tok.run(dva, type, `r${i}`, "identifier", "urn:a", odd[i % odd.length]!);
      tok.run(dva, type, `r${i}`, "identifier", "urn:b", odd[i % odd.length]!); // the same value under another system
      tok.run(dva, type, `r${i}`, "identifier", null, odd[(i + 1) % odd.length]!);
    }
    // Gaps in the rowids: rows removed in the middle (and with them their tokens).
    db.exec("DELETE FROM fhir_resource WHERE id IN ('r3', 'r11')");
    db.exec("DELETE FROM fhir_search_token WHERE id IN ('r3', 'r11')");
    db.exec("INSERT INTO fhir_history (dva, type, id, version_id, last_updated, deleted, json) SELECT dva, type, id, 1, last_updated, 0, json FROM fhir_resource");
    db.exec("INSERT INTO fhir_registration (dva, type, id, organisation, created_at) SELECT dva, type, id, 'Organization/o', '2026' FROM fhir_resource");

    const rowids = db.query<{ rowid: number; dva: string; type: string; id: string; deleted: number; json: string }, []>(
      "SELECT rowid, dva, type, id, deleted, json FROM fhir_resource ORDER BY rowid").all();
    const oldTokens = db.query<OldToken, []>("SELECT DISTINCT dva, type, id, param, system, value FROM fhir_search_token").all();
    const history = db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_history").get()!.n;
    const registrations = db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_registration").get()!.n;

    migrate(db, MIGRATIONS);

    expect(db.query("SELECT rid AS rowid, dva, type, id, deleted, json FROM fhir_resource ORDER BY rid").all()).toEqual(rowids);
    const newTokens = db.query<OldToken, []>(`SELECT r.dva, r.type, r.id, k.param, nullif(k.system, '') AS system, v.value FROM fhir_token t
      JOIN fhir_token_param k ON k.id = t.k JOIN fhir_token_value v ON v.id = t.v JOIN fhir_resource r ON r.rid = t.r`).all();
    const key = (t: OldToken) => JSON.stringify([t.dva, t.type, t.id, t.param, t.system, t.value]);
    expect(newTokens.map(key).sort()).toEqual(oldTokens.map(key).sort());
    // Every parameter's dva/type is the resource's.
    expect(db.query("SELECT count(*) AS n FROM fhir_token t JOIN fhir_token_param k ON k.id = t.k JOIN fhir_resource r ON r.rid = t.r WHERE k.dva <> r.dva OR k.type <> r.type").get()).toEqual({ n: 0 });
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_history").get()!.n).toBe(history);
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_registration").get()!.n).toBe(registrations);

    const indexes = db.query<{ name: string; sql: string | null }, []>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('fhir_resource', 'fhir_token', 'fhir_token_param', 'fhir_token_value') ORDER BY name").all();
    const cols = (name: string) => db.query<{ name: string }, []>(`PRAGMA index_info("${name}")`).all().map((c) => c.name);
    expect(cols("fhir_resource_patient")).toEqual(["dva", "type", "patient", "last_updated"]);
    expect(cols("fhir_resource_updated")).toEqual(["dva", "type", "last_updated", "id"]);
    expect(cols("fhir_token_resource")).toEqual(["r"]);
    // (dva, type, id) stays unique (the upsert's ON CONFLICT target).
    const unique = db.query<{ name: string; unique: number }, []>("PRAGMA index_list(fhir_resource)").all().filter((i) => i.unique === 1).map((i) => cols(i.name));
    expect(unique).toContainEqual(["dva", "type", "id"]);
    expect(indexes.length).toBeGreaterThanOrEqual(3);
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);

    // The searches on the migrated rows: per system, any system, and across the odd values.
    const store = new FhirStore(db);
    for (const value of odd) {
      const old = oldTokens.filter((t) => t.dva === "zorgnet" && t.type === "Task" && t.param === "identifier" && t.value === value);
      const ids = [...new Set(old.map((t) => t.id))];
      const live = ids.filter((id) => rowids.find((r) => r.id === id && r.dva === "zorgnet")!.deleted === 0).sort();
      expect(store.headsByToken("zorgnet", "Task", "identifier", [value]).map((h) => h.id).sort()).toEqual(live);
      expect(store.referrers("zorgnet", "Task", "identifier", value).sort()).toEqual(ids.sort());
      const bySystem = old.filter((t) => t.system === "urn:a").map((t) => t.id).filter((id) => live.includes(id)).sort();
      expect(store.findByIdentifier("zorgnet", "Task", "urn:a", value).map((s) => s.resource.id).sort()).toEqual(bySystem);
    }
    // A new resource gets a row number after every old one (none reused).
    store.save("zorgnet", { resourceType: "Task", id: "new", status: "requested" });
    expect(db.query<{ rid: number }, []>("SELECT rid FROM fhir_resource WHERE id = 'new'").get()!.rid).toBe(rowids.at(-1)!.rowid + 1);
  });
});
