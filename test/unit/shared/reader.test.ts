/**
 * The reader worker (shared/reader.ts, issue 16): reads that may wait for the disk run on a
 * connection of their own in another thread, so the event loop waits only for a message. A
 * database in memory has no other thread's connection: there they run here, after a yield.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChainLog } from "../../../src/shared/chain-log.ts";
import { openDatabase, type Database } from "../../../src/shared/db.ts";
import { readerOf, readerTuning, ReaderStopped, stopReader } from "../../../src/shared/reader.ts";
import { storageFailure } from "../../../src/shared/storage-error.ts";
import { ExchangeLog } from "../../../src/shared/exchange-log.ts";
import { startExpiryPruning } from "../../../src/shared/expiry.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0)) await c(); });

function fileDatabase(): Database {
  const dir = mkdtempSync(join(tmpdir(), "reader-"));
  const db = openDatabase(join(dir, "sandbox.db"));
  cleanup.push(async () => { await stopReader(db); db.close(); rmSync(dir, { recursive: true, force: true }); });
  return db;
}

describe("the reader worker", () => {
  test("reads in the worker what was committed; in memory here, after a yield", async () => {
    const db = fileDatabase();
    db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT)");
    db.query("INSERT INTO t (v) VALUES (?), (?)").run("a", "b");
    const reader = readerOf(db);
    expect(await reader.all<{ v: string }>("SELECT v FROM t ORDER BY seq", [])).toEqual([{ v: "a" }, { v: "b" }]);
    expect(reader.answered).toBe(1);
    // Its thread runs below the event loop's priority (Linux: nice 10), this one as it was.
    if (existsSync("/proc/self/task")) {
      const nice = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
      const here = nice(String(process.pid));
      expect(readdirSync("/proc/self/task").map(nice).some((n) => n >= Math.max(10, here) && (here >= 10 || n > here))).toBe(true);
    }
    // A write this thread committed is seen by the next read there.
    db.query("INSERT INTO t (v) VALUES (?)").run("c");
    expect((await reader.all<{ n: number }>("SELECT count(*) AS n FROM t"))[0]!.n).toBe(3);
    // A query it cannot run is the caller's error, read here again (the same error as without a worker).
    const failed = await reader.all("SELECT nope FROM t").then(() => null, (e: Error) => e);
    expect(failed?.message).toContain("no such column");

    const memory = openDatabase(":memory:");
    memory.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('m')");
    const here = readerOf(memory);
    let yielded = false;
    setImmediate(() => { yielded = true; });
    expect(await here.all<{ v: string }>("SELECT v FROM t")).toEqual([{ v: "m" }]);
    expect(yielded).toBe(true);
    expect(here.answered).toBe(0);
    expect(here.call({ kind: "all", sql: "SELECT 1", params: [] })).toBeNull();
  });

  test("a worker stopped mid-read: the read is made here; the next one starts a worker again", async () => {
    const db = fileDatabase();
    db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT)");
    db.query("INSERT INTO t (v) VALUES ('x')").run();
    const reader = readerOf(db);
    const pending = reader.all<{ v: string }>("SELECT v FROM t");
    reader.stop();
    expect(await pending).toEqual([{ v: "x" }]);
    const before = reader.answered;
    expect(await reader.all<{ v: string }>("SELECT v FROM t")).toEqual([{ v: "x" }]);
    expect(reader.answered).toBe(before + 1);
  });

  test("the retention deletes run in the worker on a writing connection of its own; a worker that fails leaves them here", async () => {
    const db = fileDatabase();
    const chain = new ChainLog(db, { keepLines: 10, keepHours: 0 });
    for (let i = 0; i < 500; i++) chain.write({ type: "send_test", location: "pgo.localhost", traceId: `t-${i}` });
    chain.flush();
    const reader = readerOf(db);
    const before = reader.answered;
    chain.startPruning();
    for (let i = 0; i < 100 && (await chain.stats()).lines > 10; i++) await Bun.sleep(20);
    chain.stop();
    expect((await chain.stats()).lines).toBe(10);
    expect(reader.answered - before).toBeGreaterThanOrEqual(1);
    // This thread writes on at once after them (the worker's transactions are over); the expiry's deletes too, each table's: an expired ticket goes, a valid one stays.
    db.query("INSERT INTO sandbox_used_ticket (nonce, expires_at) VALUES ('old', 1), ('new', ?)").run(Date.now() + 3_600_000);
    // Only a table with expired rows is sent to the worker (an idle sandbox does not start it every minute).
    const before2 = reader.answered;
    const tickets = () => db.query<{ nonce: string }, []>("SELECT nonce FROM sandbox_used_ticket ORDER BY nonce").all();
    const expiry = startExpiryPruning(db, 1);
    for (let i = 0; i < 100 && tickets().length > 1; i++) await Bun.sleep(10);
    await Bun.sleep(20);
    expiry.stop();
    expect(tickets()).toEqual([{ nonce: "new" }]);
    expect(reader.answered - before2).toBe(1);
    // A delete the worker cannot run is made here (the same result, or the same error).
    expect(await reader.deleteRows("DELETE FROM sandbox_used_ticket WHERE nonce = ?", ["new"])).toBe(1);
  });

  test("closed when idle and when the sandbox stops: after what it was sent, between two messages, its connections with it", async () => {
    const db = fileDatabase();
    const path = db.filename;
    // The file descriptors of this process open on the data file (SQLite keeps a closed connection's
    // for the next one while another holds locks on the file: they may stay, but never grow).
    const open = () => existsSync("/proc/self/fd")
      ? readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path); } catch { return false; } }).length : 0;
    const write = (nonce: string) => db.query("INSERT INTO sandbox_used_ticket (nonce, expires_at) VALUES (?, 1)").run(nonce);
    const saved = { ...readerTuning };
    readerTuning.idleMs = 30;
    db.exec("PRAGMA busy_timeout = 0"); // a lock the worker left would fail a write here at once
    try {
      const reader = readerOf(db);
      const cycles: number[] = [];
      for (let i = 0; i < 3; i++) {
        write(`a${i}`);
        expect(await reader.deleteRows("DELETE FROM sandbox_used_ticket WHERE nonce = ?", [`a${i}`])).toBe(1);
        await Bun.sleep(200); // idle: closed
        expect(() => write(`idle${i}`)).not.toThrow();
        cycles.push(open());
      }
      expect(cycles[2]).toBeLessThanOrEqual(cycles[0]!);
      // Closed as the sandbox stops right after a delete was sent: it answers that first.
      write("b");
      const last = reader.deleteRows("DELETE FROM sandbox_used_ticket WHERE nonce = ?", ["b"]);
      await stopReader(db);
      expect(await last).toBe(1);
      expect(() => write("after")).not.toThrow();
    } finally {
      Object.assign(readerTuning, saved);
    }
  });

  test("a read still running when the sandbox stops is cut off with a 503, never made again here on the closing connection", async () => {
    const db = fileDatabase();
    const reader = readerOf(db);
    const long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000) SELECT count(*) AS c FROM n";
    const started = performance.now();
    const cut = reader.all<{ c: number }>(long).then(() => null, (e: unknown) => e);
    await Bun.sleep(50);
    await reader.close(50);
    const error = await cut;
    expect(error).toBeInstanceOf(ReaderStopped);
    expect(performance.now() - started).toBeLessThan(2_000); // not counted to the end here
    expect(storageFailure(error)).toMatchObject({ status: 503, code: "SANDBOX_STOPPING" });
    // Closed for good: what comes after is a ReaderStopped too (the database is about to close), not a read here.
    expect(await reader.all("SELECT 1 AS v").then(() => null, (e: unknown) => e)).toBeInstanceOf(ReaderStopped);
  });

  test("a read that starts while the sandbox stops, or after, is a ReaderStopped: no new worker outlives the database, no read on its closing connection", async () => {
    const db = fileDatabase();
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')");
    const reader = readerOf(db);
    expect(await reader.all<{ v: string }>("SELECT v FROM t")).toEqual([{ v: "x" }]);
    const stopping = stopReader(db);
    // During the stop the same reader answers (a fresh one would start a worker nobody stops).
    expect(readerOf(db)).toBe(reader);
    const during = readerOf(db).all("SELECT v FROM t").then(() => null, (e: unknown) => e);
    await stopping;
    expect(await during).toBeInstanceOf(ReaderStopped);
    db.close();
    // After the database closed: the same, never "Cannot use a closed database" (a 500).
    for (const read of [readerOf(db).all("SELECT v FROM t"), readerOf(db).deleteRows("DELETE FROM t", []), readerOf(db).call({ kind: "all", sql: "SELECT 1", params: [] })!]) {
      expect(await read.then(() => null, (e: unknown) => e)).toBeInstanceOf(ReaderStopped);
    }
    // A database in memory, stopped: the same.
    const memory = openDatabase(":memory:");
    await stopReader(memory);
    expect(await readerOf(memory).all("SELECT 1").then(() => null, (e: unknown) => e)).toBeInstanceOf(ReaderStopped);
    memory.close();
  });

});
