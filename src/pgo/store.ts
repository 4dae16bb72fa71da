/**
 * The PGO's own tables: accounts (AM-FE-016), login sessions, connections with their tokens, and
 * the task cache. Passwords are hashed with Bun.password (argon2id); session ids are stored as
 * SHA-256; access and refresh tokens are sealed (AES-256-GCM, shared/sealed.ts) per row.
 */
import type { Database } from "bun:sqlite";
import { randomToken, sha256 } from "../shared/crypto.ts";
import type { Sealer } from "../shared/sealed.ts";
import { fhirObject, fhirText, fhirTextOrNull } from "../shared/fhir-text.ts";

export interface PgoAccount { id: string; pgo: string; username: string; displayName: string }
/** What the overview shows of a task (AM-FE-024/025/026/030). */
export interface TaskView {
  id: string; status: string; title: string; description: string | null; group: string | null; requester: string | null;
  start: string | null; end: string | null; lastModified: string | null; reason: string | null; note: string | null; module: string | null;
  /** From the Task's pt-ExecutionOrder (issue 15): the schedule in words and the patient instruction. */
  schedule?: string | null; instruction?: string | null;
}
/**
 * A cached view as the pages need it: a copy made before views were built with fhirText (issue 11)
 * may hold an object where text belongs, and would keep the overview down for good.
 */
function cachedView(json: string): TaskView {
  const v = fhirObject(JSON.parse(json));
  const text = (key: keyof TaskView) => fhirTextOrNull(v[key]);
  return { id: fhirText(v.id), status: fhirText(v.status), title: fhirText(v.title) || "Taak", description: text("description"), group: text("group"),
    requester: text("requester"), start: text("start"), end: text("end"), lastModified: text("lastModified"), reason: text("reason"), note: text("note"),
    module: text("module"), schedule: text("schedule"), instruction: text("instruction") };
}
export interface CachedTask { key: string; taskId: string; status: string; title: string; sortDate: string | null; view: TaskView }
export interface Connection {
  accountId: string; zorgaanbieder: string; accessToken: string; accessExpiresAt: number; refreshToken: string | null;
  scope: string; patient: string | null; connectedAt: number;
}

export interface PendingAuthorization { zorgaanbieder: string; traceId: string; resumeTask: string | null; codeVerifier: string | null }

/** argon2id with OWASP's minimum settings: strong enough for a sandbox, fast enough to seed. */
export const PASSWORD_OPTIONS = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

export class PgoStore {
  /** Without a sealer (the seed: accounts only) the store cannot hold tokens. */
  constructor(private readonly db: Database, private readonly tokenSealer: Sealer | null = null) {}

  private get sealer(): Sealer {
    if (!this.tokenSealer) throw new Error("PgoStore needs a Sealer to store or read tokens");
    return this.tokenSealer;
  }

  /** Where a token lives: its value opens only there. */
  private static place(accountId: string, zorgaanbieder: string, column: string): string {
    return `pgo_connection ${accountId} ${zorgaanbieder} ${column}`;
  }

  /**
   * A new account, or "taken" when the username is in use at this PGO. The UNIQUE (pgo, username)
   * constraint decides, so of two concurrent sign-ups with one name exactly one is created
   * (issue 11 item 3); a check before the insert could not promise that.
   */
  registerAccount(a: { pgo: string; username: string; passwordHash: string; displayName: string }): { kind: "created"; account: PgoAccount } | { kind: "taken" } {
    const id = crypto.randomUUID();
    const inserted = this.db.query("INSERT INTO pgo_account (id, pgo, username, password_hash, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pgo, username) DO NOTHING")
      .run(id, a.pgo, a.username, a.passwordHash, a.displayName, new Date().toISOString());
    return inserted.changes === 1 ? { kind: "created", account: { id, pgo: a.pgo, username: a.username, displayName: a.displayName } } : { kind: "taken" };
  }

  /** An account that must not exist yet (the seed's personas). */
  createAccount(a: { pgo: string; username: string; passwordHash: string; displayName: string }): PgoAccount {
    const result = this.registerAccount(a);
    if (result.kind === "taken") throw new Error(`PGO account ${a.username} exists already at ${a.pgo}`);
    return result.account;
  }

