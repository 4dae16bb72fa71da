/**
 * The organisations of stored resources are kept in memory until a row they were read from
 * changes (FhirStore.derived, issue 16): these tests change each kind of row an ownership
 * decision reads and check that the next decision sees it — and that a rolled-back write, a
 * reset and a second database leave nothing stale behind.
 */
import { describe, expect, test } from "bun:test";
import { organisationsOfResource, storedOrganisations, type OwnershipScope } from "../../../src/dva/fhir/access.ts";
import { FhirStore } from "../../../src/dva/fhir/store.ts";
import { dataWasReset, openDatabase } from "../../../src/shared/db.ts";
import { EXT_QR_TASK } from "../../../src/shared/fhir-profiles.ts";

const DVA = "zorgnet";
const rule = { own: new Set<string>(), others: new Set<string>(), publishers: new Map([["de linde", ["Organization/linde"]]]) };

function setup() {
  const db = openDatabase(":memory:");
  const fhir = new FhirStore(db);
  const scope: OwnershipScope = { fhir, dva: DVA, rule };
  const orgs = (type: string, id: string) => [...storedOrganisations(scope, type, id)].sort();
  for (const id of ["a", "b", "c"]) fhir.save(DVA, { resourceType: "Organization", id });
  fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/a" } });
  fhir.save(DVA, { resourceType: "Practitioner", id: "doc" });
  fhir.save(DVA, { resourceType: "Patient", id: "p" }, { registeredBy: "Organization/a" });
  fhir.save(DVA, { resourceType: "Task", id: "t", status: "requested", intent: "order", for: { reference: "Patient/p" }, requester: { reference: "PractitionerRole/role" } });
  fhir.save(DVA, { resourceType: "QuestionnaireResponse", id: "qr", status: "in-progress",
    extension: [{ url: EXT_QR_TASK, valueReference: { reference: "Task/t" } }] });
  return { db, fhir, orgs };
}

