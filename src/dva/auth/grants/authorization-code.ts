/**
 * grant_type=authorization_code (RFC 6749 §4.1.3): single use, 10 minutes, exact redirect_uri,
 * same client. A replayed code is refused and revokes what it issued (RFC 6749 §4.1.2).
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { sha256 } from "../../../shared/crypto.ts";

import { issueCollectTokens, type CollectGrantData, type GrantHandler } from "./context.ts";

export const handleAuthorizationCode: GrantHandler = async (ctx, client, form) => {
  const code = form.get("code");
  const redirectUri = form.get("redirect_uri");
  if (!code) throw new OAuthError("invalid_request", "code ontbreekt (stap: tokenverzoek)");
  if (!redirectUri) throw new OAuthError("invalid_request", "redirect_uri ontbreekt (stap: tokenverzoek)");
  if (client.kind !== "pgo") throw new OAuthError("unauthorized_client", "alleen PGO's gebruiken de authorization code van /auth");
  const grant = ctx.store.findGrant<CollectGrantData>(code, "code");
  if (!grant) throw new OAuthError("invalid_grant", "onbekende autorisatiecode");
  if (grant.clientId !== client.clientId) throw new OAuthError("invalid_grant", "de autorisatiecode is aan een andere client uitgegeven");
  if (grant.usedAt !== null || !ctx.store.useGrant(grant.hash, ctx.now)) {
    ctx.store.revokeIssuedBy(grant.hash, ctx.now);
    throw new OAuthError("invalid_grant", "de autorisatiecode is al gebruikt; de daarmee uitgegeven tokens zijn ingetrokken");
  }
  if (grant.revokedAt !== null) throw new OAuthError("invalid_grant", "de autorisatiecode is ingetrokken");
  if (grant.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de autorisatiecode is verlopen (10 minuten)");
  if (grant.data.redirectUri !== redirectUri) throw new OAuthError("invalid_grant", "redirect_uri wijkt af van die in het autorisatieverzoek");
  const consent = grant.consentId ? ctx.store.findConsent(grant.consentId) : null;
  if (!consent || consent.withdrawnAt !== null || consent.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de toestemming is ingetrokken of verlopen");
  return issueCollectTokens(ctx, client.clientId, consent, grant.data, sha256(code));
};
