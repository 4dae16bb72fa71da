/**
 * tokensOfMany reads by row number, each row's id compared with its head's.
 * Heads of one list may come from different snapshots: a period walk's step is two statements
 * (dated, then undated), and a page's hits gather heads of several steps. Across a reset two heads
 * may then carry the same row number with different ids. Each must get its own resource's rows.
 */
import { describe, expect, test } from "bun:test";
import { DVA, ownedTask, ruleOfA, resetTo } from "../../helpers/fhir-store.ts";
import { FhirStore, type RowHead, type Resource } from "../../../src/dva/fhir/store.ts";
import { pageOf } from "../../../src/dva/fhir/walk.ts";
import { parseSearch } from "../../../src/dva/fhir/search-params.ts";
import { openDatabase } from "../../../src/shared/db.ts";

const task = ownedTask;

/** x (A's, row 1) and y (A's, row 2) before; after the reset y is row 1 and x (now B's) row 2. */
function collide() {
  const db = openDatabase(":memory:");
  const store = new FhirStore(db);
  store.save(DVA, task("x", "org-a"), { now: new Date("2026-01-01T00:00:00Z") });
  store.save(DVA, task("y", "org-a"), { now: new Date("2026-01-02T00:00:00Z") });
  const before = store.heads(DVA, "Task");
  resetTo(db, store, [task("y", "org-a"), task("x", "org-b")]);
  const after = store.heads(DVA, "Task");
  const oldX = before.find((h) => h.id === "x")!;
  const newY = after.find((h) => h.id === "y")!;
  expect(oldX.rid).toBe(newY.rid); // the collision this file is about
  return { db, store, oldX, newY };
}

const owners = (tokens: Map<string, { param: string; value: string }[]>, id: string) =>
  (tokens.get(id) ?? []).filter((t) => t.param === "owner").map((t) => t.value);

describe("two heads with one row number (heads of two snapshots)", () => {
  test("tokensOfMany: each head gets its own resource's rows, never none", () => {
    const { store, oldX, newY } = collide();
    for (const heads of [[oldX, newY], [newY, oldX]]) {
      const tokens = store.tokensOfMany(DVA, "Task", heads);
      expect(owners(tokens, "x")).toEqual(["Organization/org-b"]);
      expect(owners(tokens, "y")).toEqual(["Organization/org-a"]);
    }
  });

  test("with params as well", () => {
    const { store, oldX, newY } = collide();
    const tokens = store.tokensOfMany(DVA, "Task", [oldX, newY], ["owner"]);
    expect(owners(tokens, "x")).toEqual(["Organization/org-b"]);
    expect(owners(tokens, "y")).toEqual(["Organization/org-a"]);
  });

  test("pageOf over hits of two steps (one before the reset, one after): B's Task is not served to A", () => {
    const { db, store, oldX, newY } = collide();
    const scope = { fhir: store, dva: DVA, rule: ruleOfA };
    const q = parseSearch("Task", new URLSearchParams());
    const page = db.transaction(() => pageOf(scope, "Task", [oldX, newY], q))();
    expect(page.map((h) => h.id)).toEqual(["y"]);
  });

  test("a head with the same id twice gets its rows once", () => {
    const { store, newY } = collide();
    const tokens = store.tokensOfMany(DVA, "Task", [newY, newY]);
    expect(owners(tokens, "y")).toEqual(["Organization/org-a"]);
  });

  test("the same id under its old and its new number (a period walk's dated and undated parts): its rows once", () => {
    const db = openDatabase(":memory:");
    const store = new FhirStore(db);
    store.save(DVA, task("x", "org-a"));
    store.save(DVA, task("y", "org-a"));
    const oldY = store.heads(DVA, "Task").find((h) => h.id === "y")!;
    resetTo(db, store, [task("y", "org-a"), task("x", "org-a")]);
    const newY = store.heads(DVA, "Task").find((h) => h.id === "y")!;
    const tokens = store.tokensOfMany(DVA, "Task", [oldY, newY] as RowHead[]);
    expect(owners(tokens, "y")).toEqual(["Organization/org-a"]);
  });

  test("300 heads, every other one carrying a number another head of the list has now: each its own rows", () => {
    const db = openDatabase(":memory:");
    const s = new FhirStore(db);
    s.saveAll(DVA, Array.from({ length: 300 }, (_, i) => task(`t${i}`, `org-${i}`)));
    const heads = s.heads(DVA, "Task");
    const shuffled = heads.map((h, i) => (i % 2 ? { ...h, rid: heads[(i + 7) % 300]!.rid } : h));
    const m = s.tokensOfMany(DVA, "Task", shuffled);
    expect(m.size).toBe(300);
    for (const h of heads) expect(owners(m, h.id)).toEqual([`Organization/org-${h.id.slice(1)}`]);
  });
});
