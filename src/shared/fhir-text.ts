/**
 * FHIR data from another party → view props, defensively (issue 11): an external DVA need not
 * validate, and a PGO keeps what it collected, so one element of the wrong type must never reach
 * a JSX child or a string method and take a page down. A FHIR primitive (string, number, boolean)
 * becomes its text; anything else (an object, a list, null) becomes "".
 * @see https://hl7.org/fhir/R4/json.html#primitive
 */
export function fhirText(value: unknown): string {
  switch (typeof value) {
    case "string": return value;
    case "number": return Number.isFinite(value) ? String(value) : "";
    case "boolean": return String(value);
    default: return "";
  }
}

/** The same for optional view fields: null where there is no text. */
export const fhirTextOrNull = (value: unknown): string | null => fhirText(value) || null;

/** A FHIR list (0..*) as an array; a single value or anything else where a list belongs is []. */
export const fhirList = (value: unknown): unknown[] => Array.isArray(value) ? value : [];

/** An element that should be a JSON object (a complex type), or {} when it is not. */
export function fhirObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}
