/**
 * CORS for browser-only SMART apps (issue 14 §4; SMART App Launch "client-public"): a module's
 * page on its own origin calls the DVA's token and revocation endpoints with fetch. The answer
 * names the caller's origin only when it is the origin of a module with a client at this DVA —
 * never `*`, and never for the PGO's endpoints (`/token`, `/auth`) or the person's pages. No
 * cookies cross (no Allow-Credentials): a module's requests carry their own credentials.
 */
import type { ResolvedDva, ResolvedNetwork } from "../../shared/resolved-network.ts";

const CORS_PATHS = new Set(["/connect/token", "/connect/revocation"]);

export function moduleOrigins(network: ResolvedNetwork, dva: ResolvedDva): Set<string> {
  return new Set(network.modules.filter((m) => m.clients.some((c) => c.dva === dva.id)).map((m) => m.site.origin));
}

/** Wrap the DVA auth app: preflights answered here, and the allowed origin added to the two endpoints' answers. */
export function withModuleCors(handle: (request: Request, url: URL) => Response | Promise<Response>, origins: () => Set<string>) {
  return async (request: Request, url: URL): Promise<Response> => {
    const path = url.pathname;
    const origin = request.headers.get("origin");
    const allowed = origin !== null && CORS_PATHS.has(path) && origins().has(origin);
    if (request.method === "OPTIONS" && CORS_PATHS.has(path)) {
      if (!allowed) return new Response(null, { status: 403, headers: { Vary: "Origin" } });
      return new Response(null, { status: 204, headers: { "Access-Control-Allow-Origin": origin!, "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Correlation-ID, MedMij-Request-ID", "Access-Control-Max-Age": "600", Vary: "Origin" } });
    }
    const response = await handle(request, url);
    if (!allowed) return response;
    const headers = new Headers(response.headers);
    headers.set("Access-Control-Allow-Origin", origin!);
    headers.append("Vary", "Origin");
    headers.set("Access-Control-Expose-Headers", "MedMij-Request-ID");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
