/**
 * The DVA's FHIR resource store: per DVA, the current version of each resource, every version
 * ever written (FHIR R4 http.html#vread, #history), and search index rows kept in step with each
 * write in one transaction. Designed for 100 000 Tasks: a patient's Tasks are one index range
 * (fhir_resource_patient), token searches use fhir_search_token_value.
 */
import type { Database, Statement } from "bun:sqlite";
import { dataEpoch, keepsDerived, onRollback } from "../../shared/db.ts";
import { INDEX_VERSION, indexEntries, type IndexEntries, type Resource, type TokenEntry } from "./search-index.ts";

export type { Resource };

/** A current resource without its JSON. */
export interface Head { id: string; versionId: number; lastUpdated: string }
/** The same with its row's number (fhir_resource.rid), by which its index rows are read (tokensOfMany). */
export interface RowHead extends Head { rid: number }
/** The order of a walk (FhirStore.walk): a search's _sort, or last updated ascending by default. */
export interface WalkOrder { key: "_lastUpdated" | "period"; descending: boolean }
/** Where a walk stands: the sort key (null: among those without one) and id of the last head read. */
export interface WalkPosition { key: string | null; id: string }
export interface WalkHead extends RowHead { key: string | null }

/**
 * The counts a search decides by (countUpTo, countTokenUpTo), as SQL for a reader that is not this
 * store's (rest.ts asks the reader worker: on a cold disk they are index pages to read).
 * Parameters: dva, type, limit; dva, type, param, the values as a JSON array, limit.
 */
export const COUNT_UP_TO = "SELECT count(*) AS n FROM (SELECT 1 FROM fhir_resource INDEXED BY fhir_resource_updated WHERE dva = ? AND type = ? LIMIT ?)";
export const COUNT_TOKEN_UP_TO = `SELECT count(*) AS n FROM (SELECT 1 FROM fhir_token
  WHERE k IN (SELECT id FROM fhir_token_param WHERE dva = ? AND type = ? AND param = ?)
    AND v IN (SELECT id FROM fhir_token_value WHERE value IN (SELECT value FROM json_each(?))) LIMIT ?)`;

/**
 * Search tokens are numbers (migration 23): `k` the parameter with its DVA, type and system
 * (fhir_token_param), `v` the value (fhir_token_value), `r` the resource's row. Searches name a
 * parameter's numbers (whatever the system) and their values' numbers as subqueries, so they never
 * depend on what is kept in memory.
 */
const KEYS_OF = (param: string) => `SELECT id FROM fhir_token_param WHERE dva = ?1 AND type = ?2 AND param = ${param}`;
const VALUES_IN = (json: string) => `SELECT id FROM fhir_token_value WHERE value IN (SELECT value FROM json_each(${json}))`;
/** Only the index rows of these parameters (?4, a JSON list of names), in a statement whose ?2 and ?3 are the DVA and type. */
const ONLY_PARAMS = " AND t.k IN (SELECT id FROM fhir_token_param WHERE dva = ?2 AND type = ?3 AND param IN (SELECT value FROM json_each(?4)))";

interface TokenParam { param: string; system: string | null }

/**
 * The parameter dictionary (fhir_token_param) in memory, per database: a write numbers its tokens'
 * parameters without a query, a read names them without making the same strings again. Its rows
 * are never deleted — a reset keeps them (seed.ts keptOnReset) — and their numbers never change
 * (INTEGER PRIMARY KEY), so a committed row stays right for the file's life. What is kept is only
 * what is committed: the rows this connection added itself are `unconfirmed` until a read outside
 * a transaction finds them (their transaction may yet roll back: a write that fails, a seed that
 * fails). Any other row this connection can see is committed — also inside a transaction, and
 * always on the reader worker's read-only connection.
 */
class TokenParams {
  private readonly numbers = new Map<string, number>();
  private readonly params = new Map<number, TokenParam>();
  private readonly unconfirmed = new Set<number>();
  private readonly q: {
    all: Statement<TokenParam & { id: number; dva: string; type: string }, []>;
    one: Statement<TokenParam & { id: number }, [number]>;
    find: Statement<{ id: number }, [string, string, string, string]>;
    insert: Statement<{ id: number }, [string, string, string, string]>;
  };

  constructor(private readonly db: Database) {
    this.q = {
      all: db.query("SELECT id, dva, type, param, nullif(system, '') AS system FROM fhir_token_param"),
      one: db.query("SELECT id, param, nullif(system, '') AS system FROM fhir_token_param WHERE id = ?"),
      find: db.query("SELECT id FROM fhir_token_param WHERE dva = ? AND type = ? AND param = ? AND system = ?"),
      insert: db.query("INSERT INTO fhir_token_param (dva, type, param, system) VALUES (?, ?, ?, ?) RETURNING id"),
    };
    this.reload();
  }

  private static name(dva: string, type: string, param: string, system: string | null): string {
    return `${dva}\t${type}\t${param}\t${system ?? ""}`;
  }

  /** Keep every committed row (outside a transaction every row is: what this connection added is then confirmed or gone). */
  private reload(): void {
    const settled = !this.db.inTransaction;
    for (const r of this.q.all.all()) {
      if (!settled && this.unconfirmed.has(r.id)) continue;
      this.numbers.set(TokenParams.name(r.dva, r.type, r.param, r.system), r.id);
      this.params.set(r.id, { param: r.param, system: r.system });
    }
    if (settled) this.unconfirmed.clear();
  }

  /** The number of a parameter with this system, added when it is new (a write's token). */
  numberOf(dva: string, type: string, param: string, system: string | null): number {
    const name = TokenParams.name(dva, type, param, system);
    const known = this.numbers.get(name);
    if (known !== undefined) return known;
    const found = this.q.find.get(dva, type, param, system ?? "")?.id;
    if (found !== undefined) {
      if (!this.unconfirmed.has(found)) this.keep(name, found, param, system);
      return found;
    }
    const added = this.q.insert.get(dva, type, param, system ?? "")!.id;
    if (this.db.inTransaction) this.unconfirmed.add(added); else this.keep(name, added, param, system);
    return added;
  }

