/**
 * FHIR errors as typed values (STYLE habit 3): every failing FHIR response carries an
 * OperationOutcome (SPEC §6). Issue codes from http://hl7.org/fhir/R4/valueset-issue-type.html.
 */

export type IssueCode = "invalid" | "structure" | "required" | "value" | "security" | "login" | "forbidden" | "not-found"
  | "conflict" | "processing" | "not-supported" | "business-rule" | "transient" | "too-costly" | "informational" | "exception";

export interface Issue { severity: "fatal" | "error" | "warning" | "information"; code: IssueCode; diagnostics: string; expression?: string[] }

export class OperationOutcomeError extends Error {
  override name = "OperationOutcomeError";
  constructor(readonly status: number, readonly issue: Issue, readonly headers: Record<string, string> = {}) {
    super(issue.diagnostics);
  }
}

const error = (status: number, code: IssueCode) => (diagnostics: string, expression?: string, headers?: Record<string, string>) =>
  new OperationOutcomeError(status, { severity: "error", code, diagnostics, ...(expression ? { expression: [expression] } : {}) }, headers);

export const badRequest = error(400, "invalid");
export const notFound = error(404, "not-found");
export const forbidden = error(403, "forbidden");
export const notSupported = error(400, "not-supported");
export const preconditionFailed = error(412, "conflict");
export const unprocessable = error(422, "business-rule");
export const tooLarge = error(413, "too-costly");

/** RFC 6750 §3: 401 with WWW-Authenticate. */
export function unauthorized(description: string, bearerError: "invalid_token" | "invalid_request" = "invalid_token"): OperationOutcomeError {
  return new OperationOutcomeError(401, { severity: "error", code: "login", diagnostics: description },
    { "WWW-Authenticate": `Bearer error="${bearerError}", error_description="${description.replace(/["\\]/g, "")}"` });
}

export function insufficientScope(description: string): OperationOutcomeError {
  return new OperationOutcomeError(403, { severity: "error", code: "forbidden", diagnostics: description },
    { "WWW-Authenticate": `Bearer error="insufficient_scope", error_description="${description.replace(/["\\]/g, "")}"` });
}

export function outcome(...issues: Issue[]) {
  return { resourceType: "OperationOutcome", issue: issues };
}

export const FHIR_JSON = "application/fhir+json";

export function outcomeResponse(e: OperationOutcomeError, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(outcome(e.issue)), { status: e.status, headers: { "Content-Type": FHIR_JSON, ...e.headers, ...extra } });
}
