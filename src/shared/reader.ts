/**
 * Reads that may wait for the disk, in a reader worker (issue 16). Everything else runs on one
 * thread with synchronous SQLite, and a TimedBatch bounds a step's CPU, never its I/O: at a million
 * Tasks on a cold page cache one step of a `_total=accurate` walk waited 1.7 s in the kernel
 * (`submit_bio_wait`, `folio_wait_bit`, bench table 11 `--why`) while every actor waited with it.
 * A read that may touch many pages the disk must first read — a walk of a whole DVA, a log page
 * over a span of millions of lines — goes here: a worker thread with a read-only connection of
 * its own (in WAL, a snapshot of what was committed when each query began), so the event loop
 * only waits for a message.
 *
 * One worker per data file, started on first use and stopped when idle (its connection and ~10 MB
 * given back). Where there is no file (`:memory:`: another thread cannot open that database, and
 * memory has no disk to wait for), or the worker cannot start or fails, the read runs here as it
 * would have: `call` resolves to null and the caller does it itself; `all` does it itself.
 */
import type { Database, SQLQueryBindings } from "bun:sqlite";
import { yieldToOthers } from "./yield.ts";

/**
 * A read that was waiting for the worker when the sandbox stopped: it is not made again here on a
 * connection about to close (it would fail there and read as an unexpected error); the request it
 * belongs to gets a 503 (shared/storage-error.ts), if it can still be answered at all.
 */
export class ReaderStopped extends Error {
  readonly code = "SANDBOX_STOPPING";
  constructor() { super("de sandbox stopt"); }
}

/** What the worker answers (reader-worker.ts). */
export type ReaderAnswer = { id: number; value: unknown } | { id: number; error: string };

/** A reader worker idle this long (`idleMs`) is closed; the next read starts one again. An object, so that a test can shorten it. */
export const readerTuning = { idleMs: 30_000 };

