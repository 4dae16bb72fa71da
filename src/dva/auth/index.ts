/**
 * DVA authorization server (SPEC §5) for one DVA at `auth.<dva>.localhost`: the MedMij
 * authorization and token interfaces for PGOs, SMART App Launch for modules, introspection and
 * revocation. Elysia lives in the route files; checks and grants are framework-free.
 */
import { createActorApp } from "../../shared/actor-app.ts";
import type { SandboxContext } from "../../shared/context.ts";
import { htmlResponse, jsonResponse } from "../../shared/html.ts";
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { DvaAuthHome } from "../../../views/dva/pages.tsx";
import { collectRoutes } from "./collect-routes.ts";
import { consentRoutes } from "./consent-routes.ts";
import { createAuthDeps } from "./deps.ts";
import { handleAuthorizationCode, type CodeData } from "./grants/authorization-code.ts";
import { handleClientCredentials } from "./grants/client-credentials.ts";
import type { GrantHandler } from "./grants/context.ts";
import { handleRefreshToken } from "./grants/refresh-token.ts";
import { handleModuleRefresh, handleSmartCode, type SmartCodeData } from "./grants/smart-code.ts";
import { TOKEN_EXCHANGE, handleTokenExchange } from "./grants/token-exchange.ts";
import { cockpitRoutes } from "./cockpit-routes.ts";
import { koppelmijRoutes } from "./koppelmij-routes.ts";
import { smartRoutes } from "./smart-routes.ts";
import { tokenEndpoint } from "./token-endpoint.ts";

/** RFC 6749 §4 grant types per token endpoint, one handler each. */
const PGO_GRANTS: Record<string, GrantHandler> = {
  authorization_code: handleAuthorizationCode,
  refresh_token: handleRefreshToken,
  [TOKEN_EXCHANGE]: handleTokenExchange,
  client_credentials: handleClientCredentials,
};
const MODULE_GRANTS: Record<string, GrantHandler> = { authorization_code: handleSmartCode, refresh_token: handleModuleRefresh };

export function createDvaAuth(ctx: SandboxContext, dva: ResolvedDva, index: number) {
  const d = createAuthDeps(ctx, dva, index);
  // A code's token request joins the journey it was issued in: its trace and the person's session here (SD 4.5: one trace per journey).
  const journeyOfCode = (form: URLSearchParams) => {
    const code = form.get("grant_type") === "authorization_code" ? form.get("code") : null;
    const grant = code ? d.store.findGrant<SmartCodeData | CodeData>(code, "code") : null;
    if (!grant) return null;
    const traceId = "smart" in grant.data ? grant.data.launch.traceId ?? null : grant.data.chain?.traceId ?? null;
    return { traceId, sessionId: grant.data.chain?.sessionId ?? null };
  };
  const pgoToken = tokenEndpoint(d, PGO_GRANTS, journeyOfCode);
  const moduleToken = tokenEndpoint(d, MODULE_GRANTS, journeyOfCode);
  return createActorApp(`dva-auth:${dva.id}`, d.theme)
    .get("/", () => htmlResponse(DvaAuthHome({ theme: d.theme, origin: dva.auth.origin, fhirBase: dva.fhirBase,
      zorgaanbieders: ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id).map((z) => z.displayName) })))
    .get("/.well-known/openid-configuration/jwks", async () => jsonResponse({ keys: [(await d.signingKey()).publicJwk] }, 200, { "Cache-Control": "max-age=300" }))
    // RFC 8414 metadata; the issuer is the origin without trailing slash (SPEC §5).
    .get("/.well-known/oauth-authorization-server", () => jsonResponse({
      issuer: dva.auth.origin,
      authorization_endpoint: `${dva.auth.origin}/auth`,
      token_endpoint: `${dva.auth.origin}/token`,
      jwks_uri: `${dva.auth.origin}/.well-known/openid-configuration/jwks`,
      introspection_endpoint: `${dva.auth.origin}/connect/introspect`,
      revocation_endpoint: `${dva.auth.origin}/connect/revocation`,
      response_types_supported: ["code"],
      grant_types_supported: Object.keys(PGO_GRANTS),
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
      // KoppelMij 2026 (issue 15): the launch is prepared with a pushed authorization request; the PGO discovers the flavour here.
      ...(dva.flavour === "koppelmij-2026" ? { pushed_authorization_request_endpoint: `${dva.auth.origin}/par`, medmij_flavour: dva.flavour } : { medmij_flavour: dva.flavour }),
    }))
    .use(collectRoutes(d))
    .use(smartRoutes(d))
    .use(consentRoutes(d))
    .use(cockpitRoutes(d))
    .use(koppelmijRoutes(d))
    .post("/token", ({ request }) => pgoToken(request))
    .post("/connect/token", ({ request }) => moduleToken(request));
}
