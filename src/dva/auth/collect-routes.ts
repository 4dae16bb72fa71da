/**
 * The MedMij authorization interface (SD 3.3): `/auth` → DigiD simulator → `/digid/callback` →
 * `/consent` → code on the PGO's redirect URI. The DigiD callback also completes a SMART
 * authorization and the consent overview's login (smart-routes.ts, consent-routes.ts). Every
 * step after `/auth` must come from the browser that started it (deps.ts `sameBrowser`).
 */
import { Elysia } from "elysia";
import { randomToken } from "../../shared/crypto.ts";
import { jwtVerify } from "jose";
import { CSRF_FIELD } from "../../shared/csrf.ts";
import { htmlResponse, readForm } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import { OAuthError, errorRedirect } from "../../shared/oauth-error.ts";
import { ConsentPage } from "../../../views/dva/pages.tsx";
import {
  CODE_TTL_MS, COLLECT_TASKS_SERVICE, LONG_CONSENT_MS, ONCE_CONSENT_MS, UnverifiedClientError, checkAuthorizeRequest, verifyClient,
} from "./authorize.ts";
import { NOT_THIS_BROWSER, SESSION_TTL_MS, UNKNOWN_REQUEST, authenticationRequestId, zorgaanbiederOf, type AuthDeps } from "./deps.ts";
import type { CodeData } from "./grants/authorization-code.ts";
import { completeSmartLogin } from "./smart-routes.ts";
import type { Consent } from "./store.ts";

/**
 * The two `access_denied` descriptions of the collect flow (RFC 6749 §4.1.2.1), fixed so that a
 * PGO can tell them apart (seed 003 "Duiding van errors": say where it went wrong).
 */
export const DIGID_STOPPED = "de persoon heeft het inloggen met DigiD afgebroken";
export const CONSENT_REFUSED = "de persoon heeft geen toestemming gegeven";

/** The person's consent in force for this PGO and zorgaanbieder (the newest, not withdrawn or expired). */
export function currentConsent(consents: Consent[], clientId: string, zorgaanbieder: string, now: number): Consent | null {
  return consents.filter((c) => c.clientId === clientId && c.zorgaanbieder === zorgaanbieder && c.withdrawnAt === null && c.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt)[0] ?? null;
}