  findAccount(pgo: string, username: string): (PgoAccount & { passwordHash: string }) | null {
    const row = this.db.query<{ id: string; pgo: string; username: string; password_hash: string; display_name: string }, [string, string]>(
      "SELECT id, pgo, username, password_hash, display_name FROM pgo_account WHERE pgo = ? AND username = ?",
    ).get(pgo, username);
    return row ? { id: row.id, pgo: row.pgo, username: row.username, displayName: row.display_name, passwordHash: row.password_hash } : null;
  }

  countAccounts(pgo: string): number {
    return this.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM pgo_account WHERE pgo = ?").get(pgo)?.n ?? 0;
  }

  createSession(pgo: string, accountId: string, now: number, ttlMs: number): string {
    const id = randomToken();
    this.db.query("INSERT INTO pgo_session (id, pgo, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .run(sha256(id), pgo, accountId, now, now + ttlMs);
    return id;
  }

  accountOfSession(pgo: string, sessionId: string, now: number): PgoAccount | null {
    const row = this.db.query<{ id: string; pgo: string; username: string; display_name: string }, [string, string, number]>(
      `SELECT a.id, a.pgo, a.username, a.display_name FROM pgo_session s JOIN pgo_account a ON a.id = s.account_id
        WHERE s.id = ? AND s.pgo = ? AND s.expires_at > ?`,
    ).get(sha256(sessionId), pgo, now);
    return row ? { id: row.id, pgo: row.pgo, username: row.username, displayName: row.display_name } : null;
  }

  // Connections (SD 3.3) ----------------------------------------------------------------------

  saveConnection(c: Connection): void {
    this.db.query(`INSERT INTO pgo_connection (account_id, zorgaanbieder, access_token, access_expires_at, refresh_token, scope, patient, connected_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (account_id, zorgaanbieder) DO UPDATE SET access_token = excluded.access_token,
                     access_expires_at = excluded.access_expires_at, refresh_token = excluded.refresh_token, scope = excluded.scope,
                     patient = excluded.patient, connected_at = excluded.connected_at`)
      .run(c.accountId, c.zorgaanbieder, this.sealer.seal(c.accessToken, PgoStore.place(c.accountId, c.zorgaanbieder, "access_token")), c.accessExpiresAt,
        c.refreshToken === null ? null : this.sealer.seal(c.refreshToken, PgoStore.place(c.accountId, c.zorgaanbieder, "refresh_token")), c.scope, c.patient, c.connectedAt);
  }

  connectionsOf(accountId: string): Connection[] {
    return this.db.query<Record<string, any>, [string]>("SELECT * FROM pgo_connection WHERE account_id = ? ORDER BY zorgaanbieder").all(accountId).map((r) => ({
      accountId: r.account_id, zorgaanbieder: r.zorgaanbieder,
      accessToken: this.sealer.open(r.access_token, PgoStore.place(r.account_id, r.zorgaanbieder, "access_token")), accessExpiresAt: r.access_expires_at,
      refreshToken: r.refresh_token === null ? null : this.sealer.open(r.refresh_token, PgoStore.place(r.account_id, r.zorgaanbieder, "refresh_token")),
      scope: r.scope, patient: r.patient, connectedAt: r.connected_at,
    }));
  }

  /** A pending authorization: its state, the PKCE code_verifier (RFC 7636 §4.1) and, for step-up, the task to resume. */
  saveState(s: PendingAuthorization & { state: string; accountId: string }, now: number): void {
    this.db.query("INSERT INTO pgo_oauth_state (state, account_id, zorgaanbieder, trace_id, resume_task, code_verifier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(s.state, s.accountId, s.zorgaanbieder, s.traceId, s.resumeTask, s.codeVerifier, now);
  }

  /** The pending authorization for this state, once (single use); null when unknown or older than 15 minutes. */
  takeState(state: string, accountId: string, now: number): PendingAuthorization | null {
    const row = this.db.query<{ zorgaanbieder: string; trace_id: string; resume_task: string | null; code_verifier: string | null; created_at: number }, [string, string]>(
      "DELETE FROM pgo_oauth_state WHERE state = ? AND account_id = ? RETURNING zorgaanbieder, trace_id, resume_task, code_verifier, created_at").get(state, accountId);
    return row && now - row.created_at < 15 * 60_000
      ? { zorgaanbieder: row.zorgaanbieder, traceId: row.trace_id, resumeTask: row.resume_task, codeVerifier: row.code_verifier } : null;
  }

  /** Disconnect: forget the tokens and the cached tasks of this provider. */
  removeConnection(accountId: string, zorgaanbieder: string): void {
    this.db.transaction(() => {
      for (const table of ["pgo_connection", "pgo_task", "pgo_sync"]) {
        this.db.query(`DELETE FROM ${table} WHERE account_id = ? AND zorgaanbieder = ?`).run(accountId, zorgaanbieder);
      }
    })();
  }

  connectionOf(accountId: string, zorgaanbieder: string): Connection | null {
    return this.connectionsOf(accountId).find((c) => c.zorgaanbieder === zorgaanbieder) ?? null;
  }

  // Task cache and sync state (SD 3.3.4) -----------------------------------------------------------

  saveTasks(accountId: string, zorgaanbieder: string, tasks: CachedTask[]): void {
    this.db.transaction(() => this.upsertTasks(accountId, zorgaanbieder, tasks))();
  }

  /**
   * A full collection: the provider's tasks are exactly these, in one transaction. What the DVA
   * no longer gives this patient (moved to another, deleted) leaves the copy (issue 11 item 7).
   */
  replaceTasks(accountId: string, zorgaanbieder: string, tasks: CachedTask[]): void {
    this.db.transaction(() => {
      this.db.query("DELETE FROM pgo_task WHERE account_id = ? AND zorgaanbieder = ?").run(accountId, zorgaanbieder);
      this.upsertTasks(accountId, zorgaanbieder, tasks);
    })();
  }

  /** A Task the DVA no longer gives this patient (its page read it again): out of the copy. */
  dropTask(accountId: string, zorgaanbieder: string, taskId: string): void {
    this.db.query("DELETE FROM pgo_task WHERE account_id = ? AND zorgaanbieder = ? AND task_id = ?").run(accountId, zorgaanbieder, taskId);
  }

  private upsertTasks(accountId: string, zorgaanbieder: string, tasks: CachedTask[]): void {
    const q = this.db.query(`INSERT INTO pgo_task (account_id, zorgaanbieder, task_key, task_id, status, title, sort_date, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (account_id, zorgaanbieder, task_key) DO UPDATE SET task_id = excluded.task_id, status = excluded.status, title = excluded.title,
        sort_date = excluded.sort_date, json = excluded.json`);
    for (const t of tasks) q.run(accountId, zorgaanbieder, t.key, t.taskId, t.status, t.title, t.sortDate, JSON.stringify(t.view));
  }

  tasksOf(accountId: string): { zorgaanbieder: string; view: TaskView }[] {
    return this.db.query<{ zorgaanbieder: string; json: string }, [string]>("SELECT zorgaanbieder, json FROM pgo_task WHERE account_id = ?")
      .all(accountId).map((r) => ({ zorgaanbieder: r.zorgaanbieder, view: cachedView(r.json) }));
  }

  syncState(accountId: string, zorgaanbieder: string): { syncedAt: number; since: string | null; url: string | null; etag: string | null } | null {
    const row = this.db.query<{ synced_at: number; since: string | null; url: string | null; etag: string | null }, [string, string]>(
      "SELECT synced_at, since, url, etag FROM pgo_sync WHERE account_id = ? AND zorgaanbieder = ?").get(accountId, zorgaanbieder);
    return row ? { syncedAt: row.synced_at, since: row.since, url: row.url, etag: row.etag } : null;
  }

  saveSyncState(accountId: string, zorgaanbieder: string, s: { syncedAt: number; since: string | null; url: string | null; etag: string | null }): void {
    this.db.query(`INSERT INTO pgo_sync (account_id, zorgaanbieder, synced_at, since, url, etag) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (account_id, zorgaanbieder) DO UPDATE SET synced_at = excluded.synced_at, since = excluded.since, url = excluded.url, etag = excluded.etag`)
      .run(accountId, zorgaanbieder, s.syncedAt, s.since, s.url, s.etag);
  }

  endSession(sessionId: string): void {
    this.db.query("DELETE FROM pgo_session WHERE id = ?").run(sha256(sessionId));
  }
}
