/**
 * FHIR errors as typed values (STYLE habit 3): every failing FHIR response carries an
 * OperationOutcome (SPEC §6). Issue codes from http://hl7.org/fhir/R4/valueset-issue-type.html.
 */

export type IssueCode = "invalid" | "structure" | "required" | "value" | "security" | "login" | "forbidden" | "not-found"
  | "conflict" | "duplicate" | "processing" | "not-supported" | "business-rule" | "transient" | "too-costly" | "informational" | "exception";

export interface Issue { severity: "fatal" | "error" | "warning" | "information"; code: IssueCode; diagnostics: string; expression?: string[] }

export class OperationOutcomeError extends Error {
  override name = "OperationOutcomeError";
  /** Every issue of the outcome, `issue` first (the one the log line names). */
  readonly issues: Issue[];
  constructor(readonly status: number, readonly issue: Issue, readonly headers: Record<string, string> = {}, more: Issue[] = []) {
    super(issue.diagnostics);
    this.issues = [issue, ...more];
  }
}

const error = (status: number, code: IssueCode) => (diagnostics: string, expression?: string, headers?: Record<string, string>) =>
  new OperationOutcomeError(status, { severity: "error", code, diagnostics, ...(expression ? { expression: [expression] } : {}) }, headers);

export const badRequest = error(400, "invalid");
export const notFound = error(404, "not-found");
export const notSupported = error(400, "not-supported");
export const preconditionFailed = error(412, "conflict");
export const unprocessable = error(422, "business-rule");
export const tooLarge = error(413, "too-costly");

/** RFC 6750 §3 challenge; SPEC §6: every 401 and 403 of the FHIR server carries one. */
const challenge = (bearerError: string, description: string) =>
  ({ "WWW-Authenticate": `Bearer error="${bearerError}", error_description="${description.replace(/["\\]/g, "")}"` });

/** 401: no usable token. */
export function unauthorized(description: string, bearerError: "invalid_token" | "invalid_request" = "invalid_token"): OperationOutcomeError {
  return new OperationOutcomeError(401, { severity: "error", code: "login", diagnostics: description }, challenge(bearerError, description));
}

/** 403: the token does not allow this (RFC 6750 insufficient_scope). */
export function forbidden(description: string): OperationOutcomeError {
  return new OperationOutcomeError(403, { severity: "error", code: "forbidden", diagnostics: description }, challenge("insufficient_scope", description));
}

/** A body that is not well-formed JSON (or nests deeper than a resource can): 400 structure. */
export const malformed = error(400, "structure");


export function outcome(...issues: Issue[]) {
  return { resourceType: "OperationOutcome", issue: issues };
}

export const FHIR_JSON = "application/fhir+json";

export function outcomeResponse(e: OperationOutcomeError, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(outcome(...e.issues)), { status: e.status, headers: { "Content-Type": FHIR_JSON, ...e.headers, ...extra } });
}
