/**
 * The PGO's own tables: accounts (AM-FE-016) and login sessions; connections, tokens and the task
 * cache arrive with the rest of issue 5. Passwords are hashed with Bun.password (argon2id);
 * session ids are stored as SHA-256.
 */
import type { Database } from "bun:sqlite";

export interface PgoAccount { id: string; pgo: string; username: string; displayName: string }

/** argon2id with OWASP's minimum settings: strong enough for a sandbox, fast enough to seed. */
export const PASSWORD_OPTIONS = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

export class PgoStore {
  constructor(private readonly db: Database) {}

  createAccount(a: { pgo: string; username: string; passwordHash: string; displayName: string }): PgoAccount {
    const id = crypto.randomUUID();
    this.db.query("INSERT INTO pgo_account (id, pgo, username, password_hash, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(id, a.pgo, a.username, a.passwordHash, a.displayName, new Date().toISOString());
    return { id, pgo: a.pgo, username: a.username, displayName: a.displayName };
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
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
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

  endSession(sessionId: string): void {
    this.db.query("DELETE FROM pgo_session WHERE id = ?").run(sha256(sessionId));
  }
}

function sha256(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}
