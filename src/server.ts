/**
 * One Bun.serve for every virtual host: the Host header picks the actor app from a map built from
 * the network definition (SPEC §1–§2). Things every host shares live here: `/health`, the static
 * assets, the host-level faults (a DVA or the module down, DVA latency), the security headers of
 * every response (shared/security-headers.ts), echoing `MedMij-Request-ID`, a 400 for a missing
 * or malformed Host, and a last-resort error page that never shows a stack trace (507/503 when
 * the disk is full or the data file fails, shared/storage-error.ts).
 */
import { serveAsset } from "./shared/assets.ts";
import type { Conformance } from "./shared/conformance.ts";
import type { SandboxContext } from "./shared/context.ts";
import type { ExchangeLog } from "./shared/exchange-log.ts";
import type { Faults } from "./shared/faults.ts";
import { htmlResponse, jsonResponse } from "./shared/html.ts";
import { withSecurityHeaders } from "./shared/security-headers.ts";
import { STORAGE_RETRY_AFTER, logStorageFailure, storageFailure, storageFailureJson, type StorageFailure } from "./shared/storage-error.ts";
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

/**
 * The host name to route on: "Auth.Zorgnet.localhost:8080" → "auth.zorgnet.localhost", "[::1]:8080"
 * → "[::1]". Null when the Host header is missing or malformed — RFC 9112 §3.2: a missing,
 * repeated (Bun joins them with ", ") or invalid Host is a 400. A name is ASCII (an IDN arrives as
 * punycode, RFC 5890), an IPv6 literal is in brackets, a port is 0–65535; no user info.
 */
export function hostnameOf(hostHeader: string | null): string | null {
  if (!hostHeader) return null;
  const match = HOST.exec(hostHeader.trim().toLowerCase());
  if (!match || (match[2] && Number(match[2]) > 65535)) return null;
  return match[1]!;
}

const HOST = /^(\[[0-9a-f:.]{2,45}\]|[a-z0-9_][a-z0-9_.-]{0,252})(?::(\d{0,5}))?$/;

/** A request the dispatcher cannot route: a 400 page for a browser, JSON for anything else. */
async function badHost(request: Request): Promise<Response> {
  const { traceId } = incomingIds(request, NO_URL);
  const message = "De Host-header ontbreekt of is ongeldig; de sandbox kiest de actor op de Host-header (bijvoorbeeld pgo.localhost:8080).";
  if ((request.headers.get("accept") ?? "").includes("text/html")) {
    return htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "Ongeldig verzoek", traceId, message }), { status: 400 });
  }
  return jsonResponse({ error: "invalid_request", error_description: message, trace_id: traceId }, 400);
}

/** For the trace id of a request whose URL cannot be parsed (no query parameters to read). */
const NO_URL = new URL("http://host.invalid/");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `exchanges`: where every actor request is captured for a trace's HAR file (issue 13 §3), or none. */
export function createDispatcher(ctx: SandboxContext, hosts: HostMap, exchanges: ExchangeLog | null = null) {
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
    // Bun builds request.url from the Host header; a bad one (x:99999, x:P:1) makes it unparsable.
    const url = hostname === null ? null : URL.parse(request.url);
    if (hostname === null || url === null) return withSecurityHeaders(await badHost(request), null, "/");
    const route = hosts.get(hostname);
    const capture = route && exchanges ? exchanges.begin(request, url, hostname, route.kind) : null;
    // A captured request's body is read once; the actor gets a request on those bytes (ExchangeLog.received).
    const received = capture ? exchanges!.received(capture) : request;
    const handled = received instanceof Request ? received : await received;
    // The MedMij-check (issue 14 §3) sees the requests of teams' actors; with none registered, nothing.
    const checks = route && ctx.checks?.active() ? ctx.checks : null;
    const copy = checks?.wantsBody(request, url, route!.kind) ? handled.clone() : null;
    const answer = capture ? await exchanges!.run(capture, () => respond(handled, url, hostname, route)) : await respond(handled, url, hostname, route);
    if (checks) void inspect(checks, request, url, route!, copy, answer);
    let response = withSecurityHeaders(answer, route?.kind ?? null, url.pathname);
    const requestId = request.headers.get(REQUEST_ID_HEADER);
    if (requestId && /^[A-Za-z0-9._:-]{1,128}$/.test(requestId)) {
      // SPEC §5: the DVA echoes every request's MedMij-Request-ID. Responses from fetch() have
      // immutable headers, so copy when needed.
      try { response.headers.set(REQUEST_ID_HEADER, requestId); } catch {
        response = new Response(response.body, response);
        response.headers.set(REQUEST_ID_HEADER, requestId);
      }
    }
    if (capture) exchanges!.end(capture, response);
    return response;
  };
}

/** Hand a request and its answer to the MedMij-check, bodies read from clones, after the answer went out. */
async function inspect(checks: Conformance, request: Request, url: URL, route: HostRoute, copy: Request | null, answer: Response): Promise<void> {
  try {
    const response = answer.clone();
    const body = copy ? await copy.text() : null;
    const responseBody = checks.wantsResponseBody(url, route.kind) ? await response.clone().text() : null;
    checks.incoming({ request, url, kind: route.kind, dvaId: route.dvaId, body, response, responseBody });
  } catch { /* a check never breaks a request */ }
}

async function handleSafely(route: HostRoute, request: Request, url: URL): Promise<Response> {
  try {
    return await route.handle(request, url);
  } catch (error) {
    const { traceId } = incomingIds(request, url);
    const storage = storageFailure(error);
    if (storage) return storageFailureResponse(route, request, url, storage, traceId);
    console.error(`[${route.kind}] unhandled error, trace ${traceId}:`, error);
    return htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "Er ging iets mis", traceId,
      message: "Er is een onverwachte fout opgetreden. Noem de Trace ID als u hulp vraagt." }), { status: 500 });
  }
}

/** Issue 11: a write that cannot be stored is 507/503 in the host's shape, and the process serves on. */
function storageFailureResponse(route: HostRoute, request: Request, url: URL, storage: StorageFailure, traceId: string): Promise<Response> | Response {
  logStorageFailure(route.kind, storage, traceId);
  if (route.kind === "dva-fhir" && url.pathname.startsWith("/fhir")) {
    return new Response(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "transient", diagnostics: `${storage.message} Trace ID ${traceId}` }] }),
      { status: storage.status, headers: { "Content-Type": "application/fhir+json", "Access-Control-Allow-Origin": "*", "Retry-After": STORAGE_RETRY_AFTER } });
  }
  if (url.pathname.startsWith("/api/") || !(request.headers.get("accept") ?? "").includes("text/html")) return storageFailureJson(storage, traceId);
  return htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "Technische storing", traceId, message: storage.message }),
    { status: storage.status, headers: { "Retry-After": STORAGE_RETRY_AFTER } });
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
