import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { launch, pgoLogin, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

/** A browser of its own (cookies, storage): the victim's, or the attacker's. */
async function person(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

/** In the PGO: Verbinden with De Linde, then log in at the DigiD simulator; resolves with the DVA's callback URL. */
async function connectAndLogIn(page: Page, username: string, persona: string): Promise<string> {
  await pgoLogin(page, `${sandbox.url("pgo")}/login`, username);
  await page.goto(`${sandbox.url("pgo")}/zorgaanbieders`);
  await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
  await page.getByLabel(persona).check();
  const [callback] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(`${sandbox.url("auth.zorgnet")}/digid/callback`)),
    page.getByRole("button", { name: "Inloggen" }).click(),
  ]);
  return callback.url();
}

describe("a hostile browser (issue 10) in Chromium", () => {
  test("the victim's DigiD callback replayed in another browser ends on 'Technische storing', never a consent screen; the victim finishes", async () => {
    const victim = await person();
    const callbackUrl = await connectAndLogIn(victim.page, "tom", "Tom van Duinen");
    await victim.page.getByRole("heading", { name: "Toestemming geven" }).waitFor();

    const attacker = await person();
    await attacker.page.goto(callbackUrl);
    await attacker.page.getByRole("heading", { name: "Technische storing" }).waitFor();
    expect(await attacker.page.getByText("in een andere browser gestart").count()).toBe(1);
    expect(await attacker.page.getByRole("button", { name: "Toestemming geven" }).count()).toBe(0);
    expect((await attacker.context.cookies(sandbox.url("auth.zorgnet"))).map((c) => c.name)).not.toContain("dva_session");
    await screenshot(attacker.page, "attacker-01-replayed-callback");

    // The victim's request was not consumed: consent still works in the victim's own browser.
    await victim.page.getByLabel("Eenmalig").check();
    await victim.page.getByRole("button", { name: "Toestemming geven" }).click();
    await victim.page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await attacker.context.close();
    await victim.context.close();
  });

  test("login CSRF: the attacker's own callback link opened by the victim does not log the victim in as the attacker", async () => {
    const attacker = await person();
    // The attacker logs in as Koos and keeps the callback instead of following it.
    await attacker.page.route("**/digid/callback**", (route) => route.abort());
    const link = await connectAndLogIn(attacker.page, "koos", "Koos de Groot");

    const victim = await person();
    await pgoLogin(victim.page, `${sandbox.url("pgo")}/login`, "tom");
    await victim.page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await victim.page.goto(link);
    await victim.page.getByRole("heading", { name: "Technische storing" }).waitFor();
    expect(await victim.page.getByRole("button", { name: "Toestemming geven" }).count()).toBe(0);
    expect(await victim.page.getByText("Koos").count()).toBe(0);
    await screenshot(victim.page, "attacker-02-login-csrf");
    await attacker.context.close();
    await victim.context.close();
  });
});
