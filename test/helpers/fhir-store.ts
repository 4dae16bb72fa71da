/**
 * For store-level tests of the search index by row number (migration 23): a Task owned and
 * requested by one organisation, zorgaanbieder A's rule, and a reset as seedDatabase does it.
 */
import type { Database } from "bun:sqlite";
import { keptOnReset } from "../../seed/seed.ts";
import type { OrgRule } from "../../src/dva/fhir/access.ts";
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
