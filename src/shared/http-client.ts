/**
 * The one outgoing HTTP helper every actor uses to call another actor (STYLE "one way to do a
 * thing"): it sets `X-Correlation-ID` (the journey's trace id) and a fresh `MedMij-Request-ID`,
 * and writes the SD 4.5 send/receive lines when the call is a logged MedMij event.
 */
import type { ChainLog } from "./chain-log.ts";
import { CORRELATION_HEADER, REQUEST_ID_HEADER, newId, type Trace } from "./trace.ts";

export interface LoggedEvent {
  /** e.g. "send_token_request"; the response line is derived unless given. */
  send: string;
  receive: string;
  /** e.g. "receive_token_request_error"; defaults to `${send}_error` semantics of SD 4.5. */
  receiveError?: string;
  /** Extra request attributes for the log line (grant_type, request_token_type, client_id, ...). */
  request?: Record<string, unknown>;
}

export interface SendOptions extends RequestInit {
  trace: Trace;
  event?: LoggedEvent;
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

export function createHttpClient(opts: { location: string; chain: ChainLog; clientId?: string }): HttpClient {
  return {
    async send(url, { trace, event, timeoutMs = 10_000, ...init }) {
      const requestId = newId();
      const headers = new Headers(init.headers);
      headers.set(CORRELATION_HEADER, trace.traceId);
      headers.set(REQUEST_ID_HEADER, requestId);
      const target = new URL(url);
      const method = (init.method ?? "GET").toLowerCase();
      if (event) {
        opts.chain.write({
          type: event.send, location: opts.location, traceId: trace.traceId, sessionId: trace.sessionId,
          request: {
            id: requestId, method, client_id: opts.clientId ?? opts.location, server_id: target.hostname,
            uri: `${target.origin}${target.pathname}`, initiated_by: trace.sessionId ? "user" : "machine",
            ...event.request,
          },
        });
      }
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers, redirect: "manual", signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        if (event) {
          opts.chain.write({
            type: "receive_availability_check_error", location: opts.location, traceId: trace.traceId, sessionId: trace.sessionId,
            error: { request_id: requestId, code: "service_unavailable", description: `${target.host} is niet bereikbaar` },
          });
        }
        throw new UnreachableError(url, requestId, cause);
      }
      if (event) {
        const ok = response.status < 400;
        opts.chain.write({
          type: ok ? event.receive : (event.receiveError ?? `${event.receive}_error`),
          location: opts.location, traceId: trace.traceId, sessionId: trace.sessionId,
          ...(ok
            ? { response: { request_id: requestId, status: response.status } }
            : { error: { request_id: requestId, ...(await errorOf(response)), status: response.status } }),
        });
      }
      return response;
    },
  };
}

/** `error`/`error_description` of an OAuth JSON error or the first issue of an OperationOutcome. */
async function errorOf(response: Response): Promise<{ code: string; description: string }> {
  try {
    const body = (await response.clone().json()) as Record<string, any>;
    if (typeof body.error === "string") return { code: body.error, description: String(body.error_description ?? "") };
    if (body.resourceType === "OperationOutcome") {
      const issue = body.issue?.[0] ?? {};
      return { code: String(issue.code ?? "unknown"), description: String(issue.diagnostics ?? issue.details?.text ?? "") };
    }
  } catch { /* not JSON */ }
  return { code: `http_${response.status}`, description: response.statusText || `HTTP ${response.status}` };
}
