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

const AXE_SOURCE = await Bun.file(`${import.meta.dir}/../../node_modules/axe-core/axe.min.js`).text();

/** The two widths every page is checked at: a laptop and a small phone (issue 12 §3). */
export const WIDTHS = [1280, 375] as const;

export interface AxeProblem { page: string; width: number; rule: string; impact: string; help: string; targets: string[] }

/**
 * Check the page as it is now at each width: axe-core's serious and critical violations, and
 * horizontal scrolling at 375 px; a full-page screenshot per width (`a11y-<name>-<width>.png`).
 * axe is put into the page with `page.evaluate`, which runs outside the page's CSP
 * (`script-src 'self'` blocks an injected script tag), so the page is checked as it is served.
 */
export async function checkPage(page: Page, name: string): Promise<AxeProblem[]> {
  const problems: AxeProblem[] = [];
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
      const result = await axe.run(document);
      return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? "", help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
    });
    for (const v of violations) {
      if (v.impact === "serious" || v.impact === "critical") problems.push({ page: name, width, rule: v.id, impact: v.impact, help: v.help, targets: v.targets.slice(0, 5) });
    }
    const overflow = await page.evaluate(() => {
      const inner = window.innerWidth;
      // The widest elements that stick out, to say what scrolls (leaves first).
      const wide = Array.from(document.body.querySelectorAll("*")).filter((e) => e.getBoundingClientRect().right > inner + 1 && !Array.from(e.children).some((c) => c.getBoundingClientRect().right > inner + 1))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}${e.className && typeof e.className === "string" ? `.${e.className.split(" ").join(".")}` : ""}`);
      return { scroll: document.scrollingElement!.scrollWidth, inner, wide };
    });
    if (overflow.scroll > overflow.inner) {
      problems.push({ page: name, width, rule: "horizontal-scroll", impact: "serious", help: `scrollWidth ${overflow.scroll} > innerWidth ${overflow.inner}`, targets: overflow.wide });
    }
    await screenshot(page, `a11y-${name}-${width}`);
  }
  if (original) await page.setViewportSize(original);
  return problems;
}

/** WCAG relative luminance contrast of two CSS colours as Chromium computes them ("rgb(…)" / "rgba(…)"). */
export function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map((v) => Number(v) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

export interface FocusRing { element: string; ring: string; behind: string; width: number; ratio: number }

/**
 * The focused element's outline and the colour just outside it (what the ring is seen against,
 * found by hit-testing, so a skip link over the header is measured against the header).
 */
export async function focusRing(page: Page): Promise<FocusRing | null> {
  const seen = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body || el === document.documentElement) return null;
    const cs = getComputedStyle(el);
    const width = cs.outlineStyle === "none" ? 0 : parseFloat(cs.outlineWidth);
    const offset = parseFloat(cs.outlineOffset) || 0;
    const r = el.getBoundingClientRect();
    const x = Math.max(0, r.left - offset - width - 2);
    const y = Math.min(window.innerHeight - 1, Math.max(0, r.top + r.height / 2));
    let behind: Element | null = document.elementsFromPoint(x, y).find((e) => e !== el && !el.contains(e)) ?? document.documentElement;
    const opaque = (c: string) => !/rgba\([^)]*,\s*0\)$/.test(c) && c !== "transparent";
    while (behind && !opaque(getComputedStyle(behind).backgroundColor)) behind = behind.parentElement;
    const name = (el.getAttribute("aria-label") ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? "").trim().slice(0, 60);
    return { element: `${el.tagName.toLowerCase()} "${name}"`, ring: cs.outlineColor, width, behind: behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)" };
  });
  return seen ? { ...seen, ratio: seen.width >= 2 ? contrast(seen.ring, seen.behind) : 0 } : null;
}

/** Press Tab until the focused element's accessible name (aria-label, label or text) is `name`; fails after `max` presses. */
export async function tabTo(page: Page, name: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? (el.getAttribute("aria-label") ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? "").trim() : "";
    });
    if (focused === name) return;
  }
  throw new Error(`Tab did not reach "${name}" in ${max} presses`);
}
