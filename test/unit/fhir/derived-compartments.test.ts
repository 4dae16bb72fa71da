/**
 * Whether a resource exists and its patient compartment, kept in memory until the resource's rows
 * change (FhirStore.compartmentOf, issue 16): a write looks up every reference it holds — for its
 * "does not exist (yet)" warning and for its ownership check (refusedReference) — so a stream of
 * Tasks for one patient looked up the same Patient, PractitionerRole and Organization again and
 * again. A kept compartment decides whether a write may refer to a resource: these tests move,
 * create, roll back and reset the referenced resources and check that the next decision sees the
 * rows as they are.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refusedReference, type Access, type OrgRule } from "../../../src/dva/fhir/access.ts";
import { FhirStore, flushFhirWrites, type Resource } from "../../../src/dva/fhir/store.ts";
import { openDatabase, openReader } from "../../../src/shared/db.ts";
import { DVA, resetTo } from "../../helpers/fhir-store.ts";

const task = (id: string, patient: string): Resource => ({ resourceType: "Task", id, status: "requested", intent: "order", for: { reference: `Patient/${patient}` } });
const settled = <T>(p: Promise<T>) => p.then(() => true, () => false);
const noRule: OrgRule = { own: new Set(), others: new Set(), publishers: new Map() };

/** A store with patients p1 and p2 and Task t of p1, counting the compartment statement's reads. */
function setup(db = openDatabase(":memory:")) {
  const fhir = new FhirStore(db);
  fhir.save(DVA, { resourceType: "Patient", id: "p1" });
  fhir.save(DVA, { resourceType: "Patient", id: "p2" });
  fhir.save(DVA, task("t", "p1"));
  let reads = 0;
  const statement = (fhir as unknown as { q: { compartment: { get: (...a: string[]) => unknown } } }).q.compartment;
  const get = statement.get.bind(statement);
  statement.get = (...a: string[]) => { reads++; return get(...a); };
  const of = (type: string, id: string, dva = DVA) => fhir.compartmentOf(dva, type, id);
  /** A module launched for p1: may its QuestionnaireResponse refer to Task/t? */
  const module: Access = { kind: "module", patient: "p1", task: "t", clientId: "module", scopes: ["patient/*.*"], zorgaanbieder: "za", rule: noRule, fhir, dva: DVA };
  const refused = () => refusedReference(module, { resourceType: "QuestionnaireResponse", id: "qr", status: "in-progress", subject: { reference: "Patient/p1" },
    basedOn: [{ reference: "Task/t" }] }, null)?.ref ?? null;
  return { db, fhir, of, reads: () => reads, refused };
}

