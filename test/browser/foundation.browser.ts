import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { launch, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

describe("foundation in a real browser", () => {
  test("cockpit shows every actor with live health, and a fault flipped from the page", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url()}/`);
    await expect(page.getByRole("heading", { name: "Actoren" }).isVisible()).resolves.toBe(true);
    await page.getByText("bereikbaar").first().waitFor();
    // Every host of the default network, MedMij Beheer (issue 13), the second PGO and Verbind.MedMij (issue 14) included.
    expect(await page.getByText("bereikbaar", { exact: true }).count()).toBe(13);
    await screenshot(page, "foundation-01-cockpit");

    await page.getByRole("link", { name: "Storingen" }).first().click();
    await page.getByLabel("Module onbereikbaar (503)").check();
    await page.getByRole("button", { name: "Opslaan" }).click();
    expect(sandbox.ctx.faults.get().moduleDown).toBe(true);
    await page.goto(`${sandbox.url()}/`);
    await page.getByText("HTTP 503").waitFor();
    await screenshot(page, "foundation-02-module-down");
    await page.close();
  });

  test("cockpit: one click on \"Start als Tom\" opens the PGO logged in as Tom", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url()}/`);
    await page.getByRole("button", { name: "Start als Tom" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    expect(new URL(page.url()).host).toBe(new URL(sandbox.url("pgo")).host);
    await screenshot(page, "foundation-03-start-als-tom");
    await page.close();
  });

  test("DigiD simulator: persona by full name, Inloggen, back to the DVA with an assertion", async () => {
    const page = await browser.newPage();
    const returnUrl = `${sandbox.url("auth.zorgnet")}/digid/callback`;
    await page.goto(`${sandbox.url("digid")}/authenticate?return_url=${encodeURIComponent(returnUrl)}&state=browser-state`);
    await page.getByLabel("Koos de Groot").check();
    await screenshot(page, "foundation-03-digid");
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(returnUrl)),
      page.getByRole("button", { name: "Inloggen" }).click(),
    ]);
    const url = new URL(request.url());
    expect(url.searchParams.get("state")).toBe("browser-state");
    const payload = JSON.parse(Buffer.from(url.searchParams.get("assertion")!.split(".")[1]!, "base64url").toString());
    expect(payload.bsn).toBe("999991024");
    await page.close();
  });

  test("DigiD simulator: a wrong BSN gets a message on the page", async () => {
    const page = await browser.newPage();
    const returnUrl = `${sandbox.url("auth.zorgnet")}/digid/callback`;
    await page.goto(`${sandbox.url("digid")}/authenticate?return_url=${encodeURIComponent(returnUrl)}&state=s`);
    await page.getByLabel("BSN", { exact: true }).fill("123456789");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("elfproef");
    await screenshot(page, "foundation-04-digid-bad-bsn");
    await page.close();
  });
});
