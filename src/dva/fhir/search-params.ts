/**
 * Parse FHIR search parameters (R4 search.html) into a typed query. Pure: unit-testable, no store.
 * Comma = OR within one parameter; a repeated parameter = AND (search.html#combining).
 */
import { OperationOutcomeError, badRequest } from "../../shared/operation-outcome.ts";
import { normalizeReference, normalizeText } from "./search-index.ts";

export type Prefix = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export interface DateCondition { prefix: Prefix; value: string; /** the instant range the value covers (precision) */ low: number; high: number }
export interface TokenCondition { param: string; not: boolean; values: { system: string | null; code: string }[] }
/** A string parameter (search.html#string): starts with by default, `:contains`, `:exact`; values normalized. */
export interface StringCondition { param: string; mode: "start" | "contains" | "exact"; values: string[] }

export interface SearchQuery {
  type: string;
  tokens: TokenCondition[];
  strings: StringCondition[];
  lastUpdated: DateCondition[];
  includes: string[];
  sort: { key: "_lastUpdated" | "period"; descending: boolean } | null;
  count: number;
  offset: number;
  /** `_summary=count`, or `_count=0` (search.html#count: treated the same, so no entries and no next link). */
  summaryCount: boolean;
  /**
   * `_total` (search.html#total): `accurate` asks for Bundle.total also where the server would have
   * to count a whole DVA for it; otherwise it is given where known without extra work (issue 16).
   */
  total: "none" | "estimate" | "accurate" | null;
  /** Patient named by patient/subject/for: checked against the token, never widening it. */
  patientFilter: string[];
  unknown: string[];
  /** The parameters among `unknown` that were ignored because they were empty. */
  empty: string[];
}

/** Token and reference parameters per type; the names match search-index.ts. */
export const TOKEN_PARAMS: Record<string, string[]> = {
  Task: ["_id", "status", "_tag", "_profile", "identifier", "code", "owner", "requester", "based-on", "focus", "digital-activity", "part-of"],
  ActivityDefinition: ["_id", "url", "status", "identifier", "endpoint"],
  Questionnaire: ["_id", "url", "status", "identifier"],
  QuestionnaireResponse: ["_id", "status", "based-on", "questionnaire", "task", "identifier"],
  ServiceRequest: ["_id", "status", "based-on", "requester", "identifier"],
  Endpoint: ["_id", "status", "identifier", "organization"],
  Patient: ["_id", "identifier", "organization", "general-practitioner"],
  Practitioner: ["_id", "identifier"],
  PractitionerRole: ["_id", "identifier", "practitioner", "organization"],
  Organization: ["_id", "identifier"],
};

/** String parameters per type (indexed as normalized tokens, search-index.ts). */
export const STRING_PARAMS: Record<string, string[]> = {
  Patient: ["name"], Practitioner: ["name"], Organization: ["name"], ActivityDefinition: ["publisher"], Questionnaire: ["publisher"],
};

export const INCLUDES: Record<string, string[]> = {
  Task: ["Task:based-on", "Task:focus", "Task:digital-activity", "Task:patient", "Task:owner", "Task:requester"],
};

const PATIENT_PARAMS = ["patient", "subject", "for"];
const REFERENCE_PARAMS = new Set(["owner", "requester", "based-on", "focus", "digital-activity", "part-of", "endpoint", "organization", "practitioner", "task", "general-practitioner"]);
const RESULT_PARAMS = new Set(["_include", "_sort", "_count", "_offset", "_summary", "_total", "_format", "_lastUpdated"]);
export const MAX_COUNT = 500;
export const DEFAULT_COUNT = 50;

