/**
 * The person, the page and the keyboard (issue 12 §3), in Chromium: an invitation followed with
 * the keyboard only on a 375 px phone (DigiD choice by Space, consent by arrow keys), "Uitloggen"
 * visible on every PGO page there, a focus ring of at least 3:1 against what surrounds it,
 * "Verversen" showing it is busy, the overview's refresh every minute, and "Ontkoppelen" asking first.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { focusRing, launch, pgoLogin, screenshot, tabTo, type FocusRing } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

const faults = (body: object | null) => fetch(`${sandbox.url()}/api/faults`, body
  ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : { method: "DELETE" });

/** "Uitloggen" lies wholly inside the viewport (at 375 px it was cut off on every PGO page). */
async function logoutVisible(page: Page): Promise<boolean> {
  const box = await page.getByRole("button", { name: "Uitloggen" }).first().boundingBox();
  const width = page.viewportSize()!.width;
  return !!box && box.x >= 0 && box.x + box.width <= width;
}

describe("keyboard and small screens", () => {
  test("Koos follows an invitation with the keyboard only at 375 px: Verbinden, DigiD (nobody preselected), consent, his tasks", async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    const pgo = sandbox.url("pgo");
    await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=ggzoostland@medmij`, "koos");
    await page.getByRole("heading", { name: "Uitnodiging van GGZ Oostland" }).waitFor();
    expect(await page.getByText("Ingelogd als Koos de Groot").count()).toBe(1);
    expect(await logoutVisible(page)).toBe(true);
    await screenshot(page, "keyboard-01-invitation-375");

    await tabTo(page, "Verbinden met GGZ Oostland");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Inloggen" }).waitFor();
    expect(await page.getByLabel("Koos de Groot").isChecked()).toBe(false);
    expect(await page.getByLabel("Tom van Duinen").isChecked()).toBe(false);
    // The persona group is one Tab stop; with nobody checked, Tab lands on the first without choosing it.
    await tabTo(page, "Tom van Duinen");
    expect(await page.getByLabel("Tom van Duinen").isChecked()).toBe(false);
    await page.keyboard.press("ArrowDown");
    expect(await page.getByLabel("Koos de Groot").isChecked()).toBe(true);
    await screenshot(page, "keyboard-02-digid-375");
    await tabTo(page, "Inloggen");
    await page.keyboard.press("Enter");

    await page.getByRole("button", { name: "Toestemming geven" }).waitFor();
    await tabTo(page, "Eenmalig");
    await page.keyboard.press("ArrowDown");
    expect(await page.getByLabel("Langdurig (6 maanden)").isChecked()).toBe(true);
    await tabTo(page, "Toestemming geven");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await page.getByRole("link", { name: "Vragenlijst angst (GAD-7)" }).first().waitFor();
    expect(await page.getByText("Intakevragenlijst kortademigheid").count()).toBe(0); // Koos's tasks, not Tom's
    expect(await logoutVisible(page)).toBe(true);
    await screenshot(page, "keyboard-03-tasks-375");

    for (const path of ["/taken?weergave=week", "/verbindingen", "/zorgaanbieders", "/taken/ggzoostland%40medmij/task-koos-ggzoostland-gad-7-2", "/privacy"]) {
      await page.goto(`${pgo}${path}`);
      if (path !== "/privacy") expect({ path, visible: await logoutVisible(page) }).toEqual({ path, visible: true });
      expect({ path, sideways: await page.evaluate(() => document.scrollingElement!.scrollWidth > window.innerWidth) }).toEqual({ path, sideways: false });
    }
    // Koos's second GAD-7 has not started: no start button, the date instead.
    await page.goto(`${pgo}/taken/ggzoostland%40medmij/task-koos-ggzoostland-gad-7-2`);
    expect(await page.getByRole("button", { name: "Taak starten" }).count()).toBe(0);
    expect(await page.getByText(/Te starten vanaf \d{1,2} \w+ \d{4}/).count()).toBe(1);
    await screenshot(page, "keyboard-04-not-started-375");
    await page.close();
  });

  test("the focus ring is at least 3:1 against what surrounds it, on the page and on the coloured header", async () => {
    const page = await browser.newPage();
    const rings: FocusRing[] = [];
    const tabThrough = async (url: string, presses: number) => {
      await page.goto(url);
      for (let i = 0; i < presses; i++) {
        await page.keyboard.press("Tab");
        const ring = await focusRing(page);
        if (ring) rings.push(ring);
      }
    };
    await tabThrough(`${sandbox.url("pgo")}/login`, 8);
    await pgoLogin(page, `${sandbox.url("pgo")}/login`, "tom");
    await tabThrough(`${sandbox.url("pgo")}/taken`, 16);
    await tabThrough(`${sandbox.url("xis")}/login`, 6);
    await tabThrough(sandbox.url(), 10);
    expect(rings.length).toBeGreaterThan(30);
    expect(rings.some((r) => r.element.startsWith('a "Naar de inhoud"'))).toBe(true);
    expect(rings.some((r) => r.element.startsWith('button "Uitloggen"'))).toBe(true);
    expect(rings.filter((r) => r.ratio < 3)).toEqual([]);
    await page.close();
  });

  test("Verversen shows it is busy while the DVA answers, then the overview comes back", async () => {
    const page = await browser.newPage();
    const pgo = sandbox.url("pgo");
    await pgoLogin(page, `${pgo}/login`, "tom");
    await page.goto(`${pgo}/zorgaanbieders`);
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await page.getByLabel("Tom van Duinen").check();
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("button", { name: "Toestemming geven" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await faults({ latencyMs: 1500 });
    try {
      expect(await page.getByText("Bezig met verversen…").isVisible()).toBe(false);
      await page.getByRole("button", { name: "Verversen" }).click();
      await page.getByText("Bezig met verversen…").waitFor({ state: "visible", timeout: 1000 });
      expect(await page.getByRole("button", { name: "Verversen" }).isDisabled()).toBe(true);
      await screenshot(page, "keyboard-05-verversen-bezig");
      await page.getByText("Bezig met verversen…").waitFor({ state: "hidden", timeout: 10_000 });
    } finally { await faults(null); }
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the open overview asks for a fresh copy every minute (auto), and Ontkoppelen asks first, by keyboard", async () => {
    const page = await browser.newPage();
    const pgo = sandbox.url("pgo");
    await pgoLogin(page, `${pgo}/login`, "tom");
    const polls: string[] = [];
    page.on("request", (r) => { if (new URL(r.url()).pathname === "/taken" && new URL(r.url()).searchParams.get("auto") === "1") polls.push(r.url()); });
    await page.clock.install();
    await page.goto(`${pgo}/taken`);
    await page.clock.runFor(59_000);
    expect(polls).toEqual([]);
    const refreshed = page.waitForResponse((r) => new URL(r.url()).searchParams.get("auto") === "1");
    await page.clock.runFor(2_000);
    await refreshed;
    expect(polls.length).toBe(1);

    await page.goto(`${pgo}/verbindingen`);
    await tabTo(page, "Ontkoppelen van Huisartsenpraktijk De Linde");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Ontkoppelen van Huisartsenpraktijk De Linde?" }).waitFor();
    expect(await page.getByText("de toegangssleutels (access token)").count()).toBe(1); // a one-time consent: no refresh token
    await screenshot(page, "keyboard-06-ontkoppelen");
    await tabTo(page, "Annuleren");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Verbindingen" }).waitFor();
    expect(await page.getByText("Huisartsenpraktijk De Linde").count()).toBe(1); // still connected
    await page.getByRole("link", { name: "Ontkoppelen van Huisartsenpraktijk De Linde" }).click();
    await tabTo(page, "Ja, ontkoppelen");
    await page.keyboard.press("Enter");
    await page.getByText("De verbinding is verbroken").waitFor();
    await page.close();
  });
});
