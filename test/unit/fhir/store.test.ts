import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { FhirStore, VersionConflictError } from "../../../src/dva/fhir/store.ts";
import { indexEntries, normalizeReference } from "../../../src/dva/fhir/search-index.ts";
import { migrate, openDatabase } from "../../../src/shared/db.ts";
import { MIGRATIONS } from "../../../src/shared/migrations.ts";

const examples = `${import.meta.dir}/../../../../shared/medmij-examples`;

function task(id: string, status = "requested") {
  return {
    resourceType: "Task", id, status, intent: "order",
    meta: { tag: [{ system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.7" }] },
    extension: [{ url: "http://medmij.nl/fhir/StructureDefinition/ext-Task.DigitalActivity", valueReference: { reference: "ActivityDefinition/ad-1" } }],
    for: { reference: "Patient/p1" },
    basedOn: [{ reference: "ServiceRequest/plan-1" }, { reference: "http://dva/fhir/ServiceRequest/plan-2/_history/3" }],
    owner: { reference: "Patient/p1" },
    requester: { reference: "PractitionerRole/r1" },
    executionPeriod: { start: "2026-11-20T08:00:00+01:00", end: "2026-12-01" },
  };
}

describe("name search and re-indexing (string parameters)", () => {
  test("names are indexed case- and accent-insensitively, per part and in full", () => {
    const tokens = indexEntries({ resourceType: "Patient", id: "p", name: [{ text: "Zoë van der Müller", family: "van der Müller", given: ["Zoë", "Anne"] }] })
      .tokens.filter((t) => t.param === "name").map((t) => t.value);
    expect(tokens).toEqual(expect.arrayContaining(["zoe van der muller", "van der muller", "zoe", "anne", "zoe anne van der muller"]));
  });

  test("a database written before names were indexed is re-indexed once at start", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    store.save("zorgnet", { resourceType: "Patient", id: "p1", name: [{ family: "Duinen", given: ["Tom"] }] });
    // As an older sandbox left it: no name rows, index version 1.
    db.exec("DELETE FROM fhir_search_token WHERE param = 'name'");
    db.exec("DELETE FROM sandbox_meta WHERE key LIKE 'search_index_version:%'");
    expect(store.tokensOf("zorgnet", "Patient", "p1").some((t) => t.param === "name")).toBe(false);
    expect(store.reindexOutdated()).toBeGreaterThanOrEqual(1);
    expect(store.tokensOf("zorgnet", "Patient", "p1").filter((t) => t.param === "name").map((t) => t.value)).toContain("tom duinen");
    expect(store.reindexOutdated()).toBe(0);
  });
});

describe("FhirStore", () => {
  test("versions, lastUpdated, history and vread", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    const v1 = store.save("zorgnet", task("t1"), { now: new Date("2026-11-23T10:00:00Z") });
    expect(v1.versionId).toBe(1);
    expect(v1.resource.meta).toMatchObject({ versionId: "1", lastUpdated: "2026-11-23T10:00:00.000Z" });
    const v2 = store.save("zorgnet", { ...task("t1"), status: "in-progress" }, { ifMatch: 1 });
    expect(v2.versionId).toBe(2);
    expect(store.read("zorgnet", "Task", "t1")!.resource.status).toBe("in-progress");
    expect(store.vread("zorgnet", "Task", "t1", 1)!.resource.status).toBe("requested");
    expect(store.history("zorgnet", "Task", "t1").map((h) => h.versionId)).toEqual([2, 1]);
  });

  test("If-Match mismatch writes nothing", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    store.save("zorgnet", task("t1"));
    expect(() => store.save("zorgnet", { ...task("t1"), status: "completed" }, { ifMatch: 5 })).toThrow(VersionConflictError);
    expect(store.read("zorgnet", "Task", "t1")!.versionId).toBe(1);
    expect(store.history("zorgnet", "Task", "t1")).toHaveLength(1);
  });

  test("DVAs are separate; ids are assigned and checked", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    store.save("zorgnet", task("t1"));
    expect(store.read("ggzconnect", "Task", "t1")).toBeNull();
    const created = store.save("zorgnet", { resourceType: "Patient" });
    expect(created.resource.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => store.save("zorgnet", { resourceType: "Patient", id: "bad id!" })).toThrow(/invalid resource id/);
  });

  test("patient compartment and index rows follow every write", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    store.save("zorgnet", task("t1"));
    store.save("zorgnet", { ...task("t2"), for: { reference: "Patient/p2" }, owner: { reference: "Patient/p2" } });
    expect(store.byPatient("zorgnet", "Task", "Patient/p1").map((s) => s.resource.id)).toEqual(["t1"]);
    const statuses = () => db.query<{ value: string }, []>("SELECT value FROM fhir_search_token WHERE id = 't1' AND param = 'status'").all().map((r) => r.value);
    expect(statuses()).toEqual(["requested"]);
    store.save("zorgnet", { ...task("t1"), status: "completed" });
    expect(statuses()).toEqual(["completed"]);
    expect(store.count("zorgnet", "Task")).toBe(2);
  });

  test("saveAll writes in one transaction", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    expect(() => store.saveAll("zorgnet", [task("a"), { resourceType: "Task", id: "no good" }])).toThrow();
    expect(store.read("zorgnet", "Task", "a")).toBeNull();
    expect(store.saveAll("zorgnet", [task("a"), task("b")])).toBe(2);
  });
});

