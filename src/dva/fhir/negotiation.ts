/**
 * Content negotiation and conditional reads of the FHIR host, as pure checks: what a client may
 * send (Content-Type → 415), what it will take back (Accept or `_format` → 406), and whether a
 * read is unchanged since a date (If-Modified-Since → 304).
 * @see https://hl7.org/fhir/R4/http.html#mime
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1 (Accept), #section-13.1.3 (If-Modified-Since)
 */
import { FHIR_JSON, OperationOutcomeError } from "../../shared/operation-outcome.ts";

/** Media ranges for which this server has a representation (FHIR JSON; R4 http.html#mime also names the DSTU2 type). */
const JSON_TYPES = new Set([FHIR_JSON, "application/json", "application/json+fhir", "application/*", "*/*"]);

/** `_format` values meaning JSON (http.html#mime: `json`, a JSON MIME type). */
const jsonFormat = (format: string) => /json/i.test(format);

/** One Accept member → whether it admits FHIR R4 JSON (q=0 excludes; a fhirVersion other than 4.0 too, http.html#version-parameter). */
function admitsJson(member: string): boolean {
  const [range, ...params] = member.split(";").map((p) => p.trim().toLowerCase());
  if (!range || !JSON_TYPES.has(range)) return false;
  for (const p of params) {
    const [k, v = ""] = p.split("=").map((x) => x.trim().replace(/^"|"$/g, ""));
    if (k === "q" && Number(v) === 0) return false;
    if (k === "fhirversion" && !v.startsWith("4.0")) return false;
  }
  return true;
}

/**
 * 406 when neither `_format` (which overrides Accept: http.html#mime, for clients that cannot set
 * the header) nor Accept admits FHIR JSON; null when the answer can be given. No Accept is "anything".
 */
export function notAcceptable(accept: string | null, format: string | null): OperationOutcomeError | null {
  if (format !== null && format !== "") {
    return jsonFormat(format) ? null : new OperationOutcomeError(406, { severity: "error", code: "not-supported", expression: ["_format"],
      diagnostics: `_format=${format} wordt niet ondersteund: deze FHIR-server antwoordt alleen in JSON (${FHIR_JSON}); gebruik _format=json` });
  }
  if (!accept || !accept.trim() || accept.split(",").some(admitsJson)) return null;
  return new OperationOutcomeError(406, { severity: "error", code: "not-supported",
    diagnostics: `Accept: ${accept} is niet te leveren: deze FHIR-server antwoordt alleen in ${FHIR_JSON} (FHIR R4 JSON); vraag Accept: ${FHIR_JSON}` });
}

/** The media type of a Content-Type header, without parameters, lower case. */
export const mediaType = (contentType: string | null) => (contentType ?? "").split(";")[0]!.trim().toLowerCase();

/** 415 (RFC 9110 §15.5.16): the body is in a format this interaction does not take; `headers` e.g. Accept-Patch (RFC 5789 §2.2). */
export function unsupportedMediaType(diagnostics: string, headers: Record<string, string> = {}): OperationOutcomeError {
  return new OperationOutcomeError(415, { severity: "error", code: "not-supported", diagnostics }, headers);
}

/** IMF-fixdate, the obsolete RFC 850 form (both end in GMT), or asctime (RFC 9110 §5.6.7). */
function httpDate(value: string): number | null {
  const v = value.trim();
  const asctime = /^[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/.exec(v);
  const ms = asctime ? Date.parse(`${asctime[2]} ${asctime[1]} ${asctime[4]} ${asctime[3]} GMT`) : /GMT$/.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? null : ms;
}

/**
 * RFC 9110 §13.1.3: true (→ 304) when the resource was last modified at or before the
 * If-Modified-Since date, compared at the one-second precision of Last-Modified. Ignored when
 * the request carries If-None-Match (which takes precedence) or the date is not an HTTP-date.
 */
export function unmodifiedSince(headers: Headers, lastModified: string | undefined): boolean {
  const since = headers.get("if-modified-since");
  if (!since || !lastModified || headers.has("if-none-match")) return false;
  const date = httpDate(since);
  const modified = Date.parse(lastModified);
  return date !== null && !Number.isNaN(modified) && Math.floor(modified / 1000) <= Math.floor(date / 1000);
}
