import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { FhirStore, VersionConflictError } from "../../../src/dva/fhir/store.ts";
import { indexEntries, normalizeReference } from "../../../src/dva/fhir/search-index.ts";
import { migrate, openDatabase, openReader } from "../../../src/shared/db.ts";
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
    db.exec("DELETE FROM fhir_token WHERE k IN (SELECT id FROM fhir_token_param WHERE param = 'name')");
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
    const statuses = () => store.tokensOf("zorgnet", "Task", "t1").filter((t) => t.param === "status").map((t) => t.value);
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


describe("search tokens by number (migration 23, issue 16)", () => {
  const patient = (id: string, bsn: string, system = "http://fhir.nl/fhir/NamingSystem/bsn") =>
    ({ resourceType: "Patient", id, identifier: [{ system, value: bsn }] });

  test("a second DVA with the same ids and values: every token read stays in its DVA and type", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    store.save("zorgnet", task("t1"));
    store.save("ggzconnect", { ...task("t1"), status: "completed" });
    store.save("ggzconnect", { resourceType: "ServiceRequest", id: "t1", status: "requested", subject: { reference: "Patient/p1" } });
    expect(store.tokensOf("zorgnet", "Task", "t1").filter((t) => t.param === "status").map((t) => t.value)).toEqual(["requested"]);
    expect(store.tokensOf("ggzconnect", "Task", "t1").filter((t) => t.param === "status").map((t) => t.value)).toEqual(["completed"]);
    expect(store.findByToken("zorgnet", "Task", "status", ["completed"])).toEqual([]);
    expect(store.headsByToken("ggzconnect", "Task", "status", ["requested", "completed"]).map((h) => h.id)).toEqual(["t1"]);
    expect(store.headsByToken("ggzconnect", "ServiceRequest", "status", ["completed"])).toEqual([]);
    expect(store.referrers("zorgnet", "Task", "owner", "Patient/p1")).toEqual(["t1"]);
    expect(store.countTokenUpTo("zorgnet", "Task", "patient", ["Patient/p1"], 10)).toBe(1);
    expect(store.countTokenUpTo("ggzconnect", "Task", "status", ["requested"], 10)).toBe(0);
  });

  test("the same value under two systems is two tokens: an identifier search names its system", () => {
    const store = new FhirStore(openDatabase(":memory:"));
    store.save("zorgnet", patient("a", "999911120"));
    store.save("zorgnet", patient("b", "999911120", "urn:other"));
    expect(store.findByIdentifier("zorgnet", "Patient", "http://fhir.nl/fhir/NamingSystem/bsn", "999911120").map((p) => p.resource.id)).toEqual(["a"]);
    expect(store.findByIdentifier("zorgnet", "Patient", "urn:other", "999911120").map((p) => p.resource.id)).toEqual(["b"]);
    expect(store.findByToken("zorgnet", "Patient", "identifier", ["999911120"]).map((p) => p.resource.id)).toEqual(["a", "b"]);
    expect(store.tokensOf("zorgnet", "Patient", "b").find((t) => t.param === "identifier")).toEqual({ param: "identifier", system: "urn:other", value: "999911120" });
    // A token without a system reads back as null, as indexEntries made it.
    expect(store.tokensOf("zorgnet", "Patient", "a").some((t) => t.system === "")).toBe(false);
  });

  test("a write that rolls back leaves no number behind that a later write or search could trust", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    expect(() => db.transaction(() => {
      store.save("zorgnet", { ...task("t1"), status: "on-hold", identifier: [{ system: "urn:x", value: "rolled-back" }] });
      throw new Error("abort");
    })()).toThrow("abort");
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_token_value WHERE value = 'rolled-back'").get()!.n).toBe(0);
    store.save("zorgnet", { ...task("t2"), identifier: [{ system: "urn:x", value: "rolled-back" }] });
    expect(store.findByIdentifier("zorgnet", "Task", "urn:x", "rolled-back").map((t) => t.resource.id)).toEqual(["t2"]);
    expect(store.findByToken("zorgnet", "Task", "status", ["on-hold"])).toEqual([]);
    expect(store.read("zorgnet", "Task", "t1")).toBeNull();
  });

  test("a parameter first numbered in a write that rolls back: its number, made again for another, names the other", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    expect(() => db.transaction(() => {
      store.save("zorgnet", patient("a", "1", "urn:first"));
      expect(store.tokensOf("zorgnet", "Patient", "a").find((t) => t.param === "identifier")?.system).toBe("urn:first");
      throw new Error("abort");
    })()).toThrow("abort");
    // The rolled-back row's number is free again: SQLite gives it to the next new row.
    store.save("zorgnet", patient("b", "2", "urn:second"));
    expect(store.tokensOf("zorgnet", "Patient", "b").find((t) => t.param === "identifier")).toEqual({ param: "identifier", system: "urn:second", value: "2" });
    expect(store.findByIdentifier("zorgnet", "Patient", "urn:first", "1")).toEqual([]);
    store.save("zorgnet", patient("c", "1", "urn:first"));
    expect(store.findByIdentifier("zorgnet", "Patient", "urn:first", "1").map((p) => p.resource.id)).toEqual(["c"]);
    expect(store.findByIdentifier("zorgnet", "Patient", "urn:second", "2").map((p) => p.resource.id)).toEqual(["b"]);
    expect(store.tokensOf("zorgnet", "Patient", "c").find((t) => t.param === "identifier")?.system).toBe("urn:first");
  });

  test("the reader worker's read-only connection names a parameter added after it first read", () => {
    const path = `${process.env.TMPDIR ?? "/tmp"}/store-reader-${process.pid}-${Date.now()}.db`;
    const db = openDatabase(path);
    const reader = openReader(path);
    try {
      const store = new FhirStore(db);
      const reading = new FhirStore(reader);
      store.save("zorgnet", patient("a", "1"));
      expect(reading.tokensOf("zorgnet", "Patient", "a").find((t) => t.param === "identifier")?.system).toBe("http://fhir.nl/fhir/NamingSystem/bsn");
      store.save("zorgnet", patient("b", "2", "urn:later"));
      // Inside a read transaction, as the worker reads a page.
      const heads = reading.heads("zorgnet", "Patient");
      const seen = reader.transaction(() => reading.tokensOfMany("zorgnet", "Patient", heads))();
      expect(seen.get("b")!.find((t) => t.param === "identifier")).toEqual({ param: "identifier", system: "urn:later", value: "2" });
      expect(seen.get("a")!.find((t) => t.param === "identifier")?.value).toBe("1");
    } finally {
      reader.close();
      db.close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    }
  });

  test("index rows are read by the row's number while that row is still the resource, else by its id (a walk across a reset)", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    store.save("zorgnet", task("t1"));
    store.save("zorgnet", { ...task("t2"), status: "completed" });
    const heads = store.heads("zorgnet", "Task");
    expect(store.tokensOfMany("zorgnet", "Task", heads, ["status"]).get("t2")).toEqual([{ param: "status", system: null, value: "completed" }]);
    // A reset empties the tables; the same row numbers now hold other resources.
    db.exec("DELETE FROM fhir_token; DELETE FROM fhir_resource; DELETE FROM fhir_token_value");
    store.save("zorgnet", { ...task("other-1"), status: "cancelled" });
    store.save("ggzconnect", { ...task("t2"), status: "on-hold" });
    expect(store.heads("zorgnet", "Task")[0]!.rid).toBe(heads[0]!.rid);
    // t1 is gone; t2 is gone at zorgnet (only ggzconnect has one): neither gets another resource's rows.
    const stale = store.tokensOfMany("zorgnet", "Task", heads);
    expect(stale.get("t1")).toEqual([]);
    expect(stale.get("t2")).toEqual([]);
    expect([...stale.keys()].sort()).toEqual(["t1", "t2"]);
    // The same id stored again under another number: its rows as it is now.
    store.save("zorgnet", { ...task("t1"), status: "on-hold" });
    expect(store.tokensOfMany("zorgnet", "Task", heads, ["status"]).get("t1")).toEqual([{ param: "status", system: null, value: "on-hold" }]);
    // A resource without rows of the parameters asked is still itself: no second read.
    const own = store.heads("zorgnet", "Task");
    expect(store.tokensOfMany("zorgnet", "Task", own, ["focus"]).get("other-1")).toEqual([]);
  });

  test("a value twice in one resource is one token; an update replaces the resource's tokens", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    store.save("zorgnet", { ...task("t1"), basedOn: [{ reference: "ServiceRequest/plan-1" }, { reference: "ServiceRequest/plan-1" }] });
    expect(store.tokensOf("zorgnet", "Task", "t1").filter((t) => t.param === "based-on")).toHaveLength(1);
    store.save("zorgnet", { ...task("t1"), basedOn: [{ reference: "ServiceRequest/plan-9" }] });
    expect(store.tokensOf("zorgnet", "Task", "t1").filter((t) => t.param === "based-on").map((t) => t.value)).toEqual(["ServiceRequest/plan-9"]);
    expect(store.referrers("zorgnet", "Task", "based-on", "ServiceRequest/plan-1")).toEqual([]);
  });

  test("VACUUM keeps every token pointing at its resource (the row number is an INTEGER PRIMARY KEY)", () => {
    const path = `${process.env.TMPDIR ?? "/tmp"}/store-vacuum-${process.pid}-${Date.now()}.db`;
    const db = openDatabase(path);
    try {
      const store = new FhirStore(db);
      for (let i = 0; i < 50; i++) store.save("zorgnet", { ...task(`t${i}`), for: { reference: `Patient/p${i}` }, owner: { reference: `Patient/p${i}` } });
      // Rows deleted in the middle: VACUUM has gaps to close (it may renumber the rows of a table without an INTEGER PRIMARY KEY).
      db.exec("DELETE FROM fhir_resource WHERE id IN ('t3', 't7')");
      db.exec("DELETE FROM fhir_token WHERE r NOT IN (SELECT rid FROM fhir_resource)");
      db.exec("VACUUM");
      for (const i of [0, 10, 49]) expect(store.referrers("zorgnet", "Task", "patient", `Patient/p${i}`)).toEqual([`t${i}`]);
    } finally {
      db.close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    }
  });
});

