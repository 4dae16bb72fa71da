/**
 * The chain-monitoring events (ketenmonitoring): one table of every event with where it is
 * specified, who writes it, which part it carries and that part's required fields, and the
 * checks a log line must pass. The sandbox's own actors write by this table (test/e2e/
 * chain-events.test.ts drives every journey and checks each line against it), and MedMij
 * Beheer's logging interface (beheer.localhost/eagleeye/v1) validates deliveries with it.
 *
 * Sources: SD 4.5.3–4.5.7 (seed 004: token exchange, SMART launch, SMART authorization code flow,
 * SMART configuration, return to the PGO), with its example lines as the field lists; and the core
 * Verzamelen events of the MedMij Afsprakenstelsel page "Logging interface" ("AS" below:
 * afsprakenstelsel.medmij.nl/asverplicht/mmverplicht/logging-interface), which names the events
 * but shows no lines — their fields follow the SD's lines for the same kind of part. MedMij's own
 * schema is not public; CHAIN_LINE_SCHEMA (chain-line.schema.json) is derived from this table.
 */
import schema from "./chain-line.schema.json" with { type: "json" };

/** Who writes an event: the PGO (DVP) or the DVA (its authorization or FHIR server). */
export type ChainRole = "pgo" | "dva";
/** The actor within a role that writes an event: the PGO, or the DVA's authorization or FHIR (resource) server. */
export type ChainHost = "pgo" | "dva-auth" | "dva-fhir";
export type ChainPart = "request" | "response" | "error";
export type FieldType = "string" | "integer";
export type InitiatedBy = "person" | "machine";

export interface ChainEventSpec {
  type: string;
  /** Where the event is specified: a section of the SD (seed 004) or of the Afsprakenstelsel (AS). */
  sd: string;
  /** The roles that write it. */
  writers: readonly ChainRole[];
  /** The actor of that role that writes it (its host is the line's `event.location`). */
  host: ChainHost;
  /** Which part the line carries besides `event`: a request, a response, or an error. */
  part: ChainPart;
  /** The part's required fields and their JSON types; a line may carry more (SD 4.5.1 f: additional data). */
  required: Readonly<Record<string, FieldType>>;
  /**
   * Request lines: the `initiated_by` the SD shows, or the sandbox's choice where it is silent;
   * "by-grant" for token requests (SD 4.5.3.1.1: token exchange `machine`; SD 4.5.5.1.3:
   * authorization code `person`). A value check of the sandbox's lines, not of deliveries.
   */
  initiatedBy?: InitiatedBy | "by-grant";
  /**
   * "person": written in a person's session at the writer (a browser request, or what the PGO
   * does while serving one), so `session_id` must be text; "optional": text or null — a DVA that
   * receives a server-to-server call has no session of the person.
   */
  session: "person" | "optional";
  /** False for events the sandbox's own actors never write (accepted from other participants). */
  written: boolean;
  /** Responses and errors: the request events (of the same writer) whose `id` their `request_id` names. */
  answers?: readonly string[];
  /** The other party's line of the same exchange (with the same request id), where both are MedMij participants. */
  peer?: string;
}

/** A receiving server that cannot always tell who calls (an anonymous discovery GET, a request without a valid token). */
const REQUEST_OF_UNKNOWN_CLIENT = { id: "string", method: "string", server_id: "string", uri: "string", initiated_by: "string" } as const;
const REQUEST = { ...REQUEST_OF_UNKNOWN_CLIENT, client_id: "string" } as const;
const TOKEN_REQUEST = { ...REQUEST, grant_type: "string" } as const;
const RESPONSE = { request_id: "string", status: "integer" } as const;
const ERROR = { request_id: "string", code: "string", description: "string", status: "integer" } as const;
/** SD 4.5.3.1.7 / 4.5.4.1.4 show no status: there may have been no answer at all. */
const ERROR_WITHOUT_STATUS = { request_id: "string", code: "string", description: "string" } as const;

