/**
 * SMART for modules (SD 3.5/3.6): `/connect/authorize` with the browser check, the DigiD
 * completion, introspection (RFC 7662) and revocation (RFC 7009).
 */
import { Elysia } from "elysia";
import { randomToken } from "../../shared/crypto.ts";
import { htmlResponse, jsonResponse } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import { NO_STORE, OAuthError, errorRedirect, oauthErrorResponse } from "../../shared/oauth-error.ts";
import { logRef } from "../../shared/trace.ts";
import { OtherPersonPage, StandaloneConsentPage } from "../../../views/dva/pages.tsx";
import { CODE_TTL_MS, UnverifiedClientError } from "./authorize.ts";
import { authenticateClientAsync, type TokenClient } from "./client-auth.ts";
import type { AuthDeps } from "./deps.ts";
import type { SmartCodeData } from "./grants/smart-code.ts";
import type { LaunchContext } from "./grants/token-exchange.ts";
import { checkSmartAuthorize, verifySmartClient } from "./smart.ts";
import { type AuthRequest, type DvaSession } from "./store.ts";
import { verifyAccessToken } from "./subject-token.ts";
import { readTokenForm } from "./token-endpoint.ts";
import { MODULE_AUTH_COOKIE } from "./koppelmij-routes.ts";
import { launchFromHti, standaloneLaunch, standaloneTarget, verifyHti } from "./direct-launch.ts";
import { CSRF_FIELD } from "../../shared/csrf.ts";
import { readForm } from "../../shared/html.ts";
import { readCookie } from "../../shared/cookies.ts";

/** `standalone`: no launch code; the patient context follows from the person's DigiD login (launch-standalone). */
interface SmartPending { launch: LaunchContext; consentId: string | null; codeChallenge: string; scope: string; standalone?: boolean }

/**
 * A standalone launch waits for the person's yes (the module names no task and no PGO asked): the
 * request kept bound to this browser, then the confirmation page (`/connect/standalone`).
 */
function askStandaloneConsent(d: AuthDeps, request: Request, pending: Omit<AuthRequest, "id" | "expiresAt" | "browser" | "sessionId">): Response {
  const now = Date.now();
  const id = randomToken();
  d.store.saveAuthRequest({ ...pending, id, browser: d.browserOf(request).hash, sessionId: null, expiresAt: now + 15 * 60_000 }, now);
  return new Response(null, { status: 303, headers: { Location: `/connect/standalone?request=${encodeURIComponent(id)}` } });
}

/** A standalone launch's code once the person is known; an OAuth error back to the module when no zorgaanbieder here fits. */
function standaloneCode(d: AuthDeps, bsn: string, p: Parameters<typeof issueSmartCode>[1]): Response {
  try {
    const launch = standaloneLaunch(d, bsn, p.clientId) as LaunchContext & { consentId: string };
    return issueSmartCode(d, { ...p, pending: { ...p.pending, launch: { ...launch, traceId: p.authorize.traceId }, consentId: launch.consentId, standalone: true } });
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    return errorRedirect(p.redirectUri, { error: e.error, description: e.description }, p.state, d.dva.auth.origin);
  }
}

/** The journey of one authorize request at this DVA (SD 4.5.5.1.1): its trace, its id, the person's Session ID here. */
interface Authorize { traceId: string; requestId: string; sessionId: string | null }

/** Issue the SMART code and send the browser back to the module (SD 4.5.5.1.2: the answer to the authorize request). */
function issueSmartCode(d: AuthDeps, p: { clientId: string; redirectUri: string; state: string; pending: SmartPending; authorize: Authorize; setCookie?: string | null }): Response {
  const now = Date.now();
  const code = randomToken();
  const { traceId, sessionId } = p.authorize;
  const data: SmartCodeData = { smart: true, launch: p.pending.launch, redirectUri: p.redirectUri, codeChallenge: p.pending.codeChallenge, scope: p.pending.scope,
    chain: { traceId, sessionId } };
  d.store.saveGrant(code, { kind: "code", clientId: p.clientId, consentId: p.pending.consentId, createdAt: now, expiresAt: now + CODE_TTL_MS, data: { ...data } });
  const target = new URL(p.redirectUri);
  target.searchParams.set("code", code);
  target.searchParams.set("state", p.state);
  target.searchParams.set("iss", d.dva.auth.origin);
  d.ctx.chain.write({ type: "send_authorize_response", location: d.location, traceId, sessionId, response: { request_id: p.authorize.requestId, status: 302 } });
  return new Response(null, { status: 302, headers: { Location: target.href, ...(p.setCookie ? { "Set-Cookie": p.setCookie } : {}) } });
}

