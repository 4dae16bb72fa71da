/**
 * MedMij Beheer's dashboard in Chromium (issue 13 §2): before anything is delivered every
 * participant says "geen aanleveringen"; after Tom's journey htmx updates the overview by itself
 * (no reload) once the PGO and the DVA have delivered; the chain opens as the cockpit's swimlane
 * timeline; a participant's page draws its deliveries as an SVG chart. Also the axe scan.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { checkPage, launch, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

describe("MedMij Beheer's dashboard (issue 13, in Chromium)", () => {
  test("geen aanleveringen → a journey → the overview updates itself → a happy chain's timeline → a participant's chart", async () => {
    const page = await browser.newPage();
    const beheer = sandbox.url("beheer");
    await page.goto(`${beheer}/`);
    await page.getByRole("heading", { name: "Ketenmonitoring" }).waitFor();
    const pgoRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: "MijnGezondheid PGO" }) });
    await expect(pgoRow.getByText("geen aanleveringen").isVisible()).resolves.toBe(true);
    // Both PGOs (MijnGezondheid, MijnZorgApp) and both DVAs.
    expect(await page.getByText("geen aanleveringen").count()).toBe(4);
    await screenshot(page, "beheer-01-leeg");

    // Tom's journey happens elsewhere; the page is not reloaded.
    const tom = await pgoSession(sandbox, "tom");
    await runJourney(sandbox, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
    await sandbox.logDelivery.deliverAll();
    await pgoRow.getByText("technisch OK").waitFor({ timeout: 12_000 });
    expect(await pgoRow.getByText("geen aanleveringen").count()).toBe(0);
    // Zorgnet delivered too; GGZ Connect had no part in it.
    expect(await page.getByRole("row").filter({ has: page.getByRole("link", { name: "GGZ Connect DVA" }) }).getByText("geen aanleveringen").count()).toBe(1);
    await screenshot(page, "beheer-02-na-reis");

    const happy = page.getByRole("link", { name: "Happy flow" });
    await happy.first().waitFor();
    await page.goto(`${beheer}/ketens?soort=happy`);
    const links = await page.getByRole("link", { name: "Happy flow" }).evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    let journey = "";
    for (const href of links) {
      await page.goto(href);
      if (await page.getByText("Flows: Verzamelen, Token exchange, SMART launch, Terugkeer").count()) { journey = href; break; }
    }
    expect(journey).not.toBe("");
    await page.getByRole("heading", { name: "Tijdlijn" }).waitFor();
    // The cockpit's swimlanes: a column per actor that wrote lines.
    for (const column of ["MijnGezondheid PGO", "Zorgnet DVA — autorisatieserver", "Zorgnet DVA — FHIR-server"]) {
      await expect(page.getByRole("columnheader", { name: column }).isVisible()).resolves.toBe(true);
    }
    await page.getByText("receive_redirect_to_pgo_request").first().waitFor();
    await screenshot(page, "beheer-03-keten");

    await page.getByRole("link", { name: "MijnGezondheid PGO (PGO)" }).click();
    await page.getByRole("heading", { name: "MijnGezondheid PGO (PGO)" }).waitFor();
    const chart = page.getByRole("img", { name: /Aanleveringen per 5 minuten/ });
    await expect(chart.isVisible()).resolves.toBe(true);
    expect(await page.locator("svg rect").count()).toBeGreaterThan(0);
    await screenshot(page, "beheer-04-deelnemer");
    await page.close();
  }, 60_000);

  test("axe: the overview, a chain, a participant, a delivery (1280 and 375 px)", async () => {
    const page = await browser.newPage();
    const beheer = sandbox.url("beheer");
    await page.goto(`${beheer}/`);
    const problems = [...await checkPage(page, "beheer-start")];
    const chain = await page.locator('a[href^="/ketens/"]').first().getAttribute("href");
    for (const [name, url] of [["beheer-keten", new URL(chain!, beheer).href], ["beheer-ketens", `${beheer}/ketens`], ["beheer-deelnemer", `${beheer}/deelnemers/pgo.localhost`],
      ["beheer-deelnemer-leeg", `${beheer}/deelnemers/ggzconnect`]] as const) {
      await page.goto(url);
      problems.push(...await checkPage(page, name));
    }
    const delivery = await page.goto(`${beheer}/deelnemers/zorgnet`).then(() => page.locator('a[href^="/aanleveringen/"]').first().getAttribute("href"));
    await page.goto(new URL(delivery!, beheer).href);
    problems.push(...await checkPage(page, "beheer-aanlevering"));
    await page.close();
    expect(problems.map((p) => `${p.page} @${p.width}px ${p.impact} ${p.rule}: ${p.help} [${p.targets.join(" | ")}]`)).toEqual([]);
  }, 60_000);
});
