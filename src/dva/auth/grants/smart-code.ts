/**
 * Module token request at `/connect/token` (SD 3.6; SMART App Launch 2.x): the code from
 * `/connect/authorize` plus the PKCE verifier, with client_secret_basic or client_secret_post.
 * The response carries the launch context: patient, fhirUser, resource (the Task), intent and
 * return_url. The access token is limited to that patient and Task (SPEC §5).
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { pkceMatches } from "../smart.ts";
import { ACCESS_TOKEN_TTL_SECONDS, pseudonym, signAccessToken, signIdToken } from "../tokens.ts";
import type { ChainContext, GrantContext, GrantHandler } from "./context.ts";
import { randomToken } from "../../../shared/crypto.ts";
import type { LaunchContext } from "./token-exchange.ts";

/** KoppelMij 2026, technical-walkthrough-module-terugkeer.md: access tokens of 900 s, a session of at most 10 800 s, 120 s grace. */
export const MODULE_SESSION_MAX_MS = 10_800_000;
export const MODULE_SESSION_GRACE_MS = 120_000;

/** A module's refresh token (KoppelMij 2026): its launch context, scope and session end; `issuedBy` the code at the root of its lineage. */
export interface ModuleRefreshData { moduleRefresh: true; launch: LaunchContext; scope: string; sessionEnd: number; issuedBy: string }

/**
 * A module's access token, with the launch context in its response as the launch's flavour says
 * (issue 15; README "Spec flavours"): SD v0.2 names the patient as an id and return_url at the top;
 * KoppelMij 2026 names `Patient/<id>`, puts return_url in authorization_details (fhir_context,
 * KoppelMij module_terugkeer.md option B) and adds a rotating refresh token until the session's end.
 */
export async function moduleTokens(ctx: GrantContext, clientId: string, consentId: string | null, s: Omit<ModuleRefreshData, "moduleRefresh">, grantHash: string) {
  const { launch } = s;
  const ttl = Math.max(1, Math.min(ACCESS_TOKEN_TTL_SECONDS, Math.floor((s.sessionEnd - ctx.now) / 1000)));
  const at = await signAccessToken(await ctx.signingKey(), {
    issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, now: ctx.now, ttlSeconds: ttl,
    // The module sees what the PGO's consent covers: this patient, this zorgaanbieder (issue 10).
    claims: { sub: pseudonym(ctx.dva.id, launch.bsn), patient: launch.patient, zorgaanbieder: launch.zorgaanbieder, client_id: clientId, scope: s.scope, resource: launch.task },
  });
  await ctx.store.recordAccessToken({ jti: at.jti, clientId, consentId, issuedBy: s.issuedBy, expiresAt: at.expiresAt });
  const koppelmij = launch.flavour === "koppelmij-2026";
  const refresh = koppelmij ? randomToken() : null;
  if (refresh) {
    ctx.store.saveGrant(refresh, { kind: "refresh", clientId, consentId, createdAt: ctx.now, expiresAt: s.sessionEnd + MODULE_SESSION_GRACE_MS,
      data: { moduleRefresh: true, launch, scope: s.scope, sessionEnd: s.sessionEnd, issuedBy: s.issuedBy } satisfies ModuleRefreshData });
  }
  // RFC 6749 §4.1.2 under concurrency: a replay while these were signed revokes them now.
  ctx.store.settleRedemption(grantHash, s.issuedBy, ctx.now);
  const idToken = await idTokenFor(ctx, clientId, launch, s.scope);
  const common = { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope: s.scope, ...(idToken ? { id_token: idToken } : {}),
    fhirUser: `Patient/${launch.patient}` };
  if (!koppelmij) return { ...common, patient: launch.patient, resource: launch.task, intent: launch.intent, ...(launch.returnUrl ? { return_url: launch.returnUrl } : {}) };
  return { ...common, refresh_token: refresh, patient: `Patient/${launch.patient}`,
    // A standalone launch has no Task (context-standalone-patient): no resource, no intent.
    ...(launch.task ? { resource: launch.task, intent: launch.intent } : {}),
    authorization_details: [{ type: "fhir_context", locations: [ctx.dva.fhirBase], patient: `Patient/${launch.patient}`, ...(launch.task ? { resource: launch.task } : {}),
      ...(launch.returnUrl ? { return_url: launch.returnUrl } : {}) }] };
}

/** SMART `openid fhirUser` (issue 15): an id_token naming the person, when both were granted. */
async function idTokenFor(ctx: GrantContext, clientId: string, launch: LaunchContext, scope: string): Promise<string | null> {
  const scopes = scope.split(" ");
  if (!scopes.includes("openid") || !scopes.includes("fhirUser")) return null;
  return signIdToken(await ctx.signingKey(), { issuer: ctx.dva.auth.origin, clientId, sub: pseudonym(ctx.dva.id, launch.bsn), fhirUser: `Patient/${launch.patient}`, now: ctx.now });
}

/** grant_type=refresh_token at /connect/token (KoppelMij 2026): rotating, within the session; a reuse revokes the lineage. */
export const handleModuleRefresh: GrantHandler = async (ctx, client, form) => {
  if (client.kind !== "module") throw new OAuthError("unauthorized_client", "alleen modules gebruiken /connect/token");
  const token = form.get("refresh_token");
  if (!token) throw new OAuthError("invalid_request", "refresh_token ontbreekt");
  const grant = ctx.store.findGrant<ModuleRefreshData>(token, "refresh");
  if (!grant || !grant.data.moduleRefresh) throw new OAuthError("invalid_grant", "onbekend refresh token");
  if (grant.clientId !== client.clientId) throw new OAuthError("invalid_grant", "het refresh token is aan een andere client uitgegeven");
  if (grant.revokedAt !== null) throw new OAuthError("invalid_grant", "het refresh token is ingetrokken");
  if (grant.usedAt !== null || !ctx.store.useGrant(grant.hash, ctx.now)) {
    ctx.store.replayDetected(grant.hash, grant.data.issuedBy, ctx.now);
    throw new OAuthError("invalid_grant", "het refresh token is al gebruikt; de tokens van deze launch zijn ingetrokken");
  }
  if (grant.expiresAt <= ctx.now) throw new OAuthError("invalid_grant", "de sessie van de module is voorbij (ten hoogste 3 uur)");
  const consent = grant.consentId ? ctx.store.findConsent(grant.consentId) : null;
  if (!consent || consent.withdrawnAt !== null) throw new OAuthError("invalid_grant", "de toestemming is ingetrokken");
  const sessionEnd = Math.max(ctx.now + 1000, grant.data.sessionEnd);
  return moduleTokens(ctx, client.clientId, grant.consentId, { launch: grant.data.launch, scope: grant.data.scope, sessionEnd, issuedBy: grant.data.issuedBy }, grant.hash);
};

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

  // The session of a KoppelMij 2026 module lasts at most 3 hours (its refresh tokens); an SD v0.2 token 900 s.
  return moduleTokens(ctx, client.clientId, grant.consentId, { launch: grant.data.launch, scope: grant.data.scope, sessionEnd: ctx.now + MODULE_SESSION_MAX_MS, issuedBy: grant.hash }, grant.hash);
};
