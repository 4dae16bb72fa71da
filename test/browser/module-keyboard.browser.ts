import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { digidAndConsent, launch, pgoLogin, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

/** Tom connects De Linde and starts the COPD intake: the module's first step. */
async function startIntake(page: Page): Promise<void> {
  const pgo = sandbox.url("pgo");
  await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=delinde@medmij`, "tom");
  await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
  await digidAndConsent(page, "Tom van Duinen");
  await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).click();
  await page.getByRole("button", { name: "Taak starten" }).click();
  await page.waitForURL((u) => u.host === new URL(sandbox.url("module")).host && u.pathname === "/taak");
}

const step = (page: Page, n: number) => page.getByText(new RegExp(`Stap ${n} van 4`)).waitFor();

describe("the questionnaire and the keyboard (issue 12 §3)", () => {
  test("Enter in a field means Volgende, which checks the step first; never Vorige or Tussentijds opslaan", async () => {
    const page = await browser.newPage();
    await startIntake(page);
    await step(page, 1);
    await page.getByLabel("Wat is uw lengte in centimeters?").fill("181");
    await page.getByLabel("Wat is uw gewicht in kilogram?").fill("84");
    await page.getByLabel("Wat is uw gewicht in kilogram?").press("Enter");
    await step(page, 2);

    // Step 2: "Ja", a number of years, Enter — the step's own required question is missing, so it says so and stays.
    await page.getByRole("group", { name: /Rookt u, of heeft u ooit gerookt\?/ }).getByLabel("Ja").check();
    const years = page.getByLabel(/Hoeveel jaar heeft u in totaal gerookt\?/);
    await years.fill("30");
    await years.press("Enter");
    await page.getByText("Nog niet alles is goed ingevuld (1).").waitFor();
    await step(page, 2);
    expect(await page.getByRole("group", { name: /Rookt u op dit moment\?/ }).getByText("Deze vraag is verplicht.").isVisible()).toBe(true);
    expect(await years.inputValue()).toBe("30");
    await screenshot(page, "module-enter-validation");

    // Answered: Enter in the same field goes on to step 3.
    await page.getByRole("group", { name: /Rookt u op dit moment\?/ }).getByLabel("Nee, ik ben gestopt").check();
    await years.press("Enter");
    await step(page, 3);
    expect(await page.getByText("Uw antwoorden zijn opgeslagen").count()).toBe(0);
    await screenshot(page, "module-enter-next");
    await page.close();
  });

  test("several activities as checkboxes plus 'Anders, namelijk', kept after saving", async () => {
    const page = await browser.newPage();
    await startIntake(page);
    await page.goto(`${sandbox.url("module")}/taak?stap=4`);
    await step(page, 4);
    const activities = page.getByRole("group", { name: /Bij welke activiteiten heeft u last van uw kortademigheid\?/ });
    expect(await activities.getByRole("checkbox").count()).toBe(6);
    expect(await activities.getByRole("radio").count()).toBe(0);
    await activities.getByLabel("Wandelen").check();
    await activities.getByLabel("Wassen en aankleden").check();
    await activities.getByLabel("Anders, namelijk").fill("Tuinieren");
    await screenshot(page, "module-checkboxes-anders");
    await page.getByRole("button", { name: "Tussentijds opslaan" }).click();
    await page.getByText("Uw antwoorden zijn opgeslagen").waitFor();
    // Read back from the DVA: both boxes, the own words, nothing else.
    const again = page.getByRole("group", { name: /Bij welke activiteiten heeft u last van uw kortademigheid\?/ });
    expect(await again.getByLabel("Wandelen").isChecked()).toBe(true);
    expect(await again.getByLabel("Wassen en aankleden").isChecked()).toBe(true);
    expect(await again.getByLabel("Fietsen").isChecked()).toBe(false);
    expect(await again.getByLabel("Anders, namelijk").inputValue()).toBe("Tuinieren");
    await page.close();
  });
});
