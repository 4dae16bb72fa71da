/**
 * Every write is checked against the FHIR R4 datatypes (issue 11 item 2), over real HTTP: create,
 * update and PATCH (JSON Patch and FHIRPath Patch) of a Task with one wrong element each are 400
 * with the issue code and the element as FHIRPath, and write nothing; a correct resource of every
 * supported type is accepted. Also: a PATCH that would remove the whole resource, and empty search
 * parameters (search.html#errors: ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { DATA_SERVICE_TAG, TASK_PROFILE } from "../../src/shared/fhir-profiles.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let token: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  token = await systemToken(sandbox, "his-delinde");
});
afterAll(() => sandbox.stop());

const TASK = "task-tom-delinde-intake";
const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => fhir(sandbox, token, method, path, { body, headers });
const jsonPatch = (ops: unknown[]) => call("PATCH", `Task/${TASK}`, ops, { "content-type": "application/json-patch+json" });
const fhirPathPatch = (type: string, path: string, ...parts: Json[]) => call("PATCH", `Task/${TASK}`, {
  resourceType: "Parameters", parameter: [{ name: "operation", part: [{ name: "type", valueCode: type }, { name: "path", valueString: path }, ...parts] }] });
/** A FHIRPath Patch value part: a primitive as value[x], an object as parts (fhirpatch.html). */
const value = (v: unknown): Json => typeof v === "object" && v !== null
  ? { name: "value", part: Object.entries(v).map(([k, x]) => ({ name: k, valueString: x })) }
  : typeof v === "number" ? { name: "value", valueInteger: v } : { name: "value", valueString: v };

const newTask = () => ({ resourceType: "Task", meta: { profile: [TASK_PROFILE], tag: [{ ...DATA_SERVICE_TAG }] }, status: "requested", intent: "order",
  for: { reference: "Patient/patient-tom" }, description: "Vul de vragenlijst in", executionPeriod: { start: "2026-03-01T09:00:00+01:00", end: "2026-03-08T09:00:00+01:00" } });

/** What a write could have changed: the Task's version and ETag, and how many Tasks there are. */
async function state() {
  const task = await call("GET", `Task/${TASK}`);
  const count = await call("GET", "Task?_summary=count");
  return { version: task.json.meta.versionId, etag: task.headers.get("etag"), body: task.json, tasks: count.json.total };
}

interface Case {
  name: string;
  /** the element, as the OperationOutcome names it */
  expression: string;
  code: "structure" | "value";
  /** the Task with the fault, from a correct one */
  faulty: (task: Json) => Json;
  jsonPatch: unknown[];
  fhirPath: [type: string, path: string, ...parts: Json[]];
  /** a correct JSON Patch first, so that the element exists to be replaced */
  setup?: unknown[];
}

const cases: Case[] = [
  { name: "description as an object", expression: "Task.description", code: "structure",
    faulty: (t) => ({ ...t, description: { text: "x" } }),
    jsonPatch: [{ op: "replace", path: "/description", value: { text: "x" } }], fhirPath: ["replace", "Task.description", value({ text: "x" })] },
  { name: "executionPeriod.start as a number", expression: "Task.executionPeriod.start", code: "structure",
    faulty: (t) => ({ ...t, executionPeriod: { ...t.executionPeriod, start: 20260301 } }),
    jsonPatch: [{ op: "replace", path: "/executionPeriod/start", value: 20260301 }], fhirPath: ["replace", "Task.executionPeriod.start", value(20260301)] },
  { name: "identifier as an object, not a list", expression: "Task.identifier", code: "structure",
    faulty: (t) => ({ ...t, identifier: { system: "urn:x", value: "1" } }),
    jsonPatch: [{ op: "add", path: "/identifier", value: { system: "urn:x", value: "1" } }], fhirPath: ["replace", "Task.identifier", value({ system: "urn:x", value: "1" })] },
  { name: "output as an object, not a list", expression: "Task.output", code: "structure",
    faulty: (t) => ({ ...t, output: { type: { text: "Score" }, valueInteger: 3 } }),
    setup: [{ op: "add", path: "/output", value: [{ type: { text: "Score" }, valueInteger: 2 }] }],
    jsonPatch: [{ op: "replace", path: "/output", value: { type: { text: "Score" }, valueInteger: 3 } }], fhirPath: ["replace", "Task.output", value({ valueString: "3" })] },
  { name: "a reference as a number", expression: "Task.for.reference", code: "structure",
    faulty: (t) => ({ ...t, for: { reference: 42 } }),
    jsonPatch: [{ op: "replace", path: "/for/reference", value: 42 }], fhirPath: ["replace", "Task.for.reference", value(42)] },
  { name: "a date in the wrong format", expression: "Task.authoredOn", code: "value",
    faulty: (t) => ({ ...t, authoredOn: "01-03-2026" }),
    jsonPatch: [{ op: "add", path: "/authoredOn", value: "01-03-2026" }], fhirPath: ["add", "Task", { name: "name", valueString: "authoredOn" }, value("01-03-2026")] },
  { name: "a code that is not a string (status)", expression: "Task.status", code: "structure",
    faulty: (t) => ({ ...t, status: { code: "requested" } }),
    jsonPatch: [{ op: "replace", path: "/status", value: { code: "requested" } }], fhirPath: ["replace", "Task.status", value({ code: "requested" })] },
  { name: "an element FHIR R4 does not have", expression: "Task.colour", code: "structure",
    faulty: (t) => ({ ...t, colour: "blue" }),
    jsonPatch: [{ op: "add", path: "/colour", value: "blue" }], fhirPath: ["add", "Task", { name: "name", valueString: "colour" }, value("blue")] },
  { name: "an empty string", expression: "Task.description", code: "value",
    faulty: (t) => ({ ...t, description: "" }),
    jsonPatch: [{ op: "replace", path: "/description", value: "" }], fhirPath: ["replace", "Task.description", value("")] },
];