describe("organisations of stored resources, kept until what they were read from changes", () => {
  test("a Task write keeps what it did not touch, and drops what it did", () => {
    const { fhir, orgs } = setup();
    expect(orgs("Task", "t")).toEqual(["Organization/a"]);
    expect(orgs("Patient", "p")).toEqual(["Organization/a"]);
    expect(fhir.derived.size).toBe(2);
    // Another Task for the Patient, written by b's system: the Patient's registrations change, the first Task's rows do not.
    fhir.save(DVA, { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/p" } }, { registeredBy: "Organization/b", relates: "Organization/b" });
    expect(fhir.derived.size).toBe(1);
    expect(orgs("Patient", "p")).toEqual(["Organization/a", "Organization/b"]);
    expect(orgs("Task", "t")).toEqual(["Organization/a"]);
  });

  test("a PractitionerRole that moves moves the Tasks it requested and its Practitioner", () => {
    const { fhir, orgs } = setup();
    expect(orgs("Task", "t")).toEqual(["Organization/a"]);
    expect(orgs("Practitioner", "doc")).toEqual(["Organization/a"]);
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/b" } });
    expect(orgs("Task", "t")).toEqual(["Organization/b"]);
    expect(orgs("Practitioner", "doc")).toEqual(["Organization/b"]);
  });

  test("a new PractitionerRole of a Practitioner adds its organisation (a query over the type)", () => {
    const { fhir, orgs } = setup();
    expect(orgs("Practitioner", "doc")).toEqual(["Organization/a"]);
    fhir.save(DVA, { resourceType: "PractitionerRole", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/c" } });
    expect(orgs("Practitioner", "doc")).toEqual(["Organization/a", "Organization/c"]);
  });

  test("a QuestionnaireResponse follows its Task, two steps away", () => {
    const { fhir, orgs } = setup();
    expect(orgs("QuestionnaireResponse", "qr")).toEqual(["Organization/a"]);
    fhir.save(DVA, { resourceType: "Task", id: "t", status: "requested", intent: "order", for: { reference: "Patient/p" }, requester: { reference: "Organization/c" } });
    expect(orgs("QuestionnaireResponse", "qr")).toEqual(["Organization/c"]);
  });

  test("an ActivityDefinition's publisher follows the Organizations", () => {
    const { fhir, orgs } = setup();
    fhir.save(DVA, { resourceType: "ActivityDefinition", id: "ad", status: "active", publisher: "De Linde" });
    expect(orgs("ActivityDefinition", "ad")).toEqual(["Organization/linde"]);
    expect(fhir.derived.size).toBe(1);
    fhir.save(DVA, { resourceType: "Organization", id: "d" });
    expect(fhir.derived.size).toBe(0);
  });

  test("what is read inside a transaction is not kept: a rolled-back registration leaves nothing behind", () => {
    const { db, fhir, orgs } = setup();
    expect(orgs("Patient", "p")).toEqual(["Organization/a"]);
    expect(() => db.transaction(() => {
      fhir.register(DVA, "Patient", "p", "Organization/b");
      expect(orgs("Patient", "p")).toEqual(["Organization/a", "Organization/b"]);
      throw new Error("a later entry of the Bundle fails");
    })()).toThrow("a later entry");
    expect(orgs("Patient", "p")).toEqual(["Organization/a"]);
  });

  test("a reset drops everything; a second database has its own", () => {
    const first = setup();
    const second = setup();
    expect(first.orgs("Patient", "p")).toEqual(["Organization/a"]);
    second.fhir.register(DVA, "Patient", "p", "Organization/c");
    expect(second.orgs("Patient", "p")).toEqual(["Organization/a", "Organization/c"]);
    expect(first.orgs("Patient", "p")).toEqual(["Organization/a"]);
    // A reset empties the tables by SQL, past the store: the epoch tells the cache.
    first.db.exec("DELETE FROM fhir_registration");
    dataWasReset(first.db);
    expect(first.orgs("Patient", "p")).toEqual([]);
  });
});

describe("the references a write's ownership check reads, kept as the organisations are (FhirStore.derivedRefs)", () => {
  /** Counts the index reads of other resources (storedRefs' one query per resource). */
  function counting() {
    const made = setup();
    let reads = 0;
    const tokensOf = made.fhir.tokensOf.bind(made.fhir);
    made.fhir.tokensOf = (dva, type, id) => { reads++; return tokensOf(dva, type, id); };
    const scope: OwnershipScope = { fhir: made.fhir, dva: DVA, rule };
    const newTask = { resourceType: "Task", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } };
    return { ...made, reads: () => reads, ofNewTask: () => organisationsOfResource(scope, newTask) };
  }

  test("a stream of Task writes reads their requester's PractitionerRole once", () => {
    const { fhir, reads, ofNewTask } = counting();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    const after = reads();
    for (let i = 0; i < 5; i++) {
      fhir.save(DVA, { resourceType: "Task", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } });
      expect(ofNewTask()).toEqual(["Organization/a"]);
    }
    expect(reads()).toBe(after);
  });

  test("Tasks for a patient its zorgaanbieder already has leave the Patient's organisations kept (a registration known already changes nothing)", () => {
    const { fhir, orgs } = setup();
    expect(orgs("Patient", "p")).toEqual(["Organization/a"]);
    const scope: OwnershipScope = { fhir, dva: DVA, rule };
    let reads = 0;
    const tokensOf = fhir.tokensOf.bind(fhir);
    fhir.tokensOf = (dva, type, id) => { reads++; return tokensOf(dva, type, id); };
    for (let i = 0; i < 3; i++) {
      fhir.save(DVA, { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/p" } }, { registeredBy: "Organization/a", relates: "Organization/a" });
      expect(storedOrganisations(scope, "Patient", "p")).toEqual(["Organization/a"]);
    }
    expect(reads).toBe(0);
    // A new relation is a change: the next decision reads again and sees it.
    fhir.save(DVA, { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/p" } }, { registeredBy: "Organization/b", relates: "Organization/b" });
    expect(orgs("Patient", "p")).toEqual(["Organization/a", "Organization/b"]);
  });

  test("the PractitionerRole moves: the next write's check reads it again and sees the move", () => {
    const { fhir, reads, ofNewTask } = counting();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/b" } });
    const before = reads();
    expect(ofNewTask()).toEqual(["Organization/b"]);
    expect(reads()).toBe(before + 1);
  });

  test("a move that rolls back is not kept; a reset drops what was kept", () => {
    const { db, fhir, ofNewTask } = counting();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    expect(() => db.transaction(() => {
      fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/c" } });
      expect(ofNewTask()).toEqual(["Organization/c"]);
      throw new Error("the Bundle's next entry fails");
    })()).toThrow("next entry");
    expect(ofNewTask()).toEqual(["Organization/a"]);
    // As a reset does it: rows changed by SQL, past the store; the epoch tells the caches.
    db.exec("INSERT INTO fhir_token_value (value) VALUES ('Organization/b') ON CONFLICT DO NOTHING");
    db.exec("UPDATE fhir_token SET v = (SELECT id FROM fhir_token_value WHERE value = 'Organization/b') WHERE v = (SELECT id FROM fhir_token_value WHERE value = 'Organization/a') AND r = (SELECT rid FROM fhir_resource WHERE type = 'PractitionerRole' AND id = 'role')");
    dataWasReset(db);
    expect(ofNewTask()).toEqual(["Organization/b"]);
  });
});

describe("the dependency index stays as large as what is kept", () => {
  test("values read and dropped again and again leave no entries behind (an update's ownership check, then its save)", () => {
    const { fhir, orgs } = setup();
    for (let i = 0; i < 2_000; i++) {
      const t = fhir.save(DVA, { resourceType: "Task", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } });
      expect(orgs("Task", t.resource.id!)).toEqual(["Organization/a"]);
      fhir.save(DVA, t.resource);
    }
    expect(fhir.derived.size).toBe(0);
    expect(fhir.derived.dependencyEntries).toBe(0);
    // What is kept has its entries, and only those: a Task reads its own rows and its PractitionerRole's.
    expect(orgs("Task", "t")).toEqual(["Organization/a"]);
    expect(fhir.derived.dependencyEntries).toBe(2);
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: "Organization/b" } });
    expect(fhir.derived.dependencyEntries).toBe(0);
  });

  test("a value read under a rule of before an Organization write is not kept (its publishers may be gone)", () => {
    const { fhir } = setup();
    fhir.save(DVA, { resourceType: "ActivityDefinition", id: "ad", status: "active", publisher: "De Linde" });
    const stale = { fhir, dva: DVA, rule: { ...rule, generation: -1 } };
    expect(storedOrganisations(stale, "ActivityDefinition", "ad")).toEqual(["Organization/linde"]);
    expect(fhir.derived.size).toBe(0);
  });
});
