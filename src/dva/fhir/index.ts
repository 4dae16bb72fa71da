/**
 * DVA FHIR server host (`fhir.<dva>.localhost/fhir`): SMART discovery (SD 3.5), and the FHIR R4
 * REST interactions so far — read, vread, search (GET and POST _search) and JSON Patch on Task —
 * behind bearer-token access (access.ts). Elysia only here; rest.ts is framework-free.
 */
import { createActorApp } from "../../shared/actor-app.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { htmlResponse, jsonResponse } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { PlaceholderPage } from "../../../views/placeholder.tsx";
import { themes } from "../../../views/theme.ts";
import { SMART_SCOPES } from "../auth/smart.ts";
import { DvaAuthStore } from "../auth/store.ts";
import { FHIR_JSON, OperationOutcomeError, badRequest, outcomeResponse, tooLarge, unauthorized } from "../../shared/operation-outcome.ts";
import { authenticate } from "./access.ts";
import { capabilityStatement } from "./capability.ts";
import { patchTask, read, search, vread, type FhirContext, type FhirResult } from "./rest.ts";
import { create, history, update } from "./write.ts";
import { FhirStore } from "./store.ts";

export const MAX_BODY = 1024 * 1024;

const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match, Prefer, X-Correlation-ID, MedMij-Request-ID",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, OPTIONS", "Access-Control-Expose-Headers": "ETag, Location, Last-Modified, MedMij-Request-ID" };

