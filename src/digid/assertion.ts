/**
 * The DigiD simulator's answer to a DVA: a short-lived signed assertion (JWT) that names the BSN,
 * when and at which level the person authenticated. The DVA verifies it with the simulator's JWKS
 * over HTTP (`/.well-known/jwks.json`); `aud` is the DVA's origin and `state` binds it to the flow.
 */
import { signJwt, type SigningKey } from "../shared/keys.ts";

export const ASSERTION_TTL_SECONDS = 120;
/** DigiD betrouwbaarheidsniveau the simulator asserts. */
export const DIGID_LEVEL = "midden";

export interface DigidAssertionClaims {
  bsn: string;
  auth_time: number;
  level: string;
  state: string;
}

export async function signAssertion(key: SigningKey, p: { issuer: string; audience: string; bsn: string; state: string; now?: Date }): Promise<string> {
  const now = Math.floor((p.now ?? new Date()).getTime() / 1000);
  const claims: DigidAssertionClaims = { bsn: p.bsn, auth_time: now, level: DIGID_LEVEL, state: p.state };
  return signJwt(key, "JWT", { ...claims, iss: p.issuer, aud: p.audience, sub: p.bsn, iat: now, exp: now + ASSERTION_TTL_SECONDS, jti: crypto.randomUUID() });
}
