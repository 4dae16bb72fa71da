/**
 * grant_type=client_credentials (RFC 6749 §4.4) for a zorgaanbieder's own systems (the clinician
 * portal, an EHR): a token for that organisation's resources at this DVA, with SMART system scopes.
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { signAccessToken } from "../tokens.ts";
import type { GrantHandler } from "./context.ts";

export const SYSTEM_SCOPES = ["system/*.read", "system/*.write", "system/*.*", "system/*.rs", "system/*.cruds"];

export const handleClientCredentials: GrantHandler = async (ctx, client, form) => {
  if (client.kind !== "system") throw new OAuthError("unauthorized_client", "client_credentials is alleen voor systemen van de zorgaanbieder");
  const requested = (form.get("scope") ?? "system/*.*").split(" ").filter(Boolean);
  const unknown = requested.filter((s) => !SYSTEM_SCOPES.includes(s));
  if (unknown.length || requested.length === 0) throw new OAuthError("invalid_scope", `onbekende scope: ${unknown.join(" ") || "(leeg)"}; gebruik ${SYSTEM_SCOPES.join(", ")}`);
  const scope = requested.join(" ");
  const at = await signAccessToken(await ctx.signingKey(), {
    issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, now: ctx.now,
    claims: { sub: client.clientId, zorgaanbieder: client.zorgaanbieder, client_id: client.clientId, scope },
  });
  await ctx.store.recordAccessToken({ jti: at.jti, clientId: client.clientId, consentId: null, issuedBy: null, expiresAt: at.expiresAt });
  return { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope };
};
