/**
 * FhirStore.derivedRefs (a resource's parameter's references, kept until its rows change) and the
 * registration that changes nothing: sequences of grouped writes, rollbacks, resets and a second
 * store after which an ownership decision must still see the stored rows as they are.
 */
import { describe, expect, test } from "bun:test";
import { organisationsOfResource, prefetchedRefs, storedOrganisations, type OwnershipScope } from "../../../src/dva/fhir/access.ts";
import { FhirStore, fhirGeneration, flushFhirWrites } from "../../../src/dva/fhir/store.ts";
import { dataWasReset, openDatabase } from "../../../src/shared/db.ts";

const DVA = "zorgnet";
const rule = { own: new Set<string>(), others: new Set<string>(), publishers: new Map<string, string[]>() };
const role = (org: string) => ({ resourceType: "PractitionerRole", id: "role", practitioner: { reference: "Practitioner/doc" }, organization: { reference: `Organization/${org}` } });
const newTask = { resourceType: "Task", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } };
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);

function setup() {
  const db = openDatabase(":memory:");
  const fhir = new FhirStore(db);
  for (const id of ["a", "b", "c"]) fhir.save(DVA, { resourceType: "Organization", id });
  fhir.save(DVA, role("a"));
  fhir.save(DVA, { resourceType: "Practitioner", id: "doc" });
  fhir.save(DVA, { resourceType: "Patient", id: "p" }, { registeredBy: "Organization/a" });
  const scope: OwnershipScope = { fhir, dva: DVA, rule };
  const ofNewTask = (s: OwnershipScope = scope) => organisationsOfResource(s, newTask);
  return { db, fhir, scope, ofNewTask };
}