describe("a resource's compartment, kept until its rows change", () => {
  test("a stream of lookups of the same references reads each once", () => {
    const { of, reads } = setup();
    for (let i = 0; i < 5; i++) {
      expect(of("Patient", "p1")).toEqual({ patient: "Patient/p1" });
      expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
      expect(of("Task", "nothing")).toBeNull();
    }
    expect(reads()).toBe(3);
  });

  test("Tasks written for the patient leave its Patient's compartment kept; the Task that moves is read again", () => {
    const { fhir, of, reads } = setup();
    expect(of("Patient", "p1")).toEqual({ patient: "Patient/p1" });
    for (let i = 0; i < 3; i++) fhir.save(DVA, task(`n${i}`, "p1"));
    expect(of("Patient", "p1")).toEqual({ patient: "Patient/p1" });
    expect(reads()).toBe(1);
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
    fhir.save(DVA, task("t", "p2"));
    expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
  });

  test("a module may refer to its patient's Task, and no longer once the Task moves to another patient", () => {
    const { fhir, refused } = setup();
    expect(refused()).toBeNull();
    expect(refused()).toBeNull();
    fhir.save(DVA, task("t", "p2"));
    expect(refused()).toBe("Task/t");
  });

  test("a reference to nothing stored, then written: seen at once", () => {
    const { fhir, of } = setup();
    expect(of("Task", "later")).toBeNull();
    fhir.save(DVA, task("later", "p2"));
    expect(of("Task", "later")).toEqual({ patient: "Patient/p2" });
  });

  test("what is read inside a transaction that rolls back is not kept", () => {
    const { db, fhir, of } = setup();
    expect(of("Task", "later")).toBeNull();
    expect(() => db.transaction(() => {
      fhir.save(DVA, task("later", "p2"));
      expect(of("Task", "later")).toEqual({ patient: "Patient/p2" });
      fhir.save(DVA, task("t", "p2"));
      expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
      throw new Error("the Bundle's next entry fails");
    })()).toThrow("next entry");
    expect(of("Task", "later")).toBeNull();
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
  });

  test("grouped writes: a write that creates and moves, then fails in its own savepoint — the others' reads of it are not kept", async () => {
    const { db, fhir, of, refused } = setup();
    expect(refused()).toBeNull();
    const results = await Promise.all([
      settled(fhir.grouped(() => {
        fhir.save(DVA, task("t", "p2"));
        fhir.save(DVA, task("new", "p2"));
        expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
        expect(of("Task", "new")).toEqual({ patient: "Patient/p2" });
        throw new Error("refused after writing");
      })),
      settled(fhir.grouped(() => { expect(of("Task", "t")).toEqual({ patient: "Patient/p1" }); expect(of("Task", "new")).toBeNull(); })),
      settled(fhir.grouped(() => { fhir.save(DVA, task("t", "p2")); expect(refused()).toBe("Task/t"); })),
      settled(fhir.grouped(() => { throw new Error("a later write fails too"); })),
    ]);
    expect(results).toEqual([false, true, true, false]);
    expect(db.inTransaction).toBe(false);
    expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
    expect(of("Task", "new")).toBeNull();
    expect(refused()).toBe("Task/t");
  });

  test("grouped writes: a savepoint rolled back inside a write that catches it and goes on — what was read inside is not kept (found by an outside review)", async () => {
    const { db, fhir, of, refused } = setup();
    expect(refused()).toBeNull();
    const ok = await settled(fhir.grouped(() => {
      try {
        db.transaction(() => {
          fhir.save(DVA, task("t", "p2"));
          fhir.save(DVA, task("ghost", "p2"));
          expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
          expect(of("Task", "ghost")).toEqual({ patient: "Patient/p2" });
          throw new Error("an inner entry fails");
        })();
      } catch { /* handled: the write goes on */ }
    }));
    expect(ok).toBe(true);
    expect(fhir.read(DVA, "Task", "t")!.resource.for).toEqual({ reference: "Patient/p1" });
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
    expect(of("Task", "ghost")).toBeNull();
    expect(refused()).toBeNull();
  });

  test("a flush from inside another transaction that rolls back keeps nothing", () => {
    const { db, fhir, of } = setup();
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
    expect(() => db.transaction(() => {
      void fhir.grouped(() => fhir.save(DVA, task("t", "p2"))).catch(() => {});
      flushFhirWrites(db);
      expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
      throw new Error("outer rollback");
    })()).toThrow("outer rollback");
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
  });

  test("a reset with other data under the same ids drops what was kept", () => {
    const { db, fhir, of, refused } = setup();
    expect(refused()).toBeNull();
    expect(of("Task", "gone")).toBeNull();
    resetTo(db, fhir, [{ resourceType: "Patient", id: "p2" }, task("t", "p2"), task("gone", "p2")]);
    expect(refused()).toBe("Task/t");
    expect(of("Patient", "p1")).toBeNull();
    expect(of("Task", "gone")).toEqual({ patient: "Patient/p2" });
  });

  test("the same type and id at two DVAs are two compartments", () => {
    const { fhir, of } = setup();
    expect(of("Task", "t", "other")).toBeNull();
    fhir.save("other", task("t", "p2"));
    expect(of("Task", "t", "other")).toEqual({ patient: "Patient/p2" });
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
  });

  test("a second FhirStore on the same connection sees the other's writes", () => {
    const { db, of } = setup();
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
    new FhirStore(db).save(DVA, task("t", "p2"));
    expect(of("Task", "t")).toEqual({ patient: "Patient/p2" });
  });

  test("what a caller is given is a copy: changing it changes no later answer", () => {
    const { of } = setup();
    const first = of("Task", "t")!;
    first.patient = "Patient/p2";
    expect(of("Task", "t")).toEqual({ patient: "Patient/p1" });
  });

  test("a read-only connection (the reader worker's) keeps nothing: it hears of no write", () => {
    const dir = mkdtempSync(join(tmpdir(), "medmij-compartments-"));
    try {
      const path = join(dir, "data.db");
      const { fhir, db } = setup(openDatabase(path));
      const reader = new FhirStore(openReader(path));
      expect(reader.compartmentOf(DVA, "Task", "t")).toEqual({ patient: "Patient/p1" });
      fhir.save(DVA, task("t", "p2"));
      expect(reader.compartmentOf(DVA, "Task", "t")).toEqual({ patient: "Patient/p2" });
      expect(reader.derivedCompartments.size).toBe(0);
      reader.database.close();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
