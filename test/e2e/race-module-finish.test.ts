/**
 * A questionnaire finished from two module sessions of one Task at once, or from a stale tab
 * (issue 11 item 3): exactly one completion wins; the DVA holds one completed
 * QuestionnaireResponse and the Task's score is the winner's; every other session is sent to the
 * read-only answers with "al afgerond". Plus `/taak?stap=2.5` and other odd steps (item 4).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { postForm } from "../helpers/journey.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let system: string;
let pgo: { access_token: string; cookies: string };

beforeAll(async () => {
  sandbox = await startTestSandbox();
  system = await systemToken(sandbox, "epd-deberk");
  pgo = await collectTokens(sandbox, { scope: "fysiodeberk" });
});
afterAll(() => sandbox.stop());

const module = () => sandbox.url("module");
const MRC = "task-tom-fysiodeberk-mrc-start";
/** The MRC grade's ordinal value is its number (graad-0 … graad-4). */
const grade = (n: number) => ({ "mrc-graad": `graad-${n}` });

/** A fresh MRC task for Tom at De Berk, like the seeded one (its own business identifier). */
async function newTask(): Promise<string> {
  const seeded = (await fhir(sandbox, system, "GET", `Task/${MRC}`)).json;
  const { id: _id, meta: _meta, output: _output, ...rest } = seeded;
  const created = await fhir(sandbox, system, "POST", "Task", { body: { ...rest, status: "requested",
    identifier: [{ system: "https://medmij-sandbox.example/test/task", value: crypto.randomUUID() }] } });
  expect(created.status).toBe(201);
  return created.json.id;
}

/** A module session for the Task, as "Taak starten" makes one: launch code, /launch, authorize (DVA session), callback. */
async function moduleSession(task: string, consent = pgo, scope = "fysiodeberk"): Promise<string> {
  const exchange = await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: consent.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience: "zorgmodules-zorgnet", scope, smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule" }) }) })).json() as { access_token: string };
  const launch = await get(`${module()}/launch?iss=${encodeURIComponent(`${sandbox.url("fhir.zorgnet")}/fhir`)}&launch=${encodeURIComponent(exchange.access_token)}`);
  expect(launch.status).toBe(303);
  const authorized = await get(launch.headers.get("location")!, { headers: { cookie: consent.cookies } });
  const callback = await get(authorized.headers.get("location")!, { headers: { cookie: cookiesOf(launch) } });
  expect(callback.headers.get("location")).toBe("/taak");
  return cookiesOf(callback, cookiesOf(launch));
}

/** Open /taak in a "tab": its cookie jar and the form's CSRF token. */
async function openTab(cookies: string) {
  const page = await get(`${module()}/taak`, { headers: { cookie: cookies } });
  const jar = cookiesOf(page, cookies);
  return { cookies: jar, csrf: hiddenInput(await page.text(), "_csrf") };
}

const finish = (tab: { cookies: string; csrf: string }, answers: Record<string, string>) =>
  postForm(`${module()}/taak/opslaan`, tab.cookies, { _csrf: tab.csrf, action: "finish", stap: "1", ...answers });

/** What the DVA holds for the Task: its responses, the completed ones, the status and the score in Task.output. */
async function atDva(task: string) {
  const responses = ((await fhir(sandbox, system, "GET", `QuestionnaireResponse?task=Task/${task}`)).json.entry ?? []).map((e: Json) => e.resource) as Json[];
  const t = (await fhir(sandbox, system, "GET", `Task/${task}`)).json;
  const outputs = (t.output ?? []) as Json[];
  return { responses, completed: responses.filter((r) => r.status === "completed"), status: t.status,
    responseRef: outputs.find((o) => o.valueReference)?.valueReference?.reference as string | undefined,
    score: outputs.find((o) => typeof o.valueInteger === "number")?.valueInteger as number | undefined };
}
const storedGrade = (qr: Json): number => Number(String(qr.item.find((i: Json) => i.linkId === "mrc-graad").answer[0].valueCoding.code).replace("graad-", ""));

