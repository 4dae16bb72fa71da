/**
 * One sandbox per data file (issue 11): a second process on the same file would rewrite the
 * first's module Endpoints to its own port and both would number chain-log lines alike. The
 * holder is a row in the file itself — pid, port, start time — claimed in one IMMEDIATE
 * transaction. A kill -9 cannot leave it stuck: a claim counts only while its process exists
 * (`process.kill(pid, 0)`) and its port takes connections, which a sandbox's does from before it
 * claims until it releases (a recycled pid without that port is stale). An OS file lock (flock) would need FFI in Bun, and SQLite's exclusive
 * locking mode would shut out every reader (the sqlite3 shell, `bun run seed`) without saying who
 * holds the file. `:memory:` is never locked.
 */
import type { Database } from "bun:sqlite";
import { randomToken } from "./crypto.ts";

export class DataFileInUse extends Error {
  override name = "DataFileInUse";
  constructor(readonly holder: Holder) {
    super(`this data file is in use by the sandbox on port ${holder.port} (pid ${holder.pid}, started ${holder.started_at}); stop that one first, or give this one another --data file`);
  }
}

interface Holder { pid: number; port: number; started_at: string; token: string }

/** How long the port of a live pid may take to answer before the claim counts as stale. */
const PROBE_MS = 1500;

/** Claim the file for this process on `port`; returns the release function. Throws DataFileInUse. */
export async function claimDataFile(db: Database, port: number): Promise<() => void> {
  db.exec(`CREATE TABLE IF NOT EXISTS sandbox_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, port INTEGER NOT NULL, started_at TEXT NOT NULL, token TEXT NOT NULL)`);
  const read = db.query<Holder, []>("SELECT pid, port, started_at, token FROM sandbox_lock WHERE id = 1");
  const seen = read.get();
  if (seen && await holds(seen)) throw new DataFileInUse(seen);
  const token = randomToken();
  db.transaction(() => {
    // Whoever claimed since we looked is alive: it claimed after listening, moments ago.
    const now = read.get();
    if (now && now.token !== seen?.token) throw new DataFileInUse(now);
    db.query("INSERT OR REPLACE INTO sandbox_lock (id, pid, port, started_at, token) VALUES (1, ?, ?, ?, ?)")
      .run(process.pid, port, new Date().toISOString(), token);
  }).immediate();
  return () => {
    try { db.query("DELETE FROM sandbox_lock WHERE token = ?").run(token); } catch { /* a full or read-only disk: the next start sees a dead pid */ }
  };
}

/** A claim holds while its process exists and its port takes HTTP connections. */
async function holds(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    await fetch(`http://127.0.0.1:${holder.port}/health`, { signal: AbortSignal.timeout(PROBE_MS), redirect: "manual" });
    return true;
  } catch (e) {
    // A port that accepts but does not answer in time is a sandbox busy seeding; refused is nobody.
    return (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError";
  }
}

/** The sandbox that holds this file now, if one does (for tools that must not write under it, such as `bun run seed`). */
export async function liveHolder(db: Database): Promise<Holder | null> {
  const exists = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sandbox_lock'").get();
  const holder = exists ? db.query<Holder, []>("SELECT pid, port, started_at, token FROM sandbox_lock WHERE id = 1").get() : null;
  return holder && await holds(holder) ? holder : null;
}

