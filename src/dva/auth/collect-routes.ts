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
import { NOT_THIS_BROWSER, SESSION_TTL_MS, UNKNOWN_REQUEST, type AuthDeps } from "./deps.ts";
import type { CodeData } from "./grants/authorization-code.ts";
import { completeSmartLogin } from "./smart-routes.ts";


export function collectRoutes(d: AuthDeps) {
  const { ctx, dva, store, location } = d;
  return new Elysia({ name: `dva-collect:${dva.id}` })
    .get("/auth", async ({ request }) => {
      const url = new URL(request.url);
      const received = logIncoming(ctx.chain, request, { type: "receive_authorization_request", location, clientId: url.searchParams.get("client_id") ?? undefined });
      let clients;
      try { clients = await d.ocl.clients(); } catch (e) {
        received.respond("send_authorization_response", 503, { code: "temporarily_unavailable", description: "OAuthclientlist niet bereikbaar" });
        return d.technicalError(request, `Het MedMij Register is niet bereikbaar: ${(e as Error).message}`, 503);
      }
      let client;
      try { client = verifyClient(url.searchParams, clients, ctx.network); } catch (e) {
        if (!(e instanceof UnverifiedClientError)) throw e;
        received.respond("send_authorization_response", 400, { code: "invalid_request", description: e.message });
        return d.technicalError(request, e.message);
      }
      try {
        const checked = checkAuthorizeRequest(url.searchParams, client, dva, ctx.network);
        return d.beginLogin(request, { clientId: client.pgo.clientId, redirectUri: client.redirectUri, scope: checked.zorgaanbieder.scope,
          state: checked.state, traceId: received.traceId, requestId: received.requestId, codeChallenge: checked.codeChallenge });
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        received.respond("send_authorization_response", 302, { code: e.error, description: e.description });
        return errorRedirect(client.redirectUri, { error: e.error, description: e.description }, (e as OAuthError & { state?: string | null }).state ?? null, dva.auth.origin);
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
      if (!d.sameBrowser(request, pending)) return d.technicalError(request, NOT_THIS_BROWSER);
      if (url.searchParams.get("error")) {
        store.deleteAuthRequest(pending.id);
        if (pending.kind === "overview") return d.technicalError(request, "Het inloggen met DigiD is afgebroken.");
        return errorRedirect(pending.redirectUri, { error: "access_denied", description: "de persoon heeft het inloggen met DigiD afgebroken" }, pending.state, dva.auth.origin);
      }
      let bsn: string, jti: string, expiresAt: number;
      try {
        const { payload } = await jwtVerify(url.searchParams.get("assertion") ?? "", d.digidJwks, { issuer: ctx.network.digid.origin, audience: dva.auth.origin });
        if (payload.state !== pending.id || typeof payload.bsn !== "string") throw new Error("assertion hoort niet bij dit verzoek");
        if (typeof payload.jti !== "string" || typeof payload.exp !== "number") throw new Error("assertion heeft geen jti of exp");
        bsn = payload.bsn;
        jti = payload.jti;
        expiresAt = payload.exp * 1000;
      } catch (e) {
        return d.technicalError(request, `De DigiD-assertion is ongeldig: ${(e as Error).message}`);
      }
      // A DigiD assertion logs in once (RFC 9700 §4.5: a replayed login response is an injection).
      if (!store.useAssertion(jti, expiresAt, Date.now())) return d.technicalError(request, "Deze DigiD-inlog is al gebruikt. Begin opnieuw vanuit uw PGO.");
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
      if ("refused" in found) return d.technicalError(request, found.refused);
      const { pending, session } = found;
      const za = ctx.network.zorgaanbieders.find((z) => z.scope === pending.scope && z.dva === dva.id)!;
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConsentPage({
        theme: d.theme, requestId: pending.id, csrfToken: csrf.token,
        pgoName: ctx.network.pgos.find((g) => g.clientId === pending.clientId)?.displayName ?? pending.clientId,
        zorgaanbieder: za.displayName,
        dataService: ctx.network.dataServices.find((s) => s.id === COLLECT_TASKS_SERVICE)?.name ?? "Verzamelen Aanbiedertaken",
        personName: ctx.network.patients.find((p) => p.bsn === session.bsn)?.fullName ?? null,
      }), { setCookies: [csrf.setCookie] });
    })
    .post("/consent", async ({ request }) => {
      const form = await readForm(request);
      const found = d.pendingFor(request, form.request);
      if ("refused" in found) return d.technicalError(request, found.refused);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return d.technicalError(request, "Het formulier is verlopen of niet van deze pagina afkomstig.", 403);
      const { pending, session } = found;
      if (!store.deleteAuthRequest(pending.id)) return d.technicalError(request, UNKNOWN_REQUEST);
      const answered = (status: number, error?: { code: string; description: string }) => ctx.chain.write({
        type: "send_authorization_response", location, traceId: pending.traceId,
        ...(error ? { error: { request_id: pending.requestId, ...error, status } } : { response: { request_id: pending.requestId, status } }),
      });
      if (form.action !== "grant") {
        answered(303, { code: "access_denied", description: "geen toestemming gegeven" });
        return errorRedirect(pending.redirectUri, { error: "access_denied", description: "de persoon heeft geen toestemming gegeven" }, pending.state, dva.auth.origin, 303);
      }
      const now = Date.now();
      const kind = form.kind === "long" ? "long" : "once";
      const za = ctx.network.zorgaanbieders.find((z) => z.scope === pending.scope && z.dva === dva.id)!;
      const consent = store.createConsent({ bsn: session.bsn, clientId: pending.clientId, zorgaanbieder: za.name, kind, createdAt: now,
        expiresAt: now + (kind === "long" ? LONG_CONSENT_MS : ONCE_CONSENT_MS) });
      const code = randomToken();
      store.saveGrant(code, { kind: "code", clientId: pending.clientId, consentId: consent.id, createdAt: now, expiresAt: now + CODE_TTL_MS,
        data: { bsn: session.bsn, zorgaanbieder: za.name, scope: pending.scope, redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge ?? null } satisfies CodeData });
      const target = new URL(pending.redirectUri);
      target.searchParams.set("code", code);
      target.searchParams.set("state", pending.state);
      target.searchParams.set("iss", dva.auth.origin); // RFC 9207
      answered(303);
      return new Response(null, { status: 303, headers: { Location: target.href } });
    });
}
