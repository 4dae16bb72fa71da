/**
 * One Bun.serve for every virtual host: the Host header picks the actor app from a map built from
 * the network definition (SPEC §1–§2). Things every host shares live here: `/health`, the static
 * assets, the host-level faults (a DVA or the module down, DVA latency), the security headers of
 * every response (shared/security-headers.ts), echoing `MedMij-Request-ID`, and a last-resort
 * error page that never shows a stack trace.
 */
import { serveAsset } from "./shared/assets.ts";
import type { SandboxContext } from "./shared/context.ts";
import type { Faults } from "./shared/faults.ts";
import { htmlResponse, jsonResponse } from "./shared/html.ts";
import { withSecurityHeaders } from "./shared/security-headers.ts";
import { REQUEST_ID_HEADER, incomingIds } from "./shared/trace.ts";
import { ErrorPage } from "../views/error-page.tsx";
import { UnknownHostPage } from "../views/unknown-host.tsx";
import { themes } from "../views/theme.ts";

import type { ActorKind } from "./shared/actor-sites.ts";
export type { ActorKind };

export interface HostRoute {
  kind: ActorKind;
  /** Human name for the unknown-host page and startup lines. */
  title: string;
  origin: string;
  /** For DVA hosts: which DVA (dvaDown, latencyMs). */
  dvaId?: string;
  /** `url` is the request's URL, parsed once by the dispatcher. */
  handle(request: Request, url: URL): Response | Promise<Response>;
}

export type HostMap = Map<string, HostRoute>;

/** "Auth.Zorgnet.localhost:8080" → "auth.zorgnet.localhost"; "[::1]:8080" → "[::1]". */
export function hostnameOf(hostHeader: string | null): string {
  if (!hostHeader) return "";
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createDispatcher(ctx: SandboxContext, hosts: HostMap) {
  async function respond(request: Request, url: URL, hostname: string, route: HostRoute | undefined): Promise<Response> {
    if (!route) {
      const listed = [...new Map([...hosts.values()].map((r) => [r.origin, r])).values()];
      return htmlResponse(UnknownHostPage({ host: hostname, hosts: listed.map((r) => ({ title: r.title, origin: r.origin })) }), { status: 404 });
    }
    const faults = ctx.faults.get();
    const down = hostDown(faults, route);
    if (down) return down;
    const latency = faults.latencyMs;
    if (latency && (route.kind === "dva-auth" || route.kind === "dva-fhir")) await sleep(latency);
    if (url.pathname === "/health" && request.method === "GET") return jsonResponse({ status: "ok" });
    return serveAsset(url.pathname) ?? await handleSafely(route, request, url);
  }

  return async function dispatch(request: Request): Promise<Response> {
    const hostname = hostnameOf(request.headers.get("host"));
    const route = hosts.get(hostname);
    const url = new URL(request.url);
    let response = withSecurityHeaders(await respond(request, url, hostname, route), route?.kind ?? null, url.pathname);
    const requestId = request.headers.get(REQUEST_ID_HEADER);
    if (requestId && /^[A-Za-z0-9._:-]{1,128}$/.test(requestId)) {
      // SPEC §5: the DVA echoes every request's MedMij-Request-ID. Responses from fetch() have
      // immutable headers, so copy when needed.
      try { response.headers.set(REQUEST_ID_HEADER, requestId); } catch {
        response = new Response(response.body, response);
        response.headers.set(REQUEST_ID_HEADER, requestId);
      }
    }
    return response;
  };
}

async function handleSafely(route: HostRoute, request: Request, url: URL): Promise<Response> {
  try {
    return await route.handle(request, url);
  } catch (error) {
    const { traceId } = incomingIds(request);
    console.error(`[${route.kind}] unhandled error, trace ${traceId}:`, error);
    return htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "Er ging iets mis", traceId,
      message: "Er is een onverwachte fout opgetreden. Noem de Trace ID als u hulp vraagt." }), { status: 500 });
  }
}

/** Host-level faults (SPEC §9): `dvaDown` for both DVA hosts, `moduleDown` for the module host. */
function hostDown(faults: Readonly<Faults>, route: HostRoute): Response | null {
  if (route.dvaId && faults.dvaDown === route.dvaId) {
    const headers = { "Retry-After": "30" };
    if (route.kind === "dva-fhir") {
      return new Response(JSON.stringify({
        resourceType: "OperationOutcome",
        issue: [{ severity: "fatal", code: "transient", diagnostics: "De DVA is tijdelijk niet beschikbaar (sandbox-storing dvaDown)." }],
      }), { status: 503, headers: { "Content-Type": "application/fhir+json", "Access-Control-Allow-Origin": "*", ...headers } });
    }
    return jsonResponse({ error: "temporarily_unavailable", error_description: "De DVA is tijdelijk niet beschikbaar (sandbox-storing dvaDown)." }, 503, headers);
  }
  if (route.kind === "module" && faults.moduleDown) {
    return new Response("503 Service Unavailable — de module is tijdelijk niet beschikbaar (sandbox-storing moduleDown).",
      { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "30" } });
  }
  return null;
}
