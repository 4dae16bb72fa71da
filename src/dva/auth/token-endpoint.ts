/**
 * The token endpoint shape shared by `/token` (PGOs) and `/connect/token` (modules): RFC 6749
 * §3.2 form parsing (urlencoded only, no duplicates, nothing in the query), client
 * authentication, one handler per grant type, RFC 6749 §5.2 errors, chain-log lines (SD 4.5.3).
 */
import { jsonResponse } from "../../shared/html.ts";
import { logIncoming } from "../../shared/incoming.ts";
import { NO_STORE, OAuthError, oauthErrorResponse } from "../../shared/oauth-error.ts";
import { CORRELATION_HEADER } from "../../shared/trace.ts";
import { authenticateClient } from "./client-auth.ts";
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
  for (const key of new Set(form.keys())) if (form.getAll(key).length > 1) throw new OAuthError("invalid_request", `${key} komt meer dan één keer voor (RFC 6749 §3.2)`);
  return form;
}

/**
 * `traceOf` finds the journey a request belongs to from what it presents (a module sends no
 * correlation id, but its code was issued within the PGO's trace). Every answer names the trace
 * it was logged under in `X-Correlation-ID`, so a module learns the journey's trace from its token
 * response and passes it on, as SD 3.7 asks, on its FHIR calls.
 */
export function tokenEndpoint(d: AuthDeps, grants: Record<string, GrantHandler>, traceOf: (form: URLSearchParams) => string | null = () => null) {
  return async (request: Request): Promise<Response> => {
    let form = new URLSearchParams();
    let parseError: OAuthError | null = null;
    try { form = await readTokenForm(request); } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      parseError = e;
    }
    const grantType = form.get("grant_type");
    // SD 4.5.3: for a token exchange the line also names the requested token type.
    const received = logIncoming(d.ctx.chain, request, { type: "receive_token_request", location: d.location, clientId: form.get("client_id") ?? undefined, knownTrace: traceOf(form),
      extra: { ...(grantType ? { grant_type: grantType } : {}), ...(form.get("requested_token_type") ? { request_token_type: form.get("requested_token_type") } : {}) } });
    try {
      if (parseError) throw parseError;
      if (!grantType) throw new OAuthError("invalid_request", "grant_type ontbreekt");
      const client = authenticateClient(request, form, d.dva, d.ctx.network);
      const handler = grants[grantType];
      if (!handler) throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} wordt hier niet ondersteund`);
      const grantCtx: GrantContext = { dva: d.dva, network: d.ctx.network, store: d.store, fhir: d.fhir, signingKey: d.signingKey,
        faults: d.ctx.faults.get(), stepUpSince: d.ctx.faults.since("stepUpAlways"), now: Date.now(), traceId: received.traceId };
      const body = await handler(grantCtx, client, form);
      received.respond("send_token_response", 200);
      return jsonResponse(body, 200, { ...NO_STORE, [CORRELATION_HEADER]: received.traceId });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      received.respond("send_token_request_error", e.status, { code: e.error, description: e.description });
      return oauthErrorResponse(e, { [CORRELATION_HEADER]: received.traceId });
    }
  };
}
