/**
 * A task outside its executionPeriod (issue 12 §1): the PGO says "Te starten vanaf <datum>" or
 * "Verlopen op <datum>", offers no "Taak starten", and its start route refuses (409) without asking
 * the DVA for a launch code; a completed task still opens its answers after its period.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { formatDay } from "../../src/shared/time.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
const DAY = 86_400_000;
const pgo = () => sandbox.url("pgo");
const page = async (path: string) => (await get(`${pgo()}${path}`, { headers: { cookie: tom } })).text();
const taskPath = (id: string) => `/taken/delinde%40medmij/${id}`;
const launchCodeRequests = () => sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.type === "receive_token_request" && JSON.stringify(l).includes("token-exchange")).length;

/** A copy of Tom's intake at the DVA with another period (the clinician's system writes it). */
async function taskWithPeriod(id: string, start: Date, end: Date): Promise<void> {
  const token = await systemToken(sandbox, "his-delinde");
  const intake = (await fhir(sandbox, token, "GET", "Task/task-tom-delinde-intake")).json;
  const res = await fhir(sandbox, token, "PUT", `Task/${id}`, { body: { ...intake, meta: { profile: intake.meta.profile, tag: intake.meta.tag }, id,
    identifier: [{ system: "https://example.org/test", value: id }],
    executionPeriod: { start: start.toISOString(), end: end.toISOString() } } });
  expect(res.status).toBeLessThan(300);
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoLogin(sandbox, "tom");
  await taskWithPeriod("task-tom-verlopen", new Date(Date.now() - 20 * DAY), new Date(Date.now() - 6 * DAY));
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
});
afterAll(() => sandbox.stop());

describe("a task outside its executionPeriod", () => {
  test("not started yet (Tom's repeat MRC): 'Te starten vanaf <datum>' on the task page and the overview, no start button, the start route is 409", async () => {
    const mrc2 = (await fhir(sandbox, await systemToken(sandbox, "his-delinde"), "GET", "Task/task-tom-delinde-mrc-2")).json;
    const from = `Te starten vanaf ${formatDay(mrc2.executionPeriod.start)}`;
    const detail = await page(taskPath("task-tom-delinde-mrc-2"));
    expect(detail).toContain(from);
    expect(detail).not.toContain(">Taak starten<");
    expect(await page("/taken")).toContain(from);

    const before = launchCodeRequests();
    const start = await get(`${pgo()}${taskPath("task-tom-delinde-mrc-2")}/starten`, { method: "POST",
      headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: hiddenInput(detail, "_csrf") }) });
    expect(start.status).toBe(409);
    const body = await start.text();
    expect(body).toContain(from);
    expect(body).not.toContain("Technische storing");
    expect(launchCodeRequests()).toBe(before); // the PGO did not ask the DVA
  });

  test("ended: 'Verlopen op <datum>', no start button, 409; a task within its period still starts", async () => {
    const detail = await page(taskPath("task-tom-verlopen"));
    const on = `Verlopen op ${formatDay(new Date(Date.now() - 6 * DAY))}`;
    expect(detail).toContain(on);
    expect(detail).not.toContain(">Taak starten<");
    expect(await page("/taken")).toContain(on);
    const start = await get(`${pgo()}${taskPath("task-tom-verlopen")}/starten`, { method: "POST",
      headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: hiddenInput(detail, "_csrf") }) });
    expect(start.status).toBe(409);

    const running = await page(taskPath("task-tom-delinde-intake"));
    expect(running).toContain(">Taak starten<");
    expect(running).not.toContain("Te starten vanaf");
    expect(running).not.toContain("Verlopen op");
    // Within its period a start does ask the DVA for a launch code (so the counts above mean something).
    const before = launchCodeRequests();
    const started = await get(`${pgo()}${taskPath("task-tom-delinde-intake")}/starten`, { method: "POST",
      headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: hiddenInput(running, "_csrf") }) });
    expect(started.status).toBe(303);
    expect(launchCodeRequests()).toBe(before + 1);
  });

  test("a completed task after its period still opens its answers, and says when it was done (AM-FE-026)", async () => {
    const mrc1 = (await fhir(sandbox, await systemToken(sandbox, "his-delinde"), "GET", "Task/task-tom-delinde-mrc-1")).json;
    expect(Date.parse(mrc1.executionPeriod.end)).toBeLessThan(Date.now());
    const detail = await page(taskPath("task-tom-delinde-mrc-1"));
    expect(detail).toContain(">Antwoorden bekijken<");
    expect(detail).not.toContain("Verlopen op");
    expect(detail).toContain(`${formatDay(mrc1.lastModified)} om `);
    expect(await page("/taken?groep=klaar")).toContain(`Afgerond op ${formatDay(mrc1.lastModified)} om `);
  });
});