/** @see https://hl7.org/fhir/smart-app-launch/conformance.html */
export function smartConfiguration(dva: ResolvedDva) {
  const auth = dva.auth.origin;
  return {
    issuer: auth,
    jwks_uri: `${auth}/.well-known/openid-configuration/jwks`,
    authorization_endpoint: `${auth}/connect/authorize`,
    token_endpoint: `${auth}/connect/token`,
    introspection_endpoint: `${auth}/connect/introspect`,
    revocation_endpoint: `${auth}/connect/revocation`,
    grant_types_supported: ["authorization_code"],
    response_types_supported: ["code"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: SMART_SCOPES,
    capabilities: ["launch-ehr", "context-ehr-patient", "client-confidential-symmetric", "permission-patient", "permission-v1", "permission-v2"],
  };
}

export function createDvaFhir(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const theme = themes.dva(dva.name, index, "fhir");
  const authStore = new DvaAuthStore(ctx.db, dva.id);
  const store = new FhirStore(ctx.db);
  const location = dva.fhir.hostname;

  /** Authenticate, run one interaction, render the result or the OperationOutcome; log SD 4.5 lines. */
  async function handle(request: Request, run: (fctx: FhirContext) => FhirResult | Promise<FhirResult>): Promise<Response> {
    const received = logIncoming(ctx.chain, request, { type: "receive_resource_request", location });
    try {
      if (ctx.faults.get().fhirTokenExpired) throw unauthorized("het token is verlopen (sandbox-storing fhirTokenExpired)");
      const access = await authenticate(request, dva, authStore, store, ctx.network);
      const ifNoneMatch = request.method === "GET" ? request.headers.get("if-none-match") : null;
      const result = await run({ dva: dva.id, fhirBase: dva.fhirBase, store, access, now: () => new Date(), ifNoneMatch });
      const headers: Record<string, string> = { "Content-Type": FHIR_JSON, ...CORS };
      if (result.etag) headers.ETag = result.etag;
      if (result.lastModified) headers["Last-Modified"] = result.lastModified;
      if (result.location) headers.Location = result.location;
      received.respond("send_resource_response", result.status);
      // http.html#cread: If-None-Match on read and search.
      if (result.status === 304 || (result.etag && ifNoneMatch === result.etag)) {
        return new Response(null, { status: 304, headers: { ETag: result.etag ?? "", ...CORS } });
      }
      // http.html#ops: Prefer return=minimal | representation | OperationOutcome on writes.
      const prefer = /return=(minimal|representation|OperationOutcome)/.exec(request.headers.get("prefer") ?? "")?.[1];
      if (request.method !== "GET" && prefer === "minimal") return new Response(null, { status: result.status, headers });
      if (request.method !== "GET" && prefer === "OperationOutcome") {
        const issues = result.warnings?.length ? result.warnings : [{ severity: "information", code: "informational", diagnostics: "opgeslagen" }];
        return new Response(JSON.stringify({ resourceType: "OperationOutcome", issue: issues }), { status: result.status, headers });
      }
      return new Response(typeof result.body === "string" ? result.body : JSON.stringify(result.body), { status: result.status, headers });
    } catch (e) {
      if (!(e instanceof OperationOutcomeError)) throw e;
      received.respond("send_resource_response", e.status, { code: e.issue.code, description: e.issue.diagnostics });
      return outcomeResponse(e, CORS);
    }
  }

  const strict = (request: Request) => (request.headers.get("prefer") ?? "").includes("handling=strict");
  const selfUrl = (request: Request, params: URLSearchParams) => {
    const url = new URL(request.url);
    const query = params.toString();
    return `${dva.fhir.origin}${url.pathname.replace(/\/_search$/, "")}${query ? `?${query}` : ""}`;
  };

  async function readBody(request: Request): Promise<string> {
    const length = Number(request.headers.get("content-length") ?? "0");
    if (length > MAX_BODY) throw tooLarge(`de body is groter dan ${MAX_BODY} bytes`);
    const text = await request.text();
    if (text.length > MAX_BODY) throw tooLarge(`de body is groter dan ${MAX_BODY} bytes`);
    return text;
  }

  /** FHIR JSON only (SPEC §6). */
  async function readJson(request: Request): Promise<string> {
    const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (type !== FHIR_JSON && type !== "application/json") throw badRequest("alleen application/fhir+json wordt ondersteund");
    return readBody(request);
  }

  return createActorApp(`dva-fhir:${dva.id}`, theme)
    .get("/", () => htmlResponse(PlaceholderPage({ theme, cockpit: `${ctx.network.cockpit.origin}/`,
      what: `FHIR R4-server van ${dva.name} op ${dva.fhirBase}. SMART-discovery: ${dva.fhirBase}/.well-known/smart-configuration.` })))
    .options("/fhir/*", () => new Response(null, { status: 204, headers: { ...CORS, "Access-Control-Max-Age": "600" } }))
    .get("/fhir/.well-known/smart-configuration", ({ request }) => {
      const received = logIncoming(ctx.chain, request, { type: "receive_smart_configuration_request", location });
      received.respond("send_smart_configuration_response", 200);
      return jsonResponse(smartConfiguration(dva), 200, { ...CORS, "Cache-Control": "max-age=300" });
    })
    .get("/fhir/metadata", () => jsonResponse(capabilityStatement(dva, "0.1.0"), 200, { ...CORS, "Content-Type": FHIR_JSON }))
    .get("/fhir/:type", ({ request, params }) => handle(request, (f) => {
      const query = new URL(request.url).searchParams;
      return search(f, params.type, query, selfUrl(request, query), strict(request));
    }))
    .post("/fhir/:type/_search", ({ request, params }) => handle(request, async (f) => {
      const query = new URL(request.url).searchParams;
      if (!(request.headers.get("content-type") ?? "").includes("application/x-www-form-urlencoded")) throw badRequest("POST _search vraagt application/x-www-form-urlencoded");
      for (const [k, v] of new URLSearchParams(await readBody(request))) query.append(k, v);
      return search(f, params.type, query, selfUrl(request, query), strict(request));
    }))
    .get("/fhir/:type/:id", ({ request, params }) => handle(request, (f) => read(f, params.type, params.id)))
    .post("/fhir/:type", ({ request, params }) => handle(request, async (f) => create(f, params.type, await readJson(request))))
    .put("/fhir/:type/:id", ({ request, params }) => handle(request, async (f) => update(f, params.type, params.id, await readJson(request), request.headers.get("if-match"))))
    .get("/fhir/:type/:id/_history", ({ request, params }) => handle(request, (f) => history(f, params.type, params.id, selfUrl(request, new URLSearchParams()))))
    .get("/fhir/:type/:id/_history/:vid", ({ request, params }) => handle(request, (f) => vread(f, params.type, params.id, params.vid)))
    .patch("/fhir/:type/:id", ({ request, params }) => handle(request, async (f) => {
      if (params.type !== "Task") throw badRequest("PATCH wordt alleen op Task ondersteund");
      const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim();
      // JSON Patch, or FHIRPath Patch as a Parameters resource (http.html#patch).
      if (type !== "application/json-patch+json" && type !== FHIR_JSON) throw badRequest("PATCH vraagt application/json-patch+json of (FHIRPath Patch) application/fhir+json");
      let operations: unknown;
      try { operations = JSON.parse(await readBody(request)); } catch (e) {
        if (e instanceof OperationOutcomeError) throw e;
        throw new OperationOutcomeError(400, { severity: "error", code: "structure", diagnostics: "de body is geen geldige JSON" });
      }
      return patchTask(f, params.id, operations, request.headers.get("if-match"));
    }));
}
