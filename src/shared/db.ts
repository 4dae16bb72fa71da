/**
 * One SQLite file for the whole sandbox (SPEC §1): WAL so that kill -9 loses no committed write
 * (SPEC §11), foreign keys on, a busy timeout for concurrent writers, versioned migrations. A data
 * file that cannot serve — a directory, not a database, another program's database, damaged,
 * read-only — is a DataFileError with a clear message (exit 2), never a stack trace (issue 11).
 */
import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS, type Migration } from "./migrations.ts";

/**
 * bun:sqlite's Database with a statement cache that holds every statement the sandbox runs:
 * `query()` keeps only the last 20 prepared statements, and the actors on one file run hundreds
 * of different ones, so nearly every `db.query(sql)` prepared its statement again (~5 % of a
 * journey's CPU, issue 16). Statements stay prepared until the database closes; SQL built from
 * data (an IN list of n placeholders) could grow the cache, so past MAX_STATEMENTS the oldest
 * are let go (not finalized: a caller may still hold one).
 */
/** bun:sqlite's own mapping of a query's parameter type. */
type Params<P> = P extends any[] ? P : [P];

/** What `Database.transaction` returns. */
type Transaction<A extends any[], T> = { (...args: A): T; deferred: (...args: A) => T; immediate: (...args: A) => T; exclusive: (...args: A) => T };

class CachingDatabase extends Database {
  static readonly MAX_STATEMENTS = 2_000;
  private readonly statements = new Map<string, Statement<unknown, SQLQueryBindings[]>>();
  readonly writable: boolean;

  constructor(filename: string, options: { readonly?: boolean; create?: boolean; strict?: boolean }) {
    super(filename, options);
    this.writable = options.readonly !== true;
  }

  override query<ReturnType, ParamsType extends SQLQueryBindings | SQLQueryBindings[]>(sql: string): Statement<ReturnType, Params<ParamsType>> {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= CachingDatabase.MAX_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement = this.prepare(sql));
    }
    return statement as unknown as Statement<ReturnType, Params<ParamsType>>;
  }

  /**
   * A transaction of a writing connection begins IMMEDIATE: it takes the write lock at BEGIN,
   * waiting for it (busy_timeout) while the reader worker's writing connection deletes. A deferred
   * one that read first could not wait: when the other connection committed after its read, its
   * first write failed at once with SQLITE_BUSY_SNAPSHOT (or SQLITE_BUSY) — a fifth of the FHIR
   * writes answered 503 under load while the retention prune ran (bench table 10). Nested, it is a
   * savepoint as before; a read-only connection's stay deferred (they take no write lock).
   */
  override transaction<A extends any[], T>(fn: (...args: A) => T): Transaction<A, T> {
    const wrapped: Transaction<A, T> = super.transaction(fn);
    if (!this.writable) return wrapped;
    // Every way in tells the rollback listeners when it rolled back (a savepoint too, caught or not).
    const told = (run: (...args: A) => T) => (...args: A): T => {
      try { return run(...args); } catch (e) { for (const listener of rollbackListeners.get(this) ?? []) listener(); throw e; }
    };
    const { deferred, immediate, exclusive } = wrapped;
    return Object.assign(told(immediate), { deferred: told(deferred), immediate: told(immediate), exclusive: told(exclusive) });
  }

  override close(throwOnError?: boolean): void {
    // Finalized, or SQLite keeps the connection open as a "zombie" until each is collected (a
    // worker closing its connections must not leave them, nor their locks, behind).
    for (const statement of this.statements.values()) { try { statement.finalize(); } catch { /* already */ } }
    this.statements.clear();
    super.close(throwOnError);
  }
}

export type { Database };

export class DataFileError extends Error {
  override name = "DataFileError";
}

/**
 * `PRAGMA quick_check` reads every page: ≈ 0.6 ms per MB from the page cache, ≈ 20 ms per MB from
 * a cold disk (408 ms warm, 12.5 s cold for a 650 MB population file). Files up to this size are
 * checked before the sandbox serves; larger ones in the background (quickCheckInBackground).
 */
export const QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024;

export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Database {
  const { db } = openDataFile(path);
  try {
    migrate(db, migrations);
  } catch (e) {
    db.close();
    throw dataFileError(e, path) ?? e;
  }
  return db;
}