async function expectRefused(res: { status: number; json: Json }, c: Pick<Case, "code" | "expression">) {
  expect({ status: res.status, resourceType: res.json?.resourceType }).toEqual({ status: 400, resourceType: "OperationOutcome" });
  const issue = res.json.issue.find((i: Json) => i.expression?.[0] === c.expression);
  expect({ issues: res.json.issue.map((i: Json) => i.expression?.[0]), issue: issue && { code: issue.code, severity: issue.severity } })
    .toEqual({ issues: [c.expression], issue: { code: c.code, severity: "error" } });
  expect(issue.diagnostics).toStartWith(c.expression);
}

describe("a Task with one element of the wrong type or format is 400 and writes nothing", () => {
  for (const c of cases) {
    test(`${c.name}: create, update, JSON Patch, FHIRPath Patch`, async () => {
      if (c.setup) expect((await jsonPatch(c.setup)).status).toBe(200);
      const before = await state();
      await expectRefused(await call("POST", "Task", c.faulty(newTask())), c);
      await expectRefused(await call("PUT", `Task/${TASK}`, c.faulty(before.body)), c);
      await expectRefused(await jsonPatch(c.jsonPatch), c);
      await expectRefused(await fhirPathPatch(...c.fhirPath), c);
      expect(await state()).toEqual(before);
    });
  }

  test("the same changes, correct, are written (so the 400s above are the faults' doing)", async () => {
    const created = await call("POST", "Task", { ...newTask(), authoredOn: "2026-03-01", identifier: [{ system: "urn:x", value: "1" }] });
    expect(created.status).toBe(201);
    const patched = await jsonPatch([{ op: "replace", path: "/description", value: "Nieuwe tekst" }, { op: "replace", path: "/executionPeriod/start", value: "2026-03-02" }]);
    expect(patched.status).toBe(200);
    const viaFhirPath = await fhirPathPatch("add", "Task", { name: "name", valueString: "authoredOn" }, value("2026-03-01"));
    expect(viaFhirPath.status).toBe(200);
    expect((await call("GET", `Task/${TASK}`)).json).toMatchObject({ description: "Nieuwe tekst", executionPeriod: { start: "2026-03-02" }, authoredOn: "2026-03-01" });
  });

  test("several problems: one issue each, with its own element", async () => {
    const before = await state();
    const res = await call("POST", "Task", { ...newTask(), description: { text: "x" }, executionPeriod: { start: 5 }, colour: "blue", note: [{ text: "" }] });
    expect(res.status).toBe(400);
    expect(res.json.issue.map((i: Json) => [i.code, i.expression[0]]).sort()).toEqual([
      ["structure", "Task.colour"], ["structure", "Task.description"], ["structure", "Task.executionPeriod.start"], ["value", "Task.note[0].text"],
    ]);
    expect(await state()).toEqual(before);
  });
});