describe("a database from before migration 23 (tokens as text)", () => {
  test("its tokens become numbers: the same searches find the same resources, and writes go on", () => {
    const old = openDatabase(":memory:", MIGRATIONS.filter((m) => m.version < 23));
    const put = (dva: string, type: string, id: string, patient: string | null, tokens: [string, string | null, string][]) => {
      old.query("INSERT INTO fhir_resource (dva, type, id, version_id, last_updated, patient, deleted, json) VALUES (?, ?, ?, 1, '2026-11-22T10:00:00.000Z', ?, 0, ?)")
        .run(dva, type, id, patient, JSON.stringify({ resourceType: type, id }));
      for (const [param, system, value] of tokens) {
        old.query("INSERT INTO fhir_search_token (dva, type, id, param, system, value) VALUES (?, ?, ?, ?, ?, ?)").run(dva, type, id, param, system, value);
      }
    };
    put("zorgnet", "Patient", "p1", "Patient/p1", [["identifier", "http://fhir.nl/fhir/NamingSystem/bsn", "999911120"]]);
    put("zorgnet", "Task", "t1", "Patient/p1", [["status", null, "requested"], ["patient", null, "Patient/p1"], ["status", null, "requested"]]);
    put("ggzconnect", "Task", "t1", "Patient/p1", [["status", null, "completed"], ["patient", null, "Patient/p1"]]);
    migrate(old, MIGRATIONS);
    const store = new FhirStore(old);
    expect(store.findByIdentifier("zorgnet", "Patient", "http://fhir.nl/fhir/NamingSystem/bsn", "999911120").map((p) => p.resource.id)).toEqual(["p1"]);
    const byParam = (a: { param: string }, b: { param: string }) => a.param.localeCompare(b.param);
    expect(store.tokensOf("zorgnet", "Task", "t1").sort(byParam)).toEqual([{ param: "patient", system: null, value: "Patient/p1" }, { param: "status", system: null, value: "requested" }]);
    expect(store.headsByToken("ggzconnect", "Task", "status", ["completed"]).map((h) => h.id)).toEqual(["t1"]);
    expect(store.referrers("zorgnet", "Task", "patient", "Patient/p1")).toEqual(["t1"]);
    expect(store.byPatient("zorgnet", "Task", "Patient/p1").map((t) => t.resource.id)).toEqual(["t1"]);
    const v2 = store.save("zorgnet", { ...task("t1"), status: "completed" }, { ifMatch: 1 });
    expect(v2.versionId).toBe(2);
    expect(store.headsByToken("zorgnet", "Task", "status", ["completed"]).map((h) => h.id)).toEqual(["t1"]);
    expect(old.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE name = 'fhir_search_token'").all()).toEqual([]);
  });
});
