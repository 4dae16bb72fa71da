/**
 * Every write is checked against the FHIR R4 structure definitions (issue 11): element types, a
 * list where FHIR has 0..*, primitive formats (dateTime, code, id, ...), unknown elements and the
 * required elements of the base resource, with the FHIR R4 JSON schema (json.html#schema),
 * precompiled by schema-generate.ts into schema-validators.js. One issue per problem, with the
 * element as FHIRPath (`Task.executionPeriod.start`); 400, as http.html answers a resource that
 * "failed basic FHIR validation rules". The SPEC §3 profile rules (write.ts) come on top.
 *
 * The validators load on the first write, not at start (~10 ms, ~8 MB): compiling the schema at
 * run time instead took ~110 ms and ~30 MB for the first type (bench/, README).
 * @see https://hl7.org/fhir/R4/json.html
 */
import { OperationOutcomeError, type Issue } from "../../shared/operation-outcome.ts";
import type * as Generated from "./schema-validators.js";

/** So that bench/ can measure a write without the check; never switched off otherwise. */
export const schemaTuning = { enabled: true };

/** More issues than this are summed up in one last issue (a body of garbage has thousands). */
export const MAX_ISSUES = 50;

let generated: typeof Generated | null = null;
function validators(): typeof Generated {
  // A synchronous, lazy load: bun build bundles the module but runs it only on this call.
  generated ??= require("./schema-validators.js") as typeof Generated;
  return generated;
}

const KIND: Record<string, string> = { string: "een tekst", number: "een getal", integer: "een geheel getal", boolean: "true of false", array: "een lijst", object: "een object" };
const kindOf = (v: unknown) => v === null ? "null" : Array.isArray(v) ? "een lijst" : KIND[typeof v] ?? typeof v;
const FORMATS: Record<string, string> = {
  date: "JJJJ, JJJJ-MM of JJJJ-MM-DD",
  dateTime: "JJJJ, JJJJ-MM, JJJJ-MM-DD of JJJJ-MM-DDThh:mm:ss met tijdzone, bijv. 2026-03-01T09:00:00+01:00",
  instant: "JJJJ-MM-DDThh:mm:ss met tijdzone, bijv. 2026-03-01T09:00:00Z",
  time: "hh:mm:ss",
  id: "A-Z, a-z, 0-9, '-' en '.', hoogstens 64 tekens",
  code: "zonder spaties aan begin of eind en zonder dubbele spaties",
  "uri/canonical/url": "zonder spaties",
};

/** "/executionPeriod/start" → "Task.executionPeriod.start"; "/identifier/0" → "Task.identifier[0]". */
function fhirPath(root: string, pointer: string): string {
  return root + pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => /^\d+$/.test(s) ? `[${s}]` : `.${s}`).join("");
}

function at(data: unknown, pointer: string): unknown {
  return pointer.split("/").slice(1).reduce<unknown>((v, s) => (v as Record<string, unknown> | undefined)?.[s.replace(/~1/g, "/").replace(/~0/g, "~")], data);
}

const shown = (v: unknown) => { const s = JSON.stringify(v) ?? String(v); return s.length > 60 ? `${s.slice(0, 57)}...` : s; };

function issueOf(root: string, data: unknown, e: Generated.SchemaError): Issue | null {
  const path = fhirPath(root, e.instancePath);
  const value = at(data, e.instancePath);
  const issue = (code: Issue["code"], diagnostics: string, expression = path): Issue => ({ severity: "error", code, diagnostics, expression: [expression] });
  switch (e.keyword) {
    case "additionalProperties": {
      const element = `${path}.${String(e.params.additionalProperty)}`;
      return issue("structure", `${element} is geen element van FHIR R4 (een eigen gegeven hoort in een extension)`, element);
    }
    case "required": {
      const element = `${path}.${String(e.params.missingProperty)}`;
      return issue("required", `${element} is verplicht (FHIR R4)`, element);
    }
    case "type":
      // FHIR JSON aligns a list of primitives with a `_x` list of their extensions, null where a value has none.
      if (value === null && /\/_[A-Za-z]\w*\/\d+$/.test(e.instancePath)) return null;
      return issue("structure", `${path} moet ${KIND[String(e.params.type)] ?? String(e.params.type)} zijn, niet ${kindOf(value)}`);
    case "pattern": {
      if (value === "") return issue("value", `${path} is leeg; FHIR kent geen lege waarden, laat het element dan weg`);
      const primitive = validators().PATTERNS[String(e.params.pattern)] ?? "waarde";
      const format = FORMATS[primitive];
      return issue("value", `${path}: ${shown(value)} is geen geldige ${primitive}${format ? ` (${format})` : ""}`);
    }
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      if (typeof value !== "string") return issue("structure", `${path} moet een code (tekst) zijn, niet ${kindOf(value)}; toegestaan: ${allowed.join(", ")}`);
      return issue("value", `${path}: ${shown(value)} is geen toegestane code; toegestaan: ${allowed.join(", ")}`);
    }
    case "const": return issue("value", `${path} moet ${shown(e.params.allowedValue)} zijn, niet ${shown(value)}`);
    default: return issue("invalid", `${path} voldoet niet aan FHIR R4 (${e.keyword})`);
  }
}

/** What is wrong with this resource by FHIR R4, one issue per problem; [] when nothing is. */
export function schemaIssues(type: string, resource: unknown, root: string = type): Issue[] {
  const all = validators() as unknown as Record<string, Generated.SchemaValidator>;
  const validate = all[type];
  if (typeof validate !== "function") {
    const served = Object.keys(all).filter((t) => typeof all[t] === "function").sort();
    return [{ severity: "error", code: "not-supported", diagnostics: `${root}: een ${type} kan de sandbox niet controleren; wel: ${served.join(", ")}`, expression: [root] }];
  }
  const issues = validate(resource) ? [] : (validate.errors ?? []).map((e) => issueOf(root, resource, e)).filter((i): i is Issue => i !== null);
  // A contained resource is checked by its own type's definition (schema-generate.ts: ResourceList).
  const contained = (resource as { contained?: unknown } | null)?.contained;
  if (Array.isArray(contained)) {
    contained.forEach((c: { resourceType?: unknown; contained?: unknown } | null, i) => {
      if (typeof c?.resourceType !== "string") return; // the schema reported it
      const path = `${root}.contained[${i}]`;
      if (root !== type) issues.push({ severity: "error", code: "structure", diagnostics: `${path}: een ingesloten resource bevat zelf geen contained (FHIR R4 dom-2)`, expression: [path] });
      else issues.push(...schemaIssues(c.resourceType, c, path));
    });
  }
  return issues;
}

/** 400 with every problem when the resource does not meet FHIR R4; the SPEC §3 rules follow in write.ts. */
export function checkSchema(type: string, resource: unknown): void {
  if (!schemaTuning.enabled) return;
  const issues = schemaIssues(type, resource);
  if (issues.length === 0) return;
  const shownIssues = issues.length > MAX_ISSUES
    ? [...issues.slice(0, MAX_ISSUES - 1), { severity: "information", code: "informational", diagnostics: `en nog ${issues.length - MAX_ISSUES + 1} problemen` } as Issue]
    : issues;
  throw new OperationOutcomeError(400, shownIssues[0]!, {}, shownIssues.slice(1));
}