/** Date with precision → the range it covers (search.html#date). */
export function dateRange(value: string): { low: number; high: number } | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (h !== undefined && tz === undefined) return null;
  if (h !== undefined) {
    const low = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${frac ?? ""}${tz}`);
    if (Number.isNaN(low)) return null;
    const step = s === undefined ? 60_000 : frac ? 1 : 1000;
    return { low, high: low + step - 1 };
  }
  const low = Date.UTC(Number(y), mo ? Number(mo) - 1 : 0, d ? Number(d) : 1);
  const high = d ? low + 86_400_000 : mo ? Date.UTC(Number(y), Number(mo), 1) : Date.UTC(Number(y) + 1, 0, 1);
  return Number.isNaN(low) ? null : { low, high: high - 1 };
}

/** Reference parameters with one possible target type: a bare id means that type (search.html#reference). */
const SINGLE_TARGET: Record<string, string> = { "part-of": "Task", task: "Task", "digital-activity": "ActivityDefinition", endpoint: "Endpoint", organization: "Organization", practitioner: "Practitioner" };

function tokenValue(param: string, raw: string): { system: string | null; code: string } {
  if (REFERENCE_PARAMS.has(param)) {
    const typed = !raw.includes("/") && SINGLE_TARGET[param] ? `${SINGLE_TARGET[param]}/${raw}` : raw;
    return { system: null, code: normalizeReference(typed) ?? raw };
  }
  const bar = raw.indexOf("|");
  if (bar < 0) return { system: null, code: raw };
  return { system: raw.slice(0, bar), code: raw.slice(bar + 1) };
}

export function parseSearch(type: string, params: URLSearchParams): SearchQuery {
  const q: SearchQuery = { type, tokens: [], strings: [], lastUpdated: [], includes: [], sort: null, count: DEFAULT_COUNT, offset: 0, summaryCount: false, total: null, patientFilter: [], unknown: [], empty: [] };
  const known = new Set(TOKEN_PARAMS[type] ?? ["_id"]);
  for (const [rawKey, rawValue] of params) {
    const [param, modifier] = rawKey.split(":") as [string, string | undefined];
    // search.html#errors: "Empty parameters are not an error - they are just ignored by the server";
    // ignored with the warning of any ignored parameter (400 under Prefer: handling=strict).
    if (rawValue.split(",").every((v) => v.trim() === "")) {
      q.unknown.push(rawKey);
      q.empty.push(rawKey);
      continue;
    }
    // Modifiers exist only on the token and reference parameters (":not"); anywhere else the
    // parameter is not understood, so it is ignored with a warning (or 400 when strict).
    if (modifier !== undefined && (RESULT_PARAMS.has(param) || PATIENT_PARAMS.includes(param))) {
      q.unknown.push(rawKey);
      continue;
    }
    if (param === "_lastUpdated") {
      const m = /^(eq|ne|gt|ge|lt|le)?(.+)$/.exec(rawValue)!;
      const range = dateRange(m[2]!);
      if (!range) throw badRequest(`_lastUpdated: ${rawValue} is geen geldige datum (YYYY-MM-DDThh:mm:ss+zz:zz)`, "_lastUpdated");
      q.lastUpdated.push({ prefix: (m[1] ?? "eq") as Prefix, value: m[2]!, ...range });
    } else if (param === "_include") {
      if (!(INCLUDES[type] ?? []).includes(rawValue)) throw badRequest(`_include ${rawValue} wordt niet ondersteund; wel: ${(INCLUDES[type] ?? []).join(", ") || "geen"}`, "_include");
      q.includes.push(rawValue);
    } else if (param === "_sort") {
      const descending = rawValue.startsWith("-");
      const key = rawValue.replace(/^-/, "");
      if (key !== "_lastUpdated" && !(type === "Task" && key === "period")) throw badRequest(`_sort ${rawValue} wordt niet ondersteund`, "_sort");
      q.sort = { key: key as "_lastUpdated" | "period", descending };
    } else if (param === "_count") {
      if (!/^\d+$/.test(rawValue)) throw badRequest("_count moet een geheel getal zijn", "_count");
      q.count = Math.min(Number(rawValue), MAX_COUNT);
      if (q.count === 0) q.summaryCount = true;
    } else if (param === "_offset") {
      if (!/^\d+$/.test(rawValue)) throw badRequest("_offset moet een geheel getal zijn", "_offset");
      q.offset = Number(rawValue);
    } else if (param === "_summary") {
      if (rawValue !== "count") throw badRequest("_summary ondersteunt alleen count", "_summary");
      q.summaryCount = true;
    } else if (param === "_total") {
      if (rawValue !== "none" && rawValue !== "estimate" && rawValue !== "accurate") throw badRequest("_total is none, estimate of accurate", "_total");
      q.total = rawValue;
    } else if (param === "_format") {
      // http.html#mime: a format the server cannot give is 406 (also when it came in a POST _search form).
      if (!/json/i.test(rawValue)) throw new OperationOutcomeError(406, { severity: "error", code: "not-supported", diagnostics: `_format=${rawValue} wordt niet ondersteund: alleen JSON`, expression: ["_format"] });
    } else if (PATIENT_PARAMS.includes(param)) {
      q.patientFilter.push(...rawValue.split(",").map((v) => normalizeReference(v.includes("/") ? v : `Patient/${v}`) ?? v));
    } else if ((STRING_PARAMS[type] ?? []).includes(param) && (modifier === undefined || modifier === "contains" || modifier === "exact")) {
      const values = rawValue.split(",").map(normalizeText).filter(Boolean);
      if (values.length) q.strings.push({ param, mode: modifier === "contains" ? "contains" : modifier === "exact" ? "exact" : "start", values });
    } else if (known.has(param) && (modifier === undefined || modifier === "not")) {
      q.tokens.push({ param, not: modifier === "not", values: rawValue.split(",").filter(Boolean).map((v) => tokenValue(param, v)) });
    } else if (!RESULT_PARAMS.has(param)) {
      q.unknown.push(rawKey);
    }
  }
  return q;
}
