/**
 * One SQLite file for the whole sandbox (SPEC §1): WAL so that kill -9 loses no committed write
 * (SPEC §11), foreign keys on, a busy timeout for concurrent writers, versioned migrations.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS, type Migration } from "./migrations.ts";

export type { Database };

export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db, migrations);
  return db;
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

/** Every table that holds sandbox data (all but the migration bookkeeping), for reset. */
export function dataTables(db: Database): string[] {
  return db.query<{ name: string }, []>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migration'",
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

