/**
 * The token endpoint shape shared by `/token` (PGOs) and `/connect/token` (modules): RFC 6749
 * §3.2 form parsing (urlencoded only, no duplicates, nothing in the query), client
 * authentication, one handler per grant type, RFC 6749 §5.2 errors, chain-log lines (SD 4.5.3).
 */
import { jsonResponse } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import { NO_STORE, OAuthError, oauthErrorResponse } from "../../shared/oauth-error.ts";
import { CORRELATION_HEADER } from "../../shared/trace.ts";
import { authenticateClientAsync } from "./client-auth.ts";
import type { AuthDeps } from "./deps.ts";
import type { GrantContext, GrantHandler } from "./grants/context.ts";

export const MAX_TOKEN_BODY = 64 * 1024;

/** Read an RFC 6749 §3.2 form body; throws OAuthError. */
export async function readTokenForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new OAuthError("invalid_request", "Content-Type moet application/x-www-form-urlencoded zijn (RFC 6749 §3.2)");
  if (new URL(request.url).search) throw new OAuthError("invalid_request", "parameters horen in de body, niet in de URL");
  const text = await request.text();
  if (text.length > MAX_TOKEN_BODY) throw new OAuthError("invalid_request", "het verzoek is te groot");
  const form = new URLSearchParams(text);
  // RFC 8693 §2.1: `resource` may be given more than once (the KoppelMij 2026 token exchange names several).
  for (const key of new Set(form.keys())) if (key !== "resource" && form.getAll(key).length > 1) throw new OAuthError("invalid_request", `${key} komt meer dan één keer voor (RFC 6749 §3.2)`);
  return form;
}

/**
 * The journey a token request belongs to, from what it presents: a code carries the trace and the
 * person's Session ID at this DVA from the login that issued it (a module sends no correlation id,
 * and neither sends a session), so the request's lines join that journey (SD 4.5.5: the module's
 * token request has the authorize's session). Every answer names the trace it was logged under in
 * `X-Correlation-ID`, so a module learns the journey's trace from its token response and passes
 * it on, as SD 3.7 asks, on its FHIR calls.
 */
export type JourneyOf = (form: URLSearchParams) => { traceId: string | null; sessionId: string | null } | null;

/** A required attribute of the line that the request did not carry. */
const NOT_GIVEN = "(niet meegegeven)";

/** SD 4.5: the authorization code exchange follows the person's login (4.5.5.1.3 `person`); other grants are server to server (4.5.3.1.1). */
const initiatedBy = (grantType: string | null) => (grantType === "authorization_code" ? "person" : "machine");

export function tokenEndpoint(d: AuthDeps, grants: Record<string, GrantHandler>, journeyOf: JourneyOf = () => null) {
  return async (request: Request): Promise<Response> => {
    let form = new URLSearchParams();
    let parseError: OAuthError | null = null;
    try { form = await readTokenForm(request); } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      parseError = e;
    }
    const grantType = form.get("grant_type");
    const journey = parseError ? null : journeyOf(form);
    // SD 4.5.3.1.2: for a token exchange the line also names the requested token type. A request
    // without client or grant type is still logged as a well-formed line, saying so.
    const received = logIncoming(d.ctx.chain, request, { type: "receive_token_request", location: d.location, initiatedBy: initiatedBy(grantType),
      clientId: form.get("client_id") || clientIdOfBasic(request) || NOT_GIVEN, knownTrace: journey?.traceId, sessionId: journey?.sessionId,
      extra: { grant_type: grantType || NOT_GIVEN, ...(form.get("requested_token_type") ? { request_token_type: form.get("requested_token_type") } : {}) } });
    const detail: Record<string, unknown> = {};
    try {
      if (parseError) throw parseError;
      if (!grantType) throw new OAuthError("invalid_request", "grant_type ontbreekt");
      const client = await authenticateClientAsync(request, form, d.dva, d.ctx.network, { useAssertion: (jti, exp) => d.store.useAssertion(`client:${jti}`, exp, Date.now()) });
      const handler = grants[grantType];
      if (!handler) throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} wordt hier niet ondersteund`);
      const grantCtx: GrantContext = { dva: d.dva, network: d.ctx.network, store: d.store, fhir: d.fhir, signingKey: d.signingKey,
        faults: d.ctx.faults.get(), stepUpSince: d.ctx.faults.since("stepUpAlways"), now: Date.now(), traceId: received.traceId, detail };
      const body = await handler(grantCtx, client, form);
      received.respond("send_token_response", 200, null, detail);
      return jsonResponse(body, 200, { ...NO_STORE, [CORRELATION_HEADER]: received.traceId });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      received.respond("send_token_request_error", e.status, { code: e.error, description: e.description }, detail);
      return oauthErrorResponse(e, { [CORRELATION_HEADER]: received.traceId });
    }
  };
}

/** The client_id of HTTP Basic client authentication (RFC 6749 §2.3.1), for the log line only (it is checked by authenticateClient). */
function clientIdOfBasic(request: Request): string | undefined {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(request.headers.get("authorization")?.trim() ?? "");
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  try { return decodeURIComponent(decoded.slice(0, colon)).slice(0, 200); } catch { return undefined; }
}
