/**
 * Connecting zorgaanbieders (SD 3.2, 3.3, SPEC §7): the list from the register (data service 99),
 * the invitation deep link, the authorization code flow and its callback, and the connections page
 * with disconnect (RFC 7009 revocation at the DVA).
 */
import { Elysia } from "elysia";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, isHtmx, readForm, redirectAfterPost, toLogin } from "../shared/html.ts";
import { formatDateTime } from "../shared/time.ts";
import { statusOfOAuthError } from "../shared/chain-events.ts";
import { newId, sessionIdOf } from "../shared/trace.ts";
import { ConnectPage, ConnectionsPage, DigidStoppedPage, DisconnectPage, NoConsentPage, ProvidersPage, type ConnectionRow } from "../../views/pgo/connect.tsx";
import { ConnectError, authorizationRequestId, redeemCode } from "./connect.ts";
import { PGO_SESSION_COOKIE } from "./account-routes.ts";
import type { PgoDeps } from "./deps.ts";
import type { Provider } from "./register.ts";

export function connectionRoutes(d: PgoDeps) {
  const { ctx, pgo, theme, store, http, directory, redirectUri, accountOf, displayName, dvaNameOf, failure, expired, providersOr, providerRows: rows, syncConnection,
    beginAuthorization, start } = d;
  /**
   * The DVA's answer to the authorization request, as the browser brings it back: a code
   * (receive_authorization_response) or an error (receive_authorization_request_error, with the
   * status the error has on the back channel: the PGO sees none), for that request's id.
   */
  const logAuthorizationAnswer = (callback: URL, trace: { traceId: string; sessionId: string | null }) => {
    const requestId = authorizationRequestId(callback.searchParams.get("state")!);
    const error = callback.searchParams.get("error") ?? (callback.searchParams.get("code") ? null : "invalid_request");
    const base = { location: pgo.clientId, traceId: trace.traceId, sessionId: trace.sessionId };
    if (!error) return ctx.chain.write({ ...base, type: "receive_authorization_response", response: { request_id: requestId, status: 200 } });
    const description = (callback.searchParams.get("error_description") || (callback.searchParams.has("error") ? error : "terugkeer zonder code of error")).slice(0, 300);
    return ctx.chain.write({ ...base, type: "receive_authorization_request_error",
      error: { request_id: requestId, code: error.slice(0, 100), description, status: statusOfOAuthError(error) } });
  };
  const connectionRows = (accountId: string): ConnectionRow[] => store.connectionsOf(accountId).map((c) => ({
    name: c.zorgaanbieder, displayName: displayName(c.zorgaanbieder), dvaName: dvaNameOf(c.zorgaanbieder), longTerm: c.refreshToken !== null,
    connectedAt: formatDateTime(new Date(c.connectedAt)), expiresAt: formatDateTime(new Date(c.refreshToken ? c.connectedAt + 182 * 86_400_000 : c.accessExpiresAt)) }));
  return new Elysia({ name: `pgo-connections:${pgo.clientId}` })
    .get("/verbindingen", ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConnectionsPage({ theme, csrfToken: csrf.token, rows: connectionRows(account.id), removed: new URL(request.url).searchParams.has("ontkoppeld") }),
        { setCookies: [csrf.setCookie] });
    })
    // "Ontkoppelen" asks first, without JavaScript: this page says what the POST below revokes.
    .get("/verbindingen/ontkoppelen", ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const row = connectionRows(account.id).find((r) => r.name === new URL(request.url).searchParams.get("zorgaanbieder"));
      if (!row) return redirectAfterPost(request, "/verbindingen");
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(DisconnectPage({ theme, csrfToken: csrf.token, row, pgoName: pgo.displayName }), { setCookies: [csrf.setCookie] });
    })
    // Disconnect: revoke at the DVA (RFC 7009; a refresh token ends its whole grant), then forget.
    .post("/verbindingen/ontkoppelen", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const connection = store.connectionOf(account.id, form.zorgaanbieder ?? "");
      if (!connection) return redirectAfterPost(request, "/verbindingen");
      const provider = (await directory.providers().catch(() => [] as Provider[])).find((p) => p.name === connection.zorgaanbieder);
      if (provider) {
        const revocation = `${new URL(provider.tokenEndpoint).origin}/connect/revocation`;
        for (const token of [connection.refreshToken, connection.accessToken]) {
          if (!token) continue;
          await http.send(revocation, { method: "POST", trace: { traceId: newId(), sessionId: null },
            headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token, client_id: pgo.clientId }) }).catch(() => null);
        }
      }
      store.removeConnection(account.id, connection.zorgaanbieder);
      return redirectAfterPost(request, "/verbindingen?ontkoppeld");
    })
    .get("/zorgaanbieders", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const q = (new URL(request.url).searchParams.get("q") ?? "").trim().toLowerCase().slice(0, 100);
      const list = rows(providers, account.id).filter((p) => !q || p.displayName.toLowerCase().includes(q) || p.name.includes(q));
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ProvidersPage({ theme, csrfToken: csrf.token, providers: list, q }), { setCookies: [csrf.setCookie] });
    })
    // The invitation link / QR code (AM-FE-014/017): survives login or account creation via `next`.
    .get("/verbind", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const name = new URL(request.url).searchParams.get("zorgaanbieder") ?? "";
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = rows(providers, account.id).find((p) => p.name === name);
      if (!provider) return failure(request, "Onbekende zorgaanbieder", "Deze uitnodiging verwijst naar een zorgaanbieder die (nog) geen taken via een PGO aanbiedt. Kies zelf je zorgaanbieder.", 404);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConnectPage({ theme, csrfToken: csrf.token, provider, userName: account.displayName, pgoName: pgo.displayName, dvaName: dvaNameOf(provider.name) }),
        { setCookies: [csrf.setCookie] });
    })
    .post("/verbind", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === form.zorgaanbieder);
      if (!provider) return failure(request, "Onbekende zorgaanbieder", "Deze zorgaanbieder biedt geen taken via een PGO aan.", 404);
      const target = await beginAuthorization(request, account.id, provider, newId(), null);
      if (isHtmx(request)) return new Response(null, { status: 204, headers: { "HX-Redirect": target } });
      return new Response(null, { status: 303, headers: { Location: target } });
    })
    // Back from the DVA (SD 3.3): state, then the code for tokens.
    .get("/auth_callback", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      const pending = store.takeState(url.searchParams.get("state") ?? "", account.id, Date.now());
      if (!pending) return failure(request, "Verbinden mislukt", "Deze terugkeer van de zorgaanbieder hoort niet bij een verzoek van jou, of het verzoek is verlopen. Probeer opnieuw te verbinden.", 400);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === pending.zorgaanbieder);
      if (!provider) return failure(request, "Verbinden mislukt", "De zorgaanbieder staat niet meer in het register.", 400);
      const trace = { traceId: pending.traceId, sessionId: sessionIdOf(request, PGO_SESSION_COOKIE) };
      logAuthorizationAnswer(url, trace);
      try {
        const tokens = await redeemCode(provider, pgo.clientId, redirectUri, url, { state: url.searchParams.get("state")!, codeVerifier: pending.codeVerifier }, http, trace);
        const now = Date.now();
        const connection = { accountId: account.id, zorgaanbieder: provider.name, accessToken: tokens.access_token,
          accessExpiresAt: now + (tokens.expires_in ?? 900) * 1000, refreshToken: tokens.refresh_token ?? null, scope: String(tokens.scope ?? provider.scope),
          patient: typeof tokens.patient === "string" ? tokens.patient : null, connectedAt: now };
        store.saveConnection(connection);
        // Step-up (SD 3.4): after the new authorization, start the task again, once.
        if (pending.resumeTask) return start(request, account.id, provider, pending.resumeTask, pending.traceId, false);
        await syncConnection(account.id, connection, provider, { full: true, sessionId: trace.sessionId });
        return new Response(null, { status: 303, headers: { Location: `/taken?verbonden=${encodeURIComponent(provider.name)}` } });
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        if (e.kind === "denied") return htmlResponse(NoConsentPage({ theme, provider: displayName(provider.name) }));
        if (e.kind === "digid-stopped") {
          return htmlResponse(DigidStoppedPage({ theme, provider: provider.name, providerName: displayName(provider.name), dvaName: dvaNameOf(provider.name), forTask: pending.resumeTask !== null }));
        }
        return failure(request, "Verbinden mislukt", `Het verbinden met ${displayName(provider.name)} is niet gelukt (${e.message}). Probeer het later nog eens.`, 502);
      }
    });
}
