/**
 * The DVA authorization server's tables (dva_*): signing keys, browser sessions, pending
 * authorization requests, consents, single-use grants (codes, refresh tokens, launch codes; stored
 * as SHA-256 only) and issued access-token ids (for revocation).
 */
import type { Database } from "bun:sqlite";
import type { SigningKeyRecord } from "../../shared/keys.ts";

export interface DvaSession { id: string; bsn: string; digidLoginAt: number; expiresAt: number }
/**
 * A login in progress. `browser` is SHA-256 of the dva_browser cookie of the browser that started
 * it; `codeChallenge` the PKCE S256 challenge of a collect request (RFC 7636 §4.3), if it sent one.
 */
export interface AuthRequest {
  id: string; kind?: "collect" | "smart" | "overview"; data?: Record<string, unknown>; clientId: string; redirectUri: string; scope: string; state: string;
  traceId: string; requestId: string; sessionId: string | null; browser: string | null; codeChallenge?: string | null; expiresAt: number;
}
export interface Consent { id: string; bsn: string; clientId: string; zorgaanbieder: string; kind: "once" | "long"; createdAt: number; expiresAt: number; withdrawnAt: number | null }
export type GrantKind = "code" | "refresh" | "launch";
export type LaunchAuthorizationKind = "par" | "code" | "cookie";
export interface Grant<T = Record<string, unknown>> { hash: string; kind: GrantKind; clientId: string; consentId: string | null; data: T; createdAt: number; expiresAt: number; usedAt: number | null; revokedAt: number | null }

/**
 * Access tokens known to be active, with the revocation generation they were checked in. Every
 * revocation (and a reset) starts a new generation, so the FHIR server's per-request check is a
 * map lookup instead of a query. All writers live in this process.
 */
const activeTokens = new Map<string, number>();
let revocationGeneration = 0;
export function tokensMayHaveChanged(): void {
  revocationGeneration++;
  activeTokens.clear();
}

import { randomToken, sha256 } from "../../shared/crypto.ts";

/**
 * Issued access tokens waiting to be written, per database: written together at the end of the
 * event-loop turn that issued them (one commit for the tokens of concurrent requests: a commit per
 * token wrote four B-tree pages each, a quarter of the token endpoint, issue 16), and at once
 * before anything reads or changes dva_access_token, before a reset and before the database
 * closes. The token endpoint answers only once its token is written (recordAccessToken's promise):
 * a full disk is still its 507, and a token whose row is missing reads as revoked.
 */
type TokenRow = [string, string, string, string | null, string | null, number];
interface PendingTokens { rows: TokenRow[]; waiting: { resolve: () => void; reject: (e: unknown) => void }[]; scheduled: boolean }
const pendingTokens = new WeakMap<Database, PendingTokens>();