  private keep(name: string, id: number, param: string, system: string | null): void {
    this.numbers.set(name, id);
    this.params.set(id, { param, system });
  }

  /** A token row as TokenEntry: its parameter's number named, its value. */
  entry(k: number, value: string): TokenEntry {
    const { param, system } = this.paramOf(k);
    return { param, system, value };
  }

  /** What a token row's number stands for. */
  private paramOf(k: number): TokenParam {
    let known = this.params.get(k);
    if (known) return known;
    this.reload();
    known = this.params.get(k);
    if (known) return known;
    const row = this.q.one.get(k); // one this connection added in the transaction still open
    if (!row) throw new Error(`search token parameter ${k} is not in fhir_token_param`);
    return { param: row.param, system: row.system };
  }
}

const tokenParams = new WeakMap<Database, TokenParams>();
function tokenParamsOf(db: Database): TokenParams {
  let params = tokenParams.get(db);
  if (!params) tokenParams.set(db, params = new TokenParams(db));
  return params;
}

export interface StoredResource {
  resource: Resource;
  versionId: number;
  lastUpdated: string;
  /** The stored JSON text of `resource`, when it came from the store (served as is: no second serialisation). */
  json?: string;
}

export class VersionConflictError extends Error {
  override name = "VersionConflictError";
  constructor(readonly expected: number, readonly actual: number | null) {
    super(`expected version ${expected}, current is ${actual ?? "none"}`);
  }
}

export const ID_PATTERN = /^[A-Za-z0-9.-]{1,64}$/;

type Row = { json: string; version_id: number; last_updated: string };

/**
 * Bumped on every write of any FhirStore in this process (all writers live here): what was
 * derived from stored resources (who owns what, access.ts) is valid while it stays the same.
 */
let writeGeneration = 0;
export const fhirGeneration = (): number => writeGeneration;
/** The same for writes of Organizations only (a zorgaanbieder's Organizations, found by AGB). */
let organizationGeneration = 0;
export const organizationsGeneration = (): number => organizationGeneration;

/**
 * Values derived from stored resources and kept in memory (who owns what, access.ts), per
 * database, each with the rows it was read from: `${dva} ${type}/${id}` for a resource's rows
 * (its index entries and registrations), `${dva} ?${type}` for a query over a type. A write drops
 * exactly the values that read what it changed, so a stream of Task writes keeps the
 * organisations of the Patients, PractitionerRoles and ActivityDefinitions they refer to (it
 * dropped them all on every write, a quarter of a write's CPU: issue 16). A value is kept only
 * when read outside a transaction, i.e. from committed rows: a rolled-back write leaves none
 * behind; a reset (dataEpoch) drops all.
 */
export class DerivedCache<V> {
  private readonly values = new Map<string, V>();
  /** dependency → the keys read from it, and key → its dependencies (to take a dropped key out of every set it is in). */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly depsOf = new Map<string, readonly string[]>();
  /** During grouped writes (FhirStore.grouped): values read inside their transaction, kept once it commits. */
  private tentative: Map<string, { value: V; deps: string[] }> | null = null;
  private epoch = -1;
  private readonly keeps: boolean;
  /** What is kept, weighed (`weigh`: 1 a value unless told otherwise, so `max` is how many); past `max` the cache starts again. */
  private weight = 0;
  constructor(private readonly db: Database, private readonly max = 50_000, private readonly weigh: (value: V) => number = () => 1) { this.keeps = keepsDerived(db); }

  get(key: string): V | undefined {
    if (this.epoch !== dataEpoch(this.db)) { this.clear(); this.epoch = dataEpoch(this.db); }
    return this.values.get(key) ?? this.tentative?.get(key)?.value;
  }

  /** Keep `value`, read from the rows `deps` — unless a transaction is open (its rows may yet roll back): then only as tentative. */
  set(key: string, value: V, deps: Iterable<string>): void {
    // A read-only connection (the reader worker's) is told of no write and of no reset: it keeps nothing.
    if (!this.keeps) return;
    if (this.db.inTransaction) {
      this.tentative?.set(key, { value, deps: [...deps] });
      return;
    }
    this.keep(key, value, deps);
  }

  private keep(key: string, value: V, deps: Iterable<string>): void {
    this.drop(key);
    const weight = this.weigh(value);
    if (this.weight + weight > this.max) this.clear();
    const list = [...new Set(deps)];
    this.values.set(key, value);
    this.weight += weight;
    this.depsOf.set(key, list);
    for (const dep of list) {
      let keys = this.dependents.get(dep);
      if (!keys) this.dependents.set(dep, keys = new Set());
      keys.add(key);
    }
  }

  private drop(key: string): void {
    const deps = this.depsOf.get(key);
    if (!deps) return;
    this.weight -= this.weigh(this.values.get(key)!);
    this.values.delete(key);
    this.depsOf.delete(key);
    for (const dep of deps) {
      const keys = this.dependents.get(dep);
      keys?.delete(key);
      if (keys?.size === 0) this.dependents.delete(dep);
    }
  }

  /** Rows of `dep` changed: drop what was read from them. */
  changed(dep: string): void {
    if (this.tentative) for (const [key, t] of this.tentative) if (t.deps.includes(dep)) this.tentative.delete(key);
    const keys = this.dependents.get(dep);
    if (keys) for (const key of [...keys]) this.drop(key);
  }

  /** How many dependency entries are kept (bounded by the values kept; tests). */
  get dependencyEntries(): number {
    let n = 0;
    for (const keys of this.dependents.values()) n += keys.size;
    return n;
  }

  /** Grouped writes begin: what is read in their transaction is kept as tentative. */
  beginTentative(): void { this.tentative = new Map(); }
  /** Their transaction committed: keep what was read in it (and not changed since). */
  keepTentative(): void {
    const kept = this.tentative;
    this.tentative = null;
    if (kept) for (const [key, t] of kept) this.keep(key, t.value, t.deps);
  }
  /** Some of it rolled back: forget what was read in it (it may have read a write that is gone). */
  discardTentative(): void { this.tentative?.clear(); }
  endTentative(): void { this.tentative = null; }

