import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { connectProvider, launch, pgoLogin, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
let page: Page;
const faults = (body: object | null) => fetch(`${sandbox.url()}/api/faults`, body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : { method: "DELETE" });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launch();
  page = await browser.newPage();
  await pgoLogin(page, `${sandbox.url("pgo")}/login`, "tom");
  await connectProvider(page, sandbox.url("pgo"), "Huisartsenpraktijk De Linde", "Tom van Duinen");
});
afterAll(async () => { await faults(null); await browser?.close(); await sandbox?.stop(); });

async function start(title: string) {
  await page.goto(`${sandbox.url("pgo")}/taken`);
  await page.getByRole("link", { name: title }).click();
  await page.getByRole("button", { name: "Taak starten" }).click();
}

describe("unhappy paths in Chromium (issues 6 and 12)", () => {
  test("an expired launch code (fault) → the module's error page → Terug naar PGO → 'Starten mislukt'", async () => {
    await faults({ launchCodeTtlSeconds: 0 });
    try {
      await start("Intakevragenlijst kortademigheid");
      await page.getByRole("heading", { name: "De module kan niet starten" }).waitFor();
      await screenshot(page, "unhappy-01-module-error");
      await page.getByRole("link", { name: "Terug naar PGO" }).click();
      await page.getByRole("heading", { name: "Starten mislukt" }).waitFor();
      expect(await page.getByText("Trace ID").count()).toBe(1);
      // The module sent the person back without the return_url's parameters; the PGO names the task's provider and DVA (issue 12).
      const alert = await page.getByRole("alert").innerText();
      expect(alert).toContain("Je kunt de taak niet uitvoeren bij Huisartsenpraktijk De Linde");
      expect(alert).toContain("neem contact op met Zorgnet DVA, 030 123 45 67");
      await screenshot(page, "unhappy-02-starten-mislukt");
    } finally {
      await faults(null);
    }
  });

  test("the module is down → the Rc02 text in the PGO", async () => {
    await faults({ moduleDown: true });
    try {
      await start("Informatie: leven met COPD");
      await page.getByText("is tijdelijk niet beschikbaar").first().waitFor();
      await screenshot(page, "unhappy-03-module-down");
    } finally {
      await faults(null);
    }
  });

  test("step-up: the DVA asks for DigiD again, the consent screen keeps the 6-month choice, then the module starts", async () => {
    await faults({ stepUpAlways: true });
    try {
      await start("Medicatieoverzicht controleren");
      await screenshot(page, "unhappy-04-step-up-digid");
      await page.getByLabel("Tom van Duinen").check();
      await page.getByRole("button", { name: "Inloggen" }).click();
      // Re-consent preselects the person's current consent kind (issue 12): accepting as offered keeps 6 months.
      await page.getByRole("heading", { name: "Toestemming geven" }).waitFor();
      expect(await page.getByLabel("Langdurig (6 maanden)").isChecked()).toBe(true);
      await page.getByText("al langdurig toestemming gegeven").waitFor();
      await screenshot(page, "unhappy-05-step-up-consent");
      await page.getByRole("button", { name: "Toestemming geven" }).click();
      await page.getByRole("button", { name: "Gelezen" }).waitFor();
      expect(new URL(page.url()).host).toBe(new URL(sandbox.url("module")).host);
      await screenshot(page, "unhappy-06-step-up-module");
      await page.goto(`${sandbox.url("pgo")}/verbindingen`);
      expect(await page.getByRole("row", { name: /Huisartsenpraktijk De Linde/ }).innerText()).toContain("Langdurig (6 maanden)");
    } finally {
      await faults(null);
    }
  });

  test("the DVA refuses the token exchange (invalid_client) → 'Technische storing' naming DVA, phone and provider", async () => {
    await faults({ tokenExchangeError: "invalid_client" });
    try {
      await start("Intakevragenlijst kortademigheid");
      await page.getByRole("heading", { name: "Technische storing" }).waitFor();
      const alert = await page.getByRole("alert").innerText();
      expect(alert).toContain("Je kunt deze stap bij Zorgnet DVA niet uitvoeren");
      expect(alert).toContain("neem contact op met Zorgnet DVA, 030 123 45 67. Dit is de leverancier van het computersysteem van Huisartsenpraktijk De Linde.");
      await page.getByText("Session ID").waitFor();
      await page.getByText("invalid_client", { exact: false }).waitFor();
      await screenshot(page, "unhappy-07-technische-storing");
      await page.getByRole("link", { name: "Terug naar Taken van zorgaanbieders" }).click();
      await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    } finally {
      await faults(null);
    }
  });

  test("DigiD 'Annuleren' while connecting → 'Inloggen met DigiD gestopt', not 'geen toestemming'", async () => {
    await page.goto(`${sandbox.url("pgo")}/zorgaanbieders`);
    await page.getByRole("button", { name: "Verbinden met Fysiotherapie De Berk" }).click();
    await page.getByRole("button", { name: "Annuleren" }).click();
    await page.getByRole("heading", { name: "Inloggen met DigiD gestopt" }).waitFor();
    await page.getByText("Je hebt het inloggen met DigiD bij Zorgnet DVA, de dienstverlener van Fysiotherapie De Berk, afgebroken.").waitFor();
    await screenshot(page, "unhappy-08-digid-gestopt");
    await page.getByRole("link", { name: "Opnieuw verbinden" }).click();
    await page.getByRole("button", { name: "Verbinden met Fysiotherapie De Berk" }).waitFor();
  });
});