/**
 * Open the file with the sandbox's pragmas and check it, without migrating (the caller may
 * claim the file first, data-lock.ts). `checkLater` is true when the file is too large to
 * quick_check now.
 */
export function openDataFile(path: string): { db: Database; checkLater: boolean } {
  if (path === ":memory:") return { db: withPragmas(new CachingDatabase(path, { strict: true })), checkLater: false };
  const size = fileSize(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" || code === "ENOTDIR" ? "a file of that name is in the way" : code === "EROFS" ? "the file system is read-only" : code ?? String(e);
    throw new DataFileError(`${path}: cannot create its folder ${dirname(path)} (${why})`);
  }
  let db: Database | null = null;
  try {
    db = withPragmas(new CachingDatabase(path, { create: true, strict: true }));
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
    if (tables.length > 0 && !tables.includes("schema_migration")) {
      throw new DataFileError(`${path} is a SQLite database of another program (it has no schema_migration table); give the sandbox its own --data file`);
    }
    const checkLater = size > QUICK_CHECK_MAX_BYTES;
    if (!checkLater) {
      const problems = quickCheck(db);
      if (problems) throw new DataFileError(damaged(path, problems));
      // The check read every page into this connection's cache: let those go (idle RSS, issue 16); the pages a request needs come back.
      db.exec("PRAGMA shrink_memory");
    }
    return { db, checkLater };
  } catch (e) {
    db?.close();
    throw e instanceof DataFileError ? e : dataFileError(e, path) ?? e;
  }
}

/**
 * Pages of 8 KB for a new file (issue 16, storage): a Task's row is ~1.4 KB of JSON, of which a
 * 4 KB page holds two (~70 % full: 2.05 KB a Task) and an 8 KB page five (1.64 KB). It must be set
 * before the first table (and before WAL); an existing file keeps the size it was made with.
 */
export const PAGE_SIZE = 8192;

