/**
 * Clickjacking (issue 10): a page of another origin — here a tiny server on another localhost
 * port, which is same-site with the sandbox — puts the cockpit's fault switches and the PGO login
 * in iframes. Chromium must refuse to render them (CSP frame-ancestors 'none'), so there is
 * nothing to click.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { launch, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
let attacker: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launch();
  attacker = Bun.serve({
    port: 0, hostname: "127.0.0.1",
    fetch: () => new Response(`<!doctype html><html><body><h1>Win a prize</h1>
      <iframe id="cockpit" src="${sandbox.url()}/faults" width="800" height="600"></iframe>
      <iframe id="pgo" src="${sandbox.url("pgo")}/login" width="800" height="600"></iframe></body></html>`,
    { headers: { "Content-Type": "text/html; charset=utf-8" } }),
  });
});
afterAll(async () => {
  await browser?.close();
  attacker?.stop(true);
  await sandbox?.stop();
});

describe("framing by another origin", () => {
  test("the cockpit and the PGO do not render inside a foreign page's iframe", async () => {
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on("console", (m) => { if (m.text().includes("frame-ancestors")) refused.push(m.text()); });
    // "load" waits for the iframes too (their error pages, when refused).
    await page.goto(`http://localhost:${attacker.port}/`, { waitUntil: "load" });
    await page.getByRole("heading", { name: "Win a prize" }).waitFor();
    await screenshot(page, "framing-01-refused");

    // Nothing of the cockpit or the PGO is reachable in the frames.
    expect(await page.frameLocator("#cockpit").getByRole("button", { name: "Opslaan" }).count()).toBe(0);
    expect(await page.frameLocator("#cockpit").getByText("Storingen").count()).toBe(0);
    expect(await page.frameLocator("#pgo").getByLabel("Wachtwoord").count()).toBe(0);
    for (const frame of page.frames().filter((f) => f.parentFrame())) {
      expect(frame.url()).not.toStartWith(sandbox.url());
      expect(frame.url()).not.toStartWith(sandbox.url("pgo"));
    }
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(sandbox.ctx.faults.get().moduleDown).toBeFalsy();
    await page.close();
  });

  test("the same pages still open on their own", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url()}/faults`);
    await page.getByRole("button", { name: "Opslaan" }).waitFor();
    await page.close();
  });
});
