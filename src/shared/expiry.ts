/**
 * Expired sessions, authorization requests, codes, launch authorizations and access tokens are
 * deleted in small batches (issue 16): a day of load leaves millions of rows that nothing will ever
 * accept again, and every query over them grows. An hour of grace after expiry, so that a code
 * presented again just after it expired still finds the grant it came from (and its lineage is
 * revoked, RFC 6749 §4.1.2). Consents stay: a person's overview of permissions shows them.
 *
 * A revoked or expired token can never pass once its row is gone: the FHIR server rejects an
 * expired JWT before it looks, and a token without a row reads as revoked (DvaAuthStore).
 */
import type { Database } from "bun:sqlite";
import { readerOf } from "./reader.ts";

/** Tables with an `expires_at` in ms and an index on it (migration 22), and their key's columns. */
const EXPIRING: readonly { table: string; key: string }[] = [
  { table: "dva_access_token", key: "jti" },
  { table: "dva_grant", key: "hash" },
  { table: "dva_session", key: "id" },
  { table: "dva_auth_request", key: "id" },
  { table: "dva_launch_authorization", key: "hash" },
  { table: "dva_used_assertion", key: "dva, jti" },
  { table: "sandbox_used_ticket", key: "nonce" },
  { table: "pgo_session", key: "id" },
  { table: "module_session", key: "id" },
  { table: "xis_session", key: "id" },
];
export const EXPIRY_GRACE_MS = 3_600_000;
const BATCH = 1_000;
const EVERY_MS = 60_000;
const CATCH_UP_MS = 200;

/** Per table, the delete of at most `batch` rows expired more than the grace ago, and whether one is (an index lookup). */
function expiryDeletes(now: number, batch: number): { sql: string; params: number[]; any: string }[] {
  return EXPIRING.map(({ table, key }) => ({
    sql: `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE expires_at < ? LIMIT ?)`, params: [now - EXPIRY_GRACE_MS, batch],
    any: `SELECT 1 FROM ${table} WHERE expires_at < ? LIMIT 1` }));
}

/** Delete at most `batch` expired rows per table (expired more than the grace ago); how many went. */
export function pruneExpired(db: Database, now = Date.now(), batch = BATCH): number {
  let deleted = 0;
  for (const { sql, params } of expiryDeletes(now, batch)) deleted += db.query<unknown, number[]>(sql).run(...params).changes;
  return deleted;
}

/**
 * Prune on a timer (unref'd), faster while a batch came back full; `stop` before the database
 * closes. The deletes run in the reader worker (shared/reader.ts deleteRows): what they read and
 * write waits for the disk there.
 */
export function startExpiryPruning(db: Database, everyMs = EVERY_MS): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const reader = readerOf(db);
  const tick = async () => {
    let deleted = 0;
    try {
      for (const { sql, params, any } of expiryDeletes(Date.now(), BATCH)) {
        if (stopped) return;
        // Only what is due goes to the worker: an idle sandbox does not start it every minute.
        if (!db.query<{ 1: number }, [number]>(any).get(params[0]!)) continue;
        deleted = Math.max(deleted, await reader.deleteRows(sql, params));
      }
    } catch { /* a busy or full disk: try again next time */ }
    if (stopped) return;
    timer = setTimeout(tick, deleted >= BATCH ? CATCH_UP_MS : everyMs);
    timer.unref?.();
  };
  timer = setTimeout(tick, everyMs);
  timer.unref?.();
  return { stop() { stopped = true; if (timer) clearTimeout(timer); timer = null; } };
}
