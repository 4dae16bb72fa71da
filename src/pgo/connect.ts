/**
 * Connecting a zorgaanbieder (SD 3.3): the OAuth 2.0 authorization code flow as a real client,
 * with oauth4webapi. The MedMij PGO sends no client secret (client_id = its hostname). `state` is
 * single use and bound to the account; PKCE S256 on top (RFC 9700 §2.1.1: MedMij does not ask
 * for it, but it stops a code from another session being injected into this one, §4.5).
 */
import * as oauth from "oauth4webapi";
import { UnreachableError, type HttpClient } from "../shared/http-client.ts";
import { logRef, type Trace } from "../shared/trace.ts";
import type { Provider } from "./register.ts";

/** The DVA's issuer is its origin (SPEC §5); the PGO builds the server description from the ZAL. */
export function authorizationServer(p: Provider): oauth.AuthorizationServer {
  return { issuer: new URL(p.tokenEndpoint).origin, authorization_endpoint: p.authorizationEndpoint, token_endpoint: p.tokenEndpoint };
}

/**
 * A new authorization: its one-time `state` and PKCE verifier (RFC 7636 §4.1), kept by the PGO
 * until the callback, and the request's MedMij-Request-ID (`requestId`).
 */
export interface NewAuthorization { state: string; codeVerifier: string; url: string; requestId: string }

/**
 * The MedMij-Request-ID of the authorization request with this `state`: the id of its
 * send_authorization_request line and, at the callback, the `request_id` of the answer's line
 * (receive_authorization_response). Derived, so the PGO need keep nothing more than the state.
 */
export function authorizationRequestId(state: string): string {
  return logRef(`MedMij-Request-ID ${state}`);
}

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
  const requestId = authorizationRequestId(state);
  url.searchParams.set("MedMij-Request-ID", requestId);
  url.searchParams.set("X-Correlation-ID", traceId);
  return { state, codeVerifier, url: url.href, requestId };
}

/**
 * oauth4webapi over the shared HTTP client: correlation headers and SD 4.5 chain-log lines. The
 * authorization code exchange follows the person's return (`person`, as SD 4.5.5.1.3 has it for
 * the module's); the token exchange and a refresh are server to server (`machine`, SD 4.5.3.1.1).
 */
export function loggedFetch(http: HttpClient, trace: Trace, grantType: string, extra: Record<string, string> = {}) {
  return {
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: (url: string, init: RequestInit) => http.send(url, {
      ...init, trace,
      event: { send: "send_token_request", receive: "receive_token_response", initiatedBy: grantType === "authorization_code" ? "person" : "machine",
        request: { grant_type: grantType, ...extra } },
    }),
  } as const;
}

/**
 * What a token endpoint call came to when it did not give tokens, from anything oauth4webapi or
 * the HTTP client throws. `refused`: the DVA answered and said no, or answered something that is
 * no token response (SD 4.2.1 "Technische storing"); `unreachable`: no answer, or one that says
 * the DVA is down (risk Rc04). Null for an error that is not about the exchange (a bug: rethrow).
 */
export type TokenFailure = { kind: "refused"; error: string; description: string } | { kind: "unreachable"; description: string };

/** HTTP statuses that say the server is down rather than that it refused (RFC 9110 §15.6.3–5). */
const DOWN_STATUSES = new Set([502, 503, 504]);

