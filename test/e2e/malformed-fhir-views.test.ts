/**
 * Views render defensively (issue 11 item 2): a Task with elements of the wrong type, as a DVA
 * outside the sandbox (which need not validate) could send it, is stored straight in the FHIR
 * store, past the DVA's checks. The PGO overview, the task page and the clinician portal's
 * patient page still answer 200 and show the rest; so does a PGO copy made before the views
 * were built defensively.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FhirStore } from "../../src/dva/fhir/store.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { DATA_SERVICE_TAG, DIGITAL_ACTIVITY_EXTENSIONS, TASK_PROFILE } from "../../src/shared/fhir-profiles.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  // What an external DVA could send: every element a view reads, of the wrong type.
  new FhirStore(sandbox.ctx.db).save("zorgnet", {
    resourceType: "Task", id: "task-tom-delinde-kapot", meta: { profile: [TASK_PROFILE], tag: [{ ...DATA_SERVICE_TAG }] },
    status: "requested", intent: "order", for: { reference: "Patient/patient-tom" },
    code: { text: "Kapotte taak" },
    description: { text: "een object waar tekst hoort" },
    executionPeriod: { start: 20260301, end: ["2026-03-08"] },
    identifier: { system: "urn:x", value: 1 },
    output: { type: { text: "Score" }, valueInteger: 3, valueReference: { reference: 5 } },
    note: { text: "geen lijst" },
    basedOn: { display: 7 },
    requester: { reference: 5, display: { text: "x" } },
    statusReason: "geen object",
    lastModified: { at: "nu" },
    extension: [{ url: DIGITAL_ACTIVITY_EXTENSIONS[0], valueReference: { reference: 42 } }, null],
  } as never, { now: new Date(), registeredBy: undefined });
});
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const xis = () => sandbox.url("xis");

describe("a malformed Task from the DVA", () => {
  test("the PGO overview and the task page answer 200 and show the other tasks", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
    const overview = await get(`${pgo()}/taken`, { headers: { cookie: tom } });
    const html = await overview.text();
    expect(overview.status).toBe(200);
    expect(html).toContain("Kapotte taak");
    expect(html).toContain("Intakevragenlijst kortademigheid");
    expect(html).not.toContain("[object Object]");
    const page = await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-kapot`, { headers: { cookie: tom } });
    const detail = await page.text();
    expect(page.status).toBe(200);
    expect(detail).toContain("Kapotte taak");
    expect(detail).not.toContain("[object Object]");
  });

  test("a PGO copy made before: a cached view with objects where text belongs still renders", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    // The copy as an older PGO stored it from the Task above (taskView passed the values on as they were).
    sandbox.ctx.db.query("UPDATE pgo_task SET json = ? WHERE task_id = 'task-tom-delinde-kapot'").run(JSON.stringify({
      id: "task-tom-delinde-kapot", status: "requested", title: "Kapotte taak", description: { text: "x" }, group: { display: 7 }, requester: null,
      start: 20260301, end: ["2026-03-08"], lastModified: { at: "nu" }, reason: null, note: null, module: null }));
    const overview = await get(`${pgo()}/taken`, { headers: { cookie: tom } });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("Intakevragenlijst kortademigheid");
    expect((await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-kapot`, { headers: { cookie: tom } })).status).toBe(200);
  });

  test("the portal's patient page and its live task table answer 200 and show the other tasks", async () => {
    const login = await get(`${xis()}/login`);
    const res = await get(`${xis()}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookiesOf(login) },
      body: new URLSearchParams({ _csrf: hiddenInput(await login.text(), "_csrf"), username: "dehaard", password: "dehaard", next: "/" }) });
    const jar = cookiesOf(res, cookiesOf(login));
    for (const path of ["/patienten/patient-tom", "/patienten/patient-tom/taken", "/patienten"]) {
      const page = await get(`${xis()}${path}`, { headers: { cookie: jar } });
      const html = await page.text();
      expect([path, page.status]).toEqual([path, 200]);
      expect(html).not.toContain("[object Object]");
      if (path !== "/patienten") {
        expect(html).toContain("Kapotte taak");
        expect(html).toContain("Intakevragenlijst kortademigheid");
      }
    }
    // The result page of the malformed Task is a page too, never a 500.
    expect((await get(`${xis()}/taken/task-tom-delinde-kapot/resultaat`, { headers: { cookie: jar } })).status).toBeLessThan(500);
  });
});