describe("one questionnaire, two sessions finishing", () => {
  test("four tabs of one session press Afronden at once: one completes, three see the stored answers", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const task = await newTask();
      const session = await moduleSession(task);
      const tabs = await Promise.all([0, 1, 2, 3].map(() => openTab(session)));
      const answers = await Promise.all(tabs.map((tab, n) => finish(tab, grade(n + 1))));
      const dva = await atDva(task);
      expect(dva.responses).toHaveLength(1);
      expect(dva.completed).toHaveLength(1);
      expect(dva.status).toBe("completed");
      expect(dva.responseRef).toBe(`QuestionnaireResponse/${dva.completed[0]!.id}`);
      expect(dva.score).toBe(storedGrade(dva.completed[0]!));
      const locations = answers.map((r) => `${r.status} ${r.headers.get("location")}`).sort();
      expect(locations).toEqual(["303 /taak", "303 /taak?al-afgerond", "303 /taak?al-afgerond", "303 /taak?al-afgerond"]);
      // The winner is the session whose answer is stored.
      expect(answers[storedGrade(dva.completed[0]!) - 1]!.headers.get("location")).toBe("/taak");
    }
  });

  test("two launches of one Task (two sessions, no answers saved yet) finish at once: one completed response", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const task = await newTask();
      const [a, b] = await Promise.all([moduleSession(task), moduleSession(task)]);
      const [tabA, tabB] = await Promise.all([openTab(a), openTab(b)]);
      const answers = await Promise.all([finish(tabA, grade(1)), finish(tabB, grade(4))]);
      const dva = await atDva(task);
      expect(dva.completed).toHaveLength(1);
      expect(answers.map((r) => r.headers.get("location")).sort()).toEqual(["/taak", "/taak?al-afgerond"]);
      expect(dva.score).toBe(storedGrade(dva.completed[0]!));
      const winner = answers.findIndex((r) => r.headers.get("location") === "/taak");
      expect(dva.score).toBe(winner === 0 ? 1 : 4);
    }
  });

  test("a stale tab that presses Afronden later changes nothing and is shown the stored answers", async () => {
    const task = await newTask();
    const first = await moduleSession(task);
    const stale = await openTab(await moduleSession(task));
    // The stale tab saved a draft earlier; then the first session finishes.
    expect((await postForm(`${module()}/taak/opslaan`, stale.cookies, { _csrf: stale.csrf, action: "save", stap: "1", ...grade(0) })).status).toBe(303);
    const tab = await openTab(first);
    expect((await finish(tab, grade(2))).headers.get("location")).toBe("/taak");
    const before = await atDva(task);
    expect(before).toMatchObject({ status: "completed", score: 2 });

    const late = await finish(stale, grade(4));
    expect(late.headers.get("location")).toBe("/taak?al-afgerond");
    const autosave = await postForm(`${module()}/taak/opslaan`, stale.cookies, { _csrf: stale.csrf, action: "autosave", stap: "1", ...grade(4) });
    expect(autosave.status).toBe(303);
    const after = await atDva(task);
    expect(after.completed).toHaveLength(1);
    expect(after.score).toBe(2);
    expect(storedGrade(after.completed[0]!)).toBe(2);
    expect(after.completed[0]!.meta.versionId).toBe(before.completed[0]!.meta.versionId);

    const page = await (await get(`${module()}/taak?al-afgerond`, { headers: { cookie: stale.cookies } })).text();
    expect(page).toContain("Deze vragenlijst was al afgerond");
    expect(page).toContain("Score:");
    expect(page).not.toContain('value="finish"');
  });

  test("an autosave by htmx from a tab that was overtaken takes the tab to the read-only answers", async () => {
    const task = await newTask();
    const session = await moduleSession(task);
    const [tab, other] = await Promise.all([openTab(session), openTab(session)]);
    expect((await finish(other, grade(3))).headers.get("location")).toBe("/taak");
    const res = await get(`${module()}/taak/opslaan`, { method: "POST", headers: { cookie: tab.cookies, "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: new URLSearchParams({ _csrf: tab.csrf, action: "autosave", stap: "1", ...grade(1) }) });
    expect(res.headers.get("hx-redirect")).toBe("/taak?al-afgerond");
    expect((await atDva(task)).score).toBe(3);
  });
});

describe("odd steps (issue 11 item 4)", () => {
  test("/taak?stap= with a fraction, a negative, a huge number or text shows a page, never a 500", async () => {
    // Tom's COPD intake at De Linde goes step by step (4 pages).
    const cookies = await moduleSession("task-tom-delinde-intake", await collectTokens(sandbox, { scope: "delinde" }), "delinde");
    for (const [stap, shown] of [["2.5", "Stap 1 van"], ["-1", "Stap 1 van"], ["abc", "Stap 1 van"], ["1e3", "Stap 1 van"], ["99999999999999999999999", "Stap 4 van 4"],
      ["4", "Stap 4 van 4"], ["2", "Stap 2 van 4"], ["", "Stap 1 van"]] as const) {
      const res = await get(`${module()}/taak?stap=${encodeURIComponent(stap)}`, { headers: { cookie: cookies } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(shown);
    }
    const page = await get(`${module()}/taak`, { headers: { cookie: cookies } });
    const csrf = hiddenInput(await page.text(), "_csrf");
    // "Vorige": the same step arithmetic as "Volgende", which would stop at the step's required questions (issue 12).
    for (const stap of ["2.5", "-3", "x", "99999999999999999999999"]) {
      const next = await postForm(`${module()}/taak/opslaan`, cookiesOf(page, cookies), { _csrf: csrf, action: "prev", stap });
      expect(next.status).toBe(303);
      const followed = await get(`${module()}${next.headers.get("location")}`, { headers: { cookie: cookies } });
      expect(followed.status).toBe(200);
    }
  });
});
