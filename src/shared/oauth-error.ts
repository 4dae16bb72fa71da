/**
 * OAuth errors as typed values, rendered at the edge (STYLE habit 3).
 * Back channel: RFC 6749 §5.2 JSON; front channel after a verified client and redirect: RFC 6749
 * §4.1.2.1 query parameters on the redirect.
 */

export type OAuthErrorCode =
  | "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type"
  | "invalid_scope" | "access_denied" | "unsupported_response_type" | "server_error" | "temporarily_unavailable"
  | "invalid_token" | "insufficient_scope" | "invalid_target";

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400, invalid_client: 401, invalid_grant: 400, unauthorized_client: 400, unsupported_grant_type: 400,
  invalid_scope: 400, access_denied: 403, unsupported_response_type: 400, server_error: 500, temporarily_unavailable: 503,
  invalid_token: 401, insufficient_scope: 403, invalid_target: 400,
};

export class OAuthError extends Error {
  override name = "OAuthError";
  constructor(readonly error: OAuthErrorCode, readonly description: string, readonly status: number = STATUS[error]) {
    super(`${error}: ${description}`);
  }
}

export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** RFC 6749 §5.2 JSON; `invalid_client` with a 401 carries `WWW-Authenticate` (§5.2). */
export function oauthErrorResponse(e: OAuthError, extraHeaders: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json", ...NO_STORE, ...extraHeaders };
  if (e.error === "invalid_client" && e.status === 401) headers["WWW-Authenticate"] = 'Basic realm="dva", charset="UTF-8"';
  return new Response(JSON.stringify({ error: e.error, error_description: e.description }), { status: e.status, headers });
}

/** RFC 6749 §4.1.2.1: the error on the (verified) redirect URI, with state and RFC 9207 iss. */
export function errorRedirect(redirectUri: string, e: { error: string; description: string }, state: string | null, issuer: string, status = 302): Response {
  const url = new URL(redirectUri);
  url.searchParams.set("error", e.error);
  url.searchParams.set("error_description", e.description);
  if (state !== null) url.searchParams.set("state", state);
  url.searchParams.set("iss", issuer);
  return new Response(null, { status, headers: { Location: url.href } });
}