describe("derivedRefs under attack", () => {
  test("grouped writes: a read after a move in the same group, then a later write fails — nothing of the group is kept wrongly", async () => {
    const { db, fhir, ofNewTask } = setup();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    const results = await Promise.all([
      settled(fhir.grouped(() => { fhir.save(DVA, role("b")); return ofNewTask(); })),
      settled(fhir.grouped(() => { expect(ofNewTask()).toEqual(["Organization/b"]); })),
      settled(fhir.grouped(() => { fhir.save(DVA, role("c")); throw new Error("refused after writing"); })),
      settled(fhir.grouped(() => { expect(ofNewTask()).toEqual(["Organization/b"]); })),
    ]);
    expect(results).toEqual([true, true, false, true]);
    expect(db.inTransaction).toBe(false);
    expect(ofNewTask()).toEqual(["Organization/b"]);
    expect(fhir.tokensOf(DVA, "PractitionerRole", "role").find((t) => t.param === "organization")?.value).toBe("Organization/b");
  });

  test("grouped writes: a read of the old value, then a move that rolls back in its own savepoint", async () => {
    const { fhir, ofNewTask } = setup();
    await Promise.all([
      settled(fhir.grouped(() => ofNewTask())),
      settled(fhir.grouped(() => { fhir.save(DVA, role("b")); expect(ofNewTask()).toEqual(["Organization/b"]); throw new Error("no"); })),
      settled(fhir.grouped(() => expect(ofNewTask()).toEqual(["Organization/a"]))),
    ]);
    expect(ofNewTask()).toEqual(["Organization/a"]);
  });

  test("grouped writes: a move in a savepoint that rolls back while the write catches it and goes on is not kept", async () => {
    const { db, fhir, ofNewTask } = setup();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    const ok = await settled(fhir.grouped(() => {
      try {
        db.transaction(() => { fhir.save(DVA, role("b")); expect(ofNewTask()).toEqual(["Organization/b"]); throw new Error("an inner entry fails"); })();
      } catch { /* handled: the write goes on */ }
    }));
    expect(ok).toBe(true);
    expect(ofNewTask()).toEqual(["Organization/a"]);
  });

  test("a flush from inside another transaction that rolls back keeps nothing", () => {
    const { db, fhir, ofNewTask } = setup();
    expect(() => db.transaction(() => {
      void fhir.grouped(() => { fhir.save(DVA, role("b")); return ofNewTask(); }).catch(() => {});
      flushFhirWrites(db);
      expect(ofNewTask()).toEqual(["Organization/b"]);
      throw new Error("outer rolls back");
    })()).toThrow("outer");
    expect(ofNewTask()).toEqual(["Organization/a"]);
  });

  test("a second FhirStore on the same connection shares what is kept, and what drops it", () => {
    const { db, ofNewTask } = setup();
    const other = new FhirStore(db);
    const scope2: OwnershipScope = { fhir: other, dva: DVA, rule };
    expect(ofNewTask(scope2)).toEqual(["Organization/a"]);
    new FhirStore(db).save(DVA, role("b"));
    expect(ofNewTask()).toEqual(["Organization/b"]);
    expect(ofNewTask(scope2)).toEqual(["Organization/b"]);
  });

  test("a reset with new data under the same ids (as seedDatabase: SQL past the store, then dataWasReset)", () => {
    const { db, fhir, scope, ofNewTask } = setup();
    expect(ofNewTask()).toEqual(["Organization/a"]);
    expect(storedOrganisations(scope, "Practitioner", "doc")).toEqual(["Organization/a"]);
    db.transaction(() => {
      db.exec("DELETE FROM fhir_token; DELETE FROM fhir_registration; DELETE FROM fhir_search_date; DELETE FROM fhir_history; DELETE FROM fhir_resource");
      fhir.saveAll(DVA, [role("c"), { resourceType: "Practitioner", id: "doc" }]);
    })();
    dataWasReset(db);
    expect(ofNewTask()).toEqual(["Organization/c"]);
    expect(storedOrganisations(scope, "Practitioner", "doc")).toEqual(["Organization/c"]);
  });

  test("what a caller is given is a copy: changing it changes no later decision", () => {
    const { fhir, scope } = setup();
    const refs = () => fhir.derivedRefs.get(`${DVA} PractitionerRole/role organization`);
    expect(storedOrganisations(scope, "Practitioner", "doc")).toEqual(["Organization/a"]);
    const kept = refs()!;
    expect(kept).toEqual(["Organization/a"]);
    // A RefSource's caller that changes what it is given (a hit and a miss alike) does not reach the cache.
    const src = prefetchedRefs(scope, "Task", new Map(), new Map());
    src.refs("PractitionerRole", "role", "organization").push("Organization/b");
    fhir.derivedRefs.get(`${DVA} PractitionerRole/role organization`);
    src.refs("PractitionerRole", "other", "organization").push("Organization/b");
    expect(prefetchedRefs(scope, "Task", new Map(), new Map()).refs("PractitionerRole", "other", "organization")).toEqual([]);
    expect(organisationsOfResource(scope, newTask)).toEqual(["Organization/a"]);
    expect(refs()).toEqual(["Organization/a"]);
  });

  test("a reference read for a resource of another type is dropped by that resource's write, not by the reader's", () => {
    const { fhir, scope } = setup();
    fhir.save(DVA, { resourceType: "Task", id: "t", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } });
    expect(storedOrganisations(scope, "Task", "t")).toEqual(["Organization/a"]);
    expect(fhir.derivedRefs.get(`${DVA} PractitionerRole/role organization`)).toEqual(["Organization/a"]);
    fhir.save(DVA, { resourceType: "Task", id: "t2", status: "requested", intent: "order" });
    expect(fhir.derivedRefs.get(`${DVA} PractitionerRole/role organization`)).toEqual(["Organization/a"]);
    fhir.save(DVA, role("b"));
    expect(fhir.derivedRefs.get(`${DVA} PractitionerRole/role organization`)).toBeUndefined();
    expect(storedOrganisations(scope, "Task", "t")).toEqual(["Organization/b"]);
  });

  test("a reference to a resource not stored yet is dropped once it is written", () => {
    const { fhir, scope } = setup();
    const task = { ...newTask, requester: { reference: "PractitionerRole/later" } };
    expect(organisationsOfResource(scope, task)).toEqual([]);
    fhir.save(DVA, { resourceType: "PractitionerRole", id: "later", organization: { reference: "Organization/b" } });
    expect(organisationsOfResource(scope, task)).toEqual(["Organization/b"]);
  });

  test("a registration that inserts nothing changes no generation; one that inserts does, and the search sees it", () => {
    const { fhir, scope } = setup();
    const before = fhirGeneration();
    fhir.register(DVA, "Patient", "p", "Organization/a");
    expect(fhirGeneration()).toBe(before);
    expect(storedOrganisations(scope, "Patient", "p")).toEqual(["Organization/a"]);
    fhir.register(DVA, "Patient", "p", "Organization/b");
    expect(fhirGeneration()).toBe(before + 1);
    expect([...storedOrganisations(scope, "Patient", "p")].sort()).toEqual(["Organization/a", "Organization/b"]);
  });

  test("a registration rolled back, then made again in a later transaction, is seen", () => {
    const { db, fhir, scope } = setup();
    expect(storedOrganisations(scope, "Patient", "p")).toEqual(["Organization/a"]);
    expect(() => db.transaction(() => { fhir.register(DVA, "Patient", "p", "Organization/b"); fhir.register(DVA, "Patient", "p", "Organization/b"); throw new Error("x"); })()).toThrow();
    expect(storedOrganisations(scope, "Patient", "p")).toEqual(["Organization/a"]);
    fhir.register(DVA, "Patient", "p", "Organization/b");
    expect([...storedOrganisations(scope, "Patient", "p")].sort()).toEqual(["Organization/a", "Organization/b"]);
  });
});
