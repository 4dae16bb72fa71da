/**
 * Headless Chromium for journey tests: Debian's chromium via playwright-core (never
 * `playwright install`), with the flags PITFALLS.md lists. Screenshots go to test-output/.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const OUTPUT = `${import.meta.dir}/../../test-output/browser`;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}/${name}.png`, fullPage: true });
}

/** At the DigiD simulator and then the DVA's consent screen: log in as a persona, give long-term consent. */
export async function digidAndConsent(page: Page, persona: string): Promise<void> {
  await page.getByLabel(persona).check();
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.getByLabel("Langdurig (6 maanden)").check();
  await page.getByRole("button", { name: "Toestemming geven" }).click();
  await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
}

/** Open a PGO page that asks for a login (or /login itself) and log in; password = username for the personas. */
export async function pgoLogin(page: Page, startUrl: string, username: string): Promise<void> {
  await page.goto(startUrl);
  await page.getByLabel("Gebruikersnaam").fill(username);
  await page.getByLabel("Wachtwoord").fill(username);
  await page.getByRole("button", { name: "Inloggen" }).click();
}

/** "Verbinden met <provider>" from the provider list, then DigiD and consent. */
export async function connectProvider(page: Page, pgoOrigin: string, provider: string, persona: string): Promise<void> {
  await page.goto(`${pgoOrigin}/zorgaanbieders`);
  await page.getByRole("button", { name: `Verbinden met ${provider}` }).click();
  await digidAndConsent(page, persona);
}
