import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { flatten, type Questionnaire } from "../../src/module/questionnaire.ts";
import gadJson from "../../seed/fhir/questionnaires/gad-7.json";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { connectProvider, launch, pgoLogin, screenshot } from "./helpers.ts";

const gad7 = gadJson as unknown as Questionnaire;
let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

const connect = (page: Page, provider: string) => connectProvider(page, sandbox.url("pgo"), provider, "Koos de Groot");

describe("Koos's journey (SD 4.6, patient journey 2) in Chromium", () => {
  test("GGZ Oostland (second DVA) and De Linde in one overview; GAD-7 paused, resumed, finished with a score", async () => {
    const page = await browser.newPage();
    await pgoLogin(page, `${sandbox.url("pgo")}/login`, "koos");
    await connect(page, "GGZ Oostland");
    await connect(page, "Huisartsenpraktijk De Linde");
    await page.getByRole("link", { name: "Vragenlijst angst (GAD-7)" }).first().waitFor();
    await page.getByRole("link", { name: "Informatie: omgaan met stress en spanning" }).waitFor();
    await screenshot(page, "koos-01-two-providers");

    const scored = flatten(gad7.item).filter((i) => i.required);
    const openGad = async () => {
      await page.goto(`${sandbox.url("pgo")}/taken`);
      await page.getByRole("link", { name: "Vragenlijst angst (GAD-7)" }).first().click();
      await page.getByRole("button", { name: /Taak starten|Antwoorden bekijken/ }).click();
      await page.waitForURL((u) => u.host === new URL(sandbox.url("module")).host && u.pathname === "/taak");
    };
    await openGad();
    await page.getByText("Hallo Koos,").waitFor();
    for (const item of scored.slice(0, 3)) await page.locator(`input[name="${item.linkId}"][value="${item.answerOption![2]!.valueCoding!.code}"]`).check();
    await page.getByRole("button", { name: "Tussentijds opslaan" }).click();
    await page.getByText("Uw antwoorden zijn opgeslagen").waitFor();
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();

    await openGad();
    expect(await page.locator(`input[name="${scored[0]!.linkId}"][value="${scored[0]!.answerOption![2]!.valueCoding!.code}"]`).isChecked()).toBe(true);
    for (const item of scored.slice(3)) await page.locator(`input[name="${item.linkId}"][value="${item.answerOption![2]!.valueCoding!.code}"]`).check();
    await screenshot(page, "koos-02-gad7");
    await page.getByRole("button", { name: "Afronden" }).click();
    await page.getByText("Score:").waitFor();
    expect(await page.getByText("14 — Matige angst").count()).toBe(1);
    await screenshot(page, "koos-03-score");
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    expect(new URL(page.url()).searchParams.get("groep")).toBe("klaar");

    // The psychiatrist's side (SD 4.6 step: the result goes into the treatment): the portal shows
    // the task done, the answers and the score the module wrote.
    await page.goto(`${sandbox.url("xis")}/login`);
    await page.getByLabel("Gebruikersnaam").fill("vanrijn");
    await page.getByLabel("Wachtwoord").fill("vanrijn");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("link", { name: "Koos de Groot" }).click();
    await page.getByRole("link", { name: "Resultaat van Vragenlijst angst (GAD-7)" }).click();
    await page.getByRole("heading", { name: "Vragenlijst angst (GAD-7)" }).waitFor();
    expect(await page.getByText("14 — Matige angst").count()).toBe(1);
    expect(await page.getByText(scored[0]!.text!).count()).toBe(1);
    await screenshot(page, "koos-04-clinician-result");
    await page.close();
  });
});
