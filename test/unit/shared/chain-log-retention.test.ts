/**
 * Chain log retention (issue 11 item 6): the oldest lines beyond the line limit or the age limit
 * go, in batches of at most 2 000 by `seq`, in the background; the stats say what is kept.
 */
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { ChainLog } from "../../../src/shared/chain-log.ts";
import { openDatabase } from "../../../src/shared/db.ts";

afterEach(() => setSystemTime());

const write = (chain: ChainLog, n: number, prefix = "t") => {
  for (let i = 0; i < n; i++) chain.write({ type: "send_test", location: "pgo.localhost", traceId: `${prefix}-${i}` });
};
const seqs = (chain: ChainLog) => chain.query({ limit: 10_000 }).map((l) => l.seq);

describe("chain log retention", () => {
  test("keep the last N lines: the oldest go, the newest stay", async () => {
    const chain = new ChainLog(openDatabase(":memory:"), { keepLines: 10, keepHours: 0 });
    write(chain, 25);
    expect(chain.prune()).toBe(15);
    expect(seqs(chain)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(chain.prune()).toBe(0);
    const stats = await chain.stats();
    expect(stats).toMatchObject({ lines: 10, retention: { keepLines: 10, keepHours: 0 }, dropped: 0 });
    expect(stats.since).toBe(chain.query({ limit: 1 })[0]!.event.datetime);
  });

  test("keep N hours: lines older than the limit go, by their datetime with its offset", () => {
    const chain = new ChainLog(openDatabase(":memory:"), { keepLines: 0, keepHours: 2 });
    setSystemTime(new Date("2026-03-29T00:30:00Z")); // the night summer time starts: +01:00 becomes +02:00
    write(chain, 3, "old");
    setSystemTime(new Date("2026-03-29T01:45:00Z"));
    write(chain, 2, "recent");
    setSystemTime(new Date("2026-03-29T03:00:00Z"));
    expect(chain.prune()).toBe(3);
    expect(chain.query().map((l) => l.event.trace_id)).toEqual(["recent-0", "recent-1"]);
  });

  test("at most 2 000 lines a batch (from 50, growing while a batch stays well under 10 ms), so a request never waits on a long delete", async () => {
    const chain = new ChainLog(openDatabase(":memory:"), { keepLines: 1, keepHours: 0 });
    write(chain, 4_500);
    const batches: number[] = [];
    for (let n = chain.prune(); n > 0; n = chain.prune()) batches.push(n);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(4_499);
    expect(Math.max(...batches)).toBeLessThanOrEqual(2_000);
    expect(batches[0]).toBe(50); // the first batch is the smallest; they grow while fast
    expect((await chain.stats()).lines).toBe(1);
  });

  test("no limits: nothing is pruned", async () => {
    const chain = new ChainLog(openDatabase(":memory:"), { keepLines: 0, keepHours: 0 });
    write(chain, 50);
    expect(chain.prune()).toBe(0);
    expect((await chain.stats()).lines).toBe(50);
  });

  test("in the background: a timer prunes, catching up in quick batches; stop() ends it", async () => {
    const chain = new ChainLog(openDatabase(":memory:"), { keepLines: 5, keepHours: 0 });
    write(chain, 4_100);
    chain.startPruning();
    const deadline = Date.now() + 3_000;
    while ((await chain.stats()).lines > 5 && Date.now() < deadline) await Bun.sleep(10);
    expect((await chain.stats()).lines).toBe(5);
    chain.stop();
    write(chain, 20);
    await Bun.sleep(30);
    // Stopped before the database closes: late lines are let go, nothing is pruned any more.
    expect((await chain.stats()).lines).toBe(5);
  });
});
