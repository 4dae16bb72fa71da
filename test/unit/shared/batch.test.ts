import { describe, expect, test } from "bun:test";
import { TimedBatch } from "../../../src/shared/batch.ts";

describe("TimedBatch (issue 16: a batch is time the other requests wait)", () => {
  test("halved while a batch takes longer than the budget, down to the least; doubled again while fast, up to the most", () => {
    const batch = new TimedBatch(2_000, 50, 10);
    expect(batch.size).toBe(50); // the first batch is the smallest
    for (const expected of [100, 200, 400, 800, 1_600, 2_000, 2_000]) { batch.took(0.01); expect(batch.size).toBe(expected); }
    for (const expected of [1_000, 500, 250, 125, 62, 50, 50]) { batch.took(200); expect(batch.size).toBe(expected); }
    batch.took(5); // within the budget: kept
    expect(batch.size).toBe(50);
  });

  test("grows no further than the time per item predicts for half the budget", () => {
    const batch = new TimedBatch(2_000, 10, 10);
    batch.size = 400;
    batch.took(2); // 5 µs an item: half the budget is 1 000 items, doubling would be 800
    expect(batch.size).toBe(800);
    batch.took(2.4); // 3 µs an item: 1 666 predicted, doubling 1 600
    expect(batch.size).toBe(1_600);
    batch.took(2.4); // 1.5 µs an item: doubling 3 200 and the predicted 3 333 are over the most
    expect(batch.size).toBe(2_000);
    batch.size = 1_000;
    batch.took(2.45); // 2.45 µs an item: 2 040 predicted, so doubling to 2 000 is allowed
    expect(batch.size).toBe(2_000);
    batch.size = 100;
    batch.took(2.4); // 24 µs an item: half the budget is 208 items; doubling (200) is less
    expect(batch.size).toBe(200);
    batch.size = 100;
    batch.took(2.49); // 24.9 µs an item: 200 predicted (5 ms / 24.9 µs)
    expect(batch.size).toBe(200);
  });

  test("run gives the work the size, says whether the batch was full, and measures it", () => {
    const batch = new TimedBatch(100, 10, 10);
    batch.size = 100;
    expect(batch.run((size) => size)).toEqual({ done: 100, full: true });
    expect(batch.run(() => 3)).toEqual({ done: 3, full: false });
    batch.size = 100;
    const slow = batch.run((size) => { const end = performance.now() + 15; while (performance.now() < end) { /* a slow batch */ } return size; });
    expect(slow.full).toBe(true);
    expect(batch.size).toBe(50);
  });
});

describe("TimedBatch and idle batches", () => {
  test("a batch that did nothing does not grow the size (an idle prune must not end at the most, unmeasured)", () => {
    const batch = new TimedBatch(2_000, 50, 10);
    for (let i = 0; i < 10; i++) batch.run(() => 0);
    expect(batch.size).toBe(50);
    // A partial batch is measured by what it did: 10 items in 1 ms do not predict 50 items' worth more.
    batch.run(() => 10);
    expect(batch.size).toBeLessThanOrEqual(100);
  });
});
