import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { digidAndConsent, launch, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;

beforeAll(async () => { sandbox = await startTestSandbox(); browser = await launch(); });
afterAll(async () => { await browser?.close(); await sandbox?.stop(); });

describe("the clinician's side of the journey in Chromium (SPEC §9, SD 3.1)", () => {
  test("Anna de Haard assigns a weekly MRC to Sanne → the invitation in the mailbox → its link → Sanne's PGO shows the tasks", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url("xis")}/`);
    await page.getByLabel("Gebruikersnaam").fill("dehaard");
    await page.getByLabel("Wachtwoord").fill("dehaard");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("heading", { name: "Patiënten" }).waitFor();
    await page.getByLabel("Zoek patiënt").fill("sanne");
    // htmx filters as you type.
    await page.getByRole("link", { name: "Tom van Duinen" }).waitFor({ state: "detached" });
    expect(await page.getByRole("link", { name: "Sanne van Dijk" }).count()).toBe(1);
    await screenshot(page, "clinician-01-patients");

    await page.getByRole("link", { name: "Sanne van Dijk" }).click();
    await page.getByRole("heading", { name: "Module toewijzen" }).waitFor();
    await page.getByLabel("Module").selectOption({ label: "MRC-schaal kortademigheid" });
    await page.getByLabel("Instructie voor de patiënt").fill("Vul deze elke week in, liefst op dezelfde dag.");
    await page.getByLabel("Herhalen").selectOption("week");
    await page.getByLabel("Aantal keer").fill("2");
    await page.getByLabel("Behandelplan (groepslabel in de PGO)").fill("Controle COPD");
    await page.getByRole("button", { name: "Taak klaarzetten" }).click();
    await page.getByText("2 taken zijn klaargezet en de uitnodiging is verstuurd").waitFor();
    expect(await page.getByText("Vul deze elke week in, liefst op dezelfde dag.").count()).toBe(2);
    await screenshot(page, "clinician-02-assigned");

    await page.goto(`${sandbox.url()}/mailbox`);
    await page.getByRole("link", { name: "Uitnodiging van Huisartsenpraktijk De Linde" }).click();
    await page.getByRole("img", { name: "QR-code van de link" }).waitFor();
    await screenshot(page, "clinician-03-invitation");
    await page.getByRole("link", { name: /verbind\.localhost.*\/code\/\d{7}/ }).click();

    // Verbind.MedMij (issue 14, SD 4.6 steps 4–5): the zorgaanbieder named, only PGOs with modules; Sanne picks the second one.
    expect(new URL(page.url()).host).toBe(new URL(sandbox.url("verbind")).host);
    await page.getByRole("heading", { name: "Taken van Huisartsenpraktijk De Linde openen" }).waitFor();
    expect(await page.getByRole("link", { name: /^Verder met / }).count()).toBe(2);
    await screenshot(page, "clinician-03b-verbind");
    await page.getByRole("link", { name: "Verder met MijnZorgApp" }).click();

    // Sanne has no PGO account yet: she creates one from MijnZorgApp's login page, then connects De Linde (preselected).
    expect(new URL(page.url()).host).toBe(new URL(sandbox.url("mijnzorgapp")).host);
    await page.getByText("Uitnodiging van Huisartsenpraktijk De Linde").first().waitFor();
    await page.getByRole("link", { name: "Account aanmaken" }).click();
    await page.getByLabel("Je naam").fill("Sanne van Dijk");
    await page.getByLabel("Gebruikersnaam").fill("sanne");
    await page.getByLabel("Wachtwoord", { exact: true }).fill("sanne");
    await page.getByLabel("Wachtwoord herhalen").fill("sanne");
    await page.getByRole("button", { name: "Account aanmaken" }).click();
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await digidAndConsent(page, "Sanne van Dijk");
    expect(await page.getByRole("link", { name: "MRC-schaal kortademigheid" }).count()).toBeGreaterThanOrEqual(3);
    expect(new URL(page.url()).host).toBe(new URL(sandbox.url("mijnzorgapp")).host);
    await screenshot(page, "clinician-04-sanne-pgo");
    await page.close();
  });

  test("the live task table pauses while a cancel form is open (no eval under the CSP), and refreshes again once it is closed", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const polls: string[] = [];
    page.on("request", (r) => { if (/\/patienten\/patient-tom\/taken$/.test(new URL(r.url()).pathname)) polls.push(r.url()); });
    await page.clock.install();
    await page.goto(`${sandbox.url("xis")}/login`);
    await page.getByLabel("Gebruikersnaam").fill("dehaard");
    await page.getByLabel("Wachtwoord").fill("dehaard");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.goto(`${sandbox.url("xis")}/patienten/patient-tom`);
    await page.getByText("Annuleren: Intakevragenlijst kortademigheid").click();
    await page.getByLabel("Reden van annuleren").first().fill("Half getypte reden");
    await page.clock.runFor(35_000);
    expect(polls).toEqual([]);
    expect(await page.getByLabel("Reden van annuleren").first().inputValue()).toBe("Half getypte reden");
    await page.getByText("Annuleren: Intakevragenlijst kortademigheid").click();
    await page.clock.runFor(11_000);
    await page.waitForResponse((r) => r.url().endsWith("/patienten/patient-tom/taken"));
    expect(polls.length).toBeGreaterThan(0);
    expect(errors.filter((e) => /Content Security Policy|EvalError/i.test(e))).toEqual([]);
    await page.close();
  });
});