export class Reader {
  private worker: Worker | null = null;
  private broken = false;
  /** Closed for good (the sandbox stops): every read from now on is a ReaderStopped, never made on the closing connection. */
  private stopped = false;
  private next = 1;
  private readonly pending = new Map<number, { worker: Worker; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private idle: ReturnType<typeof setTimeout> | null = null;
  /** Reads the worker answered (tests and the bench see that reads really ran there). */
  answered = 0;

  constructor(private readonly db: Database, private readonly path: string | null) {}

  /** The rows of a read-only query, from the worker where there is one. Its SQL comes from code, never from a request. */
  all<T>(sql: string, params: SQLQueryBindings[] = []): Promise<T[]> {
    // Here, after the other requests had their turn (as a step of a walk would: shared/yield.ts).
    return this.thereOrHere({ kind: "all", sql, params }, async () => { await yieldToOthers(); return this.db.query<T, SQLQueryBindings[]>(sql).all(...params); });
  }

  /**
   * Run a delete of rows nothing waits for — a retention prune, expired rows — in the worker, on a
   * writing connection of its own: the pages it reads and writes, its WAL writes and the checkpoint
   * SQLite runs after its commit all wait for the disk there (a prune catching up a backlog held
   * the event loop up to 0.6 s in `folio_wait_bit`, `rq_qos_wait` and an fsync of the file). The
   * event loop only waits for it when it writes itself while the delete commits. Resolves to the
   * rows deleted; where there is no worker, or it failed, the delete runs here. `sql` is from code.
   */
  deleteRows(sql: string, params: SQLQueryBindings[]): Promise<number> {
    return this.thereOrHere({ kind: "delete", sql, params, returning: false }, async () => this.db.query<unknown, SQLQueryBindings[]>(sql).run(...params).changes);
  }

  /** The same for a delete with RETURNING: the rows it returns. */
  deleteReturning<T>(sql: string, params: SQLQueryBindings[]): Promise<T[]> {
    return this.thereOrHere({ kind: "delete", sql, params, returning: true }, async () => this.db.query<T, SQLQueryBindings[]>(sql).all(...params));
  }

  /** A task in the worker, or `here` where there is none or it failed. */
  private async thereOrHere<T>(request: { kind: string; [field: string]: unknown }, here: () => Promise<T>): Promise<T> {
    const answer = this.call<T>(request);
    if (answer) {
      try { return await answer; } catch (e) { if (e instanceof ReaderStopped) throw e; /* the worker failed: here */ }
    }
    if (this.stopped) throw new ReaderStopped(); // stopped meanwhile (a read here yields first)
    return here();
  }

  /**
   * A task of the worker (reader-worker.ts) by kind; null where there is no worker (the caller does
   * it itself), rejected when it failed — and with ReaderStopped once the sandbox stops.
   */
  call<T>(request: { kind: string; [field: string]: unknown }): Promise<T> | null {
    if (this.stopped) return Promise.reject(new ReaderStopped());
    const worker = this.started();
    if (!worker) return null;
    if (this.idle) { clearTimeout(this.idle); this.idle = null; }
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { worker, resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /**
   * End the worker gracefully: it answers what it was sent, closes its connections between two
   * messages (never inside a delete, whose lock would outlive a killed thread; a killed thread
   * also keeps its connections open for good) and says "closed"; then it is ended — after
   * `waitMs` at the latest, what it left unanswered made here. `forGood` (the sandbox stops): no
   * worker after it; else (idle) the next call starts a new one.
   */
  async close(waitMs = 2_000, forGood = true): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (forGood) { this.broken = true; this.stopped = true; }
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, waitMs);
      worker.addEventListener("message", (event: MessageEvent) => { if (event.data === "closed") { clearTimeout(timeout); resolve(); } });
      worker.postMessage({ close: true });
    });
    worker.terminate();
    this.fail(worker, forGood ? null : "de leesthread is gestopt");
  }

  /** Stop the worker at once (it failed; tests): what it was doing is answered here instead (each caller falls back). */
  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
    if (worker) this.fail(worker, "de leesthread is gestopt");
  }

  /** Reject what is still waiting for this worker: with `why` (the caller reads here instead), or null as the sandbox stops (ReaderStopped). */
  private fail(worker: Worker, why: string | null): void {
    for (const [id, waiting] of this.pending) {
      if (waiting.worker !== worker) continue;
      this.pending.delete(id);
      waiting.reject(why === null ? new ReaderStopped() : new Error(why));
    }
  }

  private started(): Worker | null {
    if (this.worker || this.broken || !this.path) return this.worker;
    try {
      const worker = new Worker(workerUrl());
      (worker as unknown as { unref?: () => void }).unref?.();
      worker.onmessage = (event: MessageEvent<ReaderAnswer>) => this.settled(event.data);
      worker.onerror = (event) => { event.preventDefault?.(); this.failed(event.message); };
      worker.postMessage({ path: this.path });
      this.worker = worker;
    } catch (e) {
      this.failed((e as Error).message);
    }
    return this.worker;
  }

  /** The worker cannot start or died: said once, and from now on every read runs on the event loop. */
  private failed(why: string): void {
    if (!this.broken) console.error(`sandbox: the reader thread failed (${why}); reads that may wait for the disk now run on the event loop`);
    this.broken = true;
    this.stop();
  }

  private settled(answer: ReaderAnswer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    this.answered++;
    if ("error" in answer) waiting.reject(new Error(answer.error)); else waiting.resolve(answer.value);
    if (this.pending.size === 0) {
      this.idle = setTimeout(() => { if (this.pending.size === 0) void this.close(2_000, false); }, readerTuning.idleMs);
      this.idle.unref?.();
    }
  }
}

/**
 * The worker's module: beside this one when run from source; in the compiled binary, where the
 * chunks sit at the bundle's root and the worker is an entrypoint of its own (package.json
 * "build"), at shared/ under that root (`bun build` keeps entrypoints' paths below src/).
 */
function workerUrl(): string {
  const beside = new URL("./reader-worker.ts", import.meta.url);
  return beside.pathname.startsWith("/$bunfs/") ? new URL("./shared/reader-worker.ts", beside).href : beside.href;
}

const readers = new WeakMap<Database, Reader>();

/** The reader of this database (a worker only for a file). */
export function readerOf(db: Database): Reader {
  let reader = readers.get(db);
  if (!reader) {
    const path = db.filename;
    readers.set(db, reader = new Reader(db, !path || path === ":memory:" || path.startsWith("file::memory:") ? null : path));
  }
  return reader;
}

/**
 * Stop the reader of a database before it closes (sandbox stop): the worker closes its connections
 * between two messages — never inside a delete's transaction, whose lock would outlive a killed
 * thread — within 2 s, or is stopped. From then on every read through it is a ReaderStopped.
 */
export async function stopReader(db: Database): Promise<void> {
  // Kept in the map, closed for good: a read that starts during or after the stop gets ReaderStopped
  // from this reader, never a new worker that outlives the database, nor a read on its closing connection.
  await readerOf(db).close();
}
