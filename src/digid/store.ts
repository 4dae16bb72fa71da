/** The DigiD simulator's signing key (digid_key). */
import type { Database } from "bun:sqlite";
import type { SigningKeyRecord } from "../shared/keys.ts";

export class DigidStore {
  constructor(private readonly db: Database) {}

  currentKey(): SigningKeyRecord | null {
    const row = this.db.query<{ kid: string; private_jwk: string; public_jwk: string }, []>(
      "SELECT kid, private_jwk, public_jwk FROM digid_key ORDER BY created_at DESC LIMIT 1",
    ).get();
    return row ? { kid: row.kid, privateJwk: JSON.parse(row.private_jwk), publicJwk: JSON.parse(row.public_jwk) } : null;
  }

  saveKey(key: SigningKeyRecord): void {
    this.db.query("INSERT INTO digid_key (kid, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?)")
      .run(key.kid, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), new Date().toISOString());
  }
}
