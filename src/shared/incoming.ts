/**
 * The incoming side of chain monitoring: an actor that receives a MedMij request records the
 * receive event with the caller's trace and MedMij-Request-ID (SD 4.5.3.1.2: the receiving side's
 * `request.id` is the sender's), then its own answer (send_token_response) or error
 * (send_token_request_error) whose `request_id` is that id.
 */
import type { InitiatedBy } from "./chain-events.ts";
import type { ChainEntry, ChainLog } from "./chain-log.ts";
import { incomingIds } from "./trace.ts";

export interface ReceivedRequest {
  traceId: string;
  requestId: string;
  /** Write the request line now (once), with what the server learnt about the caller meanwhile (its client_id). */
  log(extra?: Record<string, unknown>): void;
  /** Record the answer: a success line, or an error line when `error` is given; `extra` goes into that part. */
  respond(type: string, status: number, error?: { code: string; description: string } | null, extra?: Record<string, unknown>): void;
}

export function logIncoming(
  chain: ChainLog,
  request: Request,
  opts: {
    type: string; location: string; initiatedBy: InitiatedBy; sessionId?: string | null; clientId?: string; extra?: Record<string, unknown>;
    /** The trace this request belongs to when the caller sent none (e.g. known from a code it presents). */
    knownTrace?: string | null;
    /** Write the request line at log() or at the answer, not now: the server learns the caller from its token. */
    deferred?: boolean;
  },
  url: URL = new URL(request.url),
): ReceivedRequest {
  const ids = incomingIds(request, url);
  const traceId = ids.fromCaller ? ids.traceId : opts.knownTrace ?? ids.traceId;
  const requestId = ids.requestId;
  const sessionId = opts.sessionId ?? null;
  let logged = false;
  const log = (more?: Record<string, unknown>) => {
    if (logged) return;
    logged = true;
    const line: NonNullable<ChainEntry["request"]> = { id: requestId, method: request.method.toLowerCase(), uri: url.origin + url.pathname };
    if (opts.clientId) line.client_id = opts.clientId;
    line.server_id = opts.location;
    line.initiated_by = opts.initiatedBy;
    if (opts.extra) Object.assign(line, opts.extra);
    if (more) Object.assign(line, more);
    chain.write({ type: opts.type, location: opts.location, traceId, sessionId, request: line });
  };
  if (!opts.deferred) log();
  return {
    traceId,
    requestId,
    log,
    respond(type, status, error, extra) {
      log();
      chain.write({
        type, location: opts.location, traceId, sessionId,
        ...(error ? { error: { request_id: requestId, ...error, status, ...extra } } : { response: { request_id: requestId, status, ...extra } }),
      });
    },
  };
}
