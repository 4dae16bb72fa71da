/**
 * Request and answer in the delivered lines (SD 4.5): at one participant, a request event (its
 * `request.id`) and the event that answers it (`response.request_id` or `error.request_id`), the
 * way SD 4.5 links them ("linked request ids", issue 13 §1). What MedMij Beheer's chain verdicts
 * and flow figures are built from. Pure functions of lines.
 */
import type { LineRecord } from "./store.ts";

type Part = Record<string, unknown>;

export interface ParsedLine {
  rec: LineRecord;
  type: string;
  location: string;
  atMs: number | null;
  request: Part | null;
  response: Part | null;
  error: Part | null;
}

const part = (v: unknown): Part | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? v as Part : null);

/** A stored line with its parts; null when the line is not an object with an event (it has its problems already). */
export function parseLine(rec: LineRecord): ParsedLine | null {
  let value: unknown;
  try { value = JSON.parse(rec.line); } catch { return null; }
  const line = part(value);
  if (!line || !part(line.event) || rec.type === null || rec.location === null) return null;
  return { rec, type: rec.type, location: rec.location, atMs: rec.atMs, request: part(line.request), response: part(line.response), error: part(line.error) };
}

/**
 * The events that end a request event at the same participant (SD 4.5.3–4.5.7 and the core
 * Verzamelen events): the initiator's receive_*, the server's send_*, or their errors. Each is
 * one the event table (shared/chain-events.ts `answers`) says names that request's id; a unit
 * test holds the two together.
 */
export const ANSWERS: Readonly<Record<string, readonly string[]>> = {
  send_token_request: ["receive_token_response", "receive_token_request_error", "receive_availability_check_error"],
  receive_token_request: ["send_token_response", "send_token_request_error"],
  send_resource_request: ["receive_resource_response", "receive_resource_request_error", "receive_availability_check_error"],
  receive_resource_request: ["send_resource_response", "send_resource_request_error"],
  send_authorization_request: ["receive_authorization_response", "receive_authorization_request_error"],
  // Not show_landing_page: it names the request too (shared/chain-events.ts), but the person has yet to log in and consent.
  receive_authorization_request: ["send_authorization_response", "send_authorization_request_error", "authorization_request_error",
    "show_authorization_request_error_page", "send_authorization_cancellation"],
  send_authentication_request: ["receive_authentication_response", "receive_authorization_cancellation", "receive_authentication_error"],
  receive_authorize_request: ["send_authorize_response", "send_authorize_request_error"],
  receive_smart_configuration_request: ["send_smart_configuration_response", "send_smart_configuration_request_error"],
  send_smart_launch_request: ["receive_smart_launch_response", "receive_smart_launch_request_error", "receive_availability_check_error"],
};

/**
 * Where the person acts before the chain goes on (DigiD, consent, the module), with what counts
 * as going on at that participant: without it for N minutes the person has left (afgehaakt).
 * `null` = any later line of that participant (a PGO that does not log the authorization
 * response still goes on with its token request).
 */
export const PERSON_STEPS: Readonly<Record<string, readonly string[] | null>> = {
  send_authorization_request: null,
  receive_authorization_request: ANSWERS.receive_authorization_request!,
  send_authentication_request: ANSWERS.send_authentication_request!,
  receive_authorize_request: ANSWERS.receive_authorize_request!,
  send_smart_launch_request: ["receive_redirect_to_pgo_request"],
};

export interface Exchange {
  request: ParsedLine;
  answer: ParsedLine | null;
  /** The answer names the request's id (SD 4.5: `request_id`); false when it was paired by order only. */
  linked: boolean;
}

const idOf = (l: ParsedLine): unknown => l.request?.id;
const answersId = (l: ParsedLine): unknown => l.response?.request_id ?? l.error?.request_id;

/** The exchanges of one chain's lines (in time order), per participant location: by request id first, then by order. */
export function exchangesOf(lines: readonly ParsedLine[]): Exchange[] {
  const out: Exchange[] = [];
  const used = new Set<ParsedLine>();
  const requests = lines.filter((l) => ANSWERS[l.type] && l.request);
  for (const request of requests) {
    const id = idOf(request);
    const answer = lines.find((a) => !used.has(a) && a.location === request.location && ANSWERS[request.type]!.includes(a.type) && id !== undefined && answersId(a) === id);
    if (answer) used.add(answer);
    out.push({ request, answer: answer ?? null, linked: !!answer });
  }
  for (const e of out) {
    if (e.answer) continue;
    const at = lines.indexOf(e.request);
    const answer = lines.find((a, i) => i > at && !used.has(a) && a.location === e.request.location && ANSWERS[e.request.type]!.includes(a.type));
    if (answer) { used.add(answer); e.answer = answer; }
  }
  return out;
}

/** An answer that says the request failed: an error part, an `_error` event, or a status of 400 or more. */
export function failed(answer: ParsedLine): boolean {
  const status = answer.response?.status;
  return answer.error !== null || answer.type.endsWith("_error") || (typeof status === "number" && status >= 400);
}

export const GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
