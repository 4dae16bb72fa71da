/**
 * DVA FHIR server host (`fhir.<dva>.localhost/fhir`): SMART discovery (SD 3.5) and the FHIR R4
 * REST interactions (read, vread, search, create, update, patch, history) behind bearer-token
 * access (access.ts). No framework: the interactions are a route table (router.ts) of
 * framework-free handlers (rest.ts, write.ts) that return a FhirResult or throw an
 * OperationOutcomeError; `handle` renders either and writes the resource lines (SD 4.5.1:
 * receive_resource_request, then send_resource_response or send_resource_request_error); the
 * SMART configuration writes SD 4.5.6's.
 */
import type { SandboxContext } from "../../shared/context.ts";
import { htmlResponse, jsonResponse } from "../../shared/html.ts";
import { FHIR_SECURITY_HEADERS } from "../../shared/security-headers.ts";
import { logIncoming } from "../../shared/incoming.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { incomingIds } from "../../shared/trace.ts";
import { ErrorPage } from "../../../views/error-page.tsx";
import { FhirHome } from "../../../views/dva/fhir-home.tsx";
import { themes } from "../../../views/theme.ts";
import { SMART_SCOPES } from "../auth/smart.ts";
import { DvaAuthStore } from "../auth/store.ts";
import { FHIR_JSON, OperationOutcomeError, badRequest, notFound, outcomeResponse, tooLarge, unauthorized } from "../../shared/operation-outcome.ts";
import { authenticate, reconfirmed, type Access } from "./access.ts";
import { capabilityStatement } from "./capability.ts";
import { RESOURCE_TYPES, patchTask, read, search, vread, type FhirContext, type FhirResult } from "./rest.ts";
import { createRouter, type Params } from "./router.ts";
import { create, history, parseJsonBody, update } from "./write.ts";
import { mediaType, notAcceptable, unmodifiedSince, unsupportedMediaType } from "./negotiation.ts";
import { FhirStore, fhirGeneration } from "./store.ts";
import { STORAGE_RETRY_AFTER, logStorageFailure, storageFailure } from "../../shared/storage-error.ts";

export const MAX_BODY = 1024 * 1024;

/** CORS on every answer (browser-based modules); the preflight adds what may be sent. */
const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Location, Last-Modified, MedMij-Request-ID, X-Sandbox-Warning",
  ...FHIR_SECURITY_HEADERS };