function withPragmas(db: Database): Database {
  db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

/**
 * A second, read-only connection to a data file for another thread (the reader worker, shared/reader.ts): the
 * same statement cache, reading in WAL a snapshot of what was committed when each query began.
 */
export function openReader(path: string): Database {
  const db = new CachingDatabase(path, { readonly: true, strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

/** A second writing connection to a data file, with the sandbox's pragmas (the reader worker's retention deletes). */
export function openWriter(path: string): Database {
  return withPragmas(new CachingDatabase(path, { strict: true }));
}

/** The file's size in bytes, 0 when it does not exist yet; a directory is refused. */
function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new DataFileError(`${path} is a directory; --data needs the path of a file (e.g. ${path.replace(/\/$/, "")}/sandbox.db)`);
    return stat.size;
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    return 0;
  }
}

/** quick_check's findings, or null when the file is sound. */
function quickCheck(db: Database): string[] | null {
  const rows = db.query<{ quick_check: string }, []>("PRAGMA quick_check").all().map((r) => r.quick_check);
  return rows.length === 1 && rows[0] === "ok" ? null : rows;
}

const damaged = (path: string, problems: string[]) =>
  `${path} is damaged (PRAGMA quick_check: ${problems.slice(0, 3).join("; ").replace(/\s+/g, " ")}); restore it from a copy, or remove it to start fresh`;

/** A SQLite failure on the data file as a clear message, or null for any other error. */
export function dataFileError(e: unknown, path: string): DataFileError | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return null;
  const detail = e instanceof Error ? e.message : code;
  if (code.startsWith("SQLITE_NOTADB")) return new DataFileError(`${path} is not a SQLite database (${detail}); give another --data file, or remove this one to start fresh`);
  if (code.startsWith("SQLITE_CORRUPT")) return new DataFileError(damaged(path, [detail]));
  if (code.startsWith("SQLITE_READONLY")) return new DataFileError(`${path} is read-only (the file, its folder or the file system); the sandbox must write to its data file — make it writable, or copy it elsewhere`);
  if (code.startsWith("SQLITE_CANTOPEN")) return new DataFileError(`cannot open ${path} (${detail}); its folder must exist and be writable for this user, on a file system that is not read-only (SQLite keeps its -wal and -shm files next to it)`);
  if (code.startsWith("SQLITE_FULL")) return new DataFileError(`the disk holding ${path} is full; free some space and start again`);
  if (code.startsWith("SQLITE_IOERR")) return new DataFileError(`${path}: I/O error (${detail})`);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return new DataFileError(`${path} is locked by another program (${detail})`);
  return null;
}

/**
 * quick_check a large file without blocking requests: a worker with its own read-only
 * connection. `damage` resolves to the message for a damaged file, or null for a sound one; the
 * sandbox keeps serving meanwhile (reads of sound pages work, a failing write answers 503).
 */
/** `damage`: a message when damaged, null when sound, undefined when stopped before it finished. */
export function quickCheckInBackground(path: string): { damage: Promise<string | null | undefined>; stop(): void } {
  const source = `import { Database } from "bun:sqlite";
self.onmessage = (event) => {
  let rows;
  try {
    const db = new Database(event.data, { readonly: true });
    rows = db.query("PRAGMA quick_check").all().map((r) => r.quick_check);
    db.close();
  } catch (e) { rows = [String(e && e.message || e)]; }
  postMessage(rows);
};`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const worker = new Worker(url);
  (worker as unknown as { unref?: () => void }).unref?.();
  let settle: (message: string | null | undefined) => void = () => {};
  const damage = new Promise<string | null | undefined>((resolve) => { settle = resolve; });
  const stop = () => { worker.terminate(); URL.revokeObjectURL(url); settle(undefined); };
  worker.onmessage = (event: MessageEvent<string[]>) => {
    settle(event.data.length === 1 && event.data[0] === "ok" ? null : damaged(path, event.data));
    stop(); // settled already: a promise keeps its first value
  };
  worker.onerror = () => stop();
  worker.postMessage(path);
  return { damage, stop };
}

/**
 * WAL checkpoints mostly in a worker thread with a connection of its own (issue 16): with SQLite's
 * automatic checkpoint alone, the commit that pushed the WAL past 1 000 pages copied them all into
 * the database file and synced it, on the event loop — a prune of the oldest chain-log lines at a
 * few million lines stalled every request 300–450 ms that way. Once the WAL passes
 * WORKER_FROM_BYTES (a sandbox in use, not one idling: the worker's own VM is ~5 MB), a worker runs
 * a PASSIVE checkpoint (it waits for no reader or writer) every `everyMs`, so that what the main
 * connection's automatic checkpoint still finds to copy is what came in since. The automatic one
 * stays on: only a checkpoint right after a commit lets the next writer start the WAL from the
 * beginning, so without it a busy sandbox's WAL grew to 1 GB. On stop a last one.
 */
const WORKER_FROM_BYTES = 4 * 1024 * 1024;

export function checkpointInBackground(db: Database, path: string, everyMs = 200): { stop(): Promise<void> } {
  let worker: Worker | null = null;
  let url: string | null = null;
  let stopped: () => void = () => {};
  const start = () => {
    const source = `import { Database } from "bun:sqlite";
let db = null;
let timer = null;
self.onmessage = (event) => {
  if (event.data.stop) { clearInterval(timer); try { db?.exec("PRAGMA wal_checkpoint(PASSIVE)"); db?.close(); } catch {} postMessage("stopped"); return; }
  try { db = new Database(event.data.path); } catch (e) { postMessage("failed"); return; }
  timer = setInterval(() => { try { db.exec("PRAGMA wal_checkpoint(PASSIVE)"); } catch {} }, event.data.everyMs);
};`;
    url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
    try {
      worker = new Worker(url);
    } catch {
      return; // the automatic checkpoint does it all, as before
    }
    (worker as unknown as { unref?: () => void }).unref?.();
    worker.onmessage = (event: MessageEvent<string>) => { if (event.data === "stopped") stopped(); };
    worker.postMessage({ path, everyMs });
  };
  const watch = setInterval(() => {
    let size = 0;
    try { size = statSync(`${path}-wal`).size; } catch { /* no WAL yet */ }
    if (size < WORKER_FROM_BYTES) return;
    clearInterval(watch);
    start();
  }, 500);
  watch.unref?.();
  return {
    /** A last checkpoint and the worker's connection closed (at most 2 s), before the main connection closes. */
    async stop() {
      clearInterval(watch);
      const w = worker;
      worker = null;
      if (w) {
        await new Promise<void>((resolve) => {
          const timeout = setTimeout(resolve, 2_000);
          stopped = () => { clearTimeout(timeout); resolve(); };
          w.postMessage({ stop: true });
        });
        w.terminate();
      }
      if (url) URL.revokeObjectURL(url);
    },
  };
}

/** Apply every migration newer than the database, each in its own transaction. Returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = db.query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_migration").get()?.v ?? 0;
  const applied: number[] = [];
  let previous = 0;
  for (const m of migrations) {
    if (m.version <= previous) throw new Error(`migrations out of order at ${m.version} (${m.name})`);
    previous = m.version;
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.query("INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)")
        .run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}

/** Every table that holds sandbox data (all but the bookkeeping of migrations and the data-file lock), for reset. */
export function dataTables(db: Database): string[] {
  return db.query<{ name: string }, []>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_migration', 'sandbox_lock')",
  ).all().map((r) => r.name);
}

