/**
 * DVA authorization server (SPEC §5) for one DVA at `auth.<dva>.localhost`: the MedMij
 * authorization interface with DigiD and consent, and the token interface. Elysia only here;
 * the checks and grants below are framework-free.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import { createActorApp } from "../../shared/actor-app.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { readCookie, serializeCookie } from "../../shared/cookies.ts";
import { CSRF_FIELD } from "../../shared/csrf.ts";
import { htmlResponse, jsonResponse, readForm } from "../../shared/html.ts";
import { createHttpClient } from "../../shared/http-client.ts";
import { logIncoming } from "../../shared/incoming.ts";
import { lazySigningKey } from "../../shared/keys.ts";
import { NO_STORE, OAuthError, errorRedirect, oauthErrorResponse } from "../../shared/oauth-error.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { incomingIds } from "../../shared/trace.ts";
import { ConsentPage, DvaAuthHome, TechnicalError } from "../../../views/dva/pages.tsx";
import { themes } from "../../../views/theme.ts";
import { FhirStore } from "../fhir/store.ts";
import {
  AUTH_REQUEST_TTL_MS, CODE_TTL_MS, COLLECT_TASKS_SERVICE, LONG_CONSENT_MS, ONCE_CONSENT_MS, UnverifiedClientError,
  checkAuthorizeRequest, verifyClient,
} from "./authorize.ts";
import { authenticateClient } from "./client-auth.ts";
import { handleAuthorizationCode } from "./grants/authorization-code.ts";
import type { GrantContext, GrantHandler } from "./grants/context.ts";
import { handleRefreshToken } from "./grants/refresh-token.ts";
import { TOKEN_EXCHANGE, handleTokenExchange } from "./grants/token-exchange.ts";
import { createOAuthClientList } from "./register-client.ts";
import { DvaAuthStore, hashSecret, randomSecret } from "./store.ts";

export const SESSION_COOKIE = "dva_session";
export const SESSION_TTL_MS = 60 * 60_000;
const MAX_TOKEN_BODY = 64 * 1024;

/** RFC 6749 §4 grant types this server knows, one handler each. */
const GRANTS: Record<string, GrantHandler> = {
  authorization_code: handleAuthorizationCode,
  refresh_token: handleRefreshToken,
  [TOKEN_EXCHANGE]: handleTokenExchange,
};

