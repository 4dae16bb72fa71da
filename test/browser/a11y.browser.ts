/**
 * Every page of every actor through axe-core at 1280 px and 375 px (issue 12 §3): no serious or
 * critical violation, no sideways scrolling at 375 px, and a screenshot of each in
 * test-output/browser/a11y-*.png. Pages behind a flow (DigiD, consent, the module) are checked
 * where the flow stands, without reloading single-use steps.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { checkPage, launch, pgoLogin, type AxeProblem } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

const faults = (body: object | null) => fetch(`${sandbox.url()}/api/faults`, body
  ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : { method: "DELETE" });

/** Visit each [name, url] and check it; returns every problem found. */
async function visitAll(page: Page, pages: [string, string][]): Promise<AxeProblem[]> {
  const problems: AxeProblem[] = [];
  for (const [name, url] of pages) {
    await page.goto(url);
    problems.push(...await checkPage(page, name));
  }
  return problems;
}

const report = (problems: AxeProblem[]) => problems.map((p) => `${p.page} @${p.width}px ${p.impact} ${p.rule}: ${p.help} [${p.targets.join(" | ")}]`);

describe("accessibility and small screens, every page (axe-core, 1280 px and 375 px)", () => {
  test("PGO, DigiD simulator, DVA consent and the module, along Tom's journey", async () => {
    const page = await browser.newPage();
    const pgo = sandbox.url("pgo");
    const problems: AxeProblem[] = [];
    problems.push(...await visitAll(page, [["pgo-login", `${pgo}/login`], ["pgo-account", `${pgo}/account`], ["pgo-privacy", `${pgo}/privacy`]]));
    await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=delinde@medmij`, "tom");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).waitFor();
    problems.push(...await checkPage(page, "pgo-verbind"));
    problems.push(...await visitAll(page, [["pgo-taken-leeg", `${pgo}/taken`], ["pgo-zorgaanbieders", `${pgo}/zorgaanbieders`]]));
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await page.getByLabel("Tom van Duinen").waitFor();
    problems.push(...await checkPage(page, "digid-inloggen"));
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("alert").waitFor();
    problems.push(...await checkPage(page, "digid-geen-keuze"));
    await page.getByLabel("Tom van Duinen").check();
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByLabel("Langdurig (6 maanden)").waitFor();
    problems.push(...await checkPage(page, "dva-toestemming"));
    await page.getByLabel("Langdurig (6 maanden)").check();
    await page.getByRole("button", { name: "Toestemming geven" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    // Issue 15: the DVA's confirmation of a standalone module launch (KoppelMij 2026), in this browser's DVA session.
    await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour: "koppelmij-2026" }) });
    await page.goto(`${sandbox.url("auth.zorgnet")}/connect/authorize?${new URLSearchParams({ response_type: "code", client_id: "zorgmodules-zorgnet",
      redirect_uri: `${sandbox.url("module")}/callback`, scope: "launch/patient patient/*.read", state: "a11y", aud: `${sandbox.url("fhir.zorgnet")}/fhir`,
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" })}`);
    await page.getByRole("heading", { name: "Toestemming voor een module" }).waitFor();
    problems.push(...await checkPage(page, "dva-standalone-toestemming"));
    await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour: "sd-0.2" }) });
    const task = (id: string) => `${pgo}/taken/${encodeURIComponent("delinde@medmij")}/${id}`;
    problems.push(...await visitAll(page, [
      ["pgo-taken-te-doen", `${pgo}/taken`], ["pgo-taken-klaar", `${pgo}/taken?groep=klaar`], ["pgo-taken-gestopt", `${pgo}/taken?groep=gestopt`],
      ["pgo-week", `${pgo}/taken?weergave=week`], ["pgo-taak", task("task-tom-delinde-intake")], ["pgo-taak-later", task("task-tom-delinde-mrc-2")],
      ["pgo-taak-klaar", task("task-tom-delinde-mrc-1")], ["pgo-taak-gestopt", task("task-tom-delinde-phq-9")], ["pgo-taak-onbekend", task("task-nope")],
      ["pgo-verbindingen", `${pgo}/verbindingen`], ["pgo-ontkoppelen", `${pgo}/verbindingen/ontkoppelen?zorgaanbieder=delinde@medmij`],
      ["pgo-starten-mislukt", `${pgo}/launch_callback?zorgaanbieder=delinde@medmij&taak=task-tom-delinde-intake&error=access_denied`],
    ]));

    // The module: a questionnaire step, an information page, the answers read-only, its landing and error page.
    await page.goto(task("task-tom-delinde-intake"));
    await page.getByRole("button", { name: "Taak starten" }).click();
    await page.getByText("Hallo Tom,").waitFor();
    problems.push(...await checkPage(page, "module-vragenlijst"));
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await page.goto(task("task-tom-delinde-leven-met-copd"));
    await page.getByRole("button", { name: "Taak starten" }).click();
    await page.getByRole("button", { name: "Gelezen" }).waitFor();
    problems.push(...await checkPage(page, "module-informatie"));
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await page.goto(task("task-tom-delinde-mrc-1"));
    await page.getByRole("button", { name: "Antwoorden bekijken" }).click();
    await page.getByText("U heeft deze vragenlijst afgerond").waitFor();
    problems.push(...await checkPage(page, "module-antwoorden"));
    await page.getByRole("button", { name: "Terug naar PGO" }).click();
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    problems.push(...await visitAll(page, [["module-start", `${sandbox.url("module")}/`],
      ["module-fout", `${sandbox.url("module")}/launch?iss=${encodeURIComponent(`${sandbox.url("fhir.zorgnet")}/fhir`)}&launch=ongeldig`]]));

    // The PGO's error pages: a refused token exchange (SD 4.2.1) and a module that is down (Rc02).
    await faults({ tokenExchangeError: "invalid_request" });
    try {
      await page.goto(task("task-tom-delinde-intake"));
      await page.getByRole("button", { name: "Taak starten" }).click();
      await page.getByRole("heading", { name: "Technische storing" }).waitFor();
      problems.push(...await checkPage(page, "pgo-technische-storing"));
    } finally { await faults(null); }
    await faults({ moduleDown: true });
    try {
      await page.goto(task("task-tom-delinde-intake"));
      await page.getByRole("button", { name: "Taak starten" }).click();
      await page.getByText("is tijdelijk niet beschikbaar").first().waitFor();
      problems.push(...await checkPage(page, "pgo-module-onbereikbaar"));
    } finally { await faults(null); }

    // The DVA's own pages, with the DigiD session of this browser.
    const auth = sandbox.url("auth.zorgnet");
    problems.push(...await visitAll(page, [["dva-start", `${auth}/`], ["dva-toestemmingen", `${auth}/toestemmingen`],
      ["dva-fout", `${auth}/auth?client_id=onbekend&response_type=code`], ["dva-fhir-start", `${sandbox.url("fhir.zorgnet")}/`]]));
    await page.close();
    expect(report(problems)).toEqual([]);
  });

  test("the consent refused, and the DigiD simulator's own pages", async () => {
    const page = await browser.newPage();
    const pgo = sandbox.url("pgo");
    const problems: AxeProblem[] = [];
    await pgoLogin(page, `${pgo}/login`, "koos");
    await page.goto(`${pgo}/zorgaanbieders`);
    await page.getByRole("button", { name: "Verbinden met GGZ Oostland" }).click();
    await page.getByLabel("Koos de Groot").check();
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("button", { name: "Annuleren" }).click();
    await page.getByRole("heading", { name: "Je hebt geen toestemming gegeven" }).waitFor();
    problems.push(...await checkPage(page, "pgo-geen-toestemming"));
    problems.push(...await visitAll(page, [["digid-start", `${sandbox.url("digid")}/`],
      ["digid-fout", `${sandbox.url("digid")}/authenticate?return_url=${encodeURIComponent("http://elders.example/")}&state=s`]]));
    await page.close();
    expect(report(problems)).toEqual([]);
  });

  test("clinician portal, cockpit and register", async () => {
    const page = await browser.newPage();
    const xis = sandbox.url("xis");
    const problems: AxeProblem[] = [];
    problems.push(...await visitAll(page, [["xis-login", `${xis}/login`]]));
    await page.getByLabel("Gebruikersnaam").fill("vanrijn");
    await page.getByLabel("Wachtwoord").fill("vanrijn");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("heading", { name: "Patiënten" }).waitFor();
    problems.push(...await checkPage(page, "xis-patienten"));
    await page.goto(`${xis}/patienten/patient-koos`);
    problems.push(...await checkPage(page, "xis-patient"));
    await page.getByRole("button", { name: "Uitnodiging versturen" }).click();
    await page.getByRole("status").waitFor();
    problems.push(...await visitAll(page, [["xis-resultaat", `${xis}/taken/task-koos-ggzoostland-ggz-intake/resultaat`], ["xis-onbekend", `${xis}/patienten/bestaat-niet`]]));

    const cockpit = sandbox.url();
    problems.push(...await visitAll(page, [["cockpit-start", `${cockpit}/`], ["cockpit-storingen", `${cockpit}/faults`], ["register", `${sandbox.url("register")}/`],
      ["cockpit-postvak", `${cockpit}/mailbox`]]));
    const mail = await page.locator('a[href^="/mailbox/"]').first().getAttribute("href");
    problems.push(...await visitAll(page, [["cockpit-mail", new URL(mail!, cockpit).href], ["cockpit-logs", `${cockpit}/logs`]]));
    const trace = await page.locator('a[href*="trace_id="]').first().getAttribute("href");
    problems.push(...await visitAll(page, [["cockpit-trace", new URL(trace!, cockpit).href], ["beheer-start", `${sandbox.url("beheer")}/`]]));

    // Issue 14: Verbind.MedMij, "Eigen actor" with a registered actor and its MedMij-check, and a form with problems.
    const code = sandbox.ctx.network.zorgaanbieders[0]!.verbindCode;
    const verbind = sandbox.url("verbind");
    problems.push(...await visitAll(page, [["verbind-start", `${verbind}/`], ["verbind-code", `${verbind}/code/${code}`], ["verbind-onbekend", `${verbind}/code/1234567`]]));
    const registered = await fetch(`${cockpit}/api/actors`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "pgo", host: "http://a11y.localhost:3000", displayName: "Toegankelijke PGO" }) });
    expect(registered.status).toBe(201);
    problems.push(...await visitAll(page, [["cockpit-eigen-actor", `${cockpit}/actors`], ["cockpit-medmij-check", `${cockpit}/actors/pgo-a11y-localhost/check`]]));
    await page.goto(`${cockpit}/actors?soort=module`);
    await page.getByLabel(/JSON van de actor/).fill('{"kind": "module", "name": "x"}');
    await page.getByRole("button", { name: "Aanmelden" }).click();
    await page.getByRole("alert").waitFor();
    problems.push(...await checkPage(page, "cockpit-eigen-actor-fout"));
    await fetch(`${cockpit}/api/actors/pgo-a11y-localhost`, { method: "DELETE", headers: { authorization: `Bearer ${(await registered.json() as { owner_token: string }).owner_token}` } });
    // The token inspector and the launch link generator, each with a result.
    problems.push(...await visitAll(page, [["cockpit-tokens", `${cockpit}/tokens?bsn=999991012&client=`]]));
    await page.getByLabel("Token of code").fill("onbekend-token");
    await page.getByRole("button", { name: "Bekijken" }).click();
    await page.getByRole("heading", { name: "Uitkomst" }).waitFor();
    problems.push(...await checkPage(page, "cockpit-tokens-uitkomst"));
    problems.push(...await visitAll(page, [["cockpit-launch-link", `${cockpit}/launch-link`]]));
    await page.getByRole("button", { name: "Launch-link maken" }).click();
    await page.locator("#launch-link").waitFor();
    problems.push(...await checkPage(page, "cockpit-launch-link-gemaakt"));
    await page.close();
    expect(report(problems)).toEqual([]);
  });
});