export function flushAccessTokens(db: Database): void {
  const pending = pendingTokens.get(db);
  if (!pending || pending.rows.length === 0) return;
  const { rows, waiting } = pending;
  pending.rows = [];
  pending.waiting = [];
  try {
    const insert = db.query<unknown, TokenRow>("INSERT INTO dva_access_token (jti, dva, client_id, consent_id, issued_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
    db.transaction(() => { for (const r of rows) insert.run(...r); })();
  } catch (e) {
    for (const w of waiting) w.reject(e);
    return;
  }
  for (const w of waiting) w.resolve();
}

export class DvaAuthStore {
  constructor(private readonly db: Database, private readonly dva: string) {}

  currentKey(): SigningKeyRecord | null {
    const row = this.db.query<{ kid: string; private_jwk: string; public_jwk: string }, [string]>(
      "SELECT kid, private_jwk, public_jwk FROM dva_auth_key WHERE dva = ? ORDER BY created_at DESC LIMIT 1").get(this.dva);
    return row ? { kid: row.kid, privateJwk: JSON.parse(row.private_jwk), publicJwk: JSON.parse(row.public_jwk) } : null;
  }

  saveKey(key: SigningKeyRecord): void {
    this.db.query("INSERT INTO dva_auth_key (dva, kid, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(this.dva, key.kid, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), new Date().toISOString());
  }

  // Sessions ---------------------------------------------------------------------------------------

  createSession(bsn: string, now: number, ttlMs: number): DvaSession {
    const s = { id: randomToken(), bsn, digidLoginAt: now, expiresAt: now + ttlMs };
    this.db.query("INSERT INTO dva_session (id, dva, bsn, digid_login_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(sha256(s.id), this.dva, bsn, now, now, s.expiresAt);
    return s;
  }

  findSession(id: string, now: number): DvaSession | null {
    const row = this.db.query<{ bsn: string; digid_login_at: number; expires_at: number }, [string, string, number]>(
      "SELECT bsn, digid_login_at, expires_at FROM dva_session WHERE id = ? AND dva = ? AND expires_at > ?").get(sha256(id), this.dva, now);
    return row ? { id, bsn: row.bsn, digidLoginAt: row.digid_login_at, expiresAt: row.expires_at } : null;
  }

  /** The most recent DigiD login of this person at this DVA (SD 3.4 step-up). */
  lastDigidLogin(bsn: string): number | null {
    return this.db.query<{ t: number | null }, [string, string]>(
      "SELECT max(digid_login_at) AS t FROM dva_session WHERE dva = ? AND bsn = ?").get(this.dva, bsn)?.t ?? null;
  }

  // Authorization requests ------------------------------------------------------------------------

  saveAuthRequest(r: AuthRequest, now: number): void {
    this.db.query(`INSERT INTO dva_auth_request (id, dva, kind, data, client_id, redirect_uri, scope, state, trace_id, request_id, session_id, browser, code_challenge, created_at, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(r.id, this.dva, r.kind ?? "collect", r.data ? JSON.stringify(r.data) : null, r.clientId, r.redirectUri, r.scope, r.state, r.traceId, r.requestId, r.sessionId,
        r.browser, r.codeChallenge ?? null, now, r.expiresAt);
  }

  findAuthRequest(id: string, now: number): AuthRequest | null {
    const row = this.db.query<Record<string, any>, [string, string, number]>(
      "SELECT * FROM dva_auth_request WHERE id = ? AND dva = ? AND expires_at > ?").get(id, this.dva, now);
    return row ? { id: row.id, kind: row.kind, data: row.data ? JSON.parse(row.data) : undefined, clientId: row.client_id, redirectUri: row.redirect_uri, scope: row.scope, state: row.state,
      traceId: row.trace_id, requestId: row.request_id, sessionId: row.session_id, browser: row.browser, codeChallenge: row.code_challenge, expiresAt: row.expires_at } : null;
  }

  /** Bind a pending request to the browser session that logged in for it. */
  attachSession(requestId: string, sessionId: string): void {
    this.db.query("UPDATE dva_auth_request SET session_id = ? WHERE id = ? AND dva = ?").run(sha256(sessionId), requestId, this.dva);
  }

  /** End a pending request; false when it was already gone (two answers at once: only one wins). */
  deleteAuthRequest(id: string): boolean {
    return this.db.query("DELETE FROM dva_auth_request WHERE id = ? AND dva = ?").run(id, this.dva).changes === 1;
  }

  /**
   * Record a DigiD assertion as redeemed until it expires; false when it already was (single
   * use, atomic: the primary key decides between two concurrent callbacks).
   */
  useAssertion(jti: string, expiresAt: number, now: number): boolean {
    this.db.query("DELETE FROM dva_used_assertion WHERE dva = ? AND expires_at <= ?").run(this.dva, now);
    return this.db.query("INSERT INTO dva_used_assertion (dva, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING").run(this.dva, jti, expiresAt).changes === 1;
  }

  // Consents --------------------------------------------------------------------------------------

  createConsent(c: Omit<Consent, "id" | "withdrawnAt">): Consent {
    const consent = { ...c, id: crypto.randomUUID(), withdrawnAt: null };
    this.db.query("INSERT INTO dva_consent (id, dva, bsn, client_id, zorgaanbieder, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(consent.id, this.dva, c.bsn, c.clientId, c.zorgaanbieder, c.kind, c.createdAt, c.expiresAt);
    return consent;
  }

  findConsent(id: string): Consent | null {
    const row = this.db.query<Record<string, any>, [string, string]>("SELECT * FROM dva_consent WHERE id = ? AND dva = ?").get(id, this.dva);
    return row ? toConsent(row) : null;
  }

  consentsOf(bsn: string): Consent[] {
    return this.db.query<Record<string, any>, [string, string]>(
      "SELECT * FROM dva_consent WHERE dva = ? AND bsn = ? ORDER BY created_at DESC").all(this.dva, bsn).map(toConsent);
  }

  /** Withdraw a consent and kill everything issued under it. */
  withdrawConsent(id: string, now: number): void {
    flushAccessTokens(this.db);
    tokensMayHaveChanged();
    this.db.transaction(() => {
      this.db.query("UPDATE dva_consent SET withdrawn_at = ? WHERE id = ? AND dva = ? AND withdrawn_at IS NULL").run(now, id, this.dva);
      this.db.query("UPDATE dva_grant SET revoked_at = ? WHERE consent_id = ? AND revoked_at IS NULL").run(now, id);
      this.db.query("UPDATE dva_access_token SET revoked_at = ? WHERE consent_id = ? AND revoked_at IS NULL").run(now, id);
    })();
  }

  // Grants (codes, refresh tokens, launch codes) --------------------------------------------------

  saveGrant(secret: string, g: Omit<Grant, "hash" | "usedAt" | "revokedAt">): void {
    this.db.query("INSERT INTO dva_grant (hash, dva, kind, client_id, consent_id, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(sha256(secret), this.dva, g.kind, g.clientId, g.consentId, JSON.stringify(g.data), g.createdAt, g.expiresAt);
  }

  findGrant<T>(secret: string, kind: GrantKind): Grant<T> | null {
    const row = this.db.query<Record<string, any>, [string, string, string]>(
      "SELECT * FROM dva_grant WHERE hash = ? AND dva = ? AND kind = ?").get(sha256(secret), this.dva, kind);
    return row ? { hash: row.hash, kind: row.kind, clientId: row.client_id, consentId: row.consent_id, data: JSON.parse(row.data),
      createdAt: row.created_at, expiresAt: row.expires_at, usedAt: row.used_at, revokedAt: row.revoked_at } : null;
  }

  /** Mark a grant used; false when it already was (single use, checked atomically). */
  useGrant(hash: string, now: number): boolean {
    return this.db.query("UPDATE dva_grant SET used_at = ? WHERE hash = ? AND used_at IS NULL").run(now, hash).changes === 1;
  }

  revokeGrant(hash: string, now: number): void {
    this.db.query("UPDATE dva_grant SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL").run(now, hash);
  }

  /**
   * The live (unexpired, unrevoked, unused) tokens and codes, by person or client, for the cockpit's
   * token inspector: ids and owners only, never a secret (the store has none).
   */
  liveTokens(f: { bsn: string | null; clientId: string | null }, now: number, limit = 200): { kind: "access" | GrantKind; id: string; clientId: string; bsn: string | null; zorgaanbieder: string | null; expiresAt: string }[] {
    flushAccessTokens(this.db);
    const rows = this.db.query<{ kind: string; id: string; client_id: string; bsn: string | null; zorgaanbieder: string | null; expires_at: number }, [string, number, string | null, string | null, string, number, string | null, string | null, number]>(`
      SELECT 'access' AS kind, t.jti AS id, t.client_id, c.bsn, c.zorgaanbieder, t.expires_at FROM dva_access_token t LEFT JOIN dva_consent c ON c.id = t.consent_id
        WHERE t.dva = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND (?3 IS NULL OR c.bsn = ?3) AND (?4 IS NULL OR t.client_id = ?4)
      UNION ALL
      SELECT g.kind, substr(g.hash, 1, 12), g.client_id, COALESCE(c.bsn, json_extract(g.data, '$.bsn')), COALESCE(c.zorgaanbieder, json_extract(g.data, '$.zorgaanbieder')), g.expires_at
        FROM dva_grant g LEFT JOIN dva_consent c ON c.id = g.consent_id
        WHERE g.dva = ?5 AND g.revoked_at IS NULL AND g.expires_at > ?6 AND (g.kind = 'refresh' OR g.used_at IS NULL)
          AND (?7 IS NULL OR COALESCE(c.bsn, json_extract(g.data, '$.bsn')) = ?7) AND (?8 IS NULL OR g.client_id = ?8)
      ORDER BY 6 DESC LIMIT ?9`).all(this.dva, now, f.bsn, f.clientId, this.dva, now, f.bsn, f.clientId, limit);
    return rows.map((r) => ({ kind: r.kind as "access" | GrantKind, id: r.id, clientId: r.client_id, bsn: r.bsn, zorgaanbieder: r.zorgaanbieder, expiresAt: new Date(r.expires_at).toISOString() }));
  }

  // KoppelMij 2026 (issue 15): PAR requests, launch authorization codes, module cookies ------------

  saveLaunchAuthorization(secret: string, kind: LaunchAuthorizationKind, clientId: string, data: Record<string, unknown>, expiresAt: number): void {
    this.db.query("INSERT INTO dva_launch_authorization (hash, dva, kind, client_id, data, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(sha256(secret), this.dva, kind, clientId, JSON.stringify(data), expiresAt);
  }

  /** Take one for use: unexpired, unused and of this kind; marked used in the same step (single use), else null. */
  takeLaunchAuthorization<T>(secret: string, kind: LaunchAuthorizationKind, now: number, clientId: string | null = null): { clientId: string; data: T } | null {
    // `clientId`: only that client can take it (another's attempt must not burn it for the rightful one).
    const row = this.db.query<{ client_id: string; data: string }, [number, string, string, string, number, string | null, string | null]>(
      "UPDATE dva_launch_authorization SET used_at = ? WHERE hash = ? AND dva = ? AND kind = ? AND used_at IS NULL AND expires_at > ? AND (? IS NULL OR client_id = ?) RETURNING client_id, data")
      .get(now, sha256(secret), this.dva, kind, now, clientId, clientId);
    return row ? { clientId: row.client_id, data: JSON.parse(row.data) as T } : null;
  }

  // Access tokens ---------------------------------------------------------------------------------

  /** Record an issued token's id (for revocation); resolves once it is written, rejects with the storage error. */
  recordAccessToken(t: { jti: string; clientId: string; consentId: string | null; issuedBy: string | null; expiresAt: number }): Promise<void> {
    let pending = pendingTokens.get(this.db);
    if (!pending) pendingTokens.set(this.db, pending = { rows: [], waiting: [], scheduled: false });
    pending.rows.push([t.jti, this.dva, t.clientId, t.consentId, t.issuedBy, t.expiresAt]);
    const written = new Promise<void>((resolve, reject) => pending.waiting.push({ resolve, reject }));
    if (!pending.scheduled) {
      pending.scheduled = true;
      const p = pending;
      setImmediate(() => { p.scheduled = false; flushAccessTokens(this.db); });
    }
    return written;
  }

  /** The consent an access token was issued under (its person), if any. */
  consentOfAccessToken(jti: string): Consent | null {
    flushAccessTokens(this.db);
    const row = this.db.query<{ consent_id: string | null }, [string, string]>("SELECT consent_id FROM dva_access_token WHERE jti = ? AND dva = ?").get(jti, this.dva);
    return row?.consent_id ? this.findConsent(row.consent_id) : null;
  }

  isAccessTokenRevoked(jti: string): boolean {
    const key = `${this.dva} ${jti}`;
    if (activeTokens.get(key) === revocationGeneration) return false;
    flushAccessTokens(this.db);
    const row = this.db.query<{ revoked_at: number | null }, [string, string]>("SELECT revoked_at FROM dva_access_token WHERE jti = ? AND dva = ?").get(jti, this.dva);
    const revoked = !row || row.revoked_at !== null;
    if (!revoked) {
      if (activeTokens.size > 10_000) activeTokens.clear();
      activeTokens.set(key, revocationGeneration);
    }
    return revoked;
  }

  revokeAccessToken(jti: string, now: number): void {
    flushAccessTokens(this.db);
    tokensMayHaveChanged();
    this.db.query("UPDATE dva_access_token SET revoked_at = ? WHERE jti = ? AND dva = ? AND revoked_at IS NULL").run(now, jti, this.dva);
  }

  /** A replayed code revokes what it issued (RFC 6749 §4.1.2). */
  revokeIssuedBy(grantHash: string, now: number): void {
    tokensMayHaveChanged();
    this.db.transaction(() => this.revokeLineage(grantHash, now))();
  }

  /**
   * A code or refresh token presented again (RFC 6749 §4.1.2, RFC 9700 §4.14.2). In one
   * transaction the presented grant is marked revoked — the mark a concurrent winner looks for in
   * `settleRedemption` — and everything its lineage (rooted at `rootHash`) issued is revoked.
   * Whichever of two concurrent redemptions loses, the winner's tokens end up revoked.
   */
  replayDetected(usedHash: string, rootHash: string, now: number): void {
    tokensMayHaveChanged();
    this.db.transaction(() => {
      this.db.query("UPDATE dva_grant SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL").run(now, usedHash);
      this.revokeLineage(rootHash, now);
    })();
  }

  /**
   * After the winner of `useGrant` recorded what it issued: a replay that came in while it was
   * signing found nothing recorded yet to revoke, but marked the grant (`replayDetected`). The
   * check and the revocation are one transaction, after the recording, so no order of the two
   * requests leaves the winner's tokens alive. False when they were revoked.
   */
  settleRedemption(usedHash: string, rootHash: string, now: number): boolean {
    return this.db.transaction(() => {
      const row = this.db.query<{ revoked_at: number | null }, [string, string]>("SELECT revoked_at FROM dva_grant WHERE hash = ? AND dva = ?").get(usedHash, this.dva);
      if (row && row.revoked_at === null) return true;
      tokensMayHaveChanged();
      this.revokeLineage(rootHash, now);
      return false;
    })();
  }

  private revokeLineage(rootHash: string, now: number): void {
    flushAccessTokens(this.db);
    this.db.query("UPDATE dva_access_token SET revoked_at = ? WHERE issued_by = ? AND revoked_at IS NULL").run(now, rootHash);
    this.db.query("UPDATE dva_grant SET revoked_at = ? WHERE kind = 'refresh' AND json_extract(data, '$.issuedBy') = ? AND revoked_at IS NULL").run(now, rootHash);
  }
}

function toConsent(row: Record<string, any>): Consent {
  return { id: row.id, bsn: row.bsn, clientId: row.client_id, zorgaanbieder: row.zorgaanbieder, kind: row.kind,
    createdAt: row.created_at, expiresAt: row.expires_at, withdrawnAt: row.withdrawn_at };
}