describe("search index entries", () => {
  test("Task parameters (SPEC §6)", () => {
    const e = indexEntries(task("t1"));
    expect(e.patient).toBe("Patient/p1");
    const by = (param: string) => e.tokens.filter((t) => t.param === param).map((t) => (t.system ? `${t.system}|${t.value}` : t.value));
    expect(by("status")).toEqual(["requested"]);
    expect(by("_tag")).toEqual(["http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7"]);
    expect(by("based-on")).toEqual(["ServiceRequest/plan-1", "ServiceRequest/plan-2"]);
    expect(by("digital-activity")).toEqual(["ActivityDefinition/ad-1"]);
    expect(by("owner")).toEqual(["Patient/p1"]);
    expect(by("requester")).toEqual(["PractitionerRole/r1"]);
    expect(e.dates).toEqual([{ param: "period", start: "2026-11-20T07:00:00.000Z", end: "2026-12-01T00:00:00.000Z" }]);
  });

  test("older generations: KoppelMij instantiates and the SD's placeholder extension", () => {
    for (const url of ["http://vzvz.nl/fhir/StructureDefinition/instantiates", "http://example.org/fhir/StructureDefinition/module-definition"]) {
      const e = indexEntries({ ...task("t"), extension: [{ url, valueReference: { reference: "ActivityDefinition/old" } }] });
      expect(e.tokens.find((t) => t.param === "digital-activity")?.value).toBe("ActivityDefinition/old");
    }
  });

  test("normalizeReference", () => {
    expect(normalizeReference("Patient/1")).toBe("Patient/1");
    expect(normalizeReference("http://fhir.zorgnet.localhost:8080/fhir/Task/a.b-c/_history/4")).toBe("Task/a.b-c");
    expect(normalizeReference("#contained")).toBeNull();
    expect(normalizeReference("urn:uuid:1234")).toBeNull();
    expect(normalizeReference(undefined)).toBeNull();
  });

  test.skipIf(!existsSync(examples))("every official MedMij example resource indexes and stores unchanged (SPEC §3)", async () => {
    const glob = new Bun.Glob("*/*.json");
    const store = new FhirStore(openDatabase(":memory:"));
    let count = 0;
    for await (const file of glob.scan({ cwd: examples, onlyFiles: true })) {
      const resource = await Bun.file(`${examples}/${file}`).json();
      const stored = store.save("zorgnet", resource);
      const { meta: storedMeta, ...rest } = stored.resource;
      const { meta: originalMeta, ...original } = resource;
      expect(rest).toEqual(original);
      expect(storedMeta).toMatchObject({ ...(originalMeta ?? {}), versionId: expect.any(String) });
      if (resource.resourceType === "Task") expect(indexEntries(resource).patient).toMatch(/^Patient\//);
      count++;
    }
    expect(count).toBeGreaterThan(100);
  });
});

describe("a database from before issue 16 (migration 21)", () => {
  test("the copy of each current version leaves the history; vread, _history and the next write go on as before", () => {
    const db = openDatabase(":memory:", MIGRATIONS.filter((m) => m.version < 21));
    // As the older store wrote it: every version in fhir_history, the current one also in fhir_resource.
    const json = (v: number) => JSON.stringify({ ...task("t1", v === 1 ? "requested" : "in-progress"), meta: { versionId: String(v), lastUpdated: `2026-11-2${v}T10:00:00.000Z` } });
    db.query("INSERT INTO fhir_resource (dva, type, id, version_id, last_updated, patient, deleted, json) VALUES ('zorgnet', 'Task', 't1', 2, '2026-11-22T10:00:00.000Z', 'Patient/p1', 0, ?)").run(json(2));
    for (const v of [1, 2]) db.query("INSERT INTO fhir_history (dva, type, id, version_id, last_updated, deleted, json) VALUES ('zorgnet', 'Task', 't1', ?, ?, 0, ?)").run(v, `2026-11-2${v}T10:00:00.000Z`, json(v));
    migrate(db, MIGRATIONS);
    expect(db.query<{ v: number }, []>("SELECT version_id AS v FROM fhir_history").all().map((r) => r.v)).toEqual([1]);
    const store = new FhirStore(db);
    expect(store.vread("zorgnet", "Task", "t1", 1)?.resource.status).toBe("requested");
    expect(store.vread("zorgnet", "Task", "t1", 2)?.resource.status).toBe("in-progress");
    expect(store.history("zorgnet", "Task", "t1").map((h) => h.versionId)).toEqual([2, 1]);
    const v3 = store.save("zorgnet", { ...task("t1", "completed") }, { ifMatch: 2 });
    expect(v3.versionId).toBe(3);
    expect(store.history("zorgnet", "Task", "t1").map((h) => h.versionId)).toEqual([3, 2, 1]);
    expect(store.vread("zorgnet", "Task", "t1", 2)?.resource.status).toBe("in-progress");
  });
});

