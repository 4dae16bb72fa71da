/**
 * Checking a delivery (aanlevering) the way MedMij Beheer does (issue 13, SD 4.5.1): "technisch
 * OK" when it is valid JSON whose every line has the required attributes and datatypes of the
 * line schema, names an event its sender's role writes, and was written on the sender's own host;
 * "technisch niet OK" otherwise, with the problems per line. Framework-free: text in, result out.
 *
 * A delivery is a JSON array of lines, or NDJSON (one line per row; empty rows are skipped and not
 * counted): the body decides — a body whose first non-blank character is "[" is an array.
 */
import { validateLine } from "../shared/chain-events.ts";
import type { Participant } from "../shared/participants.ts";

/** The real interface's limit: 60 MB = 62 914 560 characters (UTF-16 code units, as JSON counts them). */
export const MAX_DELIVERY_CHARS = 62_914_560;
/** What is kept of a line that is not valid JSON (its problem says why; the rest is of no use). */
const RAW_KEPT = 2_000;

export interface CheckedLine {
  index: number;
  /** The line as stored: the NDJSON row, or the array element as JSON. */
  text: string;
  problems: string[];
  /** Functional error (issue 13 `valid=false`): the line has an `error` part or its event type ends in `_error`. */
  functionalError: boolean;
  traceId: string | null;
  type: string | null;
  location: string | null;
  datetime: string | null;
  /** `event.datetime` as epoch milliseconds, for the time filters; null when it does not parse. */
  atMs: number | null;
}

export interface CheckedDelivery {
  format: "json" | "ndjson";
  chars: number;
  lines: CheckedLine[];
  /** Problems of the delivery as a whole (not JSON, no lines). */
  problems: string[];
  technischOk: boolean;
}

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

function checkLine(value: unknown, index: number, raw: string, participant: Participant): CheckedLine {
  const problems = [...validateLine(value, participant.role)];
  const object = typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : null;
  const event = object && typeof object.event === "object" && object.event !== null ? object.event as Record<string, unknown> : null;
  const location = text(event?.location);
  const datetime = text(event?.datetime);
  const type = text(event?.type);
  const atMs = datetime === null ? null : Date.parse(datetime);
  if (location !== null && !participant.hosts.includes(location)) {
    problems.push(`event.location ${location} is geen host van ${participant.name} (${participant.hosts.join(", ")})`);
  }
  if (datetime !== null && !Number.isFinite(atMs) && !problems.some((p) => p.includes("event.datetime"))) {
    problems.push("event.datetime is geen xs:dateTime (bijvoorbeeld 2025-09-22T14:35:12.789+02:00)");
  }
  return {
    index, text: raw, problems,
    functionalError: (object !== null && typeof object.error === "object" && object.error !== null) || (type?.endsWith("_error") ?? false),
    traceId: text(event?.trace_id), type, location, datetime, atMs: Number.isFinite(atMs) ? atMs : null,
  };
}

export function checkDelivery(body: string, participant: Participant): CheckedDelivery {
  const start = body.search(/\S/);
  const problems: string[] = [];
  const lines: CheckedLine[] = [];
  let format: CheckedDelivery["format"] = "ndjson";
  if (start >= 0 && body[start] === "[") {
    format = "json";
    let values: unknown;
    try { values = JSON.parse(body); } catch (e) {
      problems.push(`de aanlevering is geen geldige JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(values)) values.forEach((v, i) => lines.push(checkLine(v, i, JSON.stringify(v) ?? "null", participant)));
  } else {
    let index = 0;
    for (const row of body.split("\n")) {
      const raw = row.trim();
      if (raw === "") continue;
      let value: unknown;
      try { value = JSON.parse(raw); } catch (e) {
        lines.push({ index, text: raw.slice(0, RAW_KEPT), problems: [`geen geldige JSON: ${(e as Error).message}`], functionalError: false,
          traceId: null, type: null, location: null, datetime: null, atMs: null });
        index++;
        continue;
      }
      lines.push(checkLine(value, index++, raw, participant));
    }
  }
  if (problems.length === 0 && lines.length === 0) problems.push("de aanlevering bevat geen logregels");
  return { format, chars: body.length, lines, problems, technischOk: problems.length === 0 && lines.every((l) => l.problems.length === 0) };
}
