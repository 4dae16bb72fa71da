import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { flatten, type Questionnaire } from "../../src/module/questionnaire.ts";
import gadJson from "../../seed/fhir/questionnaires/gad-7.json";
import { throughDva } from "../helpers/dva.ts";
import { pgoLogin, pgoStartConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const gad7 = gadJson as unknown as Questionnaire;
let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

describe("Koos's journey over HTTP (SD 4.6, patient journey 2)", () => {
  test("GGZ Oostland on the second DVA: GAD-7 finished, score in Task.output, back in Klaar", async () => {
    const pgo = sandbox.url("pgo");
    const module = sandbox.url("module");
    const pgoCookies = await pgoLogin(sandbox, "koos");
    const { redirect, cookies: dvaCookies } = await throughDva(sandbox, await pgoStartConnect(sandbox, pgoCookies, "ggzoostland@medmij"), { bsn: "999991024", kind: "long" });
    await get(redirect.href, { headers: { cookie: pgoCookies } });
    const taskId = "task-koos-ggzoostland-gad-7-1";
    const page = await (await get(`${pgo}/taken/ggzoostland%40medmij/${taskId}`, { headers: { cookie: pgoCookies } })).text();
    const started = await get(`${pgo}/taken/ggzoostland%40medmij/${taskId}/starten`, { method: "POST",
      headers: { cookie: pgoCookies, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf") }) });
    expect(started.headers.get("location")).toStartWith(`${module}/launch?iss=${encodeURIComponent(`${sandbox.url("fhir.ggzconnect")}/fhir`)}`);
    const launched = await get(started.headers.get("location")!);
    let jar = cookiesOf(launched);
    const authorized = await get(launched.headers.get("location")!, { headers: { cookie: dvaCookies } });
    jar = cookiesOf(await get(authorized.headers.get("location")!, { headers: { cookie: jar } }), jar);
    const form = await get(`${module}/taak`, { headers: { cookie: jar } });
    jar = cookiesOf(form, jar);
    const html = await form.text();
    expect(html).toContain("Hallo Koos,");
    const answers = Object.fromEntries(flatten(gad7.item).filter((i) => i.required).map((i) => [i.linkId, i.answerOption![3]!.valueCoding!.code!]));
    const done = await get(`${module}/taak/opslaan`, { method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), action: "finish", ...answers }) });
    expect(done.status).toBe(303);
    const result = await (await get(`${module}/taak`, { headers: { cookie: jar } })).text();
    expect(result).toContain("21 — Ernstige angst");

    const token = (await (await fetch(`${sandbox.url("auth.ggzconnect")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("ecd-ggzoostland:ecd-ggzoostland-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json()).access_token;
    const task = await (await fetch(`${sandbox.url("fhir.ggzconnect")}/fhir/Task/${taskId}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(task.status).toBe("completed");
    expect(task.output[1]).toMatchObject({ valueInteger: 21, type: { text: "Score (Ernstige angst)" } });

    const back = await get(`${module}/terug`, { method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(result, "_csrf") }) });
    const returned = await get(back.headers.get("location")!, { headers: { cookie: pgoCookies } });
    expect(returned.headers.get("location")).toBe(`/taken?groep=klaar&gemarkeerd=${taskId}`);
  });
});
