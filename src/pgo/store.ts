/**
 * The PGO's own tables. Accounts (AM-FE-016) now; connections, tokens and the task cache arrive
 * with the PGO issue. Passwords are hashed with Bun.password (argon2id).
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
}
