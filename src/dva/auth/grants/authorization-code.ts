/**
 * grant_type=authorization_code (RFC 6749 §4.1.3): single use, 10 minutes, exact redirect_uri,
 * same client, and PKCE when the authorization request had a challenge (RFC 7636 §4.6). A
 * replayed code is refused and revokes what it issued (RFC 6749 §4.1.2), also when the two
 * redemptions arrive at once: the store settles that (`replayDetected` / `settleRedemption`).
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { sha256 } from "../../../shared/crypto.ts";
import { pkceMatches } from "../smart.ts";
import { issueCollectTokens, type ChainContext, type CollectGrantData, type GrantHandler } from "./context.ts";

/** A collect code: the grant data plus the S256 challenge of its authorization request, if any. */
export type CodeData = CollectGrantData & { codeChallenge?: string | null; chain?: ChainContext };

export const handleAuthorizationCode: GrantHandler = async (ctx, client, form) => {
  const code = form.get("code");
  const redirectUri = form.get("redirect_uri");
  if (!code) throw new OAuthError("invalid_request", "code ontbreekt (stap: tokenverzoek)");
  if (!redirectUri) throw new OAuthError("invalid_request", "redirect_uri ontbreekt (stap: tokenverzoek)");
  if (client.kind !== "pgo") throw new OAuthError("unauthorized_client", "alleen PGO's gebruiken de authorization code van /auth");
  const grant = ctx.store.findGrant<CodeData>(code, "code");
  if (!grant) throw new OAuthError("invalid_grant", "onbekende autorisatiecode");
  if (grant.clientId !== client.clientId) throw new OAuthError("invalid_grant", "de autorisatiecode is aan een andere client uitgegeven");
  if (grant.usedAt !== null || !ctx.store.useGrant(grant.hash, ctx.now)) {
    ctx.store.replayDetected(grant.hash, grant.hash, ctx.now);
    throw new OAuthError("invalid_grant", "de autorisatiecode is al gebruikt; de daarmee uitgegeven tokens zijn ingetrokken");
  }
  if (grant.revokedAt !== null) throw new OAuthError("invalid_grant", "de autorisatiecode is ingetrokken");
  if (grant.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de autorisatiecode is verlopen (10 minuten)");
  if (grant.data.redirectUri !== redirectUri) throw new OAuthError("invalid_grant", "redirect_uri wijkt af van die in het autorisatieverzoek");
  checkCodeVerifier(form.get("code_verifier"), grant.data.codeChallenge ?? null);
  const consent = grant.consentId ? ctx.store.findConsent(grant.consentId) : null;
  if (!consent || consent.withdrawnAt !== null || consent.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de toestemming is ingetrokken of verlopen");
  const body = await issueCollectTokens(ctx, client.clientId, consent, grant.data, sha256(code));
  // A concurrent replay may have come in while the tokens were signed (RFC 9700 §4.14.2).
  ctx.store.settleRedemption(grant.hash, grant.hash, ctx.now);
  return body;
};

/**
 * RFC 7636 §4.6: with a challenge, the verifier must match it. RFC 9700 §2.1.1 (PKCE downgrade,
 * §4.8.2): a verifier for a code whose request had no challenge is refused too, so that a code
 * obtained without PKCE cannot be injected into a PGO session that used it (§4.5).
 */
function checkCodeVerifier(verifier: string | null, challenge: string | null): void {
  if (challenge === null) {
    if (verifier !== null) throw new OAuthError("invalid_grant", "code_verifier meegestuurd, maar het autorisatieverzoek had geen code_challenge (PKCE)");
    return;
  }
  if (verifier === null) throw new OAuthError("invalid_grant", "code_verifier ontbreekt; het autorisatieverzoek had een code_challenge (PKCE)");
  if (!pkceMatches(verifier, challenge)) throw new OAuthError("invalid_grant", "code_verifier past niet bij de code_challenge (PKCE)");
}
