import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { digidAndConsent, launch, pgoLogin, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

describe("follow-up questions in the module (enableWhen, progressive enhancement)", () => {
  test("a follow-up appears when its condition holds and hides again when it does not", async () => {
    const page = await browser.newPage();
    const pgo = sandbox.url("pgo");
    await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=delinde@medmij`, "tom");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await digidAndConsent(page, "Tom van Duinen");
    await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).click();
    await page.getByRole("button", { name: "Taak starten" }).click();
    await page.waitForURL((u) => u.host === new URL(sandbox.url("module")).host && u.pathname === "/taak");

    const smoking = page.getByRole("group", { name: /Rookt u, of heeft u ooit gerookt\?/ });
    // "Volgende" checks the step's required questions (issue 12): step 1 asks length and weight.
    await page.getByLabel("Wat is uw lengte in centimeters?").fill("181");
    await page.getByLabel("Wat is uw gewicht in kilogram?").fill("84");
    for (let step = 0; step < 10 && !(await smoking.isVisible()); step++) {
      await page.getByRole("button", { name: "Volgende" }).click();
      await page.waitForLoadState();
    }
    const followUp = page.getByRole("group", { name: /Rookt u op dit moment\?/ });
    expect(await followUp.isVisible()).toBe(false);
    expect(await page.getByText("Alleen invullen als dit op u van toepassing is.").first().isVisible()).toBe(false);
    await smoking.getByLabel("Ja").check();
    await followUp.waitFor({ state: "visible" });
    await screenshot(page, "module-followup-shown");
    await smoking.getByLabel("Nee").check();
    await followUp.waitFor({ state: "hidden" });
    await page.close();
  });
});
