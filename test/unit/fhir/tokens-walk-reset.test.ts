/**
 * Migration 23 (search tokens by number): a walk whose heads were read before a reset and whose
 * index rows are read after it (the reader worker reads each statement of a step in its own
 * snapshot, and a page in a later one). tokensOfMany reads by the heads' row numbers; a number
 * that names another row now must not give "no index rows" — a resource without them has no owner
 * or requester, so allows() would let every zorgaanbieder see it — but the rows of that id now.
 */
import { describe, expect, test } from "bun:test";
import { DVA, ownedTask, ruleOfA, resetTo } from "../../helpers/fhir-store.ts";
import { FhirStore, type WalkHead, type WalkOrder, type WalkPosition, type Resource } from "../../../src/dva/fhir/store.ts";
import { pageOf, walkHits } from "../../../src/dva/fhir/walk.ts";
import { parseSearch } from "../../../src/dva/fhir/search-params.ts";
import { openDatabase } from "../../../src/shared/db.ts";

const task = ownedTask;

function setUp() {
  const db = openDatabase(":memory:");
  const store = new FhirStore(db);
  store.save(DVA, task("tb", "org-b"), { now: new Date("2026-01-01T00:00:00Z") });
  store.save(DVA, task("ta", "org-a"), { now: new Date("2026-01-02T00:00:00Z") });
  // After the reset the rows come in another order (e.g. a registered module's catalogue entry first): B's Task's old
  // number (1) now names an Endpoint, A's (2) names A's Task again, B's Task is row 3.
  const reseed = [{ resourceType: "Endpoint", id: "e-new", status: "active" } as Resource, task("ta", "org-a"), task("tb", "org-b")];
  return { db, store, reseed };
}

describe("a walk across a reset (row numbers that name another row now)", () => {
  test("before any reset, A's walk does not see B's Task (control)", () => {
    const { store } = setUp();
    const scope = { fhir: store, dva: DVA, rule: ruleOfA };
    const walk = walkHits(scope, "Task", parseSearch("Task", new URLSearchParams()), 10, true, { step: 100, minStep: 10, stepMs: 1000 });
    let step = walk.next();
    while (!step.done) step = walk.next();
    expect(step.value.hits.map((h) => h.id)).toEqual(["ta"]);
  });

  test("heads read just before a reset commits, index rows just after (the worker's step): B's Task is not served to A", () => {
    const { db, store, reseed } = setUp();
    // The reader worker reads a step's heads and its index rows in two statements; the main thread's reset may commit between them.
    class Racing extends FhirStore {
      private done = false;
      override walk(dva: string, type: string, order: WalkOrder, after: WalkPosition | null, limit: number): WalkHead[] {
        const heads = super.walk(dva, type, order, after, limit);
        if (!this.done) { this.done = true; resetTo(db, store, reseed); }
        return heads;
      }
    }
    const scope = { fhir: new Racing(db), dva: DVA, rule: ruleOfA };
    const q = parseSearch("Task", new URLSearchParams());
    const walk = walkHits(scope, "Task", q, 10, true, { step: 100, minStep: 10, stepMs: 1000 });
    let step = walk.next();
    while (!step.done) step = walk.next();
    const page = db.transaction(() => pageOf(scope, "Task", step.value.hits, q))();
    const served = page.map((h) => (JSON.parse(h.json) as Resource & { owner: { reference: string } }).owner.reference);
    expect(served).not.toContain("Organization/org-b");
  });

  test("hits of before a reset paged after it: a Task that still matches `status` is still found, with its index rows", () => {
    const { db, store, reseed } = setUp();
    const scope = { fhir: store, dva: DVA, rule: ruleOfA };
    const q = parseSearch("Task", new URLSearchParams("status=requested"));
    const walk = walkHits(scope, "Task", q, 10, true, { step: 100, minStep: 10, stepMs: 1000 });
    let step = walk.next();
    while (!step.done) step = walk.next();
    expect(step.value.hits.map((h) => h.id)).toEqual(["ta"]);
    // Rows in another order after the reset: ta's old number (2) now names tb, which this page does not ask for.
    resetTo(db, store, [reseed[0]!, reseed[2]!, reseed[1]!]);
    // ta is stored again, owned by A, status requested: the page of the walk that found it serves it (the old code read its rows by id).
    const page = db.transaction(() => pageOf(scope, "Task", step.value.hits, q))();
    expect(page.map((h) => h.id)).toEqual(["ta"]);
    expect(page[0]!.tokens.some((t) => t.param === "owner" && t.value === "Organization/org-a")).toBe(true);
  });
});
