/**
 * KoppelMij 2026 (issue 15; KoppelMij/koppelmij-designs `technical-walkthrough-pgo-launch-
 * voorbereiden.md`, 2026-04-16, the newest of the walkthroughs): the PGO prepares a launch with a
 * pushed authorization request and gets a launch authorization code through the browser.
 *
 *   POST /par (RFC 9126), the PGO as client: response_type=code, client_id, redirect_uri, audience
 *     (the module's client_id), subject_token (its collect token) + subject_token_type, acr_values
 *     urn:medmij:oauth2:acr-value:launch-authorization, state, scope, PKCE S256 (and, a sandbox
 *     choice the walkthrough leaves open, an optional return_url on the PGO's host)
 *     → 201 {request_uri, expires_in: 90}
 *   GET /authorize?client_id&request_uri → no DigiD ("triggert géén DigiD-login"); sets the module
 *     DVA authentication cookie (3 minutes) and redirects to redirect_uri?code&state&iss
 *
 * The code is the token exchange's actor_token (grants/token-exchange.ts). A DVA of the sd-0.2
 * flavour answers both with an explanation instead.
 */
import { Elysia } from "elysia";
import { serializeCookie } from "../../shared/cookies.ts";
import { randomToken } from "../../shared/crypto.ts";
import { jsonResponse } from "../../shared/html.ts";
import { NO_STORE, OAuthError, errorRedirect, oauthErrorResponse } from "../../shared/oauth-error.ts";
import { authenticateClient } from "./client-auth.ts";
import type { AuthDeps } from "./deps.ts";
import { KOPPELMIJ, checkSubject, pgoReturnUrl, type LaunchAuthorization } from "./grants/token-exchange.ts";
import { readTokenForm } from "./token-endpoint.ts";

export const PAR_TTL_SECONDS = 90;
/** "TTL: 3 minuten": the launch authorization code and the module DVA authentication cookie. */
export const LAUNCH_AUTHORIZATION_TTL_SECONDS = 180;
export const MODULE_AUTH_COOKIE = "dva_module_auth";
const REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";

export function koppelmijRoutes(d: AuthDeps) {
  const { dva, store } = d;
  const notThisFlavour = (what: string) => new OAuthError("invalid_request",
    `${what} hoort bij KoppelMij 2026; ${dva.name} volgt het oplossingsontwerp v0.2 (token exchange met smart_launch_context). Zet het ontwerp om in de cockpit of met PATCH /api/dvas/${dva.id}`);

  return new Elysia()
    .post("/par", async ({ request }) => {
      const now = Date.now();
      try {
        if (dva.flavour !== "koppelmij-2026") throw notThisFlavour("POST /par");
        const form = await readTokenForm(request);
        const client = authenticateClient(request, form, dva, d.ctx.network);
        if (client.kind !== "pgo") throw new OAuthError("unauthorized_client", "alleen een PGO bereidt een launch voor met /par");
        if (form.get("request_uri")) throw new OAuthError("invalid_request", "request_uri hoort niet in een pushed authorization request (RFC 9126 §2.1)");
        if (form.get("response_type") !== "code") throw new OAuthError("unsupported_response_type", "response_type moet code zijn");
        const redirectUri = form.get("redirect_uri") ?? "";
        if (!client.pgo.redirectUris.includes(redirectUri)) throw new OAuthError("invalid_request", `redirect_uri ${redirectUri || "(ontbreekt)"} is niet geregistreerd voor ${client.clientId}`);
        const acr = (form.get("acr_values") ?? "").split(" ");
        if (!acr.includes(KOPPELMIJ.acr)) throw new OAuthError("invalid_request", `acr_values moet ${KOPPELMIJ.acr} bevatten`);
        const state = form.get("state");
        if (!state) throw new OAuthError("invalid_request", "state ontbreekt");
        const challenge = form.get("code_challenge");
        if (!challenge || form.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new OAuthError("invalid_request", "PKCE S256 is verplicht: code_challenge en code_challenge_method=S256");
        const audience = form.get("audience") ?? "";
        if (!d.ctx.network.modules.some((m) => m.clients.some((c) => c.dva === dva.id && c.clientId === audience))) throw new OAuthError("invalid_target", `audience ${audience || "(ontbreekt)"} is geen module bij ${dva.name}`);
        const { subject, consent } = await checkSubject({ dva, store, signingKey: d.signingKey, now }, client, form.get("subject_token"), form.get("subject_token_type"));
        const data: LaunchAuthorization = { pgo: client.clientId, redirectUri, audience, subjectJti: subject.jti!, consentId: consent.id, state, codeChallenge: challenge,
          scope: form.get("scope"), returnUrl: pgoReturnUrl(client, form.get("return_url") ?? undefined) };
        const requestUri = `${REQUEST_URI_PREFIX}${randomToken()}`;
        store.saveLaunchAuthorization(requestUri, "par", client.clientId, { ...data, bsn: consent.bsn }, now + PAR_TTL_SECONDS * 1000);
        return jsonResponse({ request_uri: requestUri, expires_in: PAR_TTL_SECONDS }, 201, NO_STORE);
      } catch (e) {
        if (e instanceof OAuthError) return oauthErrorResponse(e);
        throw e;
      }
    })
    .get("/authorize", ({ request }) => {
      const url = new URL(request.url);
      const now = Date.now();
      const problem = (detail: string) => d.technicalError(request, detail, 400);
      if (dva.flavour !== "koppelmij-2026") return problem(notThisFlavour("GET /authorize").description);
      const clientId = url.searchParams.get("client_id") ?? "";
      const requestUri = url.searchParams.get("request_uri") ?? "";
      if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return problem("request_uri ontbreekt of is geen request_uri van /par (RFC 9126 §4)");
      const par = store.takeLaunchAuthorization<LaunchAuthorization & { bsn: string }>(requestUri, "par", now, clientId);
      // Until the request_uri is known, nothing may be redirected (the redirect_uri is unverified).
      if (!par || par.clientId !== clientId) return problem("request_uri is onbekend, verlopen, al gebruikt of van een andere client (RFC 9126 §4)");
      const consent = store.findConsent(par.data.consentId);
      if (!consent || consent.withdrawnAt !== null) {
        return errorRedirect(par.data.redirectUri, { error: "access_denied", description: "de toestemming is ingetrokken" }, par.data.state, dva.auth.origin);
      }
      const code = randomToken();
      const cookie = randomToken();
      // The module DVA authentication cookie: bound to the person, the module's client_id, the state and this code.
      store.saveLaunchAuthorization(cookie, "cookie", par.data.audience, { bsn: par.data.bsn, state: par.data.state, code: code.slice(0, 8) }, now + LAUNCH_AUTHORIZATION_TTL_SECONDS * 1000);
      store.saveLaunchAuthorization(code, "code", par.clientId, { ...par.data }, now + LAUNCH_AUTHORIZATION_TTL_SECONDS * 1000);
      const back = new URL(par.data.redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", par.data.state);
      back.searchParams.set("iss", dva.auth.origin);
      return new Response(null, { status: 302, headers: { Location: back.href,
        "Set-Cookie": serializeCookie(MODULE_AUTH_COOKIE, cookie, { maxAgeSeconds: LAUNCH_AUTHORIZATION_TTL_SECONDS }) } });
    });
}
