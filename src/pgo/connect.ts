/**
 * Connecting a zorgaanbieder (SD 3.3): the OAuth 2.0 authorization code flow as a real client,
 * with oauth4webapi. The MedMij PGO sends no client secret (client_id = its hostname). `state` is
 * single use and bound to the account; PKCE S256 on top (RFC 9700 §2.1.1: MedMij does not ask
 * for it, but it stops a code from another session being injected into this one, §4.5).
 */
import * as oauth from "oauth4webapi";
import type { HttpClient } from "../shared/http-client.ts";
import { newId, type Trace } from "../shared/trace.ts";
import type { Provider } from "./register.ts";

/** The DVA's issuer is its origin (SPEC §5); the PGO builds the server description from the ZAL. */
export function authorizationServer(p: Provider): oauth.AuthorizationServer {
  return { issuer: new URL(p.tokenEndpoint).origin, authorization_endpoint: p.authorizationEndpoint, token_endpoint: p.tokenEndpoint };
}

/** A new authorization: its one-time `state` and PKCE verifier (RFC 7636 §4.1), kept by the PGO until the callback. */
export interface NewAuthorization { state: string; codeVerifier: string; url: string }

/** The authorization request (SD 3.3 step 1), correlation ids as query parameters, PKCE S256 (RFC 7636 §4.2, §4.3). */
export async function authorizationRequest(p: Provider, clientId: string, redirectUri: string, traceId: string): Promise<NewAuthorization> {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(p.authorizationEndpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("scope", p.scope);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("MedMij-Request-ID", newId());
  url.searchParams.set("X-Correlation-ID", traceId);
  return { state, codeVerifier, url: url.href };
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

/**
 * Redeem the code from the callback with the verifier of this state's request (RFC 7636 §4.5);
 * an authorization saved before the PGO sent PKCE has none. Throws ConnectError.
 */
export async function redeemCode(p: Provider, clientId: string, redirectUri: string, callback: URL, pending: { state: string; codeVerifier: string | null },
  http: HttpClient, trace: Trace) {
  const as = authorizationServer(p);
  const client: oauth.Client = { client_id: clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callback.searchParams, pending.state);
  } catch (e) {
    const error = callback.searchParams.get("error");
    if (error === "access_denied") throw new ConnectError("denied", "geen toestemming gegeven");
    throw new ConnectError("failed", error ? `${error}: ${callback.searchParams.get("error_description") ?? ""}` : (e as Error).message);
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, pending.codeVerifier ?? oauth.nopkce, loggedFetch(http, trace, "authorization_code"));
    return await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (e) {
    throw new ConnectError("failed", e instanceof oauth.ResponseBodyError ? `${e.error}: ${e.error_description ?? ""}` : (e as Error).message);
  }
}