export function collectRoutes(d: AuthDeps) {
  const { ctx, dva, store, location } = d;
  return new Elysia({ name: `dva-collect:${dva.id}` })
    // AS "Logging interface" 1–4: the request, then the landing (here: on to DigiD) or an error.
    .get("/auth", async ({ request }) => {
      const url = new URL(request.url);
      const browser = d.browserOf(request);
      const received = logIncoming(ctx.chain, request, { type: "receive_authorization_request", location, initiatedBy: "person",
        clientId: url.searchParams.get("client_id") ?? undefined, sessionId: browser.sessionId });
      // Item 3.1: client_id or redirect_uri not verified → an error page, never a redirect (RFC 6749 §4.1.2.1).
      const errorPage = (status: number, code: string, description: string, detail: string) => {
        received.respond("authorization_request_error", status, { code, description });
        received.respond("show_authorization_request_error_page", status);
        return d.technicalError(request, detail, status, { scope: url.searchParams.get("scope") }, { browser, traceId: received.traceId });
      };
      let clients;
      try { clients = await d.ocl.clients(); } catch (e) {
        return errorPage(503, "temporarily_unavailable", "OAuthclientlist niet bereikbaar", `Het MedMij Register is niet bereikbaar: ${(e as Error).message}`);
      }
      let client;
      try { client = verifyClient(url.searchParams, clients, ctx.network); } catch (e) {
        if (!(e instanceof UnverifiedClientError)) throw e;
        return errorPage(400, "invalid_request", e.message, e.message);
      }
      try {
        const checked = checkAuthorizeRequest(url.searchParams, client, dva, ctx.network);
        // Item 3: the sandbox's landing is the step to DigiD (it shows no page of its own in between).
        received.respond("show_landing_page", 302);
        return d.beginLogin(request, { clientId: client.pgo.clientId, redirectUri: client.redirectUri, scope: checked.zorgaanbieder.scope,
          state: checked.state, traceId: received.traceId, requestId: received.requestId, codeChallenge: checked.codeChallenge }, browser);
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        // Item 3.2: other parameters wrong → the error on the verified redirect URI.
        received.respond("send_authorization_request_error", 302, { code: e.error, description: e.description });
        return d.withBrowser(errorRedirect(client.redirectUri, { error: e.error, description: e.description }, (e as OAuthError & { state?: string | null }).state ?? null, dva.auth.origin), browser);
      }
    })

    // Back from the DigiD simulator: in the browser that started the login (checked before anything
    // is consumed, so a replay elsewhere leaves the real browser able to finish), verify the
    // assertion with its JWKS over HTTP, use it once, start a DVA session.
    .get("/digid/callback", async ({ request }) => {
      const url = new URL(request.url);
      const requestId = url.searchParams.get("state");
      const pending = requestId ? store.findAuthRequest(requestId, Date.now()) : null;
      if (!pending) return d.technicalError(request, UNKNOWN_REQUEST);
      const about = zorgaanbiederOf(pending);
      if (!d.sameBrowser(request, pending)) return d.technicalError(request, NOT_THIS_BROWSER, 400, about);
      // AS "Logging interface" 5: the answer to this login's authentication request, in the journey's trace.
      const chain = pending.kind === "overview" ? null : { location, traceId: pending.traceId, sessionId: d.sessionIdOf(request) };
      const authnId = authenticationRequestId(pending.id);
      const digidError = url.searchParams.get("error");
      if (digidError) {
        store.deleteAuthRequest(pending.id);
        if (!chain) return d.technicalError(request, "Het inloggen met DigiD is afgebroken."); // the consent overview's own login: no chain event
        // 5.1: the person cancelled at DigiD; 5.2: DigiD answered another error. Either way the person stopped the login.
        ctx.chain.write({ ...chain, type: digidError === "cancelled" ? "receive_authorization_cancellation" : "receive_authentication_error",
          error: { request_id: authnId, code: digidError.slice(0, 100), description: DIGID_STOPPED } });
        // One stable description, so that a PGO can tell a stopped DigiD login from a refused consent (both access_denied).
        ctx.chain.write({ ...chain, type: pending.kind === "smart" ? "send_authorize_request_error" : "send_authorization_request_error",
          error: { request_id: pending.requestId, code: "access_denied", description: DIGID_STOPPED, status: 302 } });
        return errorRedirect(pending.redirectUri, { error: "access_denied", description: DIGID_STOPPED }, pending.state, dva.auth.origin);
      }
      const authenticationError = (description: string) => {
        if (chain) ctx.chain.write({ ...chain, type: "receive_authentication_error", error: { request_id: authnId, code: "invalid_assertion", description } });
        return d.technicalError(request, description, 400, about, { traceId: chain?.traceId });
      };
      let bsn: string, jti: string, expiresAt: number;
      try {
        const { payload } = await jwtVerify(url.searchParams.get("assertion") ?? "", d.digidJwks, { issuer: ctx.network.digid.origin, audience: dva.auth.origin });
        if (payload.state !== pending.id || typeof payload.bsn !== "string") throw new Error("assertion hoort niet bij dit verzoek");
        if (typeof payload.jti !== "string" || typeof payload.exp !== "number") throw new Error("assertion heeft geen jti of exp");
        bsn = payload.bsn;
        jti = payload.jti;
        expiresAt = payload.exp * 1000;
      } catch (e) {
        return authenticationError(`De DigiD-assertion is ongeldig: ${(e as Error).message}`);
      }
      // A DigiD assertion logs in once (RFC 9700 §4.5: a replayed login response is an injection).
      if (!store.useAssertion(jti, expiresAt, Date.now())) return authenticationError("Deze DigiD-inlog is al gebruikt. Begin opnieuw vanuit uw PGO.");
      if (chain) ctx.chain.write({ ...chain, type: "receive_authentication_response", response: { request_id: authnId, status: 200 } });
      const session = store.createSession(bsn, Date.now(), SESSION_TTL_MS);
      if (pending.kind === "smart") return completeSmartLogin(d, request, pending, session);
      if (pending.kind === "overview") {
        store.deleteAuthRequest(pending.id);
        return new Response(null, { status: 303, headers: { Location: pending.redirectUri, "Set-Cookie": d.sessionCookie(session) } });
      }
      store.attachSession(pending.id, session.id);
      return new Response(null, { status: 303, headers: { Location: `/consent?request=${encodeURIComponent(pending.id)}`, "Set-Cookie": d.sessionCookie(session) } });
    })

    // SD 3.3 step 2: the consent screen.
    .get("/consent", ({ request }) => {
      const found = d.pendingFor(request, new URL(request.url).searchParams.get("request"));
      if ("refused" in found) return d.technicalError(request, found.refused, 400, found.about);
      const { pending, session } = found;
      const za = ctx.network.zorgaanbieders.find((z) => z.scope === pending.scope && z.dva === dva.id)!;
      // Step-up and re-consent (SD 3.4 step 3): the person's current consent for this PGO and
      // zorgaanbieder is preselected, so accepting does not turn 6 months into 15 minutes.
      const current = currentConsent(store.consentsOf(session.bsn), pending.clientId, za.name, Date.now());
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConsentPage({
        theme: d.theme, requestId: pending.id, csrfToken: csrf.token,
        pgoName: ctx.network.pgos.find((g) => g.clientId === pending.clientId)?.displayName ?? pending.clientId,
        zorgaanbieder: za.displayName,
        dataService: ctx.network.dataServices.find((s) => s.id === COLLECT_TASKS_SERVICE)?.name ?? "Verzamelen Aanbiedertaken",
        personName: ctx.network.patients.find((p) => p.bsn === session.bsn)?.fullName ?? null,
        current: current ? { kind: current.kind, expiresAt: current.expiresAt } : null,
      }), { setCookies: [csrf.setCookie] });
    })
    .post("/consent", async ({ request }) => {
      const form = await readForm(request);
      const found = d.pendingFor(request, form.request);
      if ("refused" in found) return d.technicalError(request, found.refused, 400, found.about);
      const { pending, session } = found;
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return d.technicalError(request, "Het formulier is verlopen of niet van deze pagina afkomstig.", 403, zorgaanbiederOf(pending));
      if (!store.deleteAuthRequest(pending.id)) return d.technicalError(request, UNKNOWN_REQUEST, 400, zorgaanbiederOf(pending));
      // The authorization response to the PGO's request (its MedMij-Request-ID), or its refusal.
      const sessionId = d.sessionIdOf(request);
      const answered = (status: number, error?: { code: string; description: string }) => ctx.chain.write({
        type: error ? "send_authorization_request_error" : "send_authorization_response", location, traceId: pending.traceId, sessionId,
        ...(error ? { error: { request_id: pending.requestId, ...error, status } } : { response: { request_id: pending.requestId, status } }),
      });
      if (form.action !== "grant") {
        answered(303, { code: "access_denied", description: CONSENT_REFUSED });
        return errorRedirect(pending.redirectUri, { error: "access_denied", description: CONSENT_REFUSED }, pending.state, dva.auth.origin, 303);
      }
      const now = Date.now();
      const kind = form.kind === "long" ? "long" : "once";
      const za = ctx.network.zorgaanbieders.find((z) => z.scope === pending.scope && z.dva === dva.id)!;
      const consent = store.createConsent({ bsn: session.bsn, clientId: pending.clientId, zorgaanbieder: za.name, kind, createdAt: now,
        expiresAt: now + (kind === "long" ? LONG_CONSENT_MS : ONCE_CONSENT_MS) });
      const code = randomToken();
      store.saveGrant(code, { kind: "code", clientId: pending.clientId, consentId: consent.id, createdAt: now, expiresAt: now + CODE_TTL_MS,
        data: { bsn: session.bsn, zorgaanbieder: za.name, scope: pending.scope, redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge ?? null,
          chain: { traceId: pending.traceId, sessionId } } satisfies CodeData });
      const target = new URL(pending.redirectUri);
      target.searchParams.set("code", code);
      target.searchParams.set("state", pending.state);
      target.searchParams.set("iss", dva.auth.origin); // RFC 9207
      answered(303);
      return new Response(null, { status: 303, headers: { Location: target.href } });
    });
}
