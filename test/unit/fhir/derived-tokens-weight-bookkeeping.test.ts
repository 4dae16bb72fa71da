/**
 * From an outside review: DerivedCache's weight bookkeeping (`weighed`, `size`) under random
 * sequences of set / get / changed / grouped (tentative) commit and rollback / epoch reset, and
 * the three caches of default weight (organisations, refs, compartments): one a value, as before
 * weights (`if (values.size >= max) clear()`; the review compared them op by op with that code).
 */
import { describe, expect, test } from "bun:test";
import { DerivedCache } from "../../../src/dva/fhir/store.ts";
import { dataWasReset, openDatabase, type Database } from "../../../src/shared/db.ts";


/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const DEPS = ["d0", "d1", "d2", "d3"];
type Cache = Pick<DerivedCache<readonly string[]>, "get" | "set" | "changed" | "beginTentative" | "keepTentative" | "discardTentative" | "endTentative" | "clear" | "size" | "dependencyEntries">;

/**
 * Random operations on `caches` (all given the same ones), in the way FhirStore drives them:
 * sets outside a transaction, and grouped phases (BEGIN, beginTentative, sets/gets/changed,
 * then COMMIT + keepTentative or ROLLBACK + discardTentative, endTentative), resets, clears.
 * `check` runs after every operation outside a grouped phase.
 */
function drive(db: Database, caches: Cache[], seed: number, steps: number, check: () => void) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const value = () => Object.freeze(Array.from({ length: Math.floor(r() * 6) }, (_, i) => `v${i}`));
  const deps = () => DEPS.filter(() => r() < 0.4);
  let inGroup = false;
  for (let i = 0; i < steps; i++) {
    const x = r();
    if (!inGroup && x < 0.06) {
      db.run("BEGIN"); for (const c of caches) c.beginTentative(); inGroup = true; continue;
    }
    if (inGroup && x < 0.10) {
      if (r() < 0.6) { db.run("COMMIT"); for (const c of caches) c.keepTentative(); }
      else { db.run("ROLLBACK"); for (const c of caches) c.discardTentative(); }
      for (const c of caches) c.endTentative();
      inGroup = false;
    } else if (x < 0.12) {
      if (!inGroup) dataWasReset(db);
    } else if (x < 0.13) {
      for (const c of caches) c.clear();
    } else if (x < 0.30) {
      const d = pick(DEPS); for (const c of caches) c.changed(d);
    } else if (x < 0.45) {
      const k = pick(KEYS); for (const c of caches) c.get(k);
    } else {
      // set: like keptTokensOf, mostly only when absent; sometimes over an existing key with another size
      const k = pick(KEYS); const v = value(); const ds = deps();
      const over = r() < 0.5;
      for (const c of caches) { if (over || c.get(k) === undefined) c.set(k, v, ds); }
    }
    if (!inGroup) check();
  }
  if (inGroup) { db.run("COMMIT"); for (const c of caches) { c.keepTentative(); c.endTentative(); } check(); }
}

describe("DerivedCache weight bookkeeping", () => {
  for (const max of [4, 12, 40, 1_000]) {
    test(`weighed == Σ (rows + 1) of what is kept, size == what is kept, never past the bound (max ${max}, 40 seeds × 600 ops)`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const db = openDatabase(":memory:");
        const cache = new DerivedCache<readonly string[]>(db, max, (rows) => rows.length + 1);
        drive(db, [cache as unknown as Cache], seed, 600, () => {
          let weight = 0; let n = 0;
          for (const k of KEYS) { const v = cache.get(k); if (v !== undefined) { weight += v.length + 1; n++; } }
          expect({ seed, weighed: cache.weighed, size: cache.size }).toEqual({ seed, weighed: weight, size: n });
          expect(cache.weighed).toBeGreaterThanOrEqual(0);
          // the largest value weighs 6: a value heavier than max would be kept alone past it
          if (max >= 6) expect(cache.weighed).toBeLessThanOrEqual(max);
          expect(cache.dependencyEntries).toBeLessThanOrEqual(n * DEPS.length);
        });
        db.close();
      }
    });
  }

  test("the sequences the brief names, one by one", () => {
    const db = openDatabase(":memory:");
    const c = new DerivedCache<readonly string[]>(db, 10, (rows) => rows.length + 1);
    c.get("sync"); // the epoch is taken at the first get(): what is set before it goes then (as in 887f88e)
    // the same key twice, with another size
    c.set("a", ["x", "y", "z"], ["d"]); c.set("a", ["x"], ["d"]);
    expect([c.size, c.weighed]).toEqual([1, 2]);
    // kept at commit over an existing key
    db.run("BEGIN"); c.beginTentative(); c.set("a", ["1", "2", "3", "4"], ["d"]); c.set("b", [], ["e"]);
    expect([c.size, c.weighed]).toEqual([1, 2]); // tentative weighs nothing yet
    db.run("COMMIT"); c.keepTentative(); c.endTentative();
    expect([c.size, c.weighed]).toEqual([2, 6]);
    // dropped via changed while tentative (both the committed and the tentative value)
    db.run("BEGIN"); c.beginTentative(); c.set("c", ["q"], ["d"]); c.changed("d");
    expect([c.size, c.weighed]).toEqual([1, 1]);
    db.run("COMMIT"); c.keepTentative(); c.endTentative();
    expect([c.size, c.weighed, c.get("c")]).toEqual([1, 1, undefined]);
    // epoch reset: the first get() clears, weight with it
    c.set("f", ["1", "2"], ["g"]);
    expect(c.weighed).toBe(4);
    dataWasReset(db);
    expect(c.weighed).toBe(4); // not yet: lazily, at the next get
    c.get("nothing");
    expect([c.size, c.weighed]).toEqual([0, 0]);
    // a value alone heavier than max: kept alone, and the next one clears it
    c.set("big", Array.from({ length: 20 }, String), []);
    expect([c.size, c.weighed]).toEqual([1, 21]);
    c.set("small", [], []);
    expect([c.size, c.weighed]).toEqual([1, 1]);
    db.close();
  });

  test("the default weight (organisations, refs, compartments): one a value, so the bound is on how many, as before weights", () => {
    for (const max of [1, 2, 3, 5, 8]) {
      for (let seed = 1; seed <= 40; seed++) {
        const db = openDatabase(":memory:");
        const cache = new DerivedCache<readonly string[]>(db, max);
        drive(db, [cache as unknown as Cache], seed, 500, () => {
          expect(cache.weighed).toBe(cache.size);
          expect(cache.size).toBeLessThanOrEqual(max);
        });
        db.close();
      }
    }
  });
});
