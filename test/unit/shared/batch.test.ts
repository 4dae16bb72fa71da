import { describe, expect, test } from "bun:test";
import { TimedBatch } from "../../../src/shared/batch.ts";

describe("TimedBatch (issue 16: a batch is time the other requests wait)", () => {
  test("halved while a batch takes longer than the budget, down to the least; doubled again while fast, up to the most", () => {
    const batch = new TimedBatch(2_000, 50, 10);
    expect(batch.size).toBe(2_000);
    for (const expected of [1_000, 500, 250, 125, 62, 50, 50]) { batch.took(200); expect(batch.size).toBe(expected); }
    batch.took(5); // within the budget: kept
    expect(batch.size).toBe(50);
    for (const expected of [100, 200, 400, 800, 1_600, 2_000, 2_000]) { batch.took(1); expect(batch.size).toBe(expected); }
  });

  test("run gives the work the size, says whether the batch was full, and measures it", () => {
    const batch = new TimedBatch(100, 10, 10);
    expect(batch.run((size) => size)).toEqual({ done: 100, full: true });
    expect(batch.run(() => 3)).toEqual({ done: 3, full: false });
    const slow = batch.run((size) => { const end = performance.now() + 15; while (performance.now() < end) { /* a slow batch */ } return size; });
    expect(slow.full).toBe(true);
    expect(batch.size).toBe(50);
  });
});
