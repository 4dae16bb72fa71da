/**
 * grant_type=refresh_token (RFC 6749 §6), only under long-term consent. Refresh tokens rotate
 * (OAuth 2.0 Security BCP §4.14.2): a used one is refused, and its reuse revokes the whole lineage —
 * including the pair a concurrent first use is issuing at that moment.
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { issueCollectTokens, type CollectGrantData, type GrantHandler } from "./context.ts";

export const handleRefreshToken: GrantHandler = async (ctx, client, form) => {
  const token = form.get("refresh_token");
  if (!token) throw new OAuthError("invalid_request", "refresh_token ontbreekt");
  const grant = ctx.store.findGrant<CollectGrantData>(token, "refresh");
  if (!grant) throw new OAuthError("invalid_grant", "onbekend refresh token");
  if (grant.clientId !== client.clientId) throw new OAuthError("invalid_grant", "het refresh token is aan een andere client uitgegeven");
  if (grant.revokedAt !== null) throw new OAuthError("invalid_grant", "het refresh token is ingetrokken");
  const root = grant.data.issuedBy ?? grant.hash;
  if (grant.usedAt !== null || !ctx.store.useGrant(grant.hash, ctx.now)) {
    ctx.store.replayDetected(grant.hash, root, ctx.now);
    throw new OAuthError("invalid_grant", "het refresh token is al gebruikt; alle tokens van deze toestemming zijn ingetrokken");
  }
  if (grant.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "het refresh token is verlopen");
  const scope = form.get("scope");
  if (scope !== null && scope !== grant.data.scope) throw new OAuthError("invalid_scope", `scope ${scope} valt buiten de toestemming (${grant.data.scope})`);
  const consent = grant.consentId ? ctx.store.findConsent(grant.consentId) : null;
  if (!consent || consent.withdrawnAt !== null || consent.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de toestemming is ingetrokken of verlopen");
  const body = await issueCollectTokens(ctx, client.clientId, consent, grant.data, root);
  // A reuse that arrived while the new pair was signed revokes it too (see the store).
  ctx.store.settleRedemption(grant.hash, root, ctx.now);
  return body;
};