export function createDvaAuth(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const theme = themes.dva(dva.name, index, "auth");
  const store = new DvaAuthStore(ctx.db, dva.id);
  const fhir = new FhirStore(ctx.db);
  const signingKey = lazySigningKey(store);
  const location = dva.auth.hostname;
  const http = createHttpClient({ location, chain: ctx.chain });
  const ocl = createOAuthClientList(http, ctx.network.register.origin);
  const digidJwks = createRemoteJWKSet(new URL(`${ctx.network.digid.origin}/.well-known/jwks.json`));

  const technicalError = (request: Request, detail: string, status = 400, sessionId: string | null = null) =>
    htmlResponse(TechnicalError({ theme, dvaName: dva.name, dvaPhone: dva.phone, traceId: incomingIds(request).traceId, sessionId, detail }), { status });

  function sessionOf(request: Request) {
    const id = readCookie(request, SESSION_COOKIE);
    return id ? store.findSession(id, Date.now()) : null;
  }

  /** The pending request and this browser's session, which must be the one that logged in for it. */
  function pendingFor(request: Request, requestId: string | undefined | null) {
    const pending = requestId ? store.findAuthRequest(requestId, Date.now()) : null;
    const session = sessionOf(request);
    if (!pending || !session || pending.sessionId !== hashSecret(session.id)) return null;
    return { pending, session };
  }

  return createActorApp(`dva-auth:${dva.id}`, theme)
    .get("/", () => htmlResponse(DvaAuthHome({ theme, origin: dva.auth.origin, fhirBase: dva.fhirBase,
      zorgaanbieders: ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id).map((z) => z.displayName) })))

    .get("/.well-known/openid-configuration/jwks", async () => jsonResponse({ keys: [(await signingKey()).publicJwk] }, 200, { "Cache-Control": "max-age=300" }))
    // RFC 8414 metadata; the issuer is the origin without trailing slash (SPEC §5).
    .get("/.well-known/oauth-authorization-server", () => jsonResponse({
      issuer: dva.auth.origin,
      authorization_endpoint: `${dva.auth.origin}/auth`,
      token_endpoint: `${dva.auth.origin}/token`,
      jwks_uri: `${dva.auth.origin}/.well-known/openid-configuration/jwks`,
      response_types_supported: ["code"],
      grant_types_supported: Object.keys(GRANTS),
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      authorization_response_iss_parameter_supported: true,
    }))

    // SD 3.3 step 1: the authorization request.
    .get("/auth", async ({ request }) => {
      const url = new URL(request.url);
      const received = logIncoming(ctx.chain, request, { type: "receive_authorization_request", location, clientId: url.searchParams.get("client_id") ?? undefined });
      let clients;
      try { clients = await ocl.clients(); } catch (e) {
        received.respond("send_authorization_response", 503, { code: "temporarily_unavailable", description: "OAuthclientlist niet bereikbaar" });
        return technicalError(request, `Het MedMij Register is niet bereikbaar: ${(e as Error).message}`, 503);
      }
      let client;
      try { client = verifyClient(url.searchParams, clients, ctx.network); } catch (e) {
        if (!(e instanceof UnverifiedClientError)) throw e;
        received.respond("send_authorization_response", 400, { code: "invalid_request", description: e.message });
        return technicalError(request, e.message);
      }
      try {
        const checked = checkAuthorizeRequest(url.searchParams, client, dva, ctx.network);
        const now = Date.now();
        const id = randomSecret();
        store.saveAuthRequest({ id, clientId: client.pgo.clientId, redirectUri: client.redirectUri, scope: checked.zorgaanbieder.scope,
          state: checked.state, traceId: received.traceId, requestId: received.requestId, sessionId: null, expiresAt: now + AUTH_REQUEST_TTL_MS }, now);
        const digid = new URL(`${ctx.network.digid.origin}/authenticate`);
        digid.searchParams.set("return_url", `${dva.auth.origin}/digid/callback`);
        digid.searchParams.set("state", id);
        return new Response(null, { status: 302, headers: { Location: digid.href } });
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        received.respond("send_authorization_response", 302, { code: e.error, description: e.description });
        return errorRedirect(client.redirectUri, { error: e.error, description: e.description }, (e as OAuthError & { state?: string | null }).state ?? null, dva.auth.origin);
      }
    })

    // Back from the DigiD simulator: verify the assertion over HTTP (JWKS), start a DVA session.
    .get("/digid/callback", async ({ request }) => {
      const url = new URL(request.url);
      const requestId = url.searchParams.get("state");
      const pending = requestId ? store.findAuthRequest(requestId, Date.now()) : null;
      if (!pending) return technicalError(request, "Onbekend of verlopen autorisatieverzoek (sessie verlopen).");
      if (url.searchParams.get("error")) {
        store.deleteAuthRequest(pending.id);
        return errorRedirect(pending.redirectUri, { error: "access_denied", description: "de persoon heeft het inloggen met DigiD afgebroken" }, pending.state, dva.auth.origin);
      }
      let bsn: string;
      try {
        const { payload } = await jwtVerify(url.searchParams.get("assertion") ?? "", digidJwks, { issuer: ctx.network.digid.origin, audience: dva.auth.origin });
        if (payload.state !== pending.id || typeof payload.bsn !== "string") throw new Error("assertion hoort niet bij dit verzoek");
        bsn = payload.bsn;
      } catch (e) {
        return technicalError(request, `De DigiD-assertion is ongeldig: ${(e as Error).message}`);
      }
      const now = Date.now();
      const session = store.createSession(bsn, now, SESSION_TTL_MS);
      store.attachSession(pending.id, session.id);
      return new Response(null, { status: 303, headers: {
        Location: `/consent?request=${encodeURIComponent(pending.id)}`,
        "Set-Cookie": serializeCookie(SESSION_COOKIE, session.id, { maxAgeSeconds: SESSION_TTL_MS / 1000 }),
      } });
    })

    // SD 3.3 step 2: the consent screen.
    .get("/consent", ({ request }) => {
      const found = pendingFor(request, new URL(request.url).searchParams.get("request"));
      if (!found) return technicalError(request, "Onbekend of verlopen autorisatieverzoek, of u bent niet ingelogd voor dit verzoek.");
      const { pending, session } = found;
      const za = ctx.network.zorgaanbieders.find((z) => z.scope === pending.scope && z.dva === dva.id)!;
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConsentPage({
        theme, requestId: pending.id, csrfToken: csrf.token,
        pgoName: ctx.network.pgos.find((g) => g.clientId === pending.clientId)?.displayName ?? pending.clientId,
        zorgaanbieder: za.displayName,
        dataService: ctx.network.dataServices.find((s) => s.id === COLLECT_TASKS_SERVICE)?.name ?? "Verzamelen Aanbiedertaken",
        personName: ctx.network.patients.find((p) => p.bsn === session.bsn)?.fullName ?? null,
      }), { setCookies: [csrf.setCookie] });
    })
    .post("/consent", async ({ request }) => {
      const form = await readForm(request);
      const found = pendingFor(request, form.request);
      if (!found) return technicalError(request, "Onbekend of verlopen autorisatieverzoek, of u bent niet ingelogd voor dit verzoek.");
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return technicalError(request, "Het formulier is verlopen of niet van deze pagina afkomstig.", 403);
      const { pending, session } = found;
      store.deleteAuthRequest(pending.id);
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
      const code = randomSecret();
      store.saveGrant(code, { kind: "code", clientId: pending.clientId, consentId: consent.id, createdAt: now, expiresAt: now + CODE_TTL_MS,
        data: { bsn: session.bsn, zorgaanbieder: za.name, scope: pending.scope, redirectUri: pending.redirectUri } });
      const target = new URL(pending.redirectUri);
      target.searchParams.set("code", code);
      target.searchParams.set("state", pending.state);
      target.searchParams.set("iss", dva.auth.origin); // RFC 9207
      answered(303);
      return new Response(null, { status: 303, headers: { Location: target.href } });
    })

    // The token interface (RFC 6749 §3.2, §5).
    .post("/token", async ({ request }) => {
      const url = new URL(request.url);
      const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const text = type === "application/x-www-form-urlencoded" ? await request.text() : "";
      const form = new URLSearchParams(text.length <= MAX_TOKEN_BODY ? text : "");
      const grantType = form.get("grant_type");
      // SD 4.5.3: for a token exchange the line also names the requested token type.
      const received = logIncoming(ctx.chain, request, { type: "receive_token_request", location, clientId: form.get("client_id") ?? undefined,
        extra: { ...(grantType ? { grant_type: grantType } : {}), ...(form.get("requested_token_type") ? { request_token_type: form.get("requested_token_type") } : {}) } });
      try {
        if (type !== "application/x-www-form-urlencoded") throw new OAuthError("invalid_request", "Content-Type moet application/x-www-form-urlencoded zijn (RFC 6749 §3.2)");
        if (url.search) throw new OAuthError("invalid_request", "parameters horen in de body, niet in de URL");
        if (text.length > MAX_TOKEN_BODY) throw new OAuthError("invalid_request", "het verzoek is te groot");
        for (const key of new Set(form.keys())) if (form.getAll(key).length > 1) throw new OAuthError("invalid_request", `${key} komt meer dan één keer voor (RFC 6749 §3.2)`);
        if (!grantType) throw new OAuthError("invalid_request", "grant_type ontbreekt");
        const client = authenticateClient(request, form, dva, ctx.network);
        const handler = GRANTS[grantType];
        if (!handler) throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} wordt niet ondersteund`);
        const grantCtx: GrantContext = { dva, network: ctx.network, store, fhir, signingKey, faults: ctx.faults.get(), stepUpSince: ctx.faults.since("stepUpAlways"), now: Date.now() };
        const body = await handler(grantCtx, client, form);
        received.respond("send_token_response", 200);
        return jsonResponse(body, 200, NO_STORE);
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        received.respond("send_token_request_error", e.status, { code: e.error, description: e.description });
        return oauthErrorResponse(e);
      }
    });
}