export async function tokenFailure(e: unknown): Promise<TokenFailure | null> {
  // RFC 6749 §5.2 temporarily_unavailable: the server cannot handle the request now → Rc04, like no answer.
  const refused = (error: string, description: string): TokenFailure =>
    error === "temporarily_unavailable" ? { kind: "unreachable", description: `${error}: ${description}` } : { kind: "refused", error, description };
  // A response that is no token response: an OAuth error body if it has one (RFC 6749 §5.2), else its status.
  const fromResponse = async (response: Response, fallback: string): Promise<TokenFailure> => {
    if (DOWN_STATUSES.has(response.status)) return { kind: "unreachable", description: `HTTP ${response.status}` };
    // oauth4webapi may have read the body already (a 200 it could not parse): then only the status tells.
    let body: { error?: unknown; error_description?: unknown } | null = null;
    try { body = response.bodyUsed ? null : await response.clone().json(); } catch { body = null; }
    if (body && typeof body.error === "string" && body.error) return refused(body.error, typeof body.error_description === "string" ? body.error_description : `HTTP ${response.status}`);
    return { kind: "refused", error: `HTTP ${response.status}`, description: fallback };
  };
  // RFC 6749 §5.2 error in a 4xx body.
  if (e instanceof oauth.ResponseBodyError) return refused(e.error, e.error_description ?? `HTTP ${e.status}`);
  // RFC 6749 §5.2: invalid_client is a 401 with WWW-Authenticate, which oauth4webapi reports before the body.
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = e.cause[0];
    const failure = await fromResponse(e.response, `${challenge?.scheme ?? "?"} challenge`);
    if (failure.kind === "refused" && failure.error.startsWith("HTTP ") && challenge?.parameters.error) {
      return refused(challenge.parameters.error, challenge.parameters.error_description ?? failure.description);
    }
    return failure;
  }
  // Not a conform token response (a 5xx such as server_error, not JSON, no access_token, ...).
  if (e instanceof oauth.OperationProcessingError) {
    return e.cause instanceof Response ? fromResponse(e.cause, e.message) : { kind: "refused", error: e.code ?? "invalid_response", description: e.message };
  }
  if (e instanceof oauth.UnsupportedOperationError || e instanceof oauth.AuthorizationResponseError) {
    return { kind: "refused", error: e instanceof oauth.AuthorizationResponseError ? e.error : e.code, description: e.message };
  }
  // No answer: the shared client's UnreachableError (connection refused, DNS, timeout), or a bare fetch failure.
  if (e instanceof UnreachableError) return { kind: "unreachable", description: e.message };
  if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) return { kind: "unreachable", description: e.message };
  if (e instanceof TypeError) {
    // oauth4webapi's own TypeErrors carry a code (ERR_INVALID_ARG_VALUE, ...); fetch's network TypeError does not.
    const code = (e as TypeError & { code?: unknown }).code;
    return typeof code === "string" ? { kind: "refused", error: code, description: e.message } : { kind: "unreachable", description: e.message };
  }
  return null;
}

/**
 * How a connection attempt ended without tokens. `denied`: the person refused consent;
 * `digid-stopped`: the person broke off the DigiD login (seed 003 "Duiding van errors": show
 * where it went wrong); `failed`: anything else.
 */
export class ConnectError extends Error {
  override name = "ConnectError";
  constructor(readonly kind: "denied" | "digid-stopped" | "failed", message: string) { super(message); }
}

/**
 * RFC 6749 §4.1.2.1 has one code for both refusals, `access_denied`; its `error_description`
 * tells them apart. The sandbox DVA sends "de persoon heeft het inloggen met DigiD afgebroken"
 * (and "de persoon heeft geen toestemming gegeven" for a refused consent); another DVA's
 * description counts as a DigiD stop when it names DigiD.
 */
export function accessDeniedKind(description: string | null): "denied" | "digid-stopped" {
  return /digid/i.test(description ?? "") ? "digid-stopped" : "denied";
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
    const description = callback.searchParams.get("error_description");
    if (error === "access_denied") {
      const kind = accessDeniedKind(description);
      throw new ConnectError(kind, kind === "denied" ? "geen toestemming gegeven" : "het inloggen met DigiD is afgebroken");
    }
    throw new ConnectError("failed", error ? `${error}: ${description ?? ""}` : (e as Error).message);
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, pending.codeVerifier ?? oauth.nopkce, loggedFetch(http, trace, "authorization_code"));
    return await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (e) {
    const failure = await tokenFailure(e);
    throw new ConnectError("failed", !failure ? (e as Error).message
      : failure.kind === "refused" ? `${failure.error}: ${failure.description}` : `de DVA is niet bereikbaar (${failure.description})`);
  }
}
