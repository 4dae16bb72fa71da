import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { enabledItems, flatten, type Questionnaire } from "../../src/module/questionnaire.ts";
import intakeJson from "../../seed/fhir/questionnaires/copd-intake.json";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { digidAndConsent, launch, pgoLogin, screenshot } from "./helpers.ts";

const intake = intakeJson as unknown as Questionnaire;
let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

/** Fill the required enabled items shown on each page, "Volgende" until "Afronden" (radios by name/value, fields by name). */
async function answerRequired(page: Page, answers: Record<string, string>) {
  for (let round = 0; round < 10; round++) {
    for (const item of enabledItems(intake.item, answers)) {
      if (!item.required || answers[item.linkId]) continue;
      if ((await page.locator(`[name="${item.linkId}"]:not([type="hidden"])`).count()) === 0) continue; // on another page
      const option = item.answerOption?.[0];
      const value = item.type === "boolean" ? "false" : option ? (option.valueCoding?.code ?? option.valueString ?? "")
        : item.type === "integer" ? String(item.extension?.find((e) => e.url.endsWith("minValue"))?.valueInteger ?? 1)
        : item.type === "decimal" ? "80" : item.type === "date" ? "2020-01-01" : "Geen bijzonderheden";
      answers[item.linkId] = value;
      if (["boolean", "choice", "open-choice"].includes(item.type)) await page.locator(`input[name="${item.linkId}"][value="${value}"]`).check();
      else await page.locator(`[name="${item.linkId}"]:not([type="hidden"])`).fill(value);
    }
    if ((await page.getByRole("button", { name: "Volgende" }).count()) === 0) return;
    await page.getByRole("button", { name: "Volgende" }).click();
    await page.waitForLoadState();
  }
}

/** The same journey against a DVA of each flavour (issue 15): the sandbox's PGO and module speak whichever the DVA speaks. */
for (const flavour of ["sd-0.2", "koppelmij-2026"] as const) describe(`Tom's journey (SD 4.6, patient journey 1) in Chromium, DVA flavour ${flavour}`, () => {
  test("connect, start the intake, answer half, save, come back, finish, Klaar without logging in again, answers read-only", async () => {
    await fetch(`${sandbox.url()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect((await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour }) })).status).toBe(200);
    const page = await browser.newPage();
    const visited: string[] = [];
    page.on("request", (r) => { const u = new URL(r.url()); if (r.isNavigationRequest()) visited.push(`${u.host}${u.pathname}`); });
    const pgo = sandbox.url("pgo");
    const startIntake = async () => {
      await page.goto(`${pgo}/taken`);
      await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).click();
      await page.getByRole("button", { name: /Taak starten|Antwoorden bekijken/ }).click();
      await page.waitForURL((u) => u.host === new URL(sandbox.url("module")).host && u.pathname === "/taak");
    };

    // The invitation link (AM-FE-014/017) survives the login in between.
    await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=delinde@medmij`, "tom");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await digidAndConsent(page, "Tom van Duinen");
    await screenshot(page, `tom-${flavour}-01-overview`);

    await startIntake();
    const first = flatten(intake.item).find((i) => i.type === "string" && !i.enableWhen)!;
    await page.locator(`[name="${first.linkId}"]:not([type="hidden"])`).fill("Timmerman");
    await screenshot(page, `tom-${flavour}-02-half`);
    await page.getByRole("button", { name: "Tussentijds opslaan" }).click();
    await page.getByText("Uw antwoorden zijn opgeslagen").waitFor();
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();

    await startIntake();
    expect(await page.locator(`[name="${first.linkId}"]:not([type="hidden"])`).inputValue()).toBe("Timmerman");
    expect(await page.getByText(/Stap 1 van \d/).count()).toBe(1);
    await answerRequired(page, { [first.linkId]: "Timmerman" });
    await screenshot(page, `tom-${flavour}-03-complete`);
    await page.getByRole("button", { name: "Afronden" }).click();
    await page.getByText("U heeft deze vragenlijst afgerond").waitFor();
    await screenshot(page, `tom-${flavour}-04-done`);
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    expect(new URL(page.url()).searchParams.get("groep")).toBe("klaar");
    await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).waitFor();
    await screenshot(page, `tom-${flavour}-05-klaar`);

    // SD 4.6 step 17: open it again to see the answers.
    await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).click();
    await page.getByRole("button", { name: "Antwoorden bekijken" }).click();
    await page.getByText("U heeft deze vragenlijst afgerond").waitFor();
    expect(await page.getByText("Timmerman").count()).toBe(1);
    await screenshot(page, `tom-${flavour}-06-read-only`);
    // The way there: KoppelMij 2026 goes through the DVA's /authorize and the PGO's /callback_stepup (no DigiD); SD v0.2 straight to the module.
    const auth = new URL(sandbox.url("auth.zorgnet")).host;
    const pgoHost = new URL(pgo).host;
    // The module's Task.output follows the flavour (KoppelMij: type.text "questionnaire-response").
    const his = await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json() as { access_token: string };
    const done = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${his.access_token}` } })).json() as { output: { type: { text: string } }[] };
    expect(done.output[0]!.type.text).toBe(flavour === "koppelmij-2026" ? "questionnaire-response" : "QuestionnaireResponse");
    if (flavour === "koppelmij-2026") expect(visited).toEqual(expect.arrayContaining([`${auth}/authorize`, `${pgoHost}/callback_stepup`]));
    else expect(visited.filter((v) => v === `${auth}/authorize` || v.endsWith("/callback_stepup"))).toEqual([]);
    await page.close();
  });
});
