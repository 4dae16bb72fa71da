/** The small cryptographic helpers every actor uses: hashes of secrets, random tokens, constant-time compare. */
import { timingSafeEqual } from "node:crypto";

/** SHA-256 of a text; secrets (codes, refresh tokens, session ids) are stored only as this. */
export function sha256(value: string, encoding: "hex" | "base64url" = "hex"): string {
  return new Bun.CryptoHasher("sha256").update(value).digest(encoding);
}

/** HMAC-SHA-256 of a text under a sandbox secret (CSRF tokens, hand-off tickets), base64url. */
export function hmac(secret: string, value: string): string {
  return new Bun.CryptoHasher("sha256", secret).update(value).digest("base64url");
}

/** A URL-safe random token; 32 bytes = 256 bits for codes, refresh tokens, launch codes and session ids. */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** Compare two secrets without leaking where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