/** RFC 8693 §2.1; SD 4.5.3.1.1: with this grant type `request.request_token_type` is required too. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

const ROLE: Record<ChainHost, ChainRole> = { pgo: "pgo", "dva-auth": "dva", "dva-fhir": "dva" };
function ev(type: string, sd: string, host: ChainHost, part: ChainPart, required: Record<string, FieldType>,
  o: { initiatedBy?: InitiatedBy | "by-grant"; session?: "person" | "optional"; written?: boolean; answers?: string | readonly string[]; peer?: string } = {}): ChainEventSpec {
  return { type, sd, writers: [ROLE[host]], host, part, required, initiatedBy: o.initiatedBy, session: o.session ?? "optional", written: o.written ?? true,
    ...(o.answers ? { answers: typeof o.answers === "string" ? [o.answers] : o.answers } : {}), ...(o.peer ? { peer: o.peer } : {}) };
}
const person = { session: "person", initiatedBy: "person" } as const;
const inSession = { session: "person" } as const;
/** The DVA's answers to the PGO's authorization request, and to its own authentication request. */
const AUTHORIZATION = "receive_authorization_request";
const AUTHENTICATION = "send_authentication_request";

/** Every event, in the order of a journey. */
export const CHAIN_EVENTS: readonly ChainEventSpec[] = [
  // Verzamelen: the authorization (AS "Logging interface", items 1–5, and the authorization response).
  ev("send_authorization_request", "AS Logging interface 1", "pgo", "request", REQUEST, { ...person, peer: "receive_authorization_request" }),
  ev("receive_authorization_request", "AS Logging interface 2", "dva-auth", "request", REQUEST, { ...person, peer: "send_authorization_request" }),
  ev("show_landing_page", "AS Logging interface 3", "dva-auth", "response", RESPONSE, { ...inSession, answers: AUTHORIZATION }),
  ev("authorization_request_error", "AS Logging interface 3.1", "dva-auth", "error", ERROR, { ...inSession, answers: AUTHORIZATION }),
  ev("show_authorization_request_error_page", "AS Logging interface 3.1", "dva-auth", "response", RESPONSE, { ...inSession, answers: AUTHORIZATION }),
  ev("send_authorization_request_error", "AS Logging interface 3.2", "dva-auth", "error", ERROR,
    { ...inSession, answers: AUTHORIZATION, peer: "receive_authorization_request_error" }),
  ev("send_authentication_request", "AS Logging interface 4", "dva-auth", "request", REQUEST, person),
  ev("send_authorization_cancellation", "AS Logging interface 4.1", "dva-auth", "error", ERROR_WITHOUT_STATUS, { ...inSession, answers: AUTHORIZATION, written: false }),
  ev("receive_authentication_response", "AS Logging interface 5", "dva-auth", "response", RESPONSE, { ...inSession, answers: AUTHENTICATION }),
  ev("receive_authorization_cancellation", "AS Logging interface 5.1", "dva-auth", "error", ERROR_WITHOUT_STATUS, { ...inSession, answers: AUTHENTICATION }),
  ev("receive_authentication_error", "AS Logging interface 5.2", "dva-auth", "error", ERROR_WITHOUT_STATUS, { ...inSession, answers: AUTHENTICATION }),
  ev("send_authorization_response", "AS Logging interface (authorization response)", "dva-auth", "response", RESPONSE,
    { ...inSession, answers: AUTHORIZATION, peer: "receive_authorization_response" }),
  ev("receive_authorization_response", "AS Logging interface (authorization response)", "pgo", "response", RESPONSE,
    { ...inSession, answers: "send_authorization_request", peer: "send_authorization_response" }),
  ev("receive_authorization_request_error", "AS Logging interface (authorization response)", "pgo", "error", ERROR,
    { ...inSession, answers: "send_authorization_request", peer: "send_authorization_request_error" }),
  // Token requests: the token exchange (SD 4.5.3) and the authorization code flows (SD 4.5.5, AS).
  ev("send_token_request", "SD 4.5.3.1.1", "pgo", "request", TOKEN_REQUEST, { initiatedBy: "by-grant", peer: "receive_token_request" }),
  ev("receive_token_request", "SD 4.5.3.1.2, 4.5.5.1.3", "dva-auth", "request", TOKEN_REQUEST, { initiatedBy: "by-grant", peer: "send_token_request" }),
  ev("send_token_response", "SD 4.5.3.1.3, 4.5.5.1.4", "dva-auth", "response", RESPONSE, { answers: "receive_token_request", peer: "receive_token_response" }),
  ev("receive_token_response", "SD 4.5.3.1.4", "pgo", "response", RESPONSE, { answers: "send_token_request", peer: "send_token_response" }),
  ev("send_token_request_error", "SD 4.5.3.1.5, 4.5.5.1.6", "dva-auth", "error", ERROR, { answers: "receive_token_request", peer: "receive_token_request_error" }),
  ev("receive_token_request_error", "SD 4.5.3.1.6", "pgo", "error", ERROR, { answers: "send_token_request", peer: "send_token_request_error" }),
  // No answer, or one saying the server is down (502/503/504), to any of the PGO's calls; for the
  // SMART launch the PGO's probe of the module, which carries the launch's id (SD 4.5.4.1.4).
  ev("receive_availability_check_error", "SD 4.5.3.1.7, 4.5.4.1.4", "pgo", "error", ERROR_WITHOUT_STATUS,
    { answers: ["send_token_request", "send_resource_request", "send_smart_launch_request"] }),
  // Resources (SD 4.5.1 names send_resource_request and receive_resource_response; the rest by the same pattern).
  ev("send_resource_request", "SD 4.5.1, AS Logging interface", "pgo", "request", REQUEST, { initiatedBy: "machine", peer: "receive_resource_request" }),
  ev("receive_resource_request", "SD 4.5.1, AS Logging interface", "dva-fhir", "request", REQUEST_OF_UNKNOWN_CLIENT, { initiatedBy: "machine", peer: "send_resource_request" }),
  ev("send_resource_response", "SD 4.5.1, AS Logging interface", "dva-fhir", "response", RESPONSE, { answers: "receive_resource_request", peer: "receive_resource_response" }),
  ev("receive_resource_response", "SD 4.5.1, AS Logging interface", "pgo", "response", RESPONSE, { answers: "send_resource_request", peer: "send_resource_response" }),
  ev("send_resource_request_error", "SD 4.5.1, AS Logging interface", "dva-fhir", "error", ERROR, { answers: "receive_resource_request", peer: "receive_resource_request_error" }),
  ev("receive_resource_request_error", "SD 4.5.1, AS Logging interface", "pgo", "error", ERROR, { answers: "send_resource_request", peer: "send_resource_request_error" }),
  // The SMART launch (SD 4.5.4); the module logs nothing, so these have no peer.
  ev("send_smart_launch_request", "SD 4.5.4.1.1", "pgo", "request", { ...REQUEST, smart_on_fhir_launch_code: "string" }, person),
  ev("receive_smart_launch_response", "SD 4.5.4.1.2", "pgo", "response", RESPONSE, { ...inSession, answers: "send_smart_launch_request" }),
  ev("receive_smart_launch_request_error", "SD 4.5.4.1.3", "pgo", "error", ERROR, { ...inSession, answers: "send_smart_launch_request" }),
  // The SMART authorization code flow (SD 4.5.5; its token lines are the ones above).
  ev("receive_authorize_request", "SD 4.5.5.1.1", "dva-auth", "request", REQUEST, person),
  ev("send_authorize_response", "SD 4.5.5.1.2", "dva-auth", "response", RESPONSE, { ...inSession, answers: "receive_authorize_request" }),
  ev("send_authorize_request_error", "SD 4.5.5.1.5", "dva-auth", "error", ERROR, { ...inSession, answers: "receive_authorize_request" }),
  // SMART configuration (SD 4.5.6).
  ev("receive_smart_configuration_request", "SD 4.5.6.1.1", "dva-fhir", "request", REQUEST_OF_UNKNOWN_CLIENT, { initiatedBy: "machine" }),
  ev("send_smart_configuration_response", "SD 4.5.6.1.2", "dva-fhir", "response", RESPONSE, { answers: "receive_smart_configuration_request" }),
  ev("send_smart_configuration_request_error", "SD 4.5.6.1.3", "dva-fhir", "error", ERROR, { answers: "receive_smart_configuration_request" }),
  // The return to the PGO (SD 4.5.7): its example line has no client_id, server_id or initiated_by.
  ev("receive_redirect_to_pgo_request", "SD 4.5.7.1.1", "pgo", "request", { id: "string", method: "string", uri: "string", smart_on_fhir_launch_code: "string" }, person),
];

