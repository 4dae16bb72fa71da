/**
 * Access tokens: JWTs signed with the DVA's own key (ES256), verifiable with its JWKS. Claims:
 * iss = the DVA auth origin, aud = the DVA FHIR base, sub (a per-DVA pseudonym, not the BSN),
 * patient, zorgaanbieder, client_id, scope, exp, jti (issue 3 item 1).
 */
import { sha256 } from "../../shared/crypto.ts";
import { signJwt, type SigningKey } from "../../shared/keys.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 900;

export interface AccessTokenClaims {
  sub: string;
  /** FHIR Patient id at this DVA, if the person is known there. */
  patient?: string;
  zorgaanbieder?: string;
  client_id: string;
  scope: string;
  /** For module tokens (SMART): the launched Task. */
  resource?: string;
}

/** A stable pseudonym of a person at one DVA. */
export function pseudonym(dva: string, bsn: string): string {
  return sha256(`${dva}:${bsn}`).slice(0, 32);
}

/**
 * SMART `openid fhirUser` (issue 15, both flavours; KoppelMij walkthrough "module-launch-ontvangen"):
 * an OpenID Connect id_token naming the person as `fhirUser`, for the module (`aud` = its client_id).
 */
export async function signIdToken(key: SigningKey, p: { issuer: string; clientId: string; sub: string; fhirUser: string; now: number; ttlSeconds?: number }): Promise<string> {
  const iat = Math.floor(p.now / 1000);
  return signJwt(key, "JWT", { fhirUser: p.fhirUser, iss: p.issuer, aud: p.clientId, sub: p.sub, iat, exp: iat + (p.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS) });
}

export async function signAccessToken(key: SigningKey, p: { issuer: string; audience: string; claims: AccessTokenClaims; now: number; ttlSeconds?: number }) {
  const iat = Math.floor(p.now / 1000);
  const exp = iat + (p.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS);
  // UUID v7: ordered by time, so the dva_access_token rows land at the end of their primary key (issue 16).
  const jti = Bun.randomUUIDv7();
  const { sub, ...rest } = p.claims;
  const token = signJwt(key, "at+jwt", { ...rest, iss: p.issuer, aud: p.audience, sub, iat, exp, jti });
  return { token, jti, expiresAt: exp * 1000, expiresIn: exp - iat };
}
