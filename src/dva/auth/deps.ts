/** What the DVA authorization server's route files share: stores, keys, sessions, error pages. */
import { createRemoteJWKSet } from "jose";
import { constantTimeEqual, randomToken, sha256 } from "../../shared/crypto.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { readCookie, serializeCookie } from "../../shared/cookies.ts";
import { htmlResponse } from "../../shared/html.ts";
import { createHttpClient } from "../../shared/http-client.ts";
import { lazySigningKey } from "../../shared/keys.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { incomingIds, logRef, sessionIdOf } from "../../shared/trace.ts";
import { TechnicalError } from "../../../views/dva/pages.tsx";
import { themes } from "../../../views/theme.ts";
import { FhirStore } from "../fhir/store.ts";
import { AUTH_REQUEST_TTL_MS } from "./authorize.ts";
import { createOAuthClientList } from "./register-client.ts";
import { DvaAuthStore, type AuthRequest, type DvaSession } from "./store.ts";

export const SESSION_COOKIE = "dva_session";
export const SESSION_TTL_MS = 60 * 60_000;
/** Names this browser to the DVA, so that a login finishes in the browser that started it. */
export const BROWSER_COOKIE = "dva_browser";
const BROWSER_COOKIE_MAX_AGE_S = 400 * 86_400; // long-lived: the longest browsers keep a cookie
const BROWSER_ID = /^[A-Za-z0-9_-]{43}$/;

/** A login to start: everything of a pending request but what beginLogin fills in. */
export type NewLogin = Omit<AuthRequest, "id" | "browser" | "sessionId" | "expiresAt" | "requestId"> & { requestId?: string };

/** Why a pending request cannot go on in this browser, as the Dutch detail of the SD 4.2.1 page. */
export const NOT_THIS_BROWSER = "Dit verzoek is in een andere browser gestart. Om veiligheidsredenen kunt u het alleen afmaken in de browser waarin u begon. Begin opnieuw vanuit uw PGO.";
export const UNKNOWN_REQUEST = "Onbekend of verlopen autorisatieverzoek (sessie verlopen).";

