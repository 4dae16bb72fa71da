import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { throughDva } from "../helpers/dva.ts";
import { pgoLogin, pgoStartConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let pgoCookies: string;
let dvaCookies: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  pgoCookies = await pgoLogin(sandbox, "tom");
  const { redirect, cookies } = await throughDva(sandbox, await pgoStartConnect(sandbox, pgoCookies, "delinde@medmij"), { bsn: "999991012", kind: "long" });
  dvaCookies = cookies;
  await get(redirect.href, { headers: { cookie: pgoCookies } });
});
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const module = () => sandbox.url("module");

/** PGO "Taak starten" → module /launch → DVA /connect/authorize (DVA session) → module callback → /taak. */
async function launch(task: string) {
  const page = await (await get(`${pgo()}/taken/delinde%40medmij/${task}`, { headers: { cookie: pgoCookies } })).text();
  const started = await get(`${pgo()}/taken/delinde%40medmij/${task}/starten`, { method: "POST", headers: { cookie: pgoCookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf") }) });
  const launchRes = await get(started.headers.get("location")!);
  expect(launchRes.status).toBe(303);
  let moduleCookies = cookiesOf(launchRes);
  const authorize = await get(launchRes.headers.get("location")!, { headers: { cookie: dvaCookies } });
  expect(authorize.status).toBe(302);
  const callback = await get(authorize.headers.get("location")!, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(callback, moduleCookies);
  return { callback, moduleCookies };
}

describe("the module (start of issue 6): launch, information module, return to the PGO", () => {
  test("Tom reads 'Leven met COPD', presses Gelezen, returns; the task is in Klaar without logging in again", async () => {
    const { callback, moduleCookies } = await launch("task-tom-delinde-leven-met-copd");
    expect(callback.headers.get("location")).toBe("/taak");
    const taakRes = await get(`${module()}/taak`, { headers: { cookie: moduleCookies } });
    const jar = cookiesOf(taakRes, moduleCookies);
    const taak = await taakRes.text();
    expect(taak).toContain("Hallo Tom,");
    expect(taak).toContain("Informatie: leven met COPD");
    expect(taak).toContain("Video: ademhalingsoefeningen bij COPD");
    const read = await get(`${module()}/taak/gelezen`, { method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(taak, "_csrf") }) });
    expect(read.status).toBe(303);
    const done = await (await get(`${module()}/taak`, { headers: { cookie: jar } })).text();
    expect(done).toContain("Deze taak is afgerond.");
    const back = await get(`${module()}/terug`, { method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(done, "_csrf") }) });
    expect(back.headers.get("location")).toStartWith(`${pgo()}/launch_callback?`);
    const returned = await get(back.headers.get("location")!, { headers: { cookie: pgoCookies } });
    expect(returned.headers.get("location")).toBe("/taken?groep=klaar&gemarkeerd=task-tom-delinde-leven-met-copd");
    const klaar = await (await get(`${pgo()}${returned.headers.get("location")}`, { headers: { cookie: pgoCookies } })).text();
    expect(klaar).toContain("Informatie: leven met COPD");
    expect(klaar).toContain("bijgewerkt</span>");
  });

  test("opening a questionnaire task sets it in progress (PATCH with If-Match)", async () => {
    const { moduleCookies } = await launch("task-tom-delinde-intake");
    expect(await (await get(`${module()}/taak`, { headers: { cookie: moduleCookies } })).text()).toContain("Intakevragenlijst kortademigheid");
    const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json()).access_token;
    const task = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(task.status).toBe("in-progress");
  });

  test("moduleFailAfterLaunch → back to the PGO with error → 'Starten mislukt'; a bad launch shows the module's error page", async () => {
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ moduleFailAfterLaunch: true }) });
    try {
      const { callback } = await launch("task-tom-delinde-medicatiecheck");
      const location = callback.headers.get("location")!;
      expect(location).toContain("error=temporarily_unavailable");
      expect(await (await get(location, { headers: { cookie: pgoCookies } })).text()).toContain("Starten mislukt");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
    const bad = await get(`${module()}/launch?iss=http://elsewhere.example/fhir&launch=x`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("De module kan niet starten");
  });
});

