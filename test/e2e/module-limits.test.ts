/**
 * Issue 10 item 5: a module may only write what its launch allows, and SMART scopes (v1 and v2)
 * hold on every read and write of a module token. Tokens come from the real flows over HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { EXT_QR_TASK } from "../../src/shared/fhir-profiles.ts";
import { moduleToken } from "../helpers/dva.ts";
import { fhir, matchIds, systemToken, type Json } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const INTAKE = "task-tom-delinde-intake";
let sandbox: Sandbox;
let module: string;
let linde: string;
let koosAnswers: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  module = (await moduleToken(sandbox, { task: INTAKE })).module.access_token;
  linde = await systemToken(sandbox, "his-delinde");
  // Koos's answers to his own De Linde task, written by the practice's system.
  koosAnswers = (await fhir(sandbox, linde, "POST", "QuestionnaireResponse", { body: answers("task-koos-delinde-stress", "patient-koos", "completed") })).json.id;
});
afterAll(() => sandbox.stop());

function answers(task: string, patient = "patient-tom", status = "in-progress"): Json {
  return { resourceType: "QuestionnaireResponse", status, questionnaire: "https://medmij-sandbox.example/fhir/Questionnaire/copd-intake",
    subject: { reference: `Patient/${patient}` }, extension: [{ url: EXT_QR_TASK, valueReference: { reference: `Task/${task}` } }], item: [] };
}
const patch = (token: string, id: string, ops: unknown[]) =>
  fhir(sandbox, token, "PATCH", `Task/${id}`, { body: ops, headers: { "content-type": "application/json-patch+json" } });
const output = (reference: string) => [{ op: "add", path: "/output", value: [{ type: { text: "QuestionnaireResponse" }, valueReference: { reference } }] }];

describe("a module writes only what its launch allows", () => {
  test("Task.output may point only at a QuestionnaireResponse of this patient that answers this Task", async () => {
    const refusals: [string, string][] = [
      ["another patient's answers", `QuestionnaireResponse/${koosAnswers}`],
      ["the same patient's answers to another task", "QuestionnaireResponse/qr-tom-delinde-mrc-1"],
      ["answers that do not exist", "QuestionnaireResponse/nothing"],
      ["something that is not a QuestionnaireResponse", "Patient/patient-koos"],
      ["another server", "http://elders.example/fhir/QuestionnaireResponse/x"],
    ];
    for (const [why, reference] of refusals) {
      const res = await patch(module, INTAKE, output(reference));
      expect([why, res.status, res.json.issue?.[0]?.expression?.[0]]).toEqual([why, 422, "Task.output[0].valueReference"]);
    }
    const own = await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: answers(INTAKE) });
    expect(own.status).toBe(201);
    const done = await patch(module, INTAKE, [{ op: "replace", path: "/status", value: "in-progress" }, ...output(`QuestionnaireResponse/${own.json.id}`)]);
    expect(done.status).toBe(200);
    // The clinician's result page reads what the module wrote: Tom's own answers.
    expect((await fhir(sandbox, linde, "GET", `Task/${INTAKE}`)).json.output[0].valueReference.reference).toBe(`QuestionnaireResponse/${own.json.id}`);
  });

  test("never meta (the DataService tag that puts the task in the PGO) or other elements", async () => {
    for (const [element, ops] of [
      ["meta", [{ op: "remove", path: "/meta/tag" }]],
      ["lastModified", [{ op: "replace", path: "/lastModified", value: "2000-01-01T00:00:00Z" }]],
      ["for", [{ op: "replace", path: "/for", value: { reference: "Patient/patient-koos" } }]],
      ["requester", [{ op: "remove", path: "/requester" }]],
    ] as [string, unknown[]][]) {
      const res = await patch(module, INTAKE, ops);
      expect([element, res.status, res.json.issue[0].expression[0]]).toEqual([element, 422, `Task.${element}`]);
    }
    const task = (await fhir(sandbox, linde, "GET", `Task/${INTAKE}`)).json;
    expect(task.meta.tag).toEqual([{ system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.7" }]);
    // statusReason and businessStatus are the module's to set.
    expect((await patch(module, INTAKE, [{ op: "add", path: "/businessStatus", value: { text: "Deel 1 van 3 ingevuld" } }])).status).toBe(200);
  });

  test("answers only of its patient to its Task; a completed response changes only by amendment", async () => {
    expect((await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: answers("task-tom-delinde-mrc-1") })).json.issue[0].expression).toEqual(["QuestionnaireResponse.extension"]);
    const { extension: _none, ...withoutTask } = answers(INTAKE);
    expect((await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: withoutTask })).status).toBe(422);
    expect((await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: answers(INTAKE, "patient-koos") })).json.issue[0].expression).toEqual(["QuestionnaireResponse.subject"]);
    // A value of the wrong type is a 400 naming the element (issue 11 item 4), never a 500.
    const typed = await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: { ...answers(INTAKE), subject: { reference: 5 } } });
    expect([typed.status, typed.json.issue[0].expression]).toEqual([400, ["QuestionnaireResponse.subject.reference"]]);
    // Another task's completed answers of the same patient: neither overwritten nor taken over.
    const mrc = (await fhir(sandbox, linde, "GET", "QuestionnaireResponse/qr-tom-delinde-mrc-1")).json;
    expect((await fhir(sandbox, module, "PUT", "QuestionnaireResponse/qr-tom-delinde-mrc-1", { body: { ...mrc, item: [] } })).status).toBe(403);
    expect((await fhir(sandbox, module, "PUT", "QuestionnaireResponse/qr-tom-delinde-mrc-1", { body: { ...answers(INTAKE), id: "qr-tom-delinde-mrc-1" } })).status).toBe(403);
    expect((await fhir(sandbox, linde, "GET", "QuestionnaireResponse/qr-tom-delinde-mrc-1")).json.item).toEqual(mrc.item);

    const completed = await fhir(sandbox, module, "POST", "QuestionnaireResponse", { body: answers(INTAKE, "patient-tom", "completed") });
    const again = await fhir(sandbox, module, "PUT", `QuestionnaireResponse/${completed.json.id}`, { body: { ...completed.json, item: [{ linkId: "x" }] } });
    expect(again.status).toBe(422);
    expect(again.json.issue[0].expression).toEqual(["QuestionnaireResponse.status"]);
    expect((await fhir(sandbox, module, "PUT", `QuestionnaireResponse/${completed.json.id}`, { body: { ...completed.json, status: "amended" } })).status).toBe(200);
    // Amended answers stay amended: no way back to in-progress and a new completion.
    const reopened = await fhir(sandbox, module, "PUT", `QuestionnaireResponse/${completed.json.id}`, { body: { ...completed.json, status: "in-progress" } });
    expect(reopened.status).toBe(422);
    expect((await fhir(sandbox, module, "PUT", `QuestionnaireResponse/${completed.json.id}`, { body: { ...completed.json, status: "amended", item: [{ linkId: "y" }] } })).status).toBe(200);
  });

  test("a module launched from one zorgaanbieder's consent sees that one's data only", async () => {
    const berkModule = (await moduleToken(sandbox, { task: "task-tom-fysiodeberk-ademhaling", scope: "fysiodeberk" })).module.access_token;
    expect(matchIds((await fhir(sandbox, berkModule, "GET", "Task?_count=100")).json)).toEqual(["Task/task-tom-fysiodeberk-ademhaling", "Task/task-tom-fysiodeberk-mrc-start"]);
    expect((await fhir(sandbox, berkModule, "GET", `Task/${INTAKE}`)).status).toBe(404);
    expect((await fhir(sandbox, berkModule, "GET", "ActivityDefinition/ad-delinde-copd-intake")).status).toBe(404);
    expect((await fhir(sandbox, berkModule, "GET", "ActivityDefinition/ad-fysiodeberk-ademhalingsoefeningen")).status).toBe(200);
  });
});

describe("SMART scopes on every read and write of a module token", () => {
  const tokenWith = async (moduleScope: string) => (await moduleToken(sandbox, { task: "task-tom-delinde-leven-met-copd", moduleScope })).module;

  test("granted `launch` only: nothing to read or write (403 insufficient_scope)", async () => {
    const t = await tokenWith("launch");
    expect(t.scope).toBe("launch");
    for (const [method, path, body] of [["GET", "Task/task-tom-delinde-leven-met-copd"], ["GET", "Task"], ["GET", "Patient/patient-tom"],
      ["GET", "QuestionnaireResponse?_count=10"], ["GET", "Task/task-tom-delinde-leven-met-copd/_history"],
      ["POST", "QuestionnaireResponse", answers("task-tom-delinde-leven-met-copd")]] as [string, string, Json?][]) {
      const res = await fhir(sandbox, t.access_token, method, path, body ? { body } : {});
      expect([method, path, res.status, res.json.issue[0].code]).toEqual([method, path, 403, "forbidden"]);
      expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    }
    expect((await patch(t.access_token, "task-tom-delinde-leven-met-copd", [{ op: "replace", path: "/status", value: "completed" }])).status).toBe(403);
  });

  test("v2 `.rs` reads and searches but does not write; v1 `.write` writes but does not read", async () => {
    const reader = await tokenWith("launch patient/Task.rs");
    expect((await fhir(sandbox, reader.access_token, "GET", "Task/task-tom-delinde-leven-met-copd")).status).toBe(200);
    expect((await fhir(sandbox, reader.access_token, "GET", "Task")).status).toBe(200);
    expect((await fhir(sandbox, reader.access_token, "GET", "Patient/patient-tom")).status).toBe(403);
    expect((await patch(reader.access_token, "task-tom-delinde-leven-met-copd", [{ op: "add", path: "/businessStatus", value: { text: "x" } }])).status).toBe(403);
    // An _include of a type the scope does not cover is left out, not leaked.
    const included = await fhir(sandbox, reader.access_token, "GET", "Task?_include=Task:digital-activity&_include=Task:patient");
    expect((included.json.entry as Json[]).filter((e) => e.search.mode === "include")).toEqual([]);

    const writer = await tokenWith("launch patient/Task.write");
    expect((await fhir(sandbox, writer.access_token, "GET", "Task/task-tom-delinde-leven-met-copd")).status).toBe(403);
    expect((await patch(writer.access_token, "task-tom-delinde-leven-met-copd", [{ op: "add", path: "/businessStatus", value: { text: "x" } }])).status).toBe(200);
    const reads = await tokenWith("launch patient/*.read");
    expect((await fhir(sandbox, reads.access_token, "POST", "QuestionnaireResponse", { body: answers("task-tom-delinde-leven-met-copd") })).status).toBe(403);
    const cu = await tokenWith("launch patient/QuestionnaireResponse.cu");
    expect((await fhir(sandbox, cu.access_token, "POST", "QuestionnaireResponse", { body: answers("task-tom-delinde-leven-met-copd") })).status).toBe(201);
  });

  test("scopes the DVA does not grant are left out of the grant, not a refusal; `scope` says what was granted", async () => {
    const t = await tokenWith("launch fhirUser openid profile offline_access patient/Patient.read patient/Task.cu patient/Observation.rs "
      + "patient/QuestionnaireResponse.rs?status=completed user/*.read system/*.* patient/Task.bogus");
    expect(t.scope).toBe("launch fhirUser openid patient/Patient.read patient/Task.cu patient/QuestionnaireResponse.rs?status=completed");
    // openid with fhirUser: an id_token naming the person (issue 15, SMART), signed by the DVA for this module.
    const idToken = (t as unknown as { id_token?: string }).id_token!;
    const claims = JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({ fhirUser: "Patient/patient-tom", aud: "zorgmodules-zorgnet", iss: sandbox.url("auth.zorgnet") });
    expect((await fhir(sandbox, t.access_token, "GET", "Patient/patient-tom")).status).toBe(200);
    // A query restriction is accepted and not evaluated (README "Scopes").
    expect((await fhir(sandbox, t.access_token, "GET", "QuestionnaireResponse?_count=10")).status).toBe(200);
  });
});
