/**
 * From an outside review: a PGO's and a module's collection (the patient-compartment path of
 * findHits, FhirStore.keptTokensOf) on the writer's connection, compared after every random
 * write with the same search on a read-only connection of the same file (which keeps nothing:
 * every answer there is read from the rows as they are). Two DVAs with the same ids, two
 * patients, Tasks moving between them, their tag, status, digital activity, based-on, focus and
 * identifiers (some past KEPT_ROWS_OF_ONE) changing; queries of many parameter sets in many
 * orders (one key per set since the review); grouped writes that fail after writing; resets.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Access } from "../../../src/dva/fhir/access.ts";
import { search, type FhirContext } from "../../../src/dva/fhir/rest.ts";
import { FhirStore, KEPT_ROWS_OF_ONE, type Resource } from "../../../src/dva/fhir/store.ts";
import { dataWasReset, openDatabase, openReader, tablesChildrenFirst, type Database } from "../../../src/shared/db.ts";
import { keptOnReset } from "../../../seed/seed.ts";
import { activityOf, COLLECTION_TAG, ruleOfAWithPublisher } from "../../helpers/fhir-store.ts";
import { DATA_SERVICE_TAG } from "../../../src/shared/fhir-profiles.ts";

const DVAS = ["zorgnet", "tweede"];
const TASKS = ["t1", "t2", "t3", "t4", "t5", "t6"];
const cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });

function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

function files(): { db: Database; reader: Database } {
  const dir = mkdtempSync(join(tmpdir(), "review-kept-"));
  const path = join(dir, "sandbox.db");
  const db = openDatabase(path);
  const reader = openReader(path);
  cleanup.push(() => { reader.close(); db.close(); rmSync(dir, { recursive: true, force: true }); });
  return { db, reader };
}

const QUERY_PARTS: [string, string][] = [
  ["_tag", COLLECTION_TAG], ["status:not", "completed"], ["status", "requested,in-progress"], ["_include", "Task:digital-activity"],
  ["_include", "Task:based-on"], ["_include", "Task:focus"], ["_include", "Task:patient"], ["identifier", "urn:x|1"],
  ["identifier:not", "urn:x|2"], ["owner", "Organization/org-a"], ["_include", "Task:owner"],
];

describe("kept index rows against a connection that keeps nothing", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random writes and collections agree with the rows as stored (seed ${seed}, 150 rounds)`, async () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
      const { db, reader } = files();
      const fhir = new FhirStore(db);
      const ro = new FhirStore(reader);
      const taskOf = (id: string): Resource => {
        const ids = r() < 0.1 ? KEPT_ROWS_OF_ONE + 5 : Math.floor(r() * 3);
        return {
          resourceType: "Task", id, intent: "order", status: pick(["requested", "in-progress", "completed"]),
          for: { reference: `Patient/${pick(["p1", "p2"])}` },
          owner: { reference: `Organization/${pick(["org-a", "org-a", "org-b"])}` }, requester: { reference: "Organization/org-a" },
          ...(r() < 0.8 ? { meta: { tag: [{ ...DATA_SERVICE_TAG }] } } : {}),
          extension: activityOf(pick(["ad-1", "ad-2"])),
          ...(r() < 0.5 ? { basedOn: [{ reference: `Task/${pick(TASKS)}` }] } : {}),
          ...(r() < 0.3 ? { focus: { reference: `Task/${pick(TASKS)}` } } : {}),
          identifier: Array.from({ length: ids }, (_, i) => ({ system: "urn:x", value: String(i + Math.floor(r() * 2)) })),
        };
      };
      const fixed = (dva: string) => {
        for (const p of ["p1", "p2"]) fhir.save(dva, { resourceType: "Patient", id: p });
        for (const ad of ["ad-1", "ad-2"]) fhir.save(dva, { resourceType: "ActivityDefinition", id: ad, status: "active", publisher: "A" });
      };
      const all = () => { for (const dva of DVAS) { fixed(dva); for (const t of TASKS) fhir.save(dva, taskOf(t)); } };
      all();
      const accessOf = (store: FhirStore, dva: string, who: number): Access => who === 2
        ? { kind: "module", patient: "p1", task: "t1", clientId: "mod", scopes: ["patient/*.read"], zorgaanbieder: "A", rule: ruleOfAWithPublisher, fhir: store, dva }
        : { kind: "pgo", patient: who === 0 ? "p1" : "p2", clientId: "pgo", scopes: [], zorgaanbieder: "A", rule: ruleOfAWithPublisher, fhir: store, dva };
      const run = async (store: FhirStore, dva: string, who: number, params: URLSearchParams) => {
        const ctx: FhirContext = { dva, fhirBase: "http://fhir.test/fhir", store, access: accessOf(store, dva, who), now: () => new Date(), networkAgbs: [] };
        const result = await search(ctx, "Task", params, "http://fhir.test/fhir/Task", false);
        const bundle = JSON.parse(result.body as string) as { entry?: { resource: Resource; search: { mode: string } }[] };
        return { etag: result.etag, entries: (bundle.entry ?? []).map((e) => `${e.search.mode} ${e.resource.resourceType}/${e.resource.id}@${(e.resource.meta as { versionId?: string } | undefined)?.versionId}`) };
      };
      let compared = 0; let nonEmpty = 0;
      for (let round = 0; round < 150; round++) {
        // a write
        const x = r();
        const dva = pick(DVAS);
        if (x < 0.55) fhir.save(dva, taskOf(pick(TASKS)));
        else if (x < 0.85) {
          const settle = <T>(p: Promise<T>) => p.then(() => true, () => false);
          await Promise.all([
            settle(fhir.grouped(() => fhir.save(dva, taskOf(pick(TASKS))))),
            settle(fhir.grouped(() => { fhir.save(dva, taskOf(pick(TASKS))); if (r() < 0.5) throw new Error("fails after writing"); })),
            // a read inside the group (tentative kept rows)
            settle(fhir.grouped(() => run(fhir, dva, 0, new URLSearchParams({ _tag: COLLECTION_TAG, _include: "Task:based-on" })))),
            // a write that reads its own rows (tentatively) and then fails: what it read must not be kept
            settle(fhir.grouped(() => { fhir.save(dva, taskOf(pick(TASKS))); void run(fhir, dva, 0, new URLSearchParams({ _tag: COLLECTION_TAG, "status:not": "completed" })); throw new Error("fails after reading"); })),
          ]);
        } else if (x < 0.9) {
          db.transaction(() => {
            for (const table of tablesChildrenFirst(db)) if (!keptOnReset(table)) db.exec(`DELETE FROM "${table}"`);
            all();
          })();
          dataWasReset(db);
        }
        // the two queries the group read (their keys), then a few collections, each with a random subset of parameters in a random order
        for (let q = 0; q < 5; q++) {
          const parts = q === 0 ? [["_tag", COLLECTION_TAG], ["_include", "Task:based-on"]] : q === 1 ? [["_tag", COLLECTION_TAG], ["status:not", "completed"]]
            : QUERY_PARTS.filter(() => r() < 0.4).sort(() => r() - 0.5);
          const params = new URLSearchParams([...parts, ["_count", "1000"]]);
          const qDva = q < 2 ? dva : pick(DVAS);
          const who = q < 2 ? 0 : Math.floor(r() * 3);
          const cached = await run(fhir, qDva, who, params);
          const fresh = await run(ro, qDva, who, params);
          expect({ round, q: params.toString(), dva: qDva, who, ...cached }).toEqual({ round, q: params.toString(), dva: qDva, who, ...fresh });
          compared++; if (cached.entries.length > 0) nonEmpty++;
        }
      }
      expect(compared).toBe(750);
      expect(nonEmpty).toBeGreaterThan(100);
      expect(fhir.derivedTokens.size).toBeGreaterThan(0); // the writer did keep rows
      expect(ro.derivedTokens.size).toBe(0); // the reader kept none
    });
  }
});
