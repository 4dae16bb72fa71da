/**
 * pt-ExecutionOrder (ProviderTasks 1.0.0-alpha.2, issue 15 §2): the seed gives a repeated
 * activity's rounds one ExecutionOrder with the schedule (occurrenceTiming) and the instruction,
 * which the Tasks name as `focus`; the PGO includes `Task:focus` and shows both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { executionOrderText } from "../../src/pgo/sync.ts";
import { executionOrderResource } from "../../src/shared/provider-task.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

describe("pt-ExecutionOrder", () => {
  test("the seed: Tom's two MRC rounds three weeks apart share one, the focus of both", async () => {
    const token = await systemToken(sandbox, "his-delinde");
    const rounds = await Promise.all(["task-tom-delinde-mrc-1", "task-tom-delinde-mrc-2"].map(async (id) => (await fhir(sandbox, token, "GET", `Task/${id}`)).json));
    expect(rounds[0]!.focus.reference).toBe(rounds[1]!.focus.reference);
    const order = (await fhir(sandbox, token, "GET", rounds[0]!.focus.reference)).json;
    expect(order).toMatchObject({ resourceType: "ServiceRequest", intent: "order", meta: { profile: ["http://medmij.nl/fhir/StructureDefinition/pt-ExecutionOrder"] },
      occurrenceTiming: { repeat: { count: 2, period: 3, periodUnit: "wk" } } });
    // A single task has none.
    expect((await fhir(sandbox, token, "GET", "Task/task-tom-delinde-intake")).json.focus).toBeUndefined();
  });

  test("the PGO includes Task:focus and shows the schedule", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
    const page = await (await get(`${sandbox.url("pgo")}/taken/delinde%40medmij/task-tom-delinde-mrc-2`, { headers: { cookie: tom } })).text();
    expect(page).toMatch(/<strong>Schema:<\/strong> <span>Elke 3 weken, 2 keer, vanaf \d+ \w+ \d{4}<\/span>/);
    const overview = await (await get(`${sandbox.url("pgo")}/taken`, { headers: { cookie: tom } })).text();
    expect(overview).toContain("Elke 3 weken, 2 keer");
  });

  test("invariant pt-ExecutionOrder-01 (occurrence or patientInstruction); another party's odd values are left out, never a crash", () => {
    const ref = { reference: "Patient/x" };
    expect(() => executionOrderResource({ identifier: { system: "s", value: "v" }, patient: ref, requester: ref })).toThrow("pt-ExecutionOrder-01");
    expect(executionOrderText({ resourceType: "ServiceRequest", patientInstruction: "Nuchter meten" })).toEqual({ schedule: null, instruction: "Nuchter meten" });
    expect(executionOrderText({ resourceType: "ServiceRequest", occurrenceTiming: { repeat: { period: "elke", periodUnit: 7, count: {} } }, patientInstruction: 12 }))
      .toEqual({ schedule: null, instruction: "12" });
    expect(executionOrderText({ resourceType: "ServiceRequest", occurrenceTiming: { repeat: { period: 1, periodUnit: "d", frequency: 2 } } }).schedule).toBe("Elke dag 2 keer");
    expect(executionOrderText({ resourceType: "ServiceRequest", occurrenceDateTime: "2026-12-24T10:00:00Z" }).schedule).toBe("Op 24 december 2026");
    expect(executionOrderText({ resourceType: "Observation" })).toEqual({ schedule: null, instruction: null });
    expect(executionOrderText(undefined)).toEqual({ schedule: null, instruction: null });
  });
});
