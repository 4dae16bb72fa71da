/**
 * Signing keys for the actors that issue JWTs (DigiD simulator assertions, DVA access tokens).
 * ES256 via jose; each actor persists its own JWKs in its own table so tokens survive a restart.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

export const SIGNING_ALG = "ES256";

export interface SigningKeyRecord { kid: string; privateJwk: JWK; publicJwk: JWK }
export interface SigningKey { kid: string; privateKey: CryptoKey; publicJwk: JWK }

export async function generateSigningKey(): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: "sig" };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG }, publicJwk };
}

export async function importSigningKey(record: SigningKeyRecord): Promise<SigningKey> {
  return { kid: record.kid, privateKey: (await importJWK(record.privateJwk, SIGNING_ALG)) as CryptoKey, publicJwk: record.publicJwk };
}

/**
 * A signing key loaded from an actor's own table on first use, or generated and saved there.
 * The promise is cached, so concurrent first requests share one key.
 */
export function lazySigningKey(store: { currentKey(): SigningKeyRecord | null; saveKey(key: SigningKeyRecord): void }): () => Promise<SigningKey> {
  let key: Promise<SigningKey> | null = null;
  return () => (key ??= (async () => {
    let record = store.currentKey();
    if (!record) { record = await generateSigningKey(); store.saveKey(record); }
    return importSigningKey(record);
  })());
}
