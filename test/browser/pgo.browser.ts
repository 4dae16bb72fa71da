import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { launch, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

describe("Tom in the PGO (issue 5, in Chromium)", () => {
  test("log in → connect De Linde (DigiD, long-term consent) → tasks grouped and filtered → week view → start a task → module host", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url("pgo")}/`);
    await page.getByLabel("Gebruikersnaam").fill("tom");
    await page.getByLabel("Wachtwoord").fill("tom");
    await screenshot(page, "pgo-01-login");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();

    await page.getByRole("link", { name: "Zorgaanbieder toevoegen" }).click();
    await page.getByLabel("Zoek zorgaanbieder").fill("linde");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).waitFor();
    await screenshot(page, "pgo-02-providers");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();

    await page.getByLabel("Tom van Duinen").check();
    await screenshot(page, "pgo-03-digid");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByLabel("Langdurig (6 maanden)").check();
    await screenshot(page, "pgo-04-consent");
    await page.getByRole("button", { name: "Toestemming geven" }).click();

    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    expect(new URL(page.url()).host).toBe(new URL(sandbox.url("pgo")).host);
    await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).waitFor();
    await screenshot(page, "pgo-05-te-doen");
    await page.getByRole("link", { name: "Klaar" }).click();
    await page.getByRole("link", { name: "MRC-schaal kortademigheid" }).waitFor();
    await page.getByRole("link", { name: "Gestopt" }).click();
    expect(await page.getByText("Niet meer nodig: besproken tijdens het telefonisch consult.").count()).toBe(1);
    await screenshot(page, "pgo-06-gestopt");
    await page.getByRole("link", { name: "Weekoverzicht" }).click();
    await page.getByRole("link", { name: "Volgende week" }).waitFor();
    await screenshot(page, "pgo-07-week");

    await page.goto(`${sandbox.url("pgo")}/taken`);
    await page.getByRole("link", { name: "Intakevragenlijst kortademigheid" }).click();
    await page.getByText("onder verantwoordelijkheid van Huisartsenpraktijk De Linde").waitFor();
    await screenshot(page, "pgo-08-task");
    const launches: string[] = [];
    page.on("request", (r) => { if (r.url().startsWith(`${sandbox.url("module")}/launch?`)) launches.push(r.url()); });
    await page.getByRole("button", { name: "Taak starten" }).click();
    // Module launch → SMART authorize at the DVA (the consent login's session passes) → the module's task page.
    await page.waitForURL((url) => url.host === new URL(sandbox.url("module")).host && url.pathname === "/taak");
    const launched = new URL(launches[0]!);
    expect(launched.searchParams.get("iss")).toBe(`${sandbox.url("fhir.zorgnet")}/fhir`);
    expect(launched.searchParams.get("launch")).toBeTruthy();
    await page.getByText("Hallo Tom,").waitFor();
    await screenshot(page, "pgo-09-module");
    await Promise.all([
      page.waitForURL((url) => url.host === new URL(sandbox.url("pgo")).host && url.pathname === "/taken"),
      page.getByRole("button", { name: "Terug naar PGO" }).click(),
    ]);
    await screenshot(page, "pgo-10-back-in-pgo");
    await page.close();
  });
});