/** After DigiD: the BSN must be the launch's patient (identity-swap risk Ra01/Rc01). */
export function completeSmartLogin(d: AuthDeps, request: Request, pending: AuthRequest, session: DvaSession): Promise<Response> | Response {
  d.store.deleteAuthRequest(pending.id);
  const smart = pending.data as unknown as SmartPending;
  const cookie = d.sessionCookie(session);
  const authorize: Authorize = { traceId: pending.traceId, requestId: pending.requestId, sessionId: d.sessionIdOf(request) };
  // A standalone launch: who logged in decides the patient context, after they agreed on the confirmation page.
  if (smart.standalone) {
    const confirm = askStandaloneConsent(d, request, { ...pending, data: pending.data ?? {} });
    confirm.headers.append("Set-Cookie", cookie);
    return confirm;
  }
  if (session.bsn !== smart.launch.bsn) {
    d.ctx.chain.write({ type: "send_authorize_request_error", location: d.location, traceId: authorize.traceId, sessionId: authorize.sessionId,
      error: { request_id: authorize.requestId, code: "access_denied", description: "met DigiD ingelogd als een ander dan de persoon van de taak", status: 403 } });
    return htmlResponse(OtherPersonPage({ theme: d.theme, traceId: pending.traceId }), { status: 403, setCookies: [cookie] });
  }
  return issueSmartCode(d, { clientId: pending.clientId, redirectUri: pending.redirectUri, state: pending.state, pending: smart, authorize, setCookie: cookie });
}

