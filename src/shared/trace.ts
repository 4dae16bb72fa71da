/**
 * Correlation across actors (SPEC §5, §10): `X-Correlation-ID` is the trace id of one journey and
 * travels on every hop; every request carries its own `MedMij-Request-ID`. On the front channel
 * (`/auth`) both arrive as query parameters, on the back channel as headers.
 */

import { readCookie } from "./cookies.ts";
import { sha256 } from "./crypto.ts";

export const CORRELATION_HEADER = "X-Correlation-ID";
export const REQUEST_ID_HEADER = "MedMij-Request-ID";

export interface Trace {
  traceId: string;
  sessionId: string | null;
}

/**
 * A fresh trace or request id: a UUID version 7 (RFC 9562), random but ordered by time, so the
 * chain log's trace index grows at its end instead of writing a random page per line (a v4 id
 * made every log line of a FHIR read cost a random index page on a large database).
 */
export function newId(): string {
  return Bun.randomUUIDv7();
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Only well-formed ids are taken over from a caller; anything else gets a fresh one (log safety). */
function safeId(value: string | null | undefined): string | null {
  return value && SAFE_ID.test(value) ? value : null;
}

/** The trace and request id an incoming request carries (header first, then query parameter). */
export function incomingIds(request: Request, url: URL = new URL(request.url)): { traceId: string; requestId: string; fromCaller: boolean } {
  const trace = safeId(request.headers.get(CORRELATION_HEADER)) ?? safeId(url.searchParams.get(CORRELATION_HEADER));
  const requestId = safeId(request.headers.get(REQUEST_ID_HEADER)) ?? safeId(url.searchParams.get(REQUEST_ID_HEADER));
  return { traceId: trace ?? newId(), requestId: requestId ?? newId(), fromCaller: trace !== null };
}

/**
 * The Session ID an actor shows on its error pages (SD 4.2.1) and writes on its chain-log lines
 * (SD 4.5 `session_id`): the first 16 hex of SHA-256 of the browser's session cookie, so the
 * cookie itself never appears. Null without a session.
 */
export function sessionIdOf(request: Request, cookie: string): string | null {
  const value = readCookie(request, cookie);
  return value ? sha256(value).slice(0, 16) : null;
}


/**
 * A log line's reference to a secret (a launch code, SD 4.5.4.1.1 `smart_on_fhir_launch_code`):
 * the first 32 hex of its SHA-256. Two lines about the same code link up (the launch and the
 * return, the PGO's and the DVA's), while the code itself — which opens a person's task — never
 * appears in the chain log, the cockpit or a delivery to MedMij Beheer.
 */
export function logRef(secret: string): string {
  return sha256(secret).slice(0, 32);
}