const BY_TYPE = new Map(CHAIN_EVENTS.map((e) => [e.type, e]));

/** The table's row of an event type, or undefined for an event the SD and the AS do not name. */
export function chainEvent(type: string): ChainEventSpec | undefined {
  return BY_TYPE.get(type);
}

/** The JSON Schema (draft 2020-12) of a line, derived from CHAIN_EVENTS by chain-line-schema.ts. */
export const CHAIN_LINE_SCHEMA: Readonly<Record<string, unknown>> = schema;

/** xs:dateTime with a time zone, as the SD's examples ("2025-09-22T14:35:12.789+02:00"). */
export const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** One problem of a line, as MedMij Beheer reports it (Dutch, stable). */
export type LineProblem = string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v !== "";

/**
 * The problems of one delivered line for a participant of this role: missing attributes, wrong
 * datatypes, an unknown event, an event this role does not write. Empty when the line is
 * technically OK. The same checks as CHAIN_LINE_SCHEMA, plus the role.
 */
export function validateLine(line: unknown, role: ChainRole): LineProblem[] {
  if (!isObject(line)) return ["de regel is geen JSON-object"];
  const e = line.event;
  if (!isObject(e)) return ["event ontbreekt of is geen object"];
  const problems: LineProblem[] = [];
  for (const key of ["type", "location", "datetime", "trace_id"] as const) {
    if (!isText(e[key])) problems.push(`event.${key} ontbreekt of is geen tekst`);
  }
  if (isText(e.datetime) && !DATE_TIME.test(e.datetime)) problems.push("event.datetime is geen datum-tijd met tijdzone (xs:dateTime)");
  if (!("session_id" in e)) problems.push("event.session_id ontbreekt (tekst, of null zonder sessie)");
  else if (e.session_id !== null && !isText(e.session_id)) problems.push("event.session_id is geen tekst of null");
  if (!isText(e.type)) return problems;
  const spec = BY_TYPE.get(e.type);
  if (!spec) return [...problems, `onbekend event ${e.type}`];
  if (!spec.writers.includes(role)) problems.push(`event ${e.type} hoort niet bij de rol ${role}`);
  if (spec.session === "person" && e.session_id === null) problems.push(`event.session_id ontbreekt: ${e.type} hoort bij de sessie van een persoon`);
  const part = line[spec.part];
  if (!isObject(part)) return [...problems, `${spec.part} ontbreekt of is geen object (${e.type} heeft een ${spec.part})`];
  for (const [field, type] of Object.entries(spec.required)) {
    const value = part[field];
    if (value === undefined || value === null) problems.push(`${spec.part}.${field} ontbreekt`);
    else if (type === "integer" ? !Number.isInteger(value) : !isText(value)) problems.push(`${spec.part}.${field} is geen ${type === "integer" ? "geheel getal" : "tekst"}`);
  }
  if (spec.part === "request") {
    if (part.initiated_by !== undefined && part.initiated_by !== "person" && part.initiated_by !== "machine") problems.push("request.initiated_by is niet person of machine");
    if (part.grant_type === TOKEN_EXCHANGE_GRANT && !isText(part.request_token_type)) problems.push("request.request_token_type ontbreekt (verplicht bij grant_type token-exchange, SD 4.5.3.1.1)");
  }
  if (spec.part !== "request" && part.status !== undefined && !Number.isInteger(part.status)) problems.push(`${spec.part}.status is geen geheel getal`);
  return problems;
}

/**
 * The HTTP status an OAuth error code has on the back channel (RFC 6749 §5.2, RFC 6750 §3.1):
 * the status of an error the PGO learns on the front channel (a redirect's `error`), where it
 * sees none, as SD 4.5.4.1.3 shows one (400 for `invalid_request`).
 */
export function statusOfOAuthError(code: string): number {
  switch (code) {
    case "invalid_client": case "invalid_token": return 401;
    case "access_denied": case "insufficient_scope": return 403;
    case "server_error": return 500;
    case "temporarily_unavailable": return 503;
    default: return 400;
  }
}
