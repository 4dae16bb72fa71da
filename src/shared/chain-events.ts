/**
 * The SD 4.5 chain-monitoring events (seed 004 §4.5.3–4.5.7 and the core Verzamelen events): one
 * table of every event with its SD section, who writes it and its required fields, and the
 * checks a log line must pass. The sandbox's own actors write by this table, and MedMij Beheer's
 * logging interface (beheer.localhost/eagleeye/v1) validates deliveries against it.
 *
 * First version (issue 13): the API below is what other modules use; the table is being filled
 * in to the SD's full list.
 */

/** Who writes an event: the PGO (DVP) or the DVA (its authorization or FHIR server). */
export type ChainRole = "pgo" | "dva";

export interface ChainEventSpec {
  type: string;
  /** Section of the SD (seed 004) that shows the event. */
  sd: string;
  /** The roles that write it. */
  writers: readonly ChainRole[];
  /** Which part the line carries besides `event`: a request, a response, or an error. */
  part: "request" | "response" | "error";
}

/** Every event (filled in by the SD 4.5 work of issue 13). */
export const CHAIN_EVENTS: readonly ChainEventSpec[] = [];

/** One problem of a line, as MedMij Beheer reports it (Dutch, stable). */
export type LineProblem = string;

/**
 * The problems of one delivered line for a participant of this role: missing attributes, wrong
 * datatypes, an unknown event, an event this role does not write. Empty when the line is
 * technically OK.
 */
export function validateLine(line: unknown, role: ChainRole): LineProblem[] {
  const problems: LineProblem[] = [];
  if (typeof line !== "object" || line === null || Array.isArray(line)) return ["de regel is geen JSON-object"];
  const event = (line as { event?: unknown }).event;
  if (typeof event !== "object" || event === null) return ["event ontbreekt of is geen object"];
  const e = event as Record<string, unknown>;
  for (const key of ["type", "location", "datetime", "trace_id"] as const) {
    if (typeof e[key] !== "string" || e[key] === "") problems.push(`event.${key} ontbreekt of is geen tekst`);
  }
  if (e.session_id !== undefined && e.session_id !== null && typeof e.session_id !== "string") problems.push("event.session_id is geen tekst");
  const spec = CHAIN_EVENTS.find((s) => s.type === e.type);
  if (CHAIN_EVENTS.length && typeof e.type === "string") {
    if (!spec) problems.push(`onbekend event ${e.type}`);
    else if (!spec.writers.includes(role)) problems.push(`event ${e.type} hoort niet bij de rol ${role}`);
  }
  return problems;
}