/** Health data is not kept by caches (issue 10): every answer but the metadata and the SMART configuration. */
const DATA = { ...CORS, "Cache-Control": "no-store" };
const PREFLIGHT = { ...DATA, "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match, If-Modified-Since, If-None-Exist, Prefer, X-Correlation-ID, MedMij-Request-ID",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, OPTIONS", "Access-Control-Max-Age": "600" };

/** @see https://hl7.org/fhir/smart-app-launch/conformance.html */
export function smartConfiguration(dva: ResolvedDva) {
  const auth = dva.auth.origin;
  return {
    issuer: auth,
    jwks_uri: `${auth}/.well-known/openid-configuration/jwks`,
    authorization_endpoint: `${auth}/connect/authorize`,
    token_endpoint: `${auth}/connect/token`,
    introspection_endpoint: `${auth}/connect/introspect`,
    // KoppelMij 2026 names `{DVA_AUTH_URL}/revoke`; both answer in both flavours.
    revocation_endpoint: dva.flavour === "koppelmij-2026" ? `${auth}/revoke` : `${auth}/connect/revocation`,
    grant_types_supported: ["authorization_code"],
    response_types_supported: ["code"],
    // "none": a module registered without a secret (a public client; PKCE S256 is required of every module).
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
    token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: ["openid", ...(dva.flavour === "koppelmij-2026" ? ["launch/patient"] : []), ...SMART_SCOPES],
    capabilities: ["launch-ehr", "context-ehr-patient", "client-confidential-symmetric", "client-confidential-asymmetric", "client-public", ...(dva.flavour === "koppelmij-2026" ? ["launch-standalone", "context-standalone-patient"] : []), "permission-patient", "permission-v1", "permission-v2"],
  };
}

/** PATCH takes JSON Patch or, as a Parameters resource, FHIRPath Patch (http.html#patch); RFC 5789 §2.2 names them on a 415. */
const ACCEPT_PATCH = `application/json-patch+json, ${FHIR_JSON}`;

/**
 * A write's warnings (http.html#ops) are an OperationOutcome only under `Prefer:
 * return=OperationOutcome`; without it the body is the resource (or nothing), so this header
 * repeats them for a writer that did not ask. HTTP header text is ASCII here: accents dropped.
 */
const warningHeader = (issues: { diagnostics: string }[]) =>
  issues.map((i) => i.diagnostics).join(" | ").normalize("NFD").replace(/\p{M}/gu, "").replace(/[^\x20-\x7e]/g, "?");

/** One interaction: the request, its parsed URL and the path parameters. */
type Handler = (request: Request, url: URL, params: Params) => Response | Promise<Response>;

export function createDvaFhir(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const theme = themes.dva(dva.name, index, "fhir");
  const authStore = new DvaAuthStore(ctx.db, dva.id);
  const store = new FhirStore(ctx.db);
  const location = dva.fhir.hostname;
  const networkAgbs = ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id).map((z) => ({ zorgaanbieder: z.name, agb: z.agb }));

  /**
   * A search's ETag by what decides its answer — the token's reach and the request — while nothing
   * in the FHIR store was written since (`fhirGeneration`, bumped by every write, reset and reindex
   * included): a revalidation with that ETag answers 304 before the search runs (issue 16). The
   * token is verified first, so a revoked token or a withdrawn consent never reaches it.
   */
  const revalidations = new Map<string, { generation: number; etag: string }>();
  /** A write's context once it runs (grouped at the end of the turn): its token not revoked since, its rule current. */
  const confirmed = (f: FhirContext): FhirContext => ({ ...f, access: reconfirmed(f.access, authStore, ctx.network) });
  const reachOf = (a: Access) => JSON.stringify([a.kind, a.clientId, a.zorgaanbieder, a.scopes, "patient" in a ? a.patient : null, "task" in a ? a.task : null]);

  /** Authenticate, run one interaction, render the result or the OperationOutcome; log SD 4.5 lines. `searchKey`: a search GET, whose 304 may come from `revalidations`. */
  async function handle(request: Request, url: URL, run: (fctx: FhirContext) => FhirResult | Promise<FhirResult>, searchKey: string | null = null): Promise<Response> {
    // Server to server (machine); the request line waits for the token, which names the client (its client_id).
    const received = logIncoming(ctx.chain, request, { type: "receive_resource_request", location, initiatedBy: "machine", deferred: true }, url);
    try {
      // http.html#mime: FHIR JSON only; `_format` overrides Accept.
      const unacceptable = notAcceptable(request.headers.get("accept"), url.searchParams.get("_format"));
      if (unacceptable) throw unacceptable;
      if (ctx.faults.get().fhirTokenExpired) throw unauthorized("het token is verlopen (sandbox-storing fhirTokenExpired)");
      const access = await authenticate(request, dva, authStore, store, ctx.network);
      received.log({ client_id: access.clientId });
      const get = request.method === "GET" || request.method === "HEAD";
      const ifNoneMatch = get ? request.headers.get("if-none-match") : null;
      const cacheKey = searchKey && get ? `${reachOf(access)} ${searchKey}` : null;
      const generation = fhirGeneration();
      if (cacheKey && ifNoneMatch) {
        const hit = revalidations.get(cacheKey);
        if (hit && hit.generation === generation && hit.etag === ifNoneMatch) {
          received.respond("send_resource_response", 304);
          return new Response(null, { status: 304, headers: { ETag: hit.etag, ...DATA } });
        }
      }
      const result = await run({ dva: dva.id, fhirBase: dva.fhirBase, store, access, now: () => new Date(), ifNoneMatch, networkAgbs });
      if (cacheKey && result.etag && (result.status === 200 || result.status === 304) && fhirGeneration() === generation) {
        if (revalidations.size >= 10_000) revalidations.clear();
        revalidations.set(cacheKey, { generation, etag: result.etag });
      }
      received.respond("send_resource_response", result.status);
      // http.html#cread: If-None-Match on read and search; If-Modified-Since on read (RFC 9110 §13.1.3, If-None-Match first).
      if (result.status === 304 || (result.etag && ifNoneMatch === result.etag) || (get && result.status === 200 && unmodifiedSince(request.headers, result.lastModified))) {
        return new Response(null, { status: 304, headers: { ETag: result.etag ?? "", ...DATA } });
      }
      const headers: Record<string, string> = { "Content-Type": FHIR_JSON, ...DATA };
      if (result.etag) headers.ETag = result.etag;
      if (result.lastModified) headers["Last-Modified"] = result.lastModified;
      if (result.location) headers.Location = result.location;
      if (!get && result.warnings?.length) headers["X-Sandbox-Warning"] = warningHeader(result.warnings);
      if (request.method === "HEAD") return new Response(null, { status: result.status, headers });
      if (!get) {
        // http.html#ops: Prefer return=minimal | representation | OperationOutcome on writes.
        const prefer = /return=(minimal|representation|OperationOutcome)/.exec(request.headers.get("prefer") ?? "")?.[1];
        if (prefer === "minimal") return new Response(null, { status: result.status, headers });
        if (prefer === "OperationOutcome") {
          const issues = result.warnings?.length ? result.warnings : [{ severity: "information", code: "informational", diagnostics: "opgeslagen" }];
          return new Response(JSON.stringify({ resourceType: "OperationOutcome", issue: issues }), { status: result.status, headers });
        }
      }
      return new Response(typeof result.body === "string" ? result.body : JSON.stringify(result.body), { status: result.status, headers });
    } catch (e) {
      // SPEC §6: every failure is an OperationOutcome, an unexpected one too (logged with its trace).
      const error = e instanceof OperationOutcomeError ? e : unexpected(e, received.traceId);
      received.respond("send_resource_request_error", error.status, { code: error.issue.code, description: error.issue.diagnostics });
      return outcomeResponse(error, DATA);
    }
  }

  function unexpected(e: unknown, traceId: string): OperationOutcomeError {
    // Issue 11: a full disk or an I/O error is 507/503 "transient", not a 500; the next request may succeed.
    const storage = storageFailure(e);
    if (storage) {
      logStorageFailure(`dva-fhir:${dva.id}`, storage, traceId);
      return new OperationOutcomeError(storage.status, { severity: "error", code: "transient", diagnostics: `${storage.message} Trace ID ${traceId}` },
        { "Retry-After": STORAGE_RETRY_AFTER });
    }
    console.error(`[dva-fhir:${dva.id}] unexpected error, trace ${traceId}:`, e);
    return new OperationOutcomeError(500, { severity: "fatal", code: "exception", diagnostics: `onverwachte fout in de FHIR-server; Trace ID ${traceId}` });
  }

  const strict = (request: Request) => (request.headers.get("prefer") ?? "").includes("handling=strict");
  const selfUrl = (url: URL, params: URLSearchParams) => {
    const query = params.toString();
    return `${dva.fhir.origin}${url.pathname.replace(/\/_search$/, "")}${query ? `?${query}` : ""}`;
  };

  /** The body as text, at most MAX_BODY bytes (also without Content-Length, e.g. chunked). */
  async function readBody(request: Request): Promise<string> {
    const length = Number(request.headers.get("content-length") ?? "0");
    if (length > MAX_BODY) throw tooLarge(`de body is groter dan ${MAX_BODY} bytes`);
    const bytes = await request.arrayBuffer();
    if (bytes.byteLength > MAX_BODY) throw tooLarge(`de body is groter dan ${MAX_BODY} bytes`);
    return new TextDecoder().decode(bytes);
  }

  /** FHIR JSON only (SPEC §6); another Content-Type is 415 (RFC 9110 §15.5.16). */
  async function readJson(request: Request): Promise<string> {
    const type = mediaType(request.headers.get("content-type"));
    if (type !== FHIR_JSON && type !== "application/json") {
      throw unsupportedMediaType(`Content-Type ${type || "(geen)"} wordt niet ondersteund: stuur ${FHIR_JSON}`);
    }
    return readBody(request);
  }

  const systemClient = ctx.network.zorgaanbieders.find((z) => z.dva === dva.id)?.systemClient;
  const home: Handler = () => htmlResponse(FhirHome({ theme, dvaName: dva.name, fhirBase: dva.fhirBase, authOrigin: dva.auth.origin,
    cockpit: `${ctx.network.cockpit.origin}/`, resourceTypes: RESOURCE_TYPES, systemClient }));

  const router = createRouter<Handler>([
    { method: "GET", path: "/", handler: home },
    { method: "OPTIONS", path: "/fhir/*", handler: () => new Response(null, { status: 204, headers: PREFLIGHT }) },
    // SD 4.5.6: an anonymous discovery GET (machine; the DVA cannot tell which client asks).
    { method: "GET", path: "/fhir/.well-known/smart-configuration", handler: (request, url) => {
      const received = logIncoming(ctx.chain, request, { type: "receive_smart_configuration_request", location, initiatedBy: "machine" }, url);
      try {
        // The document is JSON only (RFC 9110 §12.5.1): another Accept is 406, SD 4.5.6.1.3's error line.
        const unacceptable = notAcceptable(request.headers.get("accept"), null);
        if (unacceptable) throw unacceptable;
        const body = smartConfiguration(dva);
        received.respond("send_smart_configuration_response", 200);
        return jsonResponse(body, 200, { ...CORS, "Cache-Control": "max-age=300" });
      } catch (e) {
        const error = e instanceof OperationOutcomeError ? e : unexpected(e, received.traceId);
        received.respond("send_smart_configuration_request_error", error.status, { code: error.issue.code, description: error.issue.diagnostics });
        return outcomeResponse(error, CORS);
      }
    } },
    { method: "GET", path: "/fhir/metadata", handler: (request, url) => {
      const unacceptable = notAcceptable(request.headers.get("accept"), url.searchParams.get("_format"));
      return unacceptable ? outcomeResponse(unacceptable, CORS) : jsonResponse(capabilityStatement(dva, "0.1.0"), 200, { ...CORS, "Content-Type": FHIR_JSON });
    } },
    { method: "GET", path: "/fhir/:type", handler: (request, url, p) => handle(request, url, (f) =>
      search(f, p.type!, url.searchParams, selfUrl(url, url.searchParams), strict(request)), `${url.pathname}${url.search} ${request.headers.get("prefer") ?? ""}`) },
    { method: "POST", path: "/fhir/:type/_search", handler: (request, url, p) => handle(request, url, async (f) => {
      const query = new URLSearchParams(url.searchParams);
      if (mediaType(request.headers.get("content-type")) !== "application/x-www-form-urlencoded") {
        throw unsupportedMediaType("POST _search vraagt application/x-www-form-urlencoded (http.html#search)");
      }
      for (const [k, v] of new URLSearchParams(await readBody(request))) query.append(k, v);
      return search(f, p.type!, query, selfUrl(url, query), strict(request));
    }) },
    { method: "GET", path: "/fhir/:type/:id", handler: (request, url, p) => handle(request, url, (f) => read(f, p.type!, p.id!)) },
    // Writes run with the others of their event-loop turn: checks and save in one savepoint, one commit for all (FhirStore.grouped),
    // with the token confirmed again when it runs.
    { method: "POST", path: "/fhir/:type", handler: (request, url, p) => handle(request, url, async (f) => {
      const text = await readJson(request);
      return store.grouped(() => create(confirmed(f), p.type!, text, request.headers.get("if-none-exist")));
    }) },
    { method: "PUT", path: "/fhir/:type/:id", handler: (request, url, p) => handle(request, url, async (f) => {
      const text = await readJson(request);
      return store.grouped(() => update(confirmed(f), p.type!, p.id!, text, request.headers.get("if-match")));
    }) },
    { method: "GET", path: "/fhir/:type/:id/_history", handler: (request, url, p) => handle(request, url, (f) => history(f, p.type!, p.id!, selfUrl(url, new URLSearchParams()))) },
    { method: "GET", path: "/fhir/:type/:id/_history/:vid", handler: (request, url, p) => handle(request, url, (f) => vread(f, p.type!, p.id!, p.vid!)) },
    // PATCH on Task only: on another type the router answers 405 with that path's Allow.
    { method: "PATCH", path: "/fhir/Task/:id", handler: (request, url, p) => handle(request, url, async (f) => {
      const type = mediaType(request.headers.get("content-type"));
      // JSON Patch, or FHIRPath Patch as a Parameters resource (http.html#patch).
      if (type !== "application/json-patch+json" && type !== FHIR_JSON) {
        throw unsupportedMediaType(`PATCH vraagt application/json-patch+json of (FHIRPath Patch) ${FHIR_JSON}, niet ${type || "(geen Content-Type)"}`, { "Accept-Patch": ACCEPT_PATCH });
      }
      const patch = parseJsonBody(await readBody(request));
      return store.grouped(() => patchTask(confirmed(f), p.id!, patch, request.headers.get("if-match")));
    }) },
  ]);

  /** Outside /fhir a person is browsing: a friendly page; inside it, an OperationOutcome. */
  function miss(request: Request, url: URL, status: number, diagnostics: string, allow?: string[]): Response | Promise<Response> {
    if (status === 404 && !url.pathname.startsWith("/fhir") && (request.headers.get("accept") ?? "").includes("text/html")) {
      return htmlResponse(ErrorPage({ theme, heading: "Pagina niet gevonden", traceId: incomingIds(request, url).traceId,
        message: `Op ${url.host} bestaat ${url.pathname} niet. De FHIR-API staat onder ${dva.fhirBase}.` }), { status: 404 });
    }
    const error = status === 405
      ? new OperationOutcomeError(405, { severity: "error", code: "not-supported", diagnostics }, { Allow: allow!.join(", ") })
      : status === 400 ? badRequest(diagnostics) : notFound(diagnostics);
    return outcomeResponse(error, DATA);
  }

  return function fhirHost(request: Request, url: URL): Response | Promise<Response> {
    const found = router(request.method, url.pathname);
    switch (found.kind) {
      case "found": return found.handler(request, url, found.params);
      case "method": return miss(request, url, 405, `${request.method} wordt op ${url.pathname} niet ondersteund`, found.allow);
      case "malformed": return miss(request, url, 400, "het pad is geen geldige URL-codering");
      case "none": return miss(request, url, 404, `${url.pathname} bestaat niet op deze FHIR-server`);
    }
  };
}
