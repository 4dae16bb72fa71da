import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataTables, migrate, openDatabase } from "../../../src/shared/db.ts";
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