export function smartRoutes(d: AuthDeps) {
  const { ctx, dva, store, location } = d;

  /**
   * KoppelMij 2026 ("via DigiD óf via de Module DVA Authentication cookie"): the cookie /authorize
   * set for this person and module, used once; not for a module that re-identifies the person.
   */
  function moduleCookieAuthenticates(request: Request, bsn: string, clientId: string, now: number): boolean {
    if (dva.flavour !== "koppelmij-2026") return false;
    const module = d.ctx.network.modules.find((m) => m.clients.some((c) => c.dva === dva.id && c.clientId === clientId));
    const value = readCookie(request, MODULE_AUTH_COOKIE);
    if (!value || !module || module.reIdentify) return false;
    const taken = store.takeLaunchAuthorization<{ bsn: string }>(value, "cookie", now);
    return taken !== null && taken.clientId === clientId && taken.data.bsn === bsn;
  }

  /**
   * Introspection and revocation: a form with `token`, from an authenticated client; errors as
   * RFC 6749 §5.2. Introspection needs a client secret (RFC 7662 §2.1: against token scanning).
   */
  async function withToken(request: Request, need: { secret: boolean }, handle: (token: string, caller: TokenClient, now: number) => Promise<Response>): Promise<Response> {
    try {
      const form = await readTokenForm(request);
      const caller = await authenticateClientAsync(request, form, dva, ctx.network, { secretRequired: need.secret, useAssertion: (jti, exp) => store.useAssertion(`client:${jti}`, exp, Date.now()) });
      const token = form.get("token");
      if (!token) throw new OAuthError("invalid_request", "token ontbreekt");
      return await handle(token, caller, Date.now());
    } catch (e) {
      if (e instanceof OAuthError) return oauthErrorResponse(e);
      throw e;
    }
  }

  function revoke(request: Request): Promise<Response> {
    return withToken(request, { secret: false }, async (token, caller, now) => {
      const access = await verifyAccessToken(token, { key: await d.signingKey(), issuer: dva.auth.origin, audience: dva.fhirBase, store, now });
      if (access && access.client_id === caller.clientId) store.revokeAccessToken(access.jti, now);
      const refresh = store.findGrant<{ issuedBy?: string }>(token, "refresh");
      // RFC 7009 §2.1: revoking a refresh token also ends the access tokens of the same grant.
      if (refresh && refresh.clientId === caller.clientId) {
        store.revokeGrant(refresh.hash, now);
        if (refresh.data.issuedBy) store.revokeIssuedBy(refresh.data.issuedBy, now);
      }
      return new Response(null, { status: 200, headers: NO_STORE });
    });
  }

  return new Elysia({ name: `dva-smart:${dva.id}` })
    // The standalone launch's confirmation (issue 15): same browser, logged in, CSRF; yes → the code, no → access_denied.
    .get("/connect/standalone", ({ request }) => {
      const pending = store.findAuthRequest(new URL(request.url).searchParams.get("request") ?? "", Date.now());
      const session = d.sessionOf(request);
      if (!pending || !(pending.data as { standalone?: boolean } | undefined)?.standalone || !d.sameBrowser(request, pending) || !session) {
        return d.technicalError(request, "Dit verzoek is onbekend, verlopen of in een andere browser gestart. Start de module opnieuw.", 400);
      }
      let target;
      try { target = standaloneTarget(d, session.bsn, pending.clientId); } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        store.deleteAuthRequest(pending.id);
        return errorRedirect(pending.redirectUri, { error: e.error, description: e.description }, pending.state, dva.auth.origin);
      }
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(StandaloneConsentPage({ theme: d.theme, csrfToken: csrf.token, requestId: pending.id, moduleName: target.moduleName, zorgaanbieder: target.zorgaanbiederName,
        personName: ctx.network.patients.find((p) => p.bsn === session.bsn)?.fullName ?? `BSN ${session.bsn}` }), { setCookies: [csrf.setCookie] });
    })
    .post("/connect/standalone", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return d.technicalError(request, "Het formulier is verlopen of niet van deze pagina afkomstig.", 403);
      const pending = store.findAuthRequest(String(form.request ?? ""), Date.now());
      const session = d.sessionOf(request);
      if (!pending || !(pending.data as { standalone?: boolean } | undefined)?.standalone || !d.sameBrowser(request, pending) || !session || !store.deleteAuthRequest(pending.id)) {
        return d.technicalError(request, "Dit verzoek is onbekend, verlopen of in een andere browser gestart. Start de module opnieuw.", 400);
      }
      if (form.action !== "grant") return errorRedirect(pending.redirectUri, { error: "access_denied", description: "de persoon gaf geen toestemming" }, pending.state, dva.auth.origin);
      const authorize: Authorize = { traceId: pending.traceId, requestId: pending.requestId, sessionId: d.sessionIdOf(request) };
      return standaloneCode(d, session.bsn, { clientId: pending.clientId, redirectUri: pending.redirectUri, state: pending.state, pending: pending.data as unknown as SmartPending, authorize });
    })
    .get("/connect/authorize", async ({ request }) => {
      const url = new URL(request.url);
      // The browser carries no correlation id; the launch code does (the PGO's token exchange), so one journey is one trace.
      const launch = url.searchParams.get("launch");
      let launchGrant = launch ? store.findGrant<LaunchContext>(launch, "launch") : null;
      // Koppeltaal 2.0 (issue 15 §3): with `koppeltaal` on, an HTI launch token is a launch too.
      let htiProblem: string | null = null;
      if (!launchGrant && launch && dva.koppeltaal && launch.split(".").length === 3) {
        try { launchGrant = store.findGrant<LaunchContext>(await launchFromHti(d, launch, url.searchParams.get("client_id")), "launch"); } catch (e) {
          if (!(e instanceof OAuthError)) throw e;
          htiProblem = e.description;
        }
      }
      const browser = d.browserOf(request);
      // The launch code's reference (not the code) links this line to the PGO's send_smart_launch_request (SD 4.5.4.1.1).
      const received = logIncoming(ctx.chain, request, { type: "receive_authorize_request", location, initiatedBy: "person", sessionId: browser.sessionId,
        clientId: url.searchParams.get("client_id") || "(niet meegegeven)", knownTrace: launchGrant?.data.traceId, extra: launch ? { smart_on_fhir_launch_code: logRef(launch) } : undefined }, url);
      const { traceId } = received;
      const authorize: Authorize = { traceId, requestId: received.requestId, sessionId: browser.sessionId };
      let client;
      try { client = verifySmartClient(url.searchParams, dva, ctx.network); } catch (e) {
        if (!(e instanceof UnverifiedClientError)) throw e;
        // Client or redirect_uri not verified: an error page, not a redirect (RFC 6749 §4.1.2.1).
        received.respond("send_authorize_request_error", 400, { code: "invalid_client", description: e.message });
        return d.technicalError(request, e.message, 400, { name: launchGrant?.data.zorgaanbieder }, { browser, traceId });
      }
      const stateParam = url.searchParams.getAll("state").length === 1 ? url.searchParams.get("state") : null;
      try {
        const checked = checkSmartAuthorize(url.searchParams, dva);
        const now = Date.now();
        if (checked.launch === null) {
          const pending: SmartPending = { launch: {} as LaunchContext, consentId: null, codeChallenge: checked.codeChallenge, scope: checked.scope, standalone: true };
          const login = { kind: "smart" as const, data: { ...pending }, clientId: client.client.clientId, redirectUri: client.redirectUri,
            scope: checked.scope, state: checked.state, traceId, requestId: received.requestId };
          // Logged in here already: straight to the confirmation; else DigiD first, then the confirmation.
          if (d.sessionOf(request)) return d.withBrowser(askStandaloneConsent(d, request, login), browser);
          return d.beginLogin(request, login, browser);
        }
        const grant = launchGrant; // checked.launch is the single `launch` parameter read above
        if (!grant) throw new OAuthError("invalid_request", htiProblem ?? "onbekende launch-code");
        if (grant.clientId !== client.client.clientId) throw new OAuthError("invalid_request", "de launch-code is voor een andere module uitgegeven");
        if (grant.expiresAt <= now) throw new OAuthError("invalid_request", "de launch-code is verlopen");
        if (grant.usedAt !== null || !store.useGrant(grant.hash, now)) throw new OAuthError("invalid_request", "de launch-code is al gebruikt");
        const pending: SmartPending = { launch: { ...grant.data, traceId }, consentId: grant.consentId, codeChallenge: checked.codeChallenge, scope: checked.scope };
        // A launch the cockpit's launch link generator made with a simulated error (issue 14 §4).
        const simulate = (grant.data as { simulate?: string }).simulate;
        if (simulate === "dva-down") throw new OAuthError("temporarily_unavailable", "gesimuleerde storing: de DVA is tijdelijk niet beschikbaar (launch link generator)");
        // Browser check: a DVA session of the same person passes; otherwise DigiD (SPEC §5); a simulated step-up always asks DigiD again.
        const session = d.sessionOf(request);
        if ((session && session.bsn === grant.data.bsn && simulate !== "step-up") || moduleCookieAuthenticates(request, grant.data.bsn, client.client.clientId, now)) {
          return issueSmartCode(d, { clientId: client.client.clientId, redirectUri: client.redirectUri, state: checked.state, pending, authorize, setCookie: browser.setCookie });
        }
        return d.beginLogin(request, { kind: "smart", data: { ...pending }, clientId: client.client.clientId, redirectUri: client.redirectUri,
          scope: checked.scope, state: checked.state, traceId, requestId: received.requestId }, browser);
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        received.respond("send_authorize_request_error", 302, { code: e.error, description: e.description });
        return d.withBrowser(errorRedirect(client.redirectUri, { error: e.error, description: e.description }, stateParam, dva.auth.origin), browser);
      }
    })

    // RFC 7662 §2.1: authenticated with a secret. §2.2: inactive for anything not issued here,
    // expired or revoked, and for a token the caller may not introspect: one issued to another client.
    .post("/connect/introspect", ({ request }) => withToken(request, { secret: true }, async (token, caller, now) => {
      const verified = await verifyAccessToken(token, { key: await d.signingKey(), issuer: dva.auth.origin, audience: dva.fhirBase, store, now });
      // Koppeltaal 2.0 (issue 15 §3): a module validates its HTI launch token here (RFC 7662), before it uses it.
      if (!verified && dva.koppeltaal && token.split(".").length === 3) {
        const hti = await verifyHti(d, token, caller.clientId).catch(() => null);
        if (hti) return jsonResponse({ active: true, ...hti, introspected_by: caller.clientId }, 200, NO_STORE);
      }
      if (!verified || verified.client_id !== caller.clientId) return jsonResponse({ active: false }, 200, NO_STORE);
      return jsonResponse({ active: true, token_type: "Bearer", ...verified, introspected_by: caller.clientId }, 200, NO_STORE);
    }))

    // RFC 7009 §2.2: 200 whether or not the token was valid; only the client it was issued to can revoke it.
    // `/revoke` is the KoppelMij 2026 walkthrough's name for the same endpoint (issue 15).
    .post("/revoke", ({ request }) => revoke(request))
    .post("/connect/revocation", ({ request }) => revoke(request));
}
