/**
 * For store-level tests of the search index by row number (migration 23): a Task owned and
 * requested by one organisation, zorgaanbieder A's rule, and a reset as seedDatabase does it.
 */
import type { Database } from "bun:sqlite";
import { keptOnReset } from "../../seed/seed.ts";
import type { OrgRule } from "../../src/dva/fhir/access.ts";
import { DATA_SERVICE_TAG, DIGITAL_ACTIVITY_EXTENSIONS } from "../../src/shared/fhir-profiles.ts";
import type { FhirStore, Resource } from "../../src/dva/fhir/store.ts";
import { dataWasReset, tablesChildrenFirst } from "../../src/shared/db.ts";

export const DVA = "zorgnet";

export const ownedTask = (id: string, owner: string, status = "requested"): Resource => ({
  resourceType: "Task", id, status, intent: "order", for: { reference: "Patient/p1" },
  owner: { reference: `Organization/${owner}` }, requester: { reference: `Organization/${owner}` },
});

/** Zorgaanbieder A's system: its own organisation, and B's at the same DVA. */
export const ruleOfA: OrgRule = { own: new Set(["Organization/org-a"]), others: new Set(["Organization/org-b"]), publishers: new Map() };

/** What seedDatabase does to the FHIR tables, then these resources in this order (their row numbers follow it). */
export function resetTo(db: Database, store: FhirStore, resources: Resource[]): void {
  db.transaction(() => {
    for (const table of tablesChildrenFirst(db)) if (!keptOnReset(table)) db.exec(`DELETE FROM "${table}"`);
    store.saveAll(DVA, resources);
  })();
  dataWasReset(db);
}

/** For the kept index rows of a PGO's collection (derived-tokens*.test.ts): its `_tag` value, a Task's digital activity. */
export const COLLECTION_TAG = `${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`;
export const activityOf = (ad: string) => [{ url: DIGITAL_ACTIVITY_EXTENSIONS[0], valueReference: { reference: `ActivityDefinition/${ad}` } }];
/** Zorgaanbieder A: its organisation, and its ActivityDefinitions (publisher "A"). */
export const ruleOfAWithPublisher: OrgRule = { ...ruleOfA, publishers: new Map([["a", ["Organization/org-a"]]]) };
/** A tagged Task of p1 owned by org-a with ActivityDefinition ad-1 (what a PGO collects), changed by `patch`. */
export const collectedTask = (id: string, patch: Partial<Resource> = {}): Resource => ({
  resourceType: "Task", id, status: "requested", intent: "order", for: { reference: "Patient/p1" },
  owner: { reference: "Organization/org-a" }, requester: { reference: "Organization/org-a" },
  meta: { tag: [{ ...DATA_SERVICE_TAG }] }, extension: activityOf("ad-1"), ...patch,
});
export const activityOfA = (id: string): Resource => ({ resourceType: "ActivityDefinition", id, status: "active", publisher: "A" });