describe("a correct resource of every supported type is accepted (create and update)", () => {
  const resources: Json[] = [
    { resourceType: "Patient", identifier: [{ system: "urn:oid:2.16.528.1.1007.3.3.1", value: "1" }], name: [{ given: ["Eva", "Maria"], _given: [null, { extension: [{ url: "http://example.org/roepnaam", valueBoolean: true }] }], family: "Visser" }], birthDate: "1990-05-17", gender: "female" },
    { resourceType: "Practitioner", name: [{ text: "Dr. P. Test" }], active: true },
    { resourceType: "PractitionerRole", code: [{ text: "Huisarts" }], active: true },
    { resourceType: "Organization", name: "Testpraktijk", active: true },
    newTask(),
    { resourceType: "ActivityDefinition", status: "active", title: "Testmodule", url: "http://example.org/ActivityDefinition/test" },
    { resourceType: "ServiceRequest", status: "active", intent: "plan", subject: { reference: "Patient/patient-tom" }, code: { text: "Testplan" } },
    { resourceType: "Endpoint", status: "active", address: "http://module.localhost/launch", connectionType: { code: "hl7-fhir-rest" }, payloadType: [{ text: "any" }] },
    { resourceType: "Questionnaire", status: "draft", title: "Test", item: [{ linkId: "1", text: "Hoe gaat het?", type: "string" }] },
    { resourceType: "QuestionnaireResponse", status: "in-progress", subject: { reference: "Patient/patient-tom" }, item: [{ linkId: "1", answer: [{ valueString: "Goed" }] }] },
  ];
  for (const resource of resources) {
    test(resource.resourceType, async () => {
      const created = await call("POST", resource.resourceType, resource);
      expect([created.status, created.json.issue?.[0]?.diagnostics]).toEqual([201, undefined]);
      const changed = { ...created.json, language: "nl" };
      const updated = await call("PUT", `${resource.resourceType}/${created.json.id}`, changed);
      expect(updated.status).toBe(200);
      expect((await call("GET", `${resource.resourceType}/${created.json.id}`)).json).toMatchObject({ ...resource, language: "nl" });
    });
  }
});

describe("a PATCH that would remove or replace the whole resource is 400, not 500", () => {
  test("FHIRPath delete on Task, JSON Patch remove and replace on the root", async () => {
    const before = await state();
    const viaFhirPath = await fhirPathPatch("delete", "Task");
    expect([viaFhirPath.status, viaFhirPath.json.issue[0].code, viaFhirPath.json.issue[0].expression[0]]).toEqual([400, "invalid", "Task"]);
    const replace = await fhirPathPatch("replace", "Task", value("x"));
    expect([replace.status, replace.json.issue[0].expression[0]]).toEqual([400, "Task"]);
    for (const ops of [[{ op: "remove", path: "" }], [{ op: "replace", path: "", value: 5 }], [{ op: "add", path: "", value: [] }]]) {
      const res = await jsonPatch(ops);
      expect([res.status, res.json.resourceType, res.json.issue[0].code]).toEqual([400, "OperationOutcome", "invalid"]);
    }
    expect(await state()).toEqual(before);
  });
});

describe("empty search parameters are ignored (search.html#errors), with the warning of an ignored parameter", () => {
  test("_lastUpdated=, status=, _count=, _sort=, _include= and name= answer 200 like no parameter; 400 under handling=strict", async () => {
    const all = await call("GET", "Task?_summary=count");
    for (const query of ["_lastUpdated=", "status=", "status=,", "_count=", "_sort=", "_include=", "_lastUpdated=&status=requested"]) {
      const res = await call("GET", `Task?${query}`);
      expect([query, res.status, res.json.resourceType]).toEqual([query, 200, "Bundle"]);
      const warning = res.json.entry.find((e: Json) => e.search?.mode === "outcome")?.resource.issue[0];
      expect(warning).toMatchObject({ severity: "warning", code: "not-supported" });
      if (!query.includes("requested")) expect((await call("GET", `Task?${query}&_summary=count`)).json.total).toBe(all.json.total);
      const strict = await call("GET", `Task?${query}`, undefined, { Prefer: "handling=strict" });
      expect([query, strict.status, strict.json.issue[0].code]).toEqual([query, 400, "invalid"]);
    }
    expect((await call("GET", "Patient?name=")).status).toBe(200);
  });

  test("an empty If-None-Exist criterion is refused rather than ignored (a conditional create never widens)", async () => {
    const res = await call("POST", "Task", newTask(), { "If-None-Exist": "identifier=" });
    expect([res.status, res.json.issue[0].code]).toEqual([400, "invalid"]);
  });
});

describe("a PATCH result meets the rules a PUT of it would (SPEC §3)", () => {
  test("removing a required element (Task.for, Task.intent) is 422 and writes nothing", async () => {
    const before = (await call("GET", `Task/${TASK}`)).json;
    for (const path of ["/for", "/intent"]) {
      const res = await jsonPatch([{ op: "remove", path }]);
      expect([path, res.status, res.json.issue[0].expression]).toEqual([path, 422, [`Task.${path.slice(1)}`]]);
    }
    expect((await call("GET", `Task/${TASK}`)).json.meta.versionId).toBe(before.meta.versionId);
  });
});