/**
 * The data tables in an order in which deleting their rows never violates a foreign key: every
 * table before the tables it references, derived from the schema (PRAGMA foreign_key_list), so a
 * new table with a reference cannot break a reset (issue 11). Throws on a reference cycle.
 */
export function tablesChildrenFirst(db: Database): string[] {
  const tables = dataTables(db);
  const references = new Map(tables.map((t) => [t, new Set(
    db.query<{ table: string }, []>(`PRAGMA foreign_key_list("${t.replaceAll('"', '""')}")`).all().map((r) => r.table).filter((p) => p !== t && tables.includes(p)),
  )]));
  const ordered: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    // A table is safe to empty once no table still to be emptied references it.
    const next = [...left].filter((t) => ![...left].some((other) => references.get(other)!.has(t)));
    if (next.length === 0) throw new Error(`the foreign keys of ${[...left].join(", ")} form a cycle; a reset cannot order them`);
    for (const t of next) { ordered.push(t); left.delete(t); }
  }
  return ordered;
}

/**
 * In a table numbered by `seq` (its integer primary key) in the order a `column` rises — a log's
 * time — the first `seq` whose value has `reached` the target: a binary search on the primary key
 * (about twenty lookups), whatever the table's size; one past the newest when none has (issue 16).
 * Table and column names come from the caller's code, never from a request.
 */
export function firstSeqReaching<T>(db: Database, table: string, column: string, reached: (value: T) => boolean): number {
  const bounds = db.query<{ low: number | null; high: number | null }, []>(
    // Two subqueries: SQLite answers a lone min() or max() from the primary key, both in one SELECT by a scan.
    `SELECT (SELECT min(seq) FROM ${table}) AS low, (SELECT max(seq) FROM ${table}) AS high`).get();
  if (!bounds || bounds.low === null || bounds.high === null) return 0;
  const at = db.query<{ seq: number; value: T }, [number]>(`SELECT seq, ${column} AS value FROM ${table} WHERE seq >= ? ORDER BY seq LIMIT 1`);
  let low = bounds.low;
  let high = bounds.high + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const row = at.get(mid);
    if (!row) { high = mid; continue; }
    if (reached(row.value)) high = mid; else low = row.seq + 1;
  }
  return low;
}

const epochs = new WeakMap<Database, number>();
/** How many resets emptied this database's data tables: what keeps figures of stored rows in memory compares it. */
export function dataEpoch(db: Database): number {
  return epochs.get(db) ?? 0;
}
/** Called by the seed after it emptied the data tables (a reset). */
export function dataWasReset(db: Database): void {
  epochs.set(db, dataEpoch(db) + 1);
}

const rollbackListeners = new WeakMap<Database, Set<() => void>>();

/**
 * Call `listener` whenever a transaction or savepoint of this connection rolls back (through
 * `transaction()`; the caller may catch the error and go on): what was read inside it may have
 * been rows that are gone now (FhirStore's derived caches forget what they read tentatively).
 */
export function onRollback(db: Database, listener: () => void): void {
  let listeners = rollbackListeners.get(db);
  if (!listeners) rollbackListeners.set(db, listeners = new Set());
  listeners.add(listener);
}

/** Whether this connection writes: only a writer's own writes call DerivedCache.changed, so only there may derived values be kept. */
export function keepsDerived(db: Database): boolean {
  return !(db instanceof CachingDatabase) || db.writable;
}
