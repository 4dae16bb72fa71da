/**
 * FhirStore.derivedRefs on the reader worker's connection (shared/reader-worker.ts): that
 * connection never writes, so no write of the event loop's connection calls its changed(), and
 * no reset (dataWasReset on the writer's Database) bumps its epoch. What a walk there kept of a
 * PractitionerRole's organisation must not outlive the PractitionerRole's move.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OrgRule } from "../../../src/dva/fhir/access.ts";
import { parseSearch } from "../../../src/dva/fhir/search-params.ts";
import { FhirStore } from "../../../src/dva/fhir/store.ts";
import { visibleOf, type WalkedPage } from "../../../src/dva/fhir/walk.ts";
import { dataWasReset, openDatabase, openReader, type Database } from "../../../src/shared/db.ts";
import { readerOf, stopReader } from "../../../src/shared/reader.ts";

const DVA = "zorgnet";
const ruleA: OrgRule = { own: new Set(["Organization/a"]), others: new Set(["Organization/b"]), publishers: new Map() };
const ruleB: OrgRule = { own: new Set(["Organization/b"]), others: new Set(["Organization/a"]), publishers: new Map() };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0)) await c(); });

function fileDatabase(): { db: Database; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "derived-refs-"));
  const path = join(dir, "sandbox.db");
  const db = openDatabase(path);
  cleanup.push(async () => { await stopReader(db); db.close(); rmSync(dir, { recursive: true, force: true }); });
  return { db, path };
}

function seed(fhir: FhirStore) {
  for (const id of ["a", "b"]) fhir.save(DVA, { resourceType: "Organization", id });
  fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", organization: { reference: "Organization/a" } });
  fhir.save(DVA, { resourceType: "Task", id: "t", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } });
}
const move = (fhir: FhirStore) =>
  fhir.save(DVA, { resourceType: "PractitionerRole", id: "role", organization: { reference: "Organization/b" } });

describe("derivedRefs of a read-only connection beside the writer", () => {
  test("a second connection's walk step sees the PractitionerRole's move", () => {
    const { db, path } = fileDatabase();
    const fhir = new FhirStore(db);
    seed(fhir);
    const reading = openReader(path);
    cleanup.unshift(async () => reading.close());
    const there = new FhirStore(reading);
    const q = parseSearch("Task", new URLSearchParams());
    const visible = (rule: OrgRule) => visibleOf({ fhir: there, dva: DVA, rule }, "Task", there.heads(DVA, "Task"), q).map((h) => h.id);
    expect(visible(ruleA)).toEqual(["t"]);
    expect(visible(ruleB)).toEqual([]);
    move(fhir); // committed, on the other connection
    expect(visible(ruleB)).toEqual(["t"]);
    expect(visible(ruleA)).toEqual([]);
  });

  test("the reader worker's walk sees the PractitionerRole's move (zorgaanbieder a no longer sees b's Task)", async () => {
    const { db } = fileDatabase();
    const fhir = new FhirStore(db);
    seed(fhir);
    const q = parseSearch("Task", new URLSearchParams());
    const walk = async (rule: OrgRule) => {
      const answer = readerOf(db).call<WalkedPage>({ kind: "walk", dva: DVA, type: "Task", q, offset: 0, keep: 10, counting: true, rule,
        tuning: { step: 250, minStep: 10, stepMs: 10 } });
      expect(answer).not.toBeNull();
      return (await answer!).page.map((h) => h.id);
    };
    expect(await walk(ruleA)).toEqual(["t"]);
    move(fhir);
    expect(await walk(ruleB)).toEqual(["t"]);
    expect(await walk(ruleA)).toEqual([]);
  });

  test("the reader worker's walk after a reset that gave the PractitionerRole another organisation (as seedDatabase does)", async () => {
    const { db } = fileDatabase();
    const fhir = new FhirStore(db);
    seed(fhir);
    const q = parseSearch("Task", new URLSearchParams());
    const walk = async (rule: OrgRule) => (await readerOf(db).call<WalkedPage>({ kind: "walk", dva: DVA, type: "Task", q, offset: 0, keep: 10,
      counting: true, rule, tuning: { step: 250, minStep: 10, stepMs: 10 } })!).page.map((h) => h.id);
    expect(await walk(ruleA)).toEqual(["t"]);
    db.transaction(() => {
      db.exec("DELETE FROM fhir_token; DELETE FROM fhir_registration; DELETE FROM fhir_search_date; DELETE FROM fhir_history; DELETE FROM fhir_resource");
      fhir.saveAll(DVA, [{ resourceType: "Organization", id: "a" }, { resourceType: "Organization", id: "b" },
        { resourceType: "PractitionerRole", id: "role", organization: { reference: "Organization/b" } },
        { resourceType: "Task", id: "t", status: "requested", intent: "order", requester: { reference: "PractitionerRole/role" } }]);
    })();
    dataWasReset(db);
    expect(await walk(ruleA)).toEqual([]);
    expect(await walk(ruleB)).toEqual(["t"]);
  });
});
