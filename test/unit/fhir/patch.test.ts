import { describe, expect, test } from "bun:test";
import { patchTask, type FhirContext } from "../../../src/dva/fhir/rest.ts";
import { FhirStore } from "../../../src/dva/fhir/store.ts";
import { OperationOutcomeError } from "../../../src/shared/operation-outcome.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { EXT_QR_TASK } from "../../../src/shared/fhir-profiles.ts";

function setup() {
  const store = new FhirStore(openDatabase(":memory:"));
  store.save("d", { resourceType: "Task", id: "t1", status: "requested", intent: "order", for: { reference: "Patient/p1" }, description: "x" });
  store.save("d", { resourceType: "Task", id: "t2", status: "requested", intent: "order", for: { reference: "Patient/p1" } });
  // The module's answers to its launched Task (Task.output may only point at these).
  store.save("d", { resourceType: "QuestionnaireResponse", id: "q", status: "completed", subject: { reference: "Patient/p1" },
    extension: [{ url: EXT_QR_TASK, valueReference: { reference: "Task/t1" } }] });
  const ctx: FhirContext = { dva: "d", fhirBase: "http://fhir/fhir", store, now: () => new Date("2026-11-23T10:00:00Z"), networkAgbs: [],
    access: { kind: "module", clientId: "m", patient: "p1", task: "Task/t1", scopes: ["patient/Task.*"], zorgaanbieder: "", dva: "d", fhir: store,
      rule: { own: new Set(), others: new Set(), publishers: new Map() } } };
  return { store, ctx };
}

const code = (f: () => unknown) => {
  try { f(); } catch (e) { return [(e as OperationOutcomeError).status, (e as OperationOutcomeError).issue.code]; }
  return null;
};

describe("JSON Patch on Task (RFC 6902 via fast-json-patch)", () => {
  test("replace status and add output; lastModified set; version bumped", () => {
    const { ctx } = setup();
    patchTask(ctx, "t1", [{ op: "replace", path: "/status", value: "in-progress" }], 'W/"1"');
    const done = patchTask(ctx, "t1", [{ op: "replace", path: "/status", value: "completed" },
      { op: "add", path: "/output", value: [{ type: { text: "QuestionnaireResponse" }, valueReference: { reference: "QuestionnaireResponse/q" } }] }], null);
    expect(done.body).toMatchObject({ status: "completed", lastModified: "2026-11-23T10:00:00.000Z", meta: { versionId: "3" } });
    expect(done.etag).toBe('W/"3"');
  });

  test("test op failing, bad paths and non-arrays are 400; stale If-Match 412", () => {
    const { ctx } = setup();
    expect(code(() => patchTask(ctx, "t1", [{ op: "test", path: "/status", value: "completed" }], null))).toEqual([400, "invalid"]);
    expect(code(() => patchTask(ctx, "t1", [{ op: "remove", path: "/nope" }], null))).toEqual([400, "invalid"]);
    expect(code(() => patchTask(ctx, "t1", { op: "replace" }, null))).toEqual([400, "invalid"]);
    expect(code(() => patchTask(ctx, "t1", [], 'W/"7"'))).toEqual([412, "conflict"]);
    expect(code(() => patchTask(ctx, "t1", [], "garbage"))).toEqual([400, "invalid"]);
  });

  test("a module changes only status/output of its own Task", () => {
    const { ctx } = setup();
    expect(code(() => patchTask(ctx, "t2", [{ op: "replace", path: "/status", value: "in-progress" }], null))).toEqual([404, "not-found"]);
    expect(code(() => patchTask(ctx, "t1", [{ op: "replace", path: "/description", value: "y" }], null))).toEqual([422, "business-rule"]);
    expect(code(() => patchTask(ctx, "t1", [{ op: "replace", path: "/id", value: "t9" }], null))).toEqual([400, "invalid"]);
  });
});

describe("FHIRPath Patch (Parameters)", () => {
  const op = (...parts: object[]) => ({ name: "operation", part: parts });
  test("replace status, add output (a backbone built from parts), delete", () => {
    const { ctx } = setup();
    patchTask(ctx, "t1", { resourceType: "Parameters", parameter: [op({ name: "type", valueCode: "replace" }, { name: "path", valueString: "Task.status" }, { name: "value", valueCode: "in-progress" })] }, null);
    const res = patchTask(ctx, "t1", { resourceType: "Parameters", parameter: [
      op({ name: "type", valueCode: "replace" }, { name: "path", valueString: "Task.status" }, { name: "value", valueCode: "completed" }),
      op({ name: "type", valueCode: "add" }, { name: "path", valueString: "Task" }, { name: "name", valueString: "output" },
        { name: "value", part: [{ name: "type", valueCodeableConcept: { text: "QuestionnaireResponse" } }, { name: "valueReference", valueReference: { reference: "QuestionnaireResponse/q" } }] }),
    ] }, null);
    expect(res.body).toMatchObject({ status: "completed", output: [{ type: { text: "QuestionnaireResponse" }, valueReference: { reference: "QuestionnaireResponse/q" } }] });
  });

  test("unsupported operations and paths are 400 not-supported", () => {
    const { ctx } = setup();
    expect(code(() => patchTask(ctx, "t1", { resourceType: "Parameters", parameter: [op({ name: "type", valueCode: "move" }, { name: "path", valueString: "Task.status" })] }, null))).toEqual([400, "not-supported"]);
    expect(code(() => patchTask(ctx, "t1", { resourceType: "Parameters", parameter: [op({ name: "type", valueCode: "replace" }, { name: "path", valueString: "Task.input.where(x)" }, { name: "value", valueCode: "y" })] }, null))).toEqual([400, "not-supported"]);
    expect(code(() => patchTask(ctx, "t1", { resourceType: "Parameters", parameter: [] }, null))).toEqual([400, "invalid"]);
  });
});
