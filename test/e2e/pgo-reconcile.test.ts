/**
 * The PGO's copy follows the DVA (issue 11 item 7). A Task that the zorgaanbieder's system moves
 * to another patient no longer reaches Tom's PGO, and an incremental collection never learns that
 * it went. "Verversen" and a periodic full collection replace the copy; a task page that finds the
 * Task gone at the DVA drops it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { pgoSession, postForm } from "../helpers/journey.ts";
import { pgoConnect } from "../helpers/pgo.ts";
import { get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
let his: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  his = await systemToken(sandbox, "his-delinde");
  tom = await pgoSession(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012", "long");
});
afterAll(() => sandbox.stop());
afterEach(() => setSystemTime());

const pgo = () => sandbox.url("pgo");
const overview = async () => (await get(`${pgo()}/taken`, { headers: { cookie: tom } })).text();
const taskLink = (id: string) => `/taken/delinde%40medmij/${id}"`;

/** The HIS gives one of Tom's Tasks to Koos (a system client PUTs `for`); the DVA then hides it from Tom (404). */
async function moveToKoos(id: string) {
  const task = (await fhir(sandbox, his, "GET", `Task/${id}`)).json;
  const moved = await fhir(sandbox, his, "PUT", `Task/${id}`, { body: { ...task, for: { reference: "Patient/patient-koos", display: "Koos de Groot" } } });
  expect(moved.status).toBe(200);
}

describe("the PGO's copy follows the DVA", () => {
  test("Verversen: a Task moved to Koos is gone from Tom's overview and its page", async () => {
    const id = "task-tom-delinde-medicatiecheck";
    const before = await overview();
    expect(before).toContain(taskLink(id));
    await moveToKoos(id);
    await postForm(`${pgo()}/taken/verversen`, tom, { _csrf: hiddenInput(before, "_csrf") });
    const after = await overview();
    expect(after).not.toContain(taskLink(id));
    expect(after).toContain(taskLink("task-tom-delinde-intake"));
    const page = await get(`${pgo()}/taken/delinde%40medmij/${id}`, { headers: { cookie: tom } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("Taak niet gevonden");
  });

  test("opening the page of a Task that is gone at the DVA says so and drops it from the overview", async () => {
    const id = "task-tom-delinde-mrc-2";
    expect(await overview()).toContain(taskLink(id));
    await moveToKoos(id);
    const page = await get(`${pgo()}/taken/delinde%40medmij/${id}`, { headers: { cookie: tom } });
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain("Taak niet gevonden");
    expect(html).toContain("heeft deze taak niet meer voor je klaarstaan");
    // No collection in between (the copy is minutes old): the row itself went.
    expect(await overview()).not.toContain(taskLink(id));
    // A Task that is still there opens as before, with what the DVA says now.
    const intake = await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake`, { headers: { cookie: tom } });
    expect(intake.status).toBe(200);
    expect(await intake.text()).toContain("Taak starten");
  });

  test("periodically: incremental collections keep the moved Task, the hourly full collection drops it", async () => {
    const id = "task-tom-delinde-leven-met-copd";
    expect(await overview()).toContain(taskLink(id));
    await moveToKoos(id);
    const start = Date.now();
    // 6 minutes on: the overview collects incrementally, which cannot see a Task leave.
    setSystemTime(new Date(start + 6 * 60_000));
    expect(await overview()).toContain(taskLink(id));
    const state = sandbox.ctx.db.query<{ url: string | null }, []>("SELECT url FROM pgo_sync WHERE zorgaanbieder = 'delinde@medmij'").get();
    expect(state?.url ?? "").toContain("_lastUpdated=gt");
    // An hour after the last full collection the next one is full again and replaces the copy.
    setSystemTime(new Date(start + 61 * 60_000));
    const later = await overview();
    expect(later).not.toContain(taskLink(id));
    expect(later).not.toContain("opnieuw toestemming geven");
    expect(later).toContain(taskLink("task-tom-delinde-intake"));
  });
});
