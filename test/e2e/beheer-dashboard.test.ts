/**
 * MedMij Beheer's dashboards show each kind of chain, made by journeys over real HTTP (issue 13
 * §2): a happy flow (Tom's journey), a DVA error (fault tokenExchangeError), a PGO that delivers
 * nothing (a team's external PGO connects; only the DVA delivers: "eenzijdig aangeleverd", and the
 * team PGO shows "geen aanleveringen"), and an abandoned consent (/auth started, never answered;
 * N = 1 s in this network). Plus the per-participant and per-flow figures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { TEAM_PGO, withTeamPgo } from "../helpers/beheer.ts";
import { consentFlow } from "../helpers/dva.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { pgoConnect, pgoLogin, pgoStartConnect, pgoStartTask } from "../helpers/pgo.ts";
import { get, setFaults, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
const page = async (path: string) => {
  const res = await fetch(`${sandbox.url("beheer")}${path}`);
  expect([path, res.status]).toEqual([path, 200]);
  return res.text();
};
/** The trace ids a page links to as chains. */
const chainsOn = (html: string) => [...html.matchAll(/href="\/ketens\/([^"?]+)"/g)].map((m) => decodeURIComponent(m[1]!));

let errorTrace = "";

beforeAll(async () => {
  sandbox = await startTestSandbox({}, await withTeamPgo({ beheer: { host: "beheer", abandonAfterSeconds: 1 } }));
  // Happy: Tom's whole journey.
  const tom = await pgoSession(sandbox, "tom");
  await runJourney(sandbox, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
  // A DVA error: every token exchange fails.
  const koos = await pgoLogin(sandbox, "koos");
  await pgoConnect(sandbox, koos, "delinde@medmij", "999991024");
  await setFaults(sandbox, { tokenExchangeError: "invalid_grant" });
  try {
    const failed = await (await pgoStartTask(sandbox, koos, "task-koos-delinde-stress")).text();
    errorTrace = /Trace ID<\/dt>\s*<dd><code>([^<]+)<\/code>/.exec(failed)?.[1] ?? "";
  } finally { await setFaults(sandbox, null); }
  // The team's PGO connects at the DVA (its browser and back channel are the test), and delivers nothing.
  const redirectUri = `${TEAM_PGO}/callback`;
  const { redirect } = await consentFlow(sandbox, { clientId: "teampgo.localhost", redirectUri, bsn: "999991012" });
  const token = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: redirectUri, client_id: "teampgo.localhost" }) });
  expect(token.status).toBe(200);
  // Abandoned: Verbinden, the DVA's /auth sends the person to DigiD, and nobody comes back.
  const auth = await pgoStartConnect(sandbox, tom, "fysiodeberk@medmij");
  expect((await get(auth)).status).toBe(302);
  await sandbox.logDelivery.deliverAll();
  await Bun.sleep(1_200); // past N and the grace
}, 30_000);
afterAll(async () => { await sandbox.stop(); });

