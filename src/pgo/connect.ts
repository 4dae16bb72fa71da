/**
 * Connecting a zorgaanbieder (SD 3.3): the OAuth 2.0 authorization code flow as a real client,
 * with oauth4webapi. The MedMij PGO sends no client secret (client_id = its hostname) and no PKCE
 * (the DVA's /auth does not ask for it); `state` is single use and bound to the account.
 */
import * as oauth from "oauth4webapi";
import type { HttpClient } from "../shared/http-client.ts";
import { newId, type Trace } from "../shared/trace.ts";
import type { Provider } from "./register.ts";

/** The DVA's issuer is its origin (SPEC §5); the PGO builds the server description from the ZAL. */
export function authorizationServer(p: Provider): oauth.AuthorizationServer {
  return { issuer: new URL(p.tokenEndpoint).origin, authorization_endpoint: p.authorizationEndpoint, token_endpoint: p.tokenEndpoint };
}

/** The authorization request (SD 3.3 step 1), correlation ids as query parameters. */
export function authorizationUrl(p: Provider, clientId: string, redirectUri: string, state: string, traceId: string): string {
  const url = new URL(p.authorizationEndpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("scope", p.scope);
  url.searchParams.set("state", state);
  url.searchParams.set("MedMij-Request-ID", newId());
  url.searchParams.set("X-Correlation-ID", traceId);
  return url.href;
}

/** oauth4webapi over the shared HTTP client: correlation headers and SD 4.5 chain-log lines. */
export function loggedFetch(http: HttpClient, trace: Trace, grantType: string, extra: Record<string, string> = {}) {
  return {
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: (url: string, init: RequestInit) => http.send(url, {
      ...init, trace,
      event: { send: "send_token_request", receive: "receive_token_response", receiveError: "receive_token_request_error", request: { grant_type: grantType, ...extra } },
    }),
  } as const;
}

export class ConnectError extends Error {
  override name = "ConnectError";
  constructor(readonly kind: "denied" | "failed", message: string) { super(message); }
}

/** Redeem the code from the callback; throws ConnectError. */
export async function redeemCode(p: Provider, clientId: string, redirectUri: string, callback: URL, state: string, http: HttpClient, trace: Trace) {
  const as = authorizationServer(p);
  const client: oauth.Client = { client_id: clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callback.searchParams, state);
  } catch (e) {
    const error = callback.searchParams.get("error");
    if (error === "access_denied") throw new ConnectError("denied", "geen toestemming gegeven");
    throw new ConnectError("failed", error ? `${error}: ${callback.searchParams.get("error_description") ?? ""}` : (e as Error).message);
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, oauth.nopkce, loggedFetch(http, trace, "authorization_code"));
    return await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (e) {
    throw new ConnectError("failed", e instanceof oauth.ResponseBodyError ? `${e.error}: ${e.error_description ?? ""}` : (e as Error).message);
  }
}