  clear(): void {
    this.weight = 0;
    this.values.clear();
    this.dependents.clear();
    this.depsOf.clear();
    this.tentative?.clear();
  }

  get size(): number { return this.values.size; }
  /** What is kept, weighed (tests: the bound). */
  get weighed(): number { return this.weight; }
}

/** The dependency a resource's own rows are in the derived caches: FhirStore.changed drops what was read from them. */
export const rowsOf = (dva: string, type: string, id: string) => `${dva} ${type}/${id}`;
/** The dependency of what was read by a query over every resource of a type (a new one of that type changes it). */
export const typeRowsOf = (dva: string, type: string) => `${dva} ?${type}`;

/** Whether a resource exists, and its patient compartment: what a write's reference checks read (FhirStore.compartmentOf). */
interface Compartment { exists: boolean; patient: string | null }
const ABSENT: Compartment = Object.freeze({ exists: false, patient: null });

/**
 * The values a database's FHIR rows are derived into, each a DerivedCache with the same rules:
 * the organisations of a resource (access.ts storedOrganisations), the references a resource's
 * parameter holds (access.ts storedRefs: a Task write's ownership check reads its requester's
 * PractitionerRole every time), whether a resource exists with its compartment (every write
 * looked up each reference it holds twice: its validation and its ownership check) and a
 * resource's index rows of a collection's parameters (FhirStore.keptTokensOf: a PGO's collection
 * matches and includes on them).
 * Apart, so that no one's bound empties another.
 */
class DerivedCaches {
  readonly organisations: DerivedCache<string[]>;
  readonly refs: DerivedCache<string[]>;
  readonly compartments: DerivedCache<Compartment>;
  readonly tokens: DerivedCache<readonly TokenEntry[]>;
  private readonly all: readonly Pick<DerivedCache<never>, "changed" | "beginTentative" | "keepTentative" | "discardTentative" | "endTentative">[];
  constructor(db: Database) {
    this.organisations = new DerivedCache(db);
    this.refs = new DerivedCache(db);
    this.compartments = new DerivedCache(db);
    this.tokens = new DerivedCache<readonly TokenEntry[]>(db, TOKEN_BYTES_KEPT, keptTokenBytes);
    this.all = [this.organisations, this.refs, this.compartments, this.tokens];
    // A savepoint of a grouped write that rolled back while the write went on (it caught the error):
    // what was read inside it is not kept when the group commits.
    onRollback(db, () => this.discardTentative());
  }
  changed(dep: string): void { for (const c of this.all) c.changed(dep); }
  beginTentative(): void { for (const c of this.all) c.beginTentative(); }
  keepTentative(): void { for (const c of this.all) c.keepTentative(); }
  discardTentative(): void { for (const c of this.all) c.discardTentative(); }
  endTentative(): void { for (const c of this.all) c.endTentative(); }
}

/**
 * How much the index rows kept for collections may take (DerivedCaches.tokens,
 * FhirStore.keptTokensOf), each entry weighed at what it takes of the heap (measured: ~1 KB an
 * entry with its key and dependency, ~120 B a row; a Task of the PGO's collection, 4 rows, ~1.5
 * KB): 8 MB, ~5 000 Tasks, ~500 patients' task lists; past it the cache starts again.
 */
export const TOKEN_BYTES_KEPT = 8 * 1024 * 1024;
/** What a kept entry of these rows takes of the heap, about (its weight in DerivedCaches.tokens). */
export const keptTokenBytes = (rows: readonly unknown[]): number => 1_000 + 120 * rows.length;
/** A resource with more index rows of a collection's parameters than this is read every time, never kept. */
export const KEPT_ROWS_OF_ONE = 64;

const derivedCaches = new WeakMap<Database, DerivedCaches>();
function derivedOf(db: Database): DerivedCaches {
  let caches = derivedCaches.get(db);
  if (!caches) derivedCaches.set(db, caches = new DerivedCaches(db));
  return caches;
}

/**
 * FHIR writes waiting for the end of the event-loop turn, per database (FhirStore.grouped): run
 * then one after another, each in a savepoint of its own, in one transaction — one commit for the
 * writes of concurrent requests (a commit per write was a third of a Task write's CPU: the same
 * hot index pages written again for every Task; issue 16). The batch runs synchronously, so no
 * other request's statement joins its transaction or reads what it has not committed yet; a
 * write's request is answered once the commit is done, so an answered write survives a kill -9.
 */
interface GroupedWrite { run: () => unknown; resolve: (value: unknown) => void; reject: (e: unknown) => void }
const groupedWrites = new WeakMap<Database, { writes: GroupedWrite[]; scheduled: boolean }>();

/** Run the waiting FHIR writes of this database now (before a reset and before it closes; otherwise at the end of the turn). */
export function flushFhirWrites(db: Database): void {
  const group = groupedWrites.get(db);
  if (!group || group.writes.length === 0) return;
  const writes = group.writes;
  group.writes = [];
  let inTransaction: boolean;
  try {
    inTransaction = db.inTransaction;
  } catch (error) {
    // The database closed meanwhile (a request still in flight when the sandbox stopped): each write gets the error.
    for (const w of writes) w.reject(error);
    return;
  }
  // Not inside another's transaction (the turn's end is outside any; a flush from inside one runs each write in it as before).
  if (inTransaction) {
    for (const w of writes) { try { w.resolve(db.transaction(w.run)()); } catch (e) { w.reject(e); } }
    return;
  }
  const cache = derivedOf(db);
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  cache.beginTentative();
  try {
    db.run("BEGIN IMMEDIATE"); // the write lock first: see CachingDatabase.transaction (shared/db.ts)
    for (const w of writes) {
      try {
        outcomes.push({ ok: true, value: db.transaction(w.run)() });
      } catch (error) {
        outcomes.push({ ok: false, error });
        cache.discardTentative();
        // A storage failure can end the whole transaction: then nothing of the group was written.
        if (!db.inTransaction) throw error;
      }
    }
    db.run("COMMIT");
    cache.keepTentative();
  } catch (error) {
    cache.discardTentative();
    try { if (db.inTransaction) db.run("ROLLBACK"); } catch { /* closed */ }
    for (const w of writes) w.reject(error);
    return;
  } finally {
    cache.endTentative();
  }
  writes.forEach((w, i) => {
    const o = outcomes[i]!;
    if (o.ok) w.resolve(o.value); else w.reject(o.error);
  });
}

