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

/** What the worker answers to: a plain query, or a task a module registered there (reader-worker.ts). */
export type ReaderRequest = { id: number; kind: "all"; sql: string; params: SQLQueryBindings[] } | { id: number; kind: string; [field: string]: unknown };
export type ReaderAnswer = { id: number; value: unknown } | { id: number; error: string };

/** A reader worker idle this long is stopped; the next read starts one again. */
const IDLE_MS = 30_000;

export class Reader {
  private worker: Worker | null = null;
  private broken = false;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private idle: ReturnType<typeof setTimeout> | null = null;
  /** Reads the worker answered (tests and the bench see that reads really ran there). */
  answered = 0;

  constructor(private readonly db: Database, private readonly path: string | null) {}

  /** The rows of a read-only query, from the worker where there is one. Its SQL comes from code, never from a request. */
  async all<T>(sql: string, params: SQLQueryBindings[] = []): Promise<T[]> {
    const answer = this.call<T[]>({ kind: "all", sql, params });
    if (answer) {
      try { return await answer; } catch { /* the worker failed: read here */ }
    }
    // Here, after the other requests had their turn (as a step of a walk would: shared/yield.ts).
    await yieldToOthers();
    return this.db.query<T, SQLQueryBindings[]>(sql).all(...params);
  }

  /**
   * Run a delete of rows nothing waits for — a retention prune, expired rows — in the worker, on a
   * writing connection of its own: the pages it reads and writes, its WAL writes and the checkpoint
   * SQLite runs after its commit all wait for the disk there (a prune catching up a backlog held
   * the event loop up to 0.6 s in `folio_wait_bit`, `rq_qos_wait` and an fsync of the file). The
   * event loop only waits for it when it writes itself while the delete commits. Resolves to the
   * rows deleted; where there is no worker, or it failed, the delete runs here. `sql` is from code.
   */
  async deleteRows(sql: string, params: SQLQueryBindings[]): Promise<number> {
    const answer = this.call<number>({ kind: "delete", sql, params });
    if (answer) {
      try { return await answer; } catch { /* the worker failed: delete here */ }
    }
    return this.db.query<unknown, SQLQueryBindings[]>(sql).run(...params).changes;
  }

  /**
   * Read, in the worker, the pages that deleting the oldest `rows` rows of `table` (by its integer
   * primary key `seq`) will change — the rows and their entries in each index — so that the delete
   * itself, on the event loop, finds them in the page cache (a retention prune of a log of millions
   * deleted 800 lines in 41 ms cold, most of it waiting for reads). Nothing where there is no worker.
   * `table` comes from code, never from a request.
   */
  warmOldest(table: string, rows: number): Promise<void> {
    return this.warmRows(table, `SELECT * FROM "${table}" ORDER BY seq LIMIT ?1`, [rows]);
  }

  /** The same for the rows `select` (a SELECT * of `table`, from code) picks: what a delete of those rows will change. */
  async warmRows(table: string, select: string, params: SQLQueryBindings[]): Promise<void> {
    if (!this.path || this.broken) return;
    const reads = this.warmReads(table, select);
    try {
      await Promise.all(reads.map((sql) => this.call({ kind: "all", sql, params })));
    } catch { /* only a warm-up: the delete reads what it needs */ }
  }

  /** Per table and selection: one read of the rows' pages, one per index of their entries there (PRAGMA index_list / index_info). */
  private readonly warm = new Map<string, string[]>();
  private warmReads(table: string, select: string): string[] {
    const key = `${table}\n${select}`;
    let reads = this.warm.get(key);
    if (reads) return reads;
    reads = [`SELECT count(*) FROM (${select})`];
    const indexes = this.db.query<{ name: string; partial: number }, []>(`PRAGMA index_list("${table}")`).all();
    for (const index of indexes) {
      const columns = this.db.query<{ name: string | null }, []>(`PRAGMA index_info("${index.name}")`).all().map((c) => c.name);
      if (columns.length === 0 || columns.some((c) => c === null)) continue; // an index on an expression: not warmed
      const list = columns.map((c) => `"${c}"`).join(", ");
      // A partial index is used only under its own condition (sqlite_master holds it).
      const condition = index.partial ? /\sWHERE\s([\s\S]+)$/i.exec(this.db.query<{ sql: string }, [string]>("SELECT sql FROM sqlite_master WHERE name = ?").get(index.name)?.sql ?? "")?.[1] : null;
      if (index.partial && !condition) continue;
      reads.push(`SELECT count(*) FROM "${table}" INDEXED BY "${index.name}" WHERE (${list}) IN (SELECT ${list} FROM (${select}))${condition ? ` AND (${condition})` : ""}`);
    }
    this.warm.set(key, reads);
    return reads;
  }

  /** A task of the worker (reader-worker.ts) by kind; null where there is no worker (the caller does it itself), rejected when it failed. */
  call<T>(request: { kind: string; [field: string]: unknown }): Promise<T> | null {
    const worker = this.started();
    if (!worker) return null;
    if (this.idle) { clearTimeout(this.idle); this.idle = null; }
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /** Stop the worker; what it was reading is answered here instead (each caller falls back). */
  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker?.terminate();
    this.worker = null;
    for (const waiting of this.pending.values()) waiting.reject(new Error("de leesthread is gestopt"));
    this.pending.clear();
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
      this.idle = setTimeout(() => { if (this.pending.size === 0) { this.worker?.terminate(); this.worker = null; } }, IDLE_MS);
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

/** Stop the reader of a database before it closes (sandbox stop). */
export function stopReader(db: Database): void {
  readers.get(db)?.stop();
  readers.delete(db);
}
