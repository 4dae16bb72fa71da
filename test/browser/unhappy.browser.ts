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

describe("unhappy paths in Chromium (issue 6)", () => {
  test("an expired launch code (fault) → the module's error page → Terug naar PGO → 'Starten mislukt'", async () => {
    await faults({ launchCodeTtlSeconds: 0 });
    try {
      await start("Intakevragenlijst kortademigheid");
      await page.getByRole("heading", { name: "De module kan niet starten" }).waitFor();
      await screenshot(page, "unhappy-01-module-error");
      await page.getByRole("link", { name: "Terug naar PGO" }).click();
      await page.getByRole("heading", { name: "Starten mislukt" }).waitFor();
      expect(await page.getByText("Trace ID").count()).toBe(1);
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

  test("step-up: the DVA asks for DigiD again, then the module starts", async () => {
    await faults({ stepUpAlways: true });
    try {
      await start("Medicatieoverzicht controleren");
      await screenshot(page, "unhappy-04-step-up-digid");
      await page.getByLabel("Tom van Duinen").check();
      await page.getByRole("button", { name: "Inloggen" }).click();
      await page.getByLabel("Langdurig (6 maanden)").check();
      await page.getByRole("button", { name: "Toestemming geven" }).click();
      await page.getByRole("button", { name: "Gelezen" }).waitFor();
      expect(new URL(page.url()).host).toBe(new URL(sandbox.url("module")).host);
      await screenshot(page, "unhappy-05-step-up-module");
    } finally {
      await faults(null);
    }
  });
});
