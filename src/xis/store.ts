/** The clinician portal's own table: login sessions (ids stored as SHA-256; clinicians come from the network). */
import type { Database } from "bun:sqlite";
import { randomToken, sha256 } from "../shared/crypto.ts";

export class XisStore {
  constructor(private readonly db: Database) {}

  createSession(clinician: string, now: number, ttlMs: number): string {
    const id = randomToken();
    this.db.query("INSERT INTO xis_session (id, clinician, created_at, expires_at) VALUES (?, ?, ?, ?)").run(sha256(id), clinician, now, now + ttlMs);
    return id;
  }

  clinicianOf(sessionId: string, now: number): string | null {
    return this.db.query<{ clinician: string }, [string, number]>("SELECT clinician FROM xis_session WHERE id = ? AND expires_at > ?").get(sha256(sessionId), now)?.clinician ?? null;
  }

  endSession(sessionId: string): void {
    this.db.query("DELETE FROM xis_session WHERE id = ?").run(sha256(sessionId));
  }
}
