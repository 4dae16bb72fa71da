/**
 * Validate a HAR file against the HAR 1.2 JSON Schema of `har-schema` (the one `har-validator`
 * uses), compiled by ajv: draft-06 schemas, ajv's strict mode off for their `optional`/`min`
 * keywords, and the formats they name (date-time, uri, ipv4/ipv6) checked here.
 */
import Ajv from "ajv";
import draft6 from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };

/** har-schema ships CommonJS without types: one JSON Schema per HAR object. */
const schemas = require("har-schema") as Record<string, object>;

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addMetaSchema(draft6);
ajv.addFormat("date-time", (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)));
ajv.addFormat("uri", (v: string) => URL.canParse(v));
ajv.addFormat("ipv4", /^(\d{1,3}\.){3}\d{1,3}$/);
ajv.addFormat("ipv6", /^[0-9a-f:.]+$/i);
for (const schema of Object.values(schemas)) ajv.addSchema(schema);
const validate = ajv.getSchema("har.json#")!;

/** The schema's complaints about `har`, one line each; empty when it is valid HAR 1.2. */
export function harProblems(har: unknown): string[] {
  return validate(har) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