describe("questionnaire: pause, resume, finish (AM-FE-032/033, SD 4.6 steps 11–13, 17)", () => {
  test("Tom answers part of the intake, saves, comes back later, finishes; the answers are read-only afterwards", async () => {
    const { flatten, enabledItems } = await import("../../src/module/questionnaire.ts");
    const intake = (await import("../../seed/fhir/questionnaires/copd-intake.json")).default as unknown as import("../../src/module/questionnaire.ts").Questionnaire;
    const first = flatten(intake.item).find((i) => i.type === "string" && !i.enableWhen)!;

    let { moduleCookies } = await launch("task-tom-delinde-intake");
    let page = await get(`${module()}/taak`, { headers: { cookie: moduleCookies } });
    moduleCookies = cookiesOf(page, moduleCookies);
    let html = await page.text();
    expect(html).toContain("Tussentijds opslaan");
    const post = (body: Record<string, string>, jar: string) => get(`${module()}/taak/opslaan`, { method: "POST",
      headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    const saved = await post({ _csrf: hiddenInput(html, "_csrf"), action: "save", [first.linkId]: "Timmerman" }, moduleCookies);
    expect(saved.headers.get("location")).toBe("/taak?opgeslagen&stap=1");
    // Long instruments go step by step: one group per page, answers of other pages carried along.
    expect(html).toMatch(/Stap 1 van \d/);
    // "Volgende" checks the step's required questions (issue 12): length and weight.
    const next = await post({ _csrf: hiddenInput(html, "_csrf"), action: "next", stap: "1", [first.linkId]: "Timmerman", "intake-lengte": "180", "intake-gewicht": "80" }, moduleCookies);
    expect(next.headers.get("location")).toBe("/taak?stap=2");
    const step2 = await (await get(`${module()}/taak?stap=2`, { headers: { cookie: moduleCookies } })).text();
    expect(step2).toMatch(/Stap 2 van \d/);
    expect(step2).toContain('type="hidden" name="' + first.linkId + '" value="Timmerman"');

    // Later: back to the PGO, start again — the answer comes back from the DVA.
    await get(`${module()}/terug`, { method: "POST", headers: { cookie: moduleCookies, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf") }) });
    ({ moduleCookies } = await launch("task-tom-delinde-intake"));
    page = await get(`${module()}/taak`, { headers: { cookie: moduleCookies } });
    moduleCookies = cookiesOf(page, moduleCookies);
    html = await page.text();
    expect(html).toContain('value="Timmerman"');

    const incomplete = await post({ _csrf: hiddenInput(html, "_csrf"), action: "finish", [first.linkId]: "Timmerman" }, moduleCookies);
    expect(incomplete.status).toBe(422);
    expect(await incomplete.text()).toContain("Deze vraag is verplicht.");

    const answers: Record<string, string> = { [first.linkId]: "Timmerman" };
    for (let round = 0; round < 3; round++) {
      for (const item of enabledItems(intake.item, answers)) {
        if (!item.required || answers[item.linkId]) continue;
        const option = item.answerOption?.[0];
        answers[item.linkId] = item.type === "boolean" ? "false" : option ? (option.valueCoding?.code ?? option.valueString ?? "") :
          item.type === "integer" ? String(item.extension?.find((e) => e.url.endsWith("minValue"))?.valueInteger ?? 1) :
          item.type === "decimal" ? "80" : item.type === "date" ? "2020-01-01" : "Geen bijzonderheden";
      }
    }
    const done = await post({ _csrf: hiddenInput(html, "_csrf"), action: "finish", ...answers }, moduleCookies);
    expect(done.status).toBe(303);
    const readOnly = await (await get(`${module()}/taak`, { headers: { cookie: moduleCookies } })).text();
    expect(readOnly).toContain("U heeft deze vragenlijst afgerond");
    expect(readOnly).toContain("Timmerman");
    expect(readOnly).not.toContain("Tussentijds opslaan");

    const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json()).access_token;
    const task = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(task.status).toBe("completed");
    const qrRef = task.output[0].valueReference.reference as string;
    const qr = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${qrRef}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(qr).toMatchObject({ status: "completed", questionnaire: intake.url, subject: { reference: "Patient/patient-tom" } });
  });
});

describe("chain monitoring of a journey (SD 4.5.3–4.5.7)", () => {
  test("exchange, launch, SMART authorize and the return form one trace across PGO and DVA", async () => {
    const { moduleCookies } = await launch("task-tom-delinde-medicatiecheck");
    const taak = await get(`${module()}/taak`, { headers: { cookie: moduleCookies } });
    const jar = cookiesOf(taak, moduleCookies);
    const back = await get(`${module()}/terug`, { method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(await taak.text(), "_csrf") }) });
    await get(back.headers.get("location")!, { headers: { cookie: pgoCookies } });
    const launchLine = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.type === "send_smart_launch_request").at(-1)!;
    const res = await fetch(`${sandbox.url()}/api/logs?trace_id=${launchLine.event.trace_id}`);
    const events = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as { event: { type: string; location: string } }).map((l) => `${l.event.location} ${l.event.type}`);
    expect(events).toEqual(expect.arrayContaining([
      "pgo.localhost send_token_request", "auth.zorgnet.localhost receive_token_request", "auth.zorgnet.localhost send_token_response",
      "pgo.localhost receive_token_response", "pgo.localhost send_smart_launch_request", "auth.zorgnet.localhost receive_authorize_request",
      "auth.zorgnet.localhost send_authorize_response", "pgo.localhost receive_redirect_to_pgo_request",
    ]));
    // The module's own token request carries no correlation id; its code ties it to the journey.
    expect(events.filter((e) => e === "auth.zorgnet.localhost receive_token_request").length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e === "auth.zorgnet.localhost send_token_response").length).toBeGreaterThanOrEqual(2);
  });
});
