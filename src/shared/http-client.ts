/**
 * The one outgoing HTTP helper every actor uses to call another actor (STYLE "one way to do a
 * thing"): it sets `X-Correlation-ID` (the journey's trace id) and a `MedMij-Request-ID`, and
 * writes the SD 4.5 send/receive lines when the call is a logged MedMij event: the request line,
 * then its response, its error, or — when the other actor did not answer or says it is down —
 * `receive_availability_check_error` (SD 4.5.3.1.7), all with the request's id.
 */
import type { InitiatedBy } from "./chain-events.ts";
import type { ChainLog } from "./chain-log.ts";
import { CORRELATION_HEADER, REQUEST_ID_HEADER, newId, type Trace } from "./trace.ts";

export interface LoggedEvent {
  /** The request line, e.g. "send_token_request". */
  send: string;
  /** The success line, e.g. "receive_token_response". */
  receive: string;
  /** The error line; by default `receive_<x>_request_error` for `send_<x>_request` (SD 4.5.3.1.6). */
  receiveError?: string;
  /**
   * SD 4.5 `initiated_by`. Server-to-server calls are `machine` (SD 4.5.3.1.1, 4.5.6.1.1); the
   * SD makes the authorization code exchange `person` (4.5.5.1.3), which its caller says.
   */
  initiatedBy?: InitiatedBy;
  /** Extra request attributes for the log line (grant_type, request_token_type, ...). */
  request?: Record<string, unknown>;
}

export interface SendOptions extends RequestInit {
  trace: Trace;
  event?: LoggedEvent;
  /**
   * Only an availability check (risk Rc02: the PGO's probe of a module before it asks for a launch
   * code): no request line, and no answer or a 5xx is a receive_availability_check_error whose
   * description starts with this text.
   */
  availabilityCheck?: string;
  /** The MedMij-Request-ID to send, when the caller writes lines about this request too; else a fresh one. */
  requestId?: string;
  timeoutMs?: number;
}

/** The other actor could not be reached (connection refused, DNS, timeout). */
export class UnreachableError extends Error {
  override name = "UnreachableError";
  constructor(readonly url: string, readonly requestId: string, cause: unknown) {
    super(`${new URL(url).host} is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface HttpClient {
  send(url: string, options: SendOptions): Promise<Response>;
}

/** Statuses that say the server is not available rather than that it refused (RFC 9110 §15.6.3–5). */
const UNAVAILABLE = new Set([502, 503, 504]);

/** `send_token_request` → `receive_token_request_error` (SD 4.5.3.1.6). */
const errorEventOf = (event: LoggedEvent) => event.receiveError ?? `${event.send.replace(/^send_/, "receive_")}_error`;

export const SANDBOX_USER_AGENT = "MedMij-Sandbox";

export interface OutgoingObserver { outgoing(x: { url: URL; method: string; response: Response; traceId: string }): void }

/** `observer`: shown every answer (the MedMij-check judges a team's DVA by what it answers the sandbox's PGO and module). */
export function createHttpClient(opts: { location: string; chain: ChainLog; clientId?: string; observer?: OutgoingObserver }): HttpClient {
  return {
    async send(url, { trace, event, availabilityCheck, requestId = newId(), timeoutMs = 10_000, ...init }) {
      const headers = new Headers(init.headers);
      headers.set(CORRELATION_HEADER, trace.traceId);
      headers.set(REQUEST_ID_HEADER, requestId);
      // The sandbox's own actors say so: the MedMij-check tells a team's reads of the lists from theirs.
      if (!headers.has("user-agent")) headers.set("User-Agent", `${SANDBOX_USER_AGENT} (${opts.location})`);
      const target = new URL(url);
      const method = (init.method ?? "GET").toLowerCase();
      const line = (type: string, part: { response: { request_id: string; status: number } } | { error: { request_id: string; code: string; description: string; status?: number } }) =>
        opts.chain.write({ type, location: opts.location, traceId: trace.traceId, sessionId: trace.sessionId, ...part });
      const unavailable = (description: string, status?: number) =>
        line("receive_availability_check_error", { error: { request_id: requestId, code: "service_unavailable", description, ...(status ? { status } : {}) } });
      if (event) {
        opts.chain.write({
          type: event.send, location: opts.location, traceId: trace.traceId, sessionId: trace.sessionId,
          request: {
            id: requestId, method, client_id: opts.clientId ?? opts.location, server_id: target.hostname,
            uri: `${target.origin}${target.pathname}`, initiated_by: event.initiatedBy ?? "machine",
            ...event.request,
          },
        });
      }
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers, redirect: "manual", signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        if (event) unavailable(`${target.host} is niet bereikbaar`);
        else if (availabilityCheck) unavailable(`${availabilityCheck}: ${method.toUpperCase()} ${target.origin}${target.pathname}: ${cause instanceof Error ? cause.message : String(cause)}`);
        throw new UnreachableError(url, requestId, cause);
      }
      opts.observer?.outgoing({ url: target, method: method.toUpperCase(), response, traceId: trace.traceId });
      if (availabilityCheck && response.status >= 500) {
        unavailable(`${availabilityCheck}: ${method.toUpperCase()} ${target.origin}${target.pathname} gaf HTTP ${response.status}`, response.status);
      }
      if (!event) return response;
      if (UNAVAILABLE.has(response.status)) {
        const said = await errorOf(response);
        unavailable(said.description || `${target.host} antwoordde HTTP ${response.status}`, response.status);
      } else if (response.status < 400) {
        line(event.receive, { response: { request_id: requestId, status: response.status } });
      } else {
        line(errorEventOf(event), { error: { request_id: requestId, ...(await errorOf(response)), status: response.status } });
      }
      return response;
    },
  };
}

/**
 * `error`/`error_description` of an OAuth JSON error or the first issue of an OperationOutcome;
 * never empty, since the line's code and description are required (an answer without them says its status).
 */
async function errorOf(response: Response): Promise<{ code: string; description: string }> {
  const fallback = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.clone().json()) as Record<string, any>;
    if (typeof body.error === "string" && body.error) return { code: body.error, description: String(body.error_description ?? "") || fallback };
    if (body.resourceType === "OperationOutcome") {
      const issue = body.issue?.[0] ?? {};
      return { code: String(issue.code ?? "") || `http_${response.status}`, description: String(issue.diagnostics ?? issue.details?.text ?? "") || fallback };
    }
  } catch { /* not JSON */ }
  return { code: `http_${response.status}`, description: fallback };
}
