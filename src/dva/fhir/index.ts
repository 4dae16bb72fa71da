/**
 * DVA FHIR server host (`fhir.<dva>.localhost/fhir`). For now: SMART discovery, which modules need
 * for the launch (SD 3.5; SMART App Launch 2.x §Conformance), with CORS. The FHIR REST API itself
 * arrives with issue 4.
 */
import { createActorApp } from "../../shared/actor-app.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { htmlResponse, jsonResponse } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { PlaceholderPage } from "../../../views/placeholder.tsx";
import { themes } from "../../../views/theme.ts";
import { SMART_SCOPES } from "../auth/smart.ts";

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
  return createActorApp(`dva-fhir:${dva.id}`, theme)
    .get("/", () => htmlResponse(PlaceholderPage({ theme, cockpit: `${ctx.network.cockpit.origin}/`,
      what: `FHIR R4-server van ${dva.name} op ${dva.fhirBase}. SMART-discovery staat op ${dva.fhirBase}/.well-known/smart-configuration; de FHIR REST API komt met issue 4.` })))
    .options("/fhir/*", () => new Response(null, { status: 204, headers: { ...CORS, "Access-Control-Max-Age": "600" } }))
    .get("/fhir/.well-known/smart-configuration", ({ request }) => {
      const received = logIncoming(ctx.chain, request, { type: "receive_smart_configuration_request", location: dva.fhir.hostname });
      received.respond("send_smart_configuration_response", 200);
      return jsonResponse(smartConfiguration(dva), 200, { ...CORS, "Cache-Control": "max-age=300" });
    });
}
