/**
 * The incoming side of chain monitoring: an actor that receives a MedMij request records the
 * receive event with the caller's trace and request id (SD 4.5, e.g. receive_token_request), then
 * its own answer (send_token_response) or error (send_token_request_error) with the same ids.
 */
import type { ChainEntry, ChainLog } from "./chain-log.ts";
import { incomingIds } from "./trace.ts";

export interface ReceivedRequest {
  traceId: string;
  requestId: string;
  /** Record the answer: a success line, or an error line when `error` is given. */
  respond(type: string, status: number, error?: { code: string; description: string }): void;
}

export function logIncoming(
  chain: ChainLog,
  request: Request,
  opts: {
    type: string; location: string; sessionId?: string | null; clientId?: string; extra?: Record<string, unknown>;
    /** The trace this request belongs to when the caller sent none (e.g. known from a code it presents). */
    knownTrace?: string | null;
  },
  url: URL = new URL(request.url),
): ReceivedRequest {
  const ids = incomingIds(request, url);
  const traceId = ids.fromCaller ? ids.traceId : opts.knownTrace ?? ids.traceId;
  const requestId = ids.requestId;
  const sessionId = opts.sessionId ?? null;
  const line: NonNullable<ChainEntry["request"]> = { id: requestId, method: request.method.toLowerCase(), uri: url.origin + url.pathname };
  if (opts.clientId) line.client_id = opts.clientId;
  line.server_id = opts.location;
  if (opts.extra) Object.assign(line, opts.extra);
  chain.write({ type: opts.type, location: opts.location, traceId, sessionId, request: line });
  return {
    traceId,
    requestId,
    respond(type, status, error) {
      chain.write({
        type, location: opts.location, traceId, sessionId,
        ...(error ? { error: { request_id: requestId, ...error, status } } : { response: { request_id: requestId, status } }),
      });
    },
  };
}
