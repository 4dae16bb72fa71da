import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { checkpointInBackground, dataTables, migrate, onRollback, openDatabase, openReader, openWriter, PAGE_SIZE } from "../../../src/shared/db.ts";
import { MIGRATIONS } from "../../../src/shared/migrations.ts";

describe("database", () => {
  test("in memory: every migration applied once, in order", () => {
    const db = openDatabase(":memory:");
    const versions = db.query<{ version: number }, []>("SELECT version FROM schema_migration ORDER BY version").all().map((r) => r.version);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
    expect(dataTables(db)).toContain("fhir_resource");
    expect(dataTables(db)).not.toContain("schema_migration");
  });

  test("a file: WAL, foreign keys, busy timeout; reopening applies only new migrations", () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-db-"));
    try {
      const path = join(dir, "nested", "s.db");
      let db = openDatabase(path);
      expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
      expect(db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()!.foreign_keys).toBe(1);
      expect(db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()!.timeout).toBe(5000);
      db.close();
      const extra = [...MIGRATIONS, { version: 999, name: "test table", sql: "CREATE TABLE test_extra (x INTEGER)" }];
      db = openDatabase(path, extra);
      expect(db.query("SELECT name FROM schema_migration WHERE version = 999").get()).toEqual({ name: "test table" });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a new file has pages of 8 KB; a file made with 4 KB pages keeps them, and opens as before", () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-db-"));
    try {
      const fresh = openDatabase(join(dir, "new.db"));
      expect(fresh.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size).toBe(PAGE_SIZE);
      fresh.close();
      const oldPath = join(dir, "old.db");
      const old = new Database(oldPath);
      old.exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
      old.close();
      const reopened = openDatabase(oldPath);
      expect(reopened.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size).toBe(4096);
      expect(reopened.query<{ n: number }, []>("SELECT count(*) AS n FROM schema_migration").get()!.n).toBe(MIGRATIONS.length);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failing migration leaves no trace", () => {
    const db = openDatabase(":memory:");
    const bad = [...MIGRATIONS, { version: 1000, name: "broken", sql: "CREATE TABLE half (x INTEGER); THIS IS NOT SQL" }];
    expect(() => migrate(db, bad)).toThrow();
    expect(db.query("SELECT 1 FROM schema_migration WHERE version = 1000").get()).toBeNull();
    expect(db.query("SELECT 1 FROM sqlite_master WHERE name = 'half'").get()).toBeNull();
  });

  test("out-of-order migrations are refused", () => {
    const db = openDatabase(":memory:");
    expect(() => migrate(db, [MIGRATIONS[1]!, MIGRATIONS[0]!])).toThrow(/out of order/);
  });
});

describe("rollback listeners (what was read inside a rolled-back transaction may be gone)", () => {
  test("told of every rollback through transaction(): a savepoint caught inside, a savepoint that ends its outer, an outer one; never of a commit", () => {
    const db = openDatabase(":memory:");
    db.exec("CREATE TABLE t (x INTEGER)");
    let told = 0;
    onRollback(db, () => told++);
    db.transaction(() => db.exec("INSERT INTO t VALUES (1)"))();
    expect(told).toBe(0);
    db.transaction(() => {
      try { db.transaction(() => { db.exec("INSERT INTO t VALUES (2)"); throw new Error("inner"); })(); } catch { /* goes on */ }
      db.exec("INSERT INTO t VALUES (3)");
    })();
    expect(told).toBe(1);
    expect(db.query("SELECT x FROM t ORDER BY x").values()).toEqual([[1], [3]]);
    expect(() => db.transaction(() => { db.transaction(() => { throw new Error("both"); })(); })()).toThrow("both");
    expect(told).toBe(3);
    expect(() => db.transaction(() => { throw new Error("deferred"); }).deferred()).toThrow("deferred");
    expect(told).toBe(4);
    // Another connection's listeners hear nothing of this one's.
    const other = openDatabase(":memory:");
    let otherTold = 0;
    onRollback(other, () => otherTold++);
    expect(() => db.transaction(() => { throw new Error("x"); })()).toThrow("x");
    expect(otherTold).toBe(0);
    db.close();
    other.close();
  });
});