export class FhirStore {
  private readonly q: {
    current: Statement<Row, [string, string, string]>;
    raw: Statement<Row & { patient: string | null }, [string, string, string]>;
    compartment: Statement<{ patient: string | null }, [string, string, string]>;
    version: Statement<Row, [string, string, string, number]>;
    history: Statement<Row, [string, string, string]>;
    currentRow: Statement<Row & { rid: number; deleted: number }, [string, string, string]>;
    upsert: Statement<unknown, [string, string, string, number, string, string | null, string]>;
    insertHistory: Statement<unknown, [string, string, string, number, string, string]>;
    deleteTokens: Statement<unknown, [number]>;
    valueNumber: Statement<{ id: number }, [string]>;
    insertValue: Statement<{ id: number }, [string]>;
    insertToken: Statement<unknown, [number, number, number]>;
    rid: Statement<{ rid: number }, [string, string, string]>;
    deleteDates: Statement<unknown, [string, string, string]>;
    insertDate: Statement<unknown, [string, string, string, string, string | null, string | null]>;
    byPatient: Statement<RowHead & { json: string }, [string, string, string]>;
    count: Statement<{ n: number }, [string, string]>;
  };

  constructor(private readonly db: Database) {
    this.q = {
      current: db.query("SELECT json, version_id, last_updated FROM fhir_resource WHERE dva = ? AND type = ? AND id = ? AND deleted = 0"),
      raw: db.query("SELECT json, version_id, last_updated, patient FROM fhir_resource WHERE dva = ? AND type = ? AND id = ? AND deleted = 0"),
      compartment: db.query("SELECT patient FROM fhir_resource WHERE dva = ? AND type = ? AND id = ? AND deleted = 0"),
      // fhir_history holds the superseded versions only; the current one is the fhir_resource row (issue 16: one copy, not two).
      version: db.query(`SELECT json, version_id, last_updated FROM fhir_resource WHERE dva = ?1 AND type = ?2 AND id = ?3 AND version_id = ?4 AND deleted = 0
                         UNION ALL SELECT json, version_id, last_updated FROM fhir_history WHERE dva = ?1 AND type = ?2 AND id = ?3 AND version_id = ?4 LIMIT 1`),
      history: db.query(`SELECT json, version_id, last_updated FROM fhir_resource WHERE dva = ?1 AND type = ?2 AND id = ?3 AND deleted = 0
                         UNION ALL SELECT json, version_id, last_updated FROM fhir_history WHERE dva = ?1 AND type = ?2 AND id = ?3 ORDER BY version_id DESC`),
      currentRow: db.query("SELECT rid, json, version_id, last_updated, deleted FROM fhir_resource WHERE dva = ? AND type = ? AND id = ?"),
      upsert: db.query(`INSERT INTO fhir_resource (dva, type, id, version_id, last_updated, patient, deleted, json)
                        VALUES (?, ?, ?, ?, ?, ?, 0, ?)
                        ON CONFLICT (dva, type, id) DO UPDATE SET version_id = excluded.version_id,
                          last_updated = excluded.last_updated, patient = excluded.patient, deleted = 0, json = excluded.json`),
      insertHistory: db.query("INSERT INTO fhir_history (dva, type, id, version_id, last_updated, deleted, json) VALUES (?, ?, ?, ?, ?, 0, ?)"),
      deleteTokens: db.query("DELETE FROM fhir_token WHERE r = ?"),
      // A token's value numbered: found, or added (a query per token: cheaper than one statement over a JSON list of them, measured).
      valueNumber: db.query("SELECT id FROM fhir_token_value WHERE value = ?"),
      insertValue: db.query("INSERT INTO fhir_token_value (value) VALUES (?) RETURNING id"),
      insertToken: db.query("INSERT INTO fhir_token (k, v, r) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      rid: db.query("SELECT rid FROM fhir_resource WHERE dva = ? AND type = ? AND id = ?"),
      deleteDates: db.query("DELETE FROM fhir_search_date WHERE dva = ? AND type = ? AND id = ?"),
      insertDate: db.query("INSERT INTO fhir_search_date (dva, type, id, param, start, end) VALUES (?, ?, ?, ?, ?, ?)"),
      // INDEXED BY: without statistics SQLite would rather walk fhir_resource_updated for the ORDER BY (every resource of the type).
      byPatient: db.query(`SELECT rid, id, version_id AS versionId, last_updated AS lastUpdated, json FROM fhir_resource INDEXED BY fhir_resource_patient
                           WHERE dva = ? AND type = ? AND patient = ? AND deleted = 0 ORDER BY last_updated, id`),
      count: db.query("SELECT count(*) AS n FROM fhir_resource WHERE dva = ? AND type = ? AND deleted = 0"),
    };
  }

  /** The connection it reads and writes (shared/reader.ts: which file a reader worker opens). */
  get database(): Database { return this.db; }

  /** The organisations of stored resources (access.ts), kept per database until what they were read from changes. */
  get derived(): DerivedCache<string[]> { return derivedOf(this.db).organisations; }
  /** The references of a resource's parameter (`${dva} ${type}/${id} ${param}`), kept as the organisations are. */
  get derivedRefs(): DerivedCache<string[]> { return derivedOf(this.db).refs; }
  /** The index rows kept for collections (`${dva} ${type}/${id} ${params}`: keptTokensOf), kept as the organisations are. */
  get derivedTokens(): DerivedCache<readonly TokenEntry[]> { return derivedOf(this.db).tokens; }
  /** Whether resources exist and their compartments (`${dva} ${type}/${id}`: compartmentOf), kept as the organisations are. */
  get derivedCompartments(): DerivedCache<Compartment> { return derivedOf(this.db).compartments; }

  /**
   * Run a write (its checks and its save) with the other FHIR writes of this event-loop turn, in
   * one transaction and a savepoint of its own (flushFhirWrites); resolves with its result once
   * committed, rejects with its own error (its savepoint rolled back, the others' kept) or the
   * commit's (none of the group written).
   */
  grouped<T>(run: () => T): Promise<T> {
    let group = groupedWrites.get(this.db);
    if (!group) groupedWrites.set(this.db, group = { writes: [], scheduled: false });
    const done = new Promise<T>((resolve, reject) => group.writes.push({ run, resolve: resolve as (v: unknown) => void, reject }));
    if (!group.scheduled) {
      group.scheduled = true;
      const g = group;
      const db = this.db;
      setImmediate(() => { g.scheduled = false; flushFhirWrites(db); });
    }
    return done;
  }

  /** Inside a transaction its writes may still roll back: nothing read now is kept in memory. */
  get inTransaction(): boolean { return this.db.inTransaction; }

  /** A resource's rows changed (written, indexed, registered): what was derived from them, or from a query over its type, goes. */
  private changed(dva: string, type: string, id: string): void {
    writeGeneration++;
    if (type === "Organization") organizationGeneration++;
    const cache = derivedCaches.get(this.db);
    cache?.changed(rowsOf(dva, type, id));
    cache?.changed(typeRowsOf(dva, type));
  }

  read(dva: string, type: string, id: string): StoredResource | null {
    return toStored(this.q.current.get(dva, type, id));
  }

  /**
   * Whether a current resource exists, and its patient compartment ("Patient/<id>" or null) —
   * without its JSON. Kept (an absent one too) until the resource's rows change, as the derived
   * organisations are: a write looks up every reference it holds, and a stream of Tasks for a
   * patient holds the same ones (issue 16).
   */
  compartmentOf(dva: string, type: string, id: string): { patient: string | null } | null {
    const key = rowsOf(dva, type, id);
    const cache = derivedOf(this.db).compartments;
    const kept = cache.get(key);
    if (kept) return kept.exists ? { patient: kept.patient } : null;
    const row = this.q.compartment.get(dva, type, id);
    cache.set(key, row ? { exists: true, patient: row.patient } : ABSENT, [key]);
    return row ? { patient: row.patient } : null;
  }

  /** The stored JSON text as is, with the patient compartment: a read without parse and re-serialise. */
  readRaw(dva: string, type: string, id: string): { json: string; versionId: number; lastUpdated: string; patient: string | null } | null {
    const row = this.q.raw.get(dva, type, id);
    return row ? { json: row.json, versionId: row.version_id, lastUpdated: row.last_updated, patient: row.patient } : null;
  }

  /** @see https://hl7.org/fhir/R4/http.html#vread */
  vread(dva: string, type: string, id: string, versionId: number): StoredResource | null {
    return toStored(this.q.version.get(dva, type, id, versionId));
  }

  /** Newest first. @see https://hl7.org/fhir/R4/http.html#history */
  history(dva: string, type: string, id: string): StoredResource[] {
    return this.q.history.all(dva, type, id).map((r) => toStored(r)!);
  }

  /** The same as heads with their stored text, unparsed (a patient token's search matches on the index rows). */
  byPatientRaw(dva: string, type: string, patientRef: string): (RowHead & { json: string })[] {
    return this.q.byPatient.all(dva, type, patientRef);
  }

  /** A patient's resources of one type, oldest change first (the patient compartment). */
  byPatient(dva: string, type: string, patientRef: string): StoredResource[] {
    return this.byPatientRaw(dva, type, patientRef).map((r) => ({ resource: JSON.parse(r.json) as Resource, versionId: r.versionId, lastUpdated: r.lastUpdated, json: r.json }));
  }

  /** Resources of a type with this identifier (system|value), e.g. a Patient by BSN. */
  findByIdentifier(dva: string, type: string, system: string, value: string): StoredResource[] {
    return this.db.query<Row, [string, string, string, string]>(
      `SELECT r.json, r.version_id, r.last_updated FROM fhir_token t
         JOIN fhir_resource r ON r.rid = t.r AND r.deleted = 0
        WHERE t.k = (SELECT id FROM fhir_token_param WHERE dva = ?1 AND type = ?2 AND param = 'identifier' AND system = ?3)
          AND t.v = (SELECT id FROM fhir_token_value WHERE value = ?4)
        ORDER BY r.rid`,
    ).all(dva, type, system, value).map((r) => toStored(r)!);
  }

  /** Resources with any of these values for one indexed parameter (a system token's narrowing step). */
  findByToken(dva: string, type: string, param: string, values: string[]): StoredResource[] {
    if (values.length === 0) return [];
    return this.db.query<Row, [string, string, string, string]>(
      `SELECT json, version_id, last_updated FROM fhir_resource
        WHERE rid IN (SELECT r FROM fhir_token WHERE k IN (${KEYS_OF("?3")}) AND v IN (${VALUES_IN("?4")})) AND deleted = 0
        ORDER BY rid`,
    ).all(dva, type, param, JSON.stringify(values)).map((r) => toStored(r)!);
  }

  /** Every current resource of a type (catalogue types; system tokens). */
  all(dva: string, type: string): StoredResource[] {
    return this.db.query<Row, [string, string]>("SELECT json, version_id, last_updated FROM fhir_resource WHERE dva = ? AND type = ? AND deleted = 0 ORDER BY last_updated, id")
      .all(dva, type).map((r) => toStored(r)!);
  }

  /** Current resources of a type without their JSON (index-first search of large sets). */
  heads(dva: string, type: string): RowHead[] {
    return this.db.query<RowHead, [string, string]>(
      "SELECT rid, id, version_id AS versionId, last_updated AS lastUpdated FROM fhir_resource WHERE dva = ? AND type = ? AND deleted = 0 ORDER BY last_updated, id",
    ).all(dva, type);
  }

  /** The same for the resources with one of these values of a token parameter. */
  headsByToken(dva: string, type: string, param: string, values: string[]): RowHead[] {
    if (values.length === 0) return [];
    return this.db.query<RowHead, [string, string, string, string]>(
      `SELECT rid, id, version_id AS versionId, last_updated AS lastUpdated FROM fhir_resource
        WHERE rid IN (SELECT r FROM fhir_token WHERE k IN (${KEYS_OF("?3")}) AND v IN (${VALUES_IN("?4")})) AND deleted = 0
        ORDER BY last_updated, id`,
    ).all(dva, type, param, JSON.stringify(values));
  }

  /**
   * One step of an ordered walk over a type's current resources (a large search's page, issue 16):
   * the next `limit` heads after `after` in search order — last updated, or a Task's period start
   * with the resources without one last — ties by id, either direction. Keyset paging on
   * fhir_resource_updated / fhir_search_date_start: each step reads `limit` index entries, whatever
   * the size of the DVA.
   */
  walk(dva: string, type: string, order: WalkOrder, after: WalkPosition | null, limit: number): WalkHead[] {
    const d = order.descending;
    const [cmp, dir] = d ? ["<", "DESC"] : [">", "ASC"];
    if (order.key === "_lastUpdated") {
      const sql = `SELECT rid, id, version_id AS versionId, last_updated AS lastUpdated, last_updated AS key FROM fhir_resource INDEXED BY fhir_resource_updated
                    WHERE dva = ? AND type = ? AND (last_updated, id) ${cmp} (?, ?) AND deleted = 0 ORDER BY last_updated ${dir}, id ${dir} LIMIT ?`;
      return this.db.query<WalkHead, [string, string, string, string, number]>(sql).all(dva, type, after?.key ?? (d ? "~" : ""), after?.id ?? "", limit);
    }
    const join = `SELECT r.rid AS rid, d.id AS id, r.version_id AS versionId, r.last_updated AS lastUpdated, d.start AS key FROM fhir_search_date d INDEXED BY fhir_search_date_start
                    JOIN fhir_resource r ON r.dva = d.dva AND r.type = d.type AND r.id = d.id AND r.deleted = 0
                   WHERE d.dva = ? AND d.type = ? AND d.param = ?`;
    const undated = (afterId: string, n: number) => this.db.query<WalkHead, [string, string, string, string, number]>(
      `${join} AND d.start IS NULL AND d.id ${cmp} ? ORDER BY d.id ${dir} LIMIT ?`).all(dva, type, order.key, afterId, n);
    if (after !== null && after.key === null) return undated(after.id, limit);
    const dated = this.db.query<WalkHead, [string, string, string, string, string, number]>(
      `${join} AND d.start IS NOT NULL AND (d.start, d.id) ${cmp} (?, ?) ORDER BY d.start ${dir}, d.id ${dir} LIMIT ?`,
    ).all(dva, type, order.key, after?.key ?? (d ? "~" : ""), after?.id ?? "", limit);
    return dated.length === limit ? dated : [...dated, ...undated(d ? "~" : "", limit - dated.length)];
  }

  /** How many current resources of a type there are, counted to at most `limit` (a bounded "is it large?"). */
  countUpTo(dva: string, type: string, limit: number): number {
    return this.db.query<{ n: number }, [string, string, number]>(COUNT_UP_TO).get(dva, type, limit)?.n ?? 0;
  }

  /** The same for the index rows with one of these values of a token parameter. */
  countTokenUpTo(dva: string, type: string, param: string, values: string[], limit: number): number {
    return this.db.query<{ n: number }, [string, string, string, string, number]>(COUNT_TOKEN_UP_TO).get(dva, type, param, JSON.stringify(values), limit)?.n ?? 0;
  }

  /**
   * The same for a patient's collection, kept in memory until the resources' rows change
   * (`DerivedCaches.tokens`, issue 16): a PGO asks for the same patient's Tasks again and again,
   * and their index rows were the costliest statement of its collection. Only the rows of
   * `params` are kept, per set of parameters (in any order: one key). What is kept is bounded in
   * bytes, whatever a resource holds or a client asks (outside reviews: Tasks of thousands of
   * identifiers, the same parameters in every order, one patient of thousands of Tasks): a
   * resource with more than KEPT_ROWS_OF_ONE such rows is never kept, nor anything of a request
   * whose rows would take more than a quarter of TOKEN_BYTES_KEPT (it would empty what is kept
   * for everyone else, every time), and past TOKEN_BYTES_KEPT the cache starts again. A kept
   * entry is the resource of that id as it is now, as tokensOfMany reads a head whose number moved.
   */
  keptTokensOf(dva: string, type: string, heads: readonly RowHead[], params: readonly string[]): Map<string, TokenEntry[]> {
    const cache = derivedOf(this.db).tokens;
    const named = [...new Set(params)].sort().join(",");
    const out = new Map<string, TokenEntry[]>();
    const missing: RowHead[] = [];
    for (const h of heads) {
      if (out.has(h.id)) continue;
      const kept = cache.get(`${rowsOf(dva, type, h.id)} ${named}`);
      out.set(h.id, kept ? [...kept] : []);
      if (!kept) missing.push(h);
    }
    if (missing.length === 0) return out;
    const read = this.tokensOfMany(dva, type, missing, params);
    let bytes = 0;
    for (const [id, entries] of read) {
      out.set(id, entries);
      bytes += keptTokenBytes(entries);
    }
    if (bytes > TOKEN_BYTES_KEPT / 4) return out;
    for (const [id, entries] of read) {
      if (entries.length <= KEPT_ROWS_OF_ONE) cache.set(`${rowsOf(dva, type, id)} ${named}`, Object.freeze(entries.map((e) => Object.freeze({ ...e }))), [rowsOf(dva, type, id)]);
    }
    return out;
  }

  /**
   * Every index row of these resources (one query for a walk's step), or only those of `params`
   * (a patient's collection matches and includes on 4 of a Task's 9 parameters: fewer rows made
   * into objects, issue 16). Read by the rows' numbers, each checked to be that resource still; a
   * head whose number names another row now (heads read before a reset, rows after it) is read by
   * its id, as the resource of that id is now — never as having no rows (no owner: anyone's).
   */
  tokensOfMany(dva: string, type: string, heads: readonly RowHead[], params?: readonly string[]): Map<string, TokenEntry[]> {
    // Each id once (its first head): a page's hits may come from steps of two numberings, the same number under two ids.
    const out = new Map<string, TokenEntry[]>();
    const list: RowHead[] = [];
    for (const h of heads) if (!out.has(h.id)) { out.set(h.id, []); list.push(h); }
    if (list.length === 0) return out;
    // LEFT JOINs: one row at least per head (`i`, its place in the list), with the id its number's row holds now (null: no row of this DVA and type).
    const rows = this.db.query<{ i: number; id: string | null; k: number | null; value: string | null }, string[]>(
      `SELECT j.key AS i, r.id AS id, t.k AS k, v.value AS value FROM json_each(?1) j
         LEFT JOIN fhir_resource r ON r.rid = j.value AND r.dva = ?2 AND r.type = ?3
         LEFT JOIN fhir_token t ON t.r = r.rid${params ? ONLY_PARAMS : ""}
         LEFT JOIN fhir_token_value v ON v.id = t.v`,
    ).all(JSON.stringify(list.map((h) => h.rid)), dva, type, ...(params ? [JSON.stringify(params)] : []));
    const names = tokenParamsOf(this.db);
    const moved: string[] = [];
    for (const r of rows) {
      const id = list[r.i]!.id;
      if (r.id !== id) { if (moved.at(-1) !== id) moved.push(id); } else if (r.k !== null) out.get(id)!.push(names.entry(r.k, r.value!));
    }
    if (moved.length > 0) for (const [id, tokens] of this.tokensById(dva, type, moved, params)) out.set(id, tokens);
    return out;
  }

  /** The index rows of these resources by their ids (each id once), or only those of `params`. */
  private tokensById(dva: string, type: string, ids: readonly string[], params?: readonly string[]): Map<string, TokenEntry[]> {
    const out = new Map<string, TokenEntry[]>(ids.map((id) => [id, []]));
    const rows = this.db.query<{ id: string; k: number; value: string }, string[]>(
      `SELECT r.id AS id, t.k AS k, v.value AS value FROM json_each(?1) j
         CROSS JOIN fhir_resource r ON r.dva = ?2 AND r.type = ?3 AND r.id = j.value
         CROSS JOIN fhir_token t ON t.r = r.rid CROSS JOIN fhir_token_value v ON v.id = t.v
       WHERE true${params ? ONLY_PARAMS : ""}`,
    ).all(JSON.stringify(ids), dva, type, ...(params ? [JSON.stringify(params)] : []));
    const names = tokenParamsOf(this.db);
    for (const r of rows) out.get(r.id)?.push(names.entry(r.k, r.value));
    return out;
  }

  /** The registrations of these resources (one query for a walk's step). */
  registrationsOfMany(dva: string, type: string, ids: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    const rows = this.db.query<{ id: string; organisation: string }, [string, string, string]>(
      "SELECT id, organisation FROM fhir_registration WHERE dva = ? AND type = ? AND id IN (SELECT value FROM json_each(?))").all(dva, type, JSON.stringify(ids));
    for (const r of rows) out.get(r.id)?.push(r.organisation);
    return out;
  }

  /** Index rows of one resource (what its token parameters hold). */
  tokensOf(dva: string, type: string, id: string): TokenEntry[] {
    return this.tokensById(dva, type, [id]).get(id)!;
  }

  /** Start of a date parameter of these resources (Task period, for _sort=period). */
  dateStarts(dva: string, type: string, param: string, ids: readonly string[]): Map<string, string | null> {
    const rows = this.db.query<{ id: string; start: string | null }, [string, string, string, string]>(
      "SELECT id, start FROM fhir_search_date WHERE dva = ? AND type = ? AND id IN (SELECT value FROM json_each(?)) AND param = ?",
    ).all(dva, type, JSON.stringify(ids), param);
    return new Map(rows.map((r) => [r.id, r.start]));
  }

  count(dva: string, type: string): number {
    return this.q.count.get(dva, type)?.n ?? 0;
  }

  /**
   * Write a new version (create or update). `ifMatch` is the version the writer last saw
   * (http.html#concurrency); a mismatch throws VersionConflictError and writes nothing.
   */
  /**
   * `registeredBy`: the organisation that registered (created) this resource. `relates`: the
   * organisation whose Task or ServiceRequest this is, registered on the resource's patient (a
   * relation with the person), in the same transaction.
   */
  save(dva: string, input: Resource, opts: { ifMatch?: number; now?: Date; registeredBy?: string; relates?: string } = {}): StoredResource {
    return this.db.transaction(() => {
      const { patient, ...saved } = this.write(dva, input, opts);
      if (opts.registeredBy) this.register(dva, saved.resource.resourceType, saved.resource.id!, opts.registeredBy, opts.now);
      if (opts.relates && patient) this.register(dva, "Patient", patient.slice("Patient/".length), opts.relates, opts.now);
      return saved;
    })();
  }

  /**
   * Record that an organisation registered a resource: a Patient it knows (each organisation
   * that registered the person), or the creator of any other resource. Idempotent.
   */
  register(dva: string, type: string, id: string, organisation: string, now = new Date()): void {
    const { changes } = this.db.query("INSERT INTO fhir_registration (dva, type, id, organisation, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(dva, type, id, organisation, now.toISOString());
    // Known already (every Task of a zorgaanbieder for a patient it has): nothing derived from the rows is stale (issue 16).
    if (changes > 0) this.changed(dva, type, id);
  }

  /** The organisations that registered this resource ("Organization/<id>"). */
  registrations(dva: string, type: string, id: string): string[] {
    return this.db.query<{ organisation: string }, [string, string, string]>(
      "SELECT organisation FROM fhir_registration WHERE dva = ? AND type = ? AND id = ?").all(dva, type, id).map((r) => r.organisation);
  }

  /** Ids of the resources of a type whose reference parameter points at `value` (a reverse lookup). */
  referrers(dva: string, type: string, param: string, value: string): string[] {
    return this.db.query<{ id: string }, [string, string, string, string]>(
      `SELECT id FROM fhir_resource WHERE rid IN (SELECT r FROM fhir_token WHERE k IN (${KEYS_OF("?3")}) AND v = (SELECT id FROM fhir_token_value WHERE value = ?4))
        ORDER BY rid`).all(dva, type, param, value).map((r) => r.id);
  }

  /** Many writes in one transaction (seed, bulk load). */
  saveAll(dva: string, inputs: readonly Resource[], now = new Date()): number {
    this.db.transaction(() => { for (const r of inputs) this.write(dva, r, { now }); })();
    return inputs.length;
  }

  /** Also the written version's patient compartment (from the index entries it computed). */
  private write(dva: string, input: Resource, opts: { ifMatch?: number; now?: Date }): StoredResource & { patient: string | null } {
    // UUID v7 (RFC 9562): ordered by time, so a created resource lands at the end of every index on its id (one hot page) instead of a random page per index.
    const generated = input.id === undefined;
    const id = input.id ?? Bun.randomUUIDv7();
    if (!ID_PATTERN.test(id)) throw new Error(`invalid resource id ${JSON.stringify(id)}`);
    const type = input.resourceType;
    const row = generated ? null : this.q.currentRow.get(dva, type, id);
    const current = row && row.deleted === 0 ? row : null;
    if (opts.ifMatch !== undefined && current?.version_id !== opts.ifMatch) {
      throw new VersionConflictError(opts.ifMatch, current?.version_id ?? null);
    }
    const versionId = (row?.version_id ?? (generated ? 0 : this.latestVersion(dva, type, id))) + 1;
    const lastUpdated = (opts.now ?? new Date()).toISOString();
    const resource: Resource = { ...input, id, meta: { ...input.meta, versionId: String(versionId), lastUpdated } };
    const json = JSON.stringify(resource);
    const entries = indexEntries(resource);
    // The version this one supersedes goes to the history; the new one is only the current row.
    if (row) this.q.insertHistory.run(dva, type, id, row.version_id, row.last_updated, row.json);
    const inserted = this.q.upsert.run(dva, type, id, versionId, lastUpdated, entries.patient, json);
    // An update keeps its row's number; a new row's is the one just inserted (no RETURNING: a second step per write).
    const rid = row ? row.rid : Number(inserted.lastInsertRowid);
    this.writeIndex(dva, type, id, rid, entries, generated);
    return { resource, versionId, lastUpdated, patient: entries.patient };
  }

  /** `fresh`: an id this store just made up, so there are no earlier rows to delete. */
  private writeIndex(dva: string, type: string, id: string, rid: number, entries: IndexEntries, fresh = false): void {
    this.changed(dva, type, id);
    if (!fresh) this.q.deleteTokens.run(rid);
    const params = tokenParamsOf(this.db);
    for (const t of entries.tokens) {
      const v = this.q.valueNumber.get(t.value)?.id ?? this.q.insertValue.get(t.value)!.id;
      this.q.insertToken.run(params.numberOf(dva, type, t.param, t.system), v, rid);
    }
    if (!fresh) this.q.deleteDates.run(dva, type, id);
    for (const d of entries.dates) this.q.insertDate.run(dva, type, id, d.param, d.start, d.end);
  }

  /** After a seed: every row was written by this version's indexEntries(). */
  markIndexCurrent(): void {
    const set = this.db.query("INSERT INTO sandbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    for (const [type, version] of Object.entries(INDEX_VERSION)) set.run(`search_index_version:${type}`, String(version));
  }

  /**
   * Re-index the stored resources of every type whose INDEX_VERSION is newer than the one their
   * rows were written with (a database from an older sandbox); returns how many were re-indexed.
   */
  reindexOutdated(): number {
    let count = 0;
    this.db.transaction(() => {
      for (const [type, version] of Object.entries(INDEX_VERSION)) {
        const key = `search_index_version:${type}`;
        const stored = Number(this.db.query<{ value: string }, [string]>("SELECT value FROM sandbox_meta WHERE key = ?").get(key)?.value ?? "1");
        if (stored >= version) continue;
        const rows = this.db.query<{ dva: string; id: string; json: string }, [string]>("SELECT dva, id, json FROM fhir_resource WHERE type = ? AND deleted = 0").all(type);
        for (const r of rows) {
          const entries = indexEntries(JSON.parse(r.json) as Resource);
          this.db.query("UPDATE fhir_resource SET patient = ? WHERE dva = ? AND type = ? AND id = ?").run(entries.patient, r.dva, type, r.id);
          this.writeIndex(r.dva, type, r.id, this.q.rid.get(r.dva, type, r.id)!.rid, entries);
        }
        count += rows.length;
      }
      this.markIndexCurrent();
    })();
    return count;
  }

  private latestVersion(dva: string, type: string, id: string): number {
    return this.db.query<{ v: number | null }, [string, string, string]>(
      "SELECT max(version_id) AS v FROM fhir_history WHERE dva = ? AND type = ? AND id = ?",
    ).get(dva, type, id)?.v ?? 0;
  }
}

function toStored(row: Row | null): StoredResource | null {
  return row ? { resource: JSON.parse(row.json) as Resource, versionId: row.version_id, lastUpdated: row.last_updated, json: row.json } : null;
}
