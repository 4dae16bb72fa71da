/**
 * A preload for the sandbox under `bun run bench -- --profile` (table 12): every SQLite statement
 * the main thread runs is timed in the thread's own CPU time (CLOCK_THREAD_CPUTIME_ID through
 * bun:ffi; wall time where that is unavailable, and the table says so) and added up per SQL text.
 * SIGUSR2 writes what was added up since the last SIGUSR2, with the main thread's CPU time in that
 * span, to `<tmpdir>/medmij-statements-<pid>.json` and starts again. Not part of the sandbox: the
 * bench starts its child with `bun --preload bench/statement-profile.ts src/main.ts …`.
 */
import { Database } from "bun:sqlite";
import { renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StatementProfile {
  clock: "thread-cpu" | "wall";
  /** The main thread's CPU time (or wall time) over the span, ns. */
  spanNs: number;
  /** What one reading of the clock costs (measured at start): each statement's time holds about one, each call two. */
  clockNs: number;
  statements: { sql: string; calls: number; ns: number }[];
}

export const statementProfileFile = (pid: number) => join(tmpdir(), `medmij-statements-${pid}.json`);

function threadClock(): { clock: StatementProfile["clock"]; now: () => number } {
  try {
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen(process.platform === "linux" ? "libc.so.6" : "libc.dylib", { clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    const CLOCK_THREAD_CPUTIME_ID = 3;
    const spec = new BigInt64Array(2);
    const at = ptr(spec);
    if (libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, at) !== 0) throw new Error("no thread clock");
    return { clock: "thread-cpu", now: () => { libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, at); return Number(spec[0]) * 1e9 + Number(spec[1]); } };
  } catch {
    return { clock: "wall", now: () => Bun.nanoseconds() };
  }
}

if (Bun.isMainThread) {
  const { clock, now } = threadClock();
  const calibration = now();
  for (let i = 0; i < 10_000; i++) now();
  const clockNs = (now() - calibration) / 10_001;
  const totals = new Map<string, { calls: number; ns: number }>();
  let since = now();
  const add = (sql: string, ns: number) => {
    const t = totals.get(sql);
    if (t) { t.calls++; t.ns += ns; } else totals.set(sql, { calls: 1, ns });
  };
  const timed = <A extends unknown[], R>(sql: string, f: (...a: A) => R, self: unknown) => (...a: A): R => {
    const t = now();
    try { return f.apply(self, a); } finally { add(sql, now() - t); }
  };
  const proto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const prepare = proto.prepare!;
  proto.prepare = function (this: unknown, ...a: unknown[]) {
    const statement = prepare.apply(this, a) as Record<string, unknown>;
    const sql = String(a[0]).replace(/\s+/g, " ").trim();
    for (const method of ["run", "get", "all", "values"]) {
      const f = statement[method];
      if (typeof f === "function") statement[method] = timed(sql, f as (...x: unknown[]) => unknown, statement);
    }
    return statement;
  };
  for (const method of ["exec", "run"]) {
    const f = proto[method];
    if (typeof f === "function") proto[method] = function (this: unknown, sql: unknown, ...a: unknown[]) { return timed(String(sql).replace(/\s+/g, " ").trim(), f, this)(sql, ...a); };
  }
  process.on("SIGUSR2", () => {
    const at = now();
    // Each statement's time less the one reading of the clock inside it.
    const statements = [...totals].map(([sql, t]) => ({ sql, calls: t.calls, ns: Math.max(0, t.ns - t.calls * clockNs) })).sort((a, b) => b.ns - a.ns);
    const profile: StatementProfile = { clock, spanNs: at - since, clockNs, statements };
    totals.clear();
    since = at;
    const file = statementProfileFile(process.pid);
    writeFileSync(`${file}.tmp`, JSON.stringify(profile));
    renameSync(`${file}.tmp`, file);
  });
}
