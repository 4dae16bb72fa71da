/**
 * Signing keys for the actors that issue JWTs (DigiD simulator assertions, DVA access tokens).
 * ES256; keys made and exported with jose; each actor persists its own JWKs in its own table so
 * tokens survive a restart.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK } from "jose";

export const SIGNING_ALG = "ES256";

export interface SigningKeyRecord { kid: string; privateJwk: JWK; publicJwk: JWK }
export interface SigningKey { kid: string; privateKey: KeyObject; publicJwk: JWK }

/** A JWT's claims: what the issuer names, with the times in seconds since the epoch (RFC 7519 §4.1). */
export type JwtClaims = Record<string, unknown> & { iss: string; aud: string; sub: string; iat: number; exp: number; jti?: string };

const base64url = (text: string) => Buffer.from(text).toString("base64url");

/**
 * A signed JWT in compact serialisation (RFC 7515 §7.1; ES256 per RFC 7518 §3.4: the signature is
 * R‖S, `dsaEncoding: "ieee-p1363"`), header `{alg, kid, typ}`. node:crypto signs synchronously
 * in ~22 µs of CPU where WebCrypto's promise behind jose's SignJWT took ~75 µs, a third of the
 * token endpoint (issue 16); jose verifies, and so do the tests and third-party clients.
 */
export function signJwt(key: SigningKey, typ: "JWT" | "at+jwt", claims: JwtClaims): string {
  const input = `${base64url(JSON.stringify({ alg: SIGNING_ALG, kid: key.kid, typ }))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

export async function generateSigningKey(): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: "sig" };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG }, publicJwk };
}

export async function importSigningKey(record: SigningKeyRecord): Promise<SigningKey> {
  return { kid: record.kid, privateKey: createPrivateKey({ key: record.privateJwk as import("node:crypto").JsonWebKeyInput["key"], format: "jwk" }), publicJwk: record.publicJwk };
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
