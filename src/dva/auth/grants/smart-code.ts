/**
 * Module token request at `/connect/token` (SD 3.6; SMART App Launch 2.x): the code from
 * `/connect/authorize` plus the PKCE verifier, with client_secret_basic or client_secret_post.
 * The response carries the launch context: patient, fhirUser, resource (the Task), intent and
 * return_url. The access token is limited to that patient and Task (SPEC §5).
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { pkceMatches } from "../smart.ts";
import { pseudonym, signAccessToken, signIdToken } from "../tokens.ts";
import type { ChainContext, GrantHandler } from "./context.ts";
import type { LaunchContext } from "./token-exchange.ts";

export interface SmartCodeData { smart: true; launch: LaunchContext; redirectUri: string; codeChallenge: string; scope: string; chain?: ChainContext }

export const handleSmartCode: GrantHandler = async (ctx, client, form) => {
  if (client.kind !== "module") throw new OAuthError("unauthorized_client", "alleen modules gebruiken /connect/token");
  const code = form.get("code");
  const redirectUri = form.get("redirect_uri");
  if (!code) throw new OAuthError("invalid_request", "code ontbreekt");
  if (!redirectUri) throw new OAuthError("invalid_request", "redirect_uri ontbreekt");
  const grant = ctx.store.findGrant<SmartCodeData>(code, "code");
  if (!grant || !grant.data.smart) throw new OAuthError("invalid_grant", "onbekende autorisatiecode");
  if (grant.clientId !== client.clientId) throw new OAuthError("invalid_grant", "de autorisatiecode is aan een andere client uitgegeven");
  if (grant.usedAt !== null || !ctx.store.useGrant(grant.hash, ctx.now)) {
    ctx.store.replayDetected(grant.hash, grant.hash, ctx.now);
    throw new OAuthError("invalid_grant", "de autorisatiecode is al gebruikt; de daarmee uitgegeven tokens zijn ingetrokken");
  }
  if (grant.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de autorisatiecode is verlopen");
  if (grant.data.redirectUri !== redirectUri) throw new OAuthError("invalid_grant", "redirect_uri wijkt af van die in het autorisatieverzoek");
  if (!pkceMatches(form.get("code_verifier"), grant.data.codeChallenge)) throw new OAuthError("invalid_grant", "code_verifier past niet bij de code_challenge (PKCE)");

  const launch = grant.data.launch;
  const at = await signAccessToken(await ctx.signingKey(), {
    issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, now: ctx.now,
    // The module sees what the PGO's consent covers: this patient, this zorgaanbieder (issue 10).
    claims: { sub: pseudonym(ctx.dva.id, launch.bsn), patient: launch.patient, zorgaanbieder: launch.zorgaanbieder, client_id: client.clientId,
      scope: grant.data.scope, resource: launch.task },
  });
  ctx.store.recordAccessToken({ jti: at.jti, clientId: client.clientId, consentId: grant.consentId, issuedBy: grant.hash, expiresAt: at.expiresAt });
  // RFC 6749 §4.1.2 under concurrency: a replay while this token was signed revokes it now.
  ctx.store.settleRedemption(grant.hash, grant.hash, ctx.now);
  const scopes = grant.data.scope.split(" ");
  const idToken = scopes.includes("openid") && scopes.includes("fhirUser")
    ? await signIdToken(await ctx.signingKey(), { issuer: ctx.dva.auth.origin, clientId: client.clientId, sub: pseudonym(ctx.dva.id, launch.bsn), fhirUser: `Patient/${launch.patient}`, now: ctx.now })
    : null;
  const common = { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope: grant.data.scope, ...(idToken ? { id_token: idToken } : {}),
    fhirUser: `Patient/${launch.patient}`, resource: launch.task, intent: launch.intent };
  // The flavour the launch was issued in (issue 15; README "Spec flavours"): KoppelMij 2026 names
  // the patient as a reference and carries return_url in authorization_details (fhir_context,
  // KoppelMij module_terugkeer.md option B); SD v0.2 a bare id and return_url at the top.
  if (launch.flavour === "koppelmij-2026") {
    return { ...common, patient: `Patient/${launch.patient}`,
      authorization_details: [{ type: "fhir_context", locations: [ctx.dva.fhirBase], patient: `Patient/${launch.patient}`, resource: launch.task,
        ...(launch.returnUrl ? { return_url: launch.returnUrl } : {}) }] };
  }
  return { ...common, patient: launch.patient, ...(launch.returnUrl ? { return_url: launch.returnUrl } : {}) };
};