export function createAuthDeps(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const theme = themes.dva(dva.name, index, "auth");
  const store = new DvaAuthStore(ctx.db, dva.id);
  const location = dva.auth.hostname;

  /**
   * This browser's id (reused, so two tabs both work), and the cookie to set when it had none.
   * `sessionId` is the person's session at this DVA as its pages and chain-log lines show it
   * (SD 4.2.1 "Session ID", SD 4.5 `session_id`): the browser's, set at its first /auth or
   * SMART authorize and the same through DigiD, consent and a later launch — the DVA's login
   * (dva_session) only starts halfway, after DigiD.
   */
  function browserOf(request: Request): Browser {
    const existing = readCookie(request, BROWSER_COOKIE);
    const fresh = existing && BROWSER_ID.test(existing) ? null : randomToken();
    const hash = sha256(fresh ?? existing!);
    return { hash, sessionId: hash.slice(0, 16), setCookie: fresh ? serializeCookie(BROWSER_COOKIE, fresh, { maxAgeSeconds: BROWSER_COOKIE_MAX_AGE_S }) : null };
  }

  /**
   * RFC 9700 §4.7 and §4.5 (login CSRF, injection): a pending request binds the browser that
   * started it; the DigiD callback and consent of another browser are refused.
   */
  function sameBrowser(request: Request, pending: AuthRequest): boolean {
    const id = readCookie(request, BROWSER_COOKIE);
    return id !== null && pending.browser !== null && constantTimeEqual(sha256(id), pending.browser);
  }

  /** The display name of one of this DVA's zorgaanbieders; a DVA that serves one always knows it. */
  function zorgaanbiederName(about: ZorgaanbiederRef): string | undefined {
    const own = ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id);
    const za = about.name || about.scope ? own.find((z) => z.name === about.name || z.scope === about.scope) : undefined;
    return (za ?? (own.length === 1 ? own[0] : undefined))?.displayName;
  }

  return {
    ctx, dva, theme, store, location, sameBrowser, browserOf,
    /** The Session ID of a request's browser at this DVA (see browserOf), or null before its first /auth. */
    sessionIdOf: (request: Request) => sessionIdOf(request, BROWSER_COOKIE),
    fhir: new FhirStore(ctx.db),
    signingKey: lazySigningKey(store),
    ocl: createOAuthClientList(createHttpClient({ location, chain: ctx.chain }), ctx.network.register.origin),
    digidJwks: createRemoteJWKSet(new URL(`${ctx.network.digid.origin}/.well-known/jwks.json`)),

    /**
     * SD 4.2.1 page for errors that may not be redirected. It names the zorgaanbieder ("Dit is de
     * leverancier van het computersysteem van <Naam Aanbieder>") when the DVA knows which one:
     * from the request (`about`: a zorgaanbieder's name or collect scope), or because it serves one.
     */
    technicalError(request: Request, detail: string, status = 400, about: ZorgaanbiederRef = {}, o: { browser?: Browser; traceId?: string } = {}) {
      return htmlResponse(TechnicalError({ theme, dvaName: dva.name, dvaPhone: dva.phone, zorgaanbieder: zorgaanbiederName(about), traceId: o.traceId ?? incomingIds(request).traceId,
        sessionId: o.browser?.sessionId ?? sessionIdOf(request, BROWSER_COOKIE), detail }), { status, setCookies: o.browser?.setCookie ? [o.browser.setCookie] : [] });
    },

    /** A redirect or page answered to a browser whose id was made in this request: it keeps it (browserOf). */
    withBrowser(response: Response, browser: Browser): Response {
      if (browser.setCookie) response.headers.append("Set-Cookie", browser.setCookie);
      return response;
    },

    sessionOf(request: Request): DvaSession | null {
      const id = readCookie(request, SESSION_COOKIE);
      return id ? store.findSession(id, Date.now()) : null;
    },

    sessionCookie(session: DvaSession): string {
      return serializeCookie(SESSION_COOKIE, session.id, { maxAgeSeconds: SESSION_TTL_MS / 1000 });
    },

    /**
     * Save a pending request bound to this browser and send the browser to the DigiD simulator:
     * the authentication request (AS "Logging interface" 4, send_authentication_request) of a
     * collect or SMART login; the consent overview's own login is no chain event.
     */
    beginLogin(request: Request, login: NewLogin, browser: Browser = browserOf(request)): Response {
      const now = Date.now();
      const id = randomToken();
      store.saveAuthRequest({ ...login, id, requestId: login.requestId ?? id.slice(0, 16), browser: browser.hash, sessionId: null, expiresAt: now + AUTH_REQUEST_TTL_MS }, now);
      const target = digidLoginUrl(ctx.network.digid.origin, dva.auth.origin, id);
      if (login.kind !== "overview") {
        const digid = new URL(target);
        ctx.chain.write({ type: "send_authentication_request", location, traceId: login.traceId, sessionId: browser.sessionId,
          request: { id: authenticationRequestId(id), method: "get", client_id: location, server_id: digid.hostname, uri: `${digid.origin}${digid.pathname}`, initiated_by: "person" } });
      }
      const headers = new Headers({ Location: target });
      if (browser.setCookie) headers.append("Set-Cookie", browser.setCookie);
      return new Response(null, { status: 302, headers });
    },

    /**
     * The pending request of the consent screen: started in this browser, and logged in for by
     * this browser's session. Otherwise why not; nothing is consumed, so the real browser can finish.
     */
    pendingFor(request: Request, requestId: string | undefined | null): { pending: AuthRequest; session: DvaSession } | { refused: string; about: ZorgaanbiederRef } {
      const pending = requestId ? store.findAuthRequest(requestId, Date.now()) : null;
      if (!pending) return { refused: UNKNOWN_REQUEST, about: {} };
      const about = zorgaanbiederOf(pending);
      if (!sameBrowser(request, pending)) return { refused: NOT_THIS_BROWSER, about };
      const id = readCookie(request, SESSION_COOKIE);
      const session = id ? store.findSession(id, Date.now()) : null;
      if (!session || pending.sessionId !== sha256(session.id)) return { refused: "U bent niet ingelogd voor dit autorisatieverzoek (of uw sessie is verlopen).", about };
      return { pending, session };
    },
  };
}

export type AuthDeps = ReturnType<typeof createAuthDeps>;

/** A browser at this DVA: the hash of its id (bound to pending requests), its Session ID, and the cookie when it is new. */
export interface Browser { hash: string; sessionId: string; setCookie: string | null }

/**
 * The id of a pending login's authentication request (send_authentication_request), which its
 * answer (receive_authentication_response, a cancellation or an error) names as `request_id`:
 * derived from the pending request, whose own id is the secret `state` DigiD returns.
 */
export function authenticationRequestId(pendingId: string): string {
  return logRef(`authentication ${pendingId}`);
}

/** Which zorgaanbieder an error is about, as far as the request tells: its name, or the collect scope. */
export interface ZorgaanbiederRef { name?: string | null; scope?: string | null }

/** A pending request's zorgaanbieder: the collect scope, or a SMART launch's context. */
export function zorgaanbiederOf(pending: AuthRequest): ZorgaanbiederRef {
  if (pending.kind === "smart") {
    const launch = (pending.data as { launch?: { zorgaanbieder?: unknown } } | undefined)?.launch;
    return { name: typeof launch?.zorgaanbieder === "string" ? launch.zorgaanbieder : null };
  }
  return pending.kind === "overview" ? {} : { scope: pending.scope };
}

/** The DigiD simulator login for a pending request; it returns to /digid/callback with state = the request id. */
function digidLoginUrl(digidOrigin: string, authOrigin: string, requestId: string): string {
  const digid = new URL(`${digidOrigin}/authenticate`);
  digid.searchParams.set("return_url", `${authOrigin}/digid/callback`);
  digid.searchParams.set("state", requestId);
  return digid.href;
}
