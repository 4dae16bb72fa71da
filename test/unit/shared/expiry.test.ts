/**
 * Expired rows are pruned in batches (issue 16, shared/expiry.ts): what expired more than the
 * grace ago goes, what is live or only just expired stays, and a revoked token that has not
 * expired keeps its row (so it stays revoked).
 */
import { describe, expect, test } from "bun:test";
import { DvaAuthStore } from "../../../src/dva/auth/store.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { EXPIRY_GRACE_MS, pruneExpired } from "../../../src/shared/expiry.ts";

describe("pruning what expired", () => {
  test("long expired goes, in batches; live, just expired and revoked-but-live stay", () => {
    const db = openDatabase(":memory:");
    const store = new DvaAuthStore(db, "zorgnet");
    const now = Date.now();
    const long = now - EXPIRY_GRACE_MS - 60_000;
    for (let i = 0; i < 25; i++) store.recordAccessToken({ jti: `old-${i}`, clientId: "c", consentId: null, issuedBy: null, expiresAt: long });
    store.recordAccessToken({ jti: "just", clientId: "c", consentId: null, issuedBy: null, expiresAt: now - 1000 });
    store.recordAccessToken({ jti: "live", clientId: "c", consentId: null, issuedBy: null, expiresAt: now + 60_000 });
    store.recordAccessToken({ jti: "revoked", clientId: "c", consentId: null, issuedBy: null, expiresAt: now + 60_000 });
    store.revokeAccessToken("revoked", now);
    store.createSession("999991012", long - 1000, 1000);
    const live = store.createSession("999991012", now, 60_000);
    const tokens = () => db.query<{ jti: string }, []>("SELECT jti FROM dva_access_token ORDER BY jti").all().map((r) => r.jti);
    expect(pruneExpired(db, now, 10)).toBe(11); // 10 tokens and the old session (a batch per table)
    expect(tokens().filter((t) => t.startsWith("old-")).length).toBe(15);
    while (pruneExpired(db, now, 10) > 0) { /* catch up */ }
    expect(tokens()).toEqual(["just", "live", "revoked"]);
    expect(store.isAccessTokenRevoked("revoked")).toBe(true);
    expect(store.isAccessTokenRevoked("live")).toBe(false);
    // A token whose row went reads as revoked (it had expired long before: the JWT check refuses it first anyway).
    expect(store.isAccessTokenRevoked("old-1")).toBe(true);
    expect(store.findSession(live.id, now)).not.toBeNull();
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM dva_session").get()!.n).toBe(1);
  });
});
