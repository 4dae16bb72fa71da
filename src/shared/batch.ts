/**
 * A batch size held near a time budget (issue 16: one thread, so a batch is time every other
 * request waits): halved while a batch takes longer than `budgetMs`, grown (up to `max`) while
 * one takes under a quarter of it. A batch's cost is not its size alone — deleting the oldest 2 000
 * chain-log lines of a table of millions took ~200 ms where 2 000 of a small one take 2 ms — so
 * the size follows what was measured.
 */
export class TimedBatch {
  /** Starts at the least: the first batch must not be the one that finds out (a prune's first batch at 2 000 stalled 200 ms). */
  size: number;
  constructor(readonly max: number, readonly min = 1, readonly budgetMs = 10) {
    this.size = min;
  }

  /** Run one batch (`work` gets the size and returns how many it did); `full`: it did a whole batch (more may wait). */
  run(work: (size: number) => number): { done: number; full: boolean } {
    const size = this.size;
    const began = performance.now();
    return this.measured(size, began, work(size));
  }

  /** The same for a batch done elsewhere (the reader worker): its time is the wait for its answer. */
  async runAsync(work: (size: number) => Promise<number>): Promise<{ done: number; full: boolean }> {
    const size = this.size;
    const began = performance.now();
    return this.measured(size, began, await work(size));
  }

  private measured(size: number, began: number, done: number): { done: number; full: boolean } {
    // Only a batch that did something says what a batch costs (an idle prune would grow it to the most unseen).
    if (done > 0) this.took(performance.now() - began, Math.min(size, Math.max(done, 1)));
    return { done, full: done >= size };
  }

  /**
   * Adjust the size by how long a batch of `size` took: halved when over the budget; while under a
   * quarter of it, grown — at most doubled, and no further than the time per item measured
   * predicts for half the budget (doubling into a batch that costs 20× its size was the stall).
   */
  took(ms: number, size = this.size): void {
    if (ms > this.budgetMs) this.size = Math.max(this.min, Math.floor(size / 2));
    else if (ms < this.budgetMs / 4) {
      const predicted = ms > 0 ? Math.floor((this.budgetMs / 2) * (size / ms)) : Number.POSITIVE_INFINITY;
      this.size = Math.max(this.min, Math.min(this.max, size * 2, predicted));
    }
  }
}

/** Rows deleted per prune batch at most (the chain log, the exchange log), and how often: every second, every 50 ms while catching up. */
export const PRUNE_BATCH = 2000;
const PRUNE_EVERY_MS = 1000;
const PRUNE_CATCH_UP_MS = 50;

/**
 * Prune in the background: one batch every second, sooner while a batch was full (catching up),
 * each batch's size held to the time budget by `batch`. `prune` may run its delete in the reader
 * worker (shared/reader.ts: its reads and writes, and the checkpoint after its commit, wait for the
 * disk there, not on the event loop). Returns the stop function.
 */
export function startPruning(batch: TimedBatch, prune: (size: number) => number | Promise<number>): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const tick = async () => {
    let full = false;
    try {
      ({ full } = await batch.runAsync(async (size) => stopped ? 0 : prune(size)));
    } catch { /* a full disk can refuse a delete too; try again next tick */ }
    if (stopped) return;
    timer = setTimeout(tick, full ? PRUNE_CATCH_UP_MS : PRUNE_EVERY_MS);
    timer.unref?.();
  };
  timer = setTimeout(tick, 0);
  timer.unref?.();
  return () => { stopped = true; if (timer) clearTimeout(timer); timer = null; };
}
