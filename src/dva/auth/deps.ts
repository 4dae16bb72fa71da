/** What the DVA authorization server's route files share: stores, keys, sessions, error pages. */
import { createRemoteJWKSet } from "jose";
import { sha256 } from "../../shared/crypto.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { readCookie, serializeCookie } from "../../shared/cookies.ts";
import { htmlResponse } from "../../shared/html.ts";
import { createHttpClient } from "../../shared/http-client.ts";
import { lazySigningKey } from "../../shared/keys.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { incomingIds } from "../../shared/trace.ts";
import { TechnicalError } from "../../../views/dva/pages.tsx";
import { themes } from "../../../views/theme.ts";
import { FhirStore } from "../fhir/store.ts";
import { createOAuthClientList } from "./register-client.ts";
import { DvaAuthStore, type DvaSession } from "./store.ts";

export const SESSION_COOKIE = "dva_session";
export const SESSION_TTL_MS = 60 * 60_000;

export function createAuthDeps(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const theme = themes.dva(dva.name, index, "auth");
  const store = new DvaAuthStore(ctx.db, dva.id);
  const location = dva.auth.hostname;
  return {
    ctx, dva, theme, store, location,
    fhir: new FhirStore(ctx.db),
    signingKey: lazySigningKey(store),
    ocl: createOAuthClientList(createHttpClient({ location, chain: ctx.chain }), ctx.network.register.origin),
    digidJwks: createRemoteJWKSet(new URL(`${ctx.network.digid.origin}/.well-known/jwks.json`)),

    /** SD 4.2.1 page for errors that may not be redirected. */
    technicalError(request: Request, detail: string, status = 400) {
      const session = readCookie(request, SESSION_COOKIE);
      return htmlResponse(TechnicalError({ theme, dvaName: dva.name, dvaPhone: dva.phone, traceId: incomingIds(request).traceId,
        sessionId: session ? sha256(session).slice(0, 16) : null, detail }), { status });
    },

    sessionOf(request: Request): DvaSession | null {
      const id = readCookie(request, SESSION_COOKIE);
      return id ? store.findSession(id, Date.now()) : null;
    },

    sessionCookie(session: DvaSession): string {
      return serializeCookie(SESSION_COOKIE, session.id, { maxAgeSeconds: SESSION_TTL_MS / 1000 });
    },

    /** A pending request and this browser's session, which must be the one that logged in for it. */
    pendingFor(request: Request, requestId: string | undefined | null) {
      const pending = requestId ? store.findAuthRequest(requestId, Date.now()) : null;
      const id = readCookie(request, SESSION_COOKIE);
      const session = id ? store.findSession(id, Date.now()) : null;
      if (!pending || !session || pending.sessionId !== sha256(session.id)) return null;
      return { pending, session };
    },
  };
}

export type AuthDeps = ReturnType<typeof createAuthDeps>;

/** The DigiD simulator login for a pending request; it returns to /digid/callback with state = the request id. */
export function digidLoginUrl(d: AuthDeps, requestId: string): string {
  const digid = new URL(`${d.ctx.network.digid.origin}/authenticate`);
  digid.searchParams.set("return_url", `${d.dva.auth.origin}/digid/callback`);
  digid.searchParams.set("state", requestId);
  return digid.href;
}