describe("statement cache (issue 16)", () => {
  test("every statement the sandbox runs stays prepared: bun:sqlite's query() keeps 20, the sandbox runs hundreds", () => {
    const db = openDatabase(":memory:");
    const sqls = Array.from({ length: 300 }, (_, i) => `SELECT ${i} AS v`);
    const first = sqls.map((s) => db.query<{ v: number }, []>(s));
    const again = sqls.map((s) => db.query<{ v: number }, []>(s));
    expect(again.every((q, i) => q === first[i])).toBe(true);
    expect(again[123]!.get()!.v).toBe(123);
    db.close();
  });
});

describe("WAL checkpoints off the event loop (issue 16)", () => {
  test("once the WAL is large a worker checkpoints it (the main connection's automatic checkpoint stays on), and stops cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "checkpoint-"));
    try {
      const path = join(dir, "s.db");
      const db = openDatabase(path);
      const checkpoints = checkpointInBackground(db, path, 50);
      expect(db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint).toBe(1000);
      // Here the main connection leaves it to the worker, so that the worker's work shows.
      db.exec("PRAGMA wal_autocheckpoint = 0");
      db.exec("CREATE TABLE t (x TEXT)");
      const before = statSync(path).size;
      const insert = db.query("INSERT INTO t (x) VALUES (?)");
      db.transaction(() => { for (let i = 0; i < 6_000; i++) insert.run("x".repeat(1_000)); })();
      // Written to the WAL only: the database file has not grown.
      expect(statSync(path).size).toBeLessThan(before + 1024 * 1024);
      const deadline = Date.now() + 5_000;
      while (statSync(path).size < before + 5 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(50);
      expect(statSync(path).size).toBeGreaterThan(before + 5 * 1024 * 1024);
      await checkpoints.stop();
      db.close();
      const again = openDatabase(path);
      expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()!.n).toBe(6_000);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("two writing connections on one file (the reader worker's deletes, issue 16)", () => {
  test("a transaction that reads before it writes takes the write lock at BEGIN: another connection's commit in between cannot fail it (SQLITE_BUSY_SNAPSHOT)", () => {
    const dir = mkdtempSync(join(tmpdir(), "db-writers-"));
    try {
      const path = join(dir, "s.db");
      const db = openDatabase(path);
      db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT)");
      db.query("INSERT INTO t (v) VALUES ('a'), ('old')").run();
      const other = openWriter(path);
      other.exec("PRAGMA busy_timeout = 0");
      const otherWrote: string[] = [];
      const readThenWrite = db.transaction(() => {
        const n = db.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()!.n;
        // The reader worker's prune commits here, between this transaction's read and its write.
        try { other.query("DELETE FROM t WHERE v = 'old'").run(); otherWrote.push("committed"); } catch (e) { otherWrote.push((e as { code?: string }).code ?? String(e)); }
        db.query("INSERT INTO t (v) VALUES (?)").run(`after ${n}`);
      });
      expect(() => readThenWrite()).not.toThrow();
      // The other connection waited for the lock instead (here: busy_timeout 0, so it was told at once; the worker's waits 5 s).
      expect(otherWrote).toEqual(["SQLITE_BUSY"]);
      expect(db.query<{ v: string }, []>("SELECT v FROM t ORDER BY seq").all().map((r) => r.v)).toEqual(["a", "old", "after 2"]);
      // Its variants stay: .deferred, .immediate, .exclusive.
      const tx = db.transaction(() => db.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()!.n);
      expect([tx.deferred(), tx.immediate(), tx.exclusive()]).toEqual([3, 3, 3]);
      // Nested, it is a savepoint as before; a read-only connection's transactions stay deferred (it cannot take the write lock).
      expect(() => db.transaction(() => db.transaction(() => db.query("INSERT INTO t (v) VALUES ('nested')").run())())()).not.toThrow();
      const reading = openReader(path);
      expect(reading.transaction(() => reading.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()!.n)()).toBe(4);
      reading.close();
      other.close();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
