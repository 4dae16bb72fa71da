/**
 * Verify an access token this DVA issued: signature with the DVA's own key, issuer, audience
 * (the DVA FHIR base), expiry, and not revoked. Used for the token exchange's subject_token and,
 * later, by introspection. Tokens of another DVA fail the signature or issuer check.
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { SigningKey } from "../../shared/keys.ts";
import type { DvaAuthStore } from "./store.ts";

export interface VerifiedAccessToken extends JWTPayload {
  jti: string;
  client_id: string;
  scope: string;
  patient?: string;
  zorgaanbieder?: string;
  resource?: string;
}

export async function verifyAccessToken(token: string, o: { key: SigningKey; issuer: string; audience: string; store: DvaAuthStore; now: number }): Promise<VerifiedAccessToken | null> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [o.key.publicJwk] }), {
      issuer: o.issuer, audience: o.audience, currentDate: new Date(o.now), algorithms: ["ES256"],
    });
    if (typeof payload.jti !== "string" || typeof payload.client_id !== "string" || typeof payload.scope !== "string") return null;
    if (o.store.isAccessTokenRevoked(payload.jti)) return null;
    return payload as VerifiedAccessToken;
  } catch {
    return null;
  }
}