describe("MedMij Beheer's dashboards", () => {
  test("the token exchange with a DVA error ended on it: an alternative flow naming the error", async () => {
    expect(errorTrace).toMatch(/^[0-9a-f-]{36}$/);
    const html = await page(`/ketens/${errorTrace}`);
    expect(html).toContain("Alternatieve flow");
    expect(html).toContain("Geëindigd met een fout: send_token_request_error bij Zorgnet DVA — invalid_grant");
    // The cockpit's swimlane timeline, with both participants' lines.
    expect(html).toContain('class="swimlanes"');
    expect(html).toContain("receive_token_request_error");
    expect(await page("/ketens?soort=alternatief")).toContain(errorTrace.slice(-12));
  });

  test("a chain's page offers its files for triage: the delivered lines from Beheer, the sandbox's NDJSON and HAR from the cockpit", async () => {
    const html = await page(`/ketens/${errorTrace}`);
    const own = `/ketens/${errorTrace}/regels.ndjson`;
    expect(html).toContain(`href="${own}"`);
    const cockpit = sandbox.url("");
    expect(html).toContain(`href="${cockpit}/api/traces/${errorTrace}.har"`);
    expect(html).toContain(`href="${cockpit}/api/traces/${errorTrace}.ndjson"`);
    const res = await fetch(`${sandbox.url("beheer")}${own}`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="keten-${errorTrace}.ndjson"`);
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as { event: { trace_id: string; type: string; location: string } });
    expect(lines.every((l) => l.event.trace_id === errorTrace)).toBe(true);
    const types = lines.map((l) => l.event.type);
    expect(types).toContain("send_token_request_error"); // the PGO's
    expect(types).toContain("receive_token_request_error"); // the DVA's
    const har = await fetch(`${cockpit}/api/traces/${errorTrace}.har`);
    expect(har.status).toBe(200);
    expect(((await har.json()) as { log: { entries: unknown[] } }).log.entries.length).toBeGreaterThan(0);
    // An unknown chain is Beheer's friendly 404, whatever the id looks like.
    for (const id of ["onbekend", "%3Cscript%3E", "a".repeat(300)]) {
      const missing = await fetch(`${sandbox.url("beheer")}/ketens/${id}/regels.ndjson`);
      expect([id, missing.status]).toEqual([id, 404]);
      expect(await missing.text()).toContain("Keten niet gevonden");
    }
  });

  test("Tom's journey is a happy flow, across collect, token exchange, SMART launch and return", async () => {
    const list = await page("/ketens?soort=happy");
    const ids = chainsOn(list);
    expect(ids.length).toBeGreaterThan(0);
    const pages = await Promise.all(ids.map((id) => page(`/ketens/${id}`)));
    const journey = pages.find((p) => p.includes("Flows: <span>Verzamelen, Token exchange, SMART launch, Terugkeer</span>"));
    expect(journey).toBeDefined();
    expect(journey).toContain("Happy flow");
    expect(journey).toContain("Alle deelnemers leverden aan");
    expect(journey).toContain("MijnGezondheid PGO (PGO)");
    expect(journey).toContain("leverde aan");
    // And the connect chain of the journey too: both sides of the authorization.
    expect(pages.some((p) => p.includes("receive_authorization_response") && p.includes("send_authorization_response"))).toBe(true);
  });

  test("a PGO that delivers nothing: its chain is eenzijdig aangeleverd, and it shows 'geen aanleveringen'", async () => {
    const list = await page("/ketens?soort=eenzijdig");
    expect(list).toContain("Geen regels van Team PGO (PGO): alleen Zorgnet DVA leverde deze keten aan.");
    const chain = await page(`/ketens/${chainsOn(list)[0]}`);
    expect(chain).toContain("leverde niets aan");
    const home = await page("/");
    const row = /<tr>(?:(?!<\/tr>)[\s\S])*Team PGO(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(home)?.[0] ?? "";
    expect(row).toContain("geen aanleveringen");
    expect(await page("/deelnemers/teampgo.localhost")).toContain("Geen aanleveringen.");
    // A participant that delivered is not.
    expect(/<tr>(?:(?!<\/tr>)[\s\S])*MijnGezondheid PGO(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(home)?.[0]).toContain("technisch OK");
  });

  test("a consent request nobody answered: afgehaakt after N, naming the step", async () => {
    const list = await page("/ketens?soort=afgehaakt");
    expect(list).toContain("De persoon is afgehaakt: Geen vervolg op");
    expect(list).toContain("binnen 1 seconde.");
    const chain = await page(`/ketens/${chainsOn(list)[0]}`);
    expect(chain).toContain("send_authorization_request");
    expect(chain).toContain("receive_authorization_request");
  });

  test("per participant: deliveries over time (an SVG), lines with functional errors, bereikbaarheid", async () => {
    const html = await page("/deelnemers/pgo.localhost");
    expect(html).toContain("<svg");
    expect(html).toMatch(/Aanleveringen per 5 minuten, het laatste uur: [1-9]\d* technisch OK, 0 niet OK/);
    expect(html).toContain("receive_token_request_error");
    expect(html).toContain("Bereikbaarheid");
    expect(html).toMatch(/deed MijnGezondheid PGO [1-9][\d.]* verzoeken aan andere partijen; 0 keer was de andere partij niet bereikbaar/);
    // The htmx partial is the same part of the page.
    expect(await page("/partials/deelnemer?u=pgo.localhost")).toContain("Regels met een functionele fout");
  });

  test("per flow: success rate and time between matching events; the token exchange failed once", async () => {
    const html = await page("/");
    for (const flow of ["Verzamelen", "Token exchange", "SMART launch", "Terugkeer"]) expect(html).toContain(flow);
    const row = (label: string) => new RegExp(`<td data-label="Flow">Token exchange</td><td data-label="Stap"><code>${label}</code></td><td data-label="Aantal">(\\d+)</td><td data-label="Geslaagd">([^<]+)</td>`).exec(html);
    const pgoSide = row("PGO: send_token_request → receive_token_response");
    expect(pgoSide?.slice(1)).toEqual(["2", "50 %"]);
    expect(html).toContain("Geslaagd per flow");
    expect((await page("/partials/overzicht")).includes("Deelnemers")).toBe(true);
  });
});
