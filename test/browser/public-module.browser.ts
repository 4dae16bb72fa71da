/**
 * A hackathon team's browser-only SMART app as an external public module (issue 14): static
 * pages on `team-m.localhost` built on fhirclient's browser build (no server side, no client
 * secret, PKCE S256), registered over the sandbox API while it runs, assigned to Tom in the
 * clinician portal, started from the PGO. fhirclient discovers the DVA, authorizes, redeems the
 * code at `/connect/token` with a cross-origin fetch (the DVA's CORS for module origins), PATCHes
 * the Task with If-Match and sends the browser back to the PGO's return_url.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Browser, Request as PwRequest, Response as PwResponse } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { actorApi } from "../helpers/actors.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { digidAndConsent, launch, pgoLogin, screenshot } from "./helpers.ts";

const FIXTURES = `${import.meta.dir}/fixtures/team-module`;
const FHIR_CLIENT = `${import.meta.dir}/../../node_modules/fhirclient/build/fhir-client.js`;
const AD_ID = "ad-delinde-module-team-browser-app";
const TITLE = "Team Browser App";

let sandbox: Sandbox;
let browser: Browser;
let team: Server<unknown>;
let teamOrigin = "";
let clientId = "";
let registered = false;
/** What the team's server was asked, as "METHOD /path?query" (its own log, as a team would read it). */
const teamLog: string[] = [];

/** The team's static module: a host that answers only to its own name, so a hit proves the browser came by `team-m.localhost`. */
function serveTeamModule(): Server<unknown> {
  const files: Record<string, [string, string]> = {
    "/launch": [`${FIXTURES}/launch.html`, "text/html; charset=utf-8"],
    "/callback": [`${FIXTURES}/callback.html`, "text/html; charset=utf-8"],
    "/launch.js": [`${FIXTURES}/launch.js`, "text/javascript; charset=utf-8"],
    "/callback.js": [`${FIXTURES}/callback.js`, "text/javascript; charset=utf-8"],
    "/fhir-client.js": [FHIR_CLIENT, "text/javascript; charset=utf-8"],
  };
  return Bun.serve({
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      teamLog.push(`${request.method} ${url.pathname}${url.search}`);
      if (request.headers.get("host") !== new URL(teamOrigin).host) return new Response("wrong host", { status: 421 });
      if (url.pathname === "/config.js") {
        return new Response(`window.TEAM_MODULE = ${JSON.stringify({ clientId })};`, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" } });
      }
      const file = files[url.pathname];
      if (!file) return new Response("not found", { status: 404 });
      return new Response(Bun.file(file[0]), { headers: { "content-type": file[1], "cache-control": "no-store" } });
    },
  });
}

const api = (path: string, method = "GET", body?: unknown): Promise<{ status: number; json: Json }> => actorApi(sandbox.url(), path, method, body);

/** A CORS preflight for the browser's token request, as Chromium would send it from `origin`. */
const preflight = (origin: string) => fetch(`${sandbox.url("auth.zorgnet")}/connect/token`, { method: "OPTIONS",
  headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" } });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launch();
  team = serveTeamModule();
  teamOrigin = `http://team-m.localhost:${team.port}`;
});
afterAll(async () => {
  if (registered) await api("/api/actors/team-browser-app", "DELETE");
  await browser?.close();
  team?.stop(true);
  await sandbox?.stop();
});

describe("a team's browser-only SMART app on fhirclient as a public module (issue 14)", () => {
  test("registered at run time → assigned in the portal → started from the PGO → fhirclient authorizes (PKCE, no secret) → Task completed → back in the PGO under Klaar", async () => {
    // 1. The team registers its module: no clientSecret, so a public client.
    const created = await api("/api/actors", "POST", { kind: "module", name: TITLE, host: teamOrigin, launchPath: "/launch",
      clients: [{ dva: "zorgnet", redirectUris: ["/callback"] }] });
    expect(created.status).toBe(201);
    registered = true;
    expect(created.json.id).toBe("team-browser-app");
    expect(created.json.resolved.clients[0]).toMatchObject({ dva: "zorgnet", clientId: "team-m.localhost", clientSecret: null, public: true,
      iss: `${sandbox.url("fhir.zorgnet")}/fhir` });
    clientId = created.json.resolved.clients[0].clientId;
    const system = await systemToken(sandbox, "his-delinde");
    expect((await fhir(sandbox, system, "GET", `ActivityDefinition/${AD_ID}`)).json).toMatchObject({ status: "active", title: TITLE });
    expect((await fhir(sandbox, system, "GET", "Endpoint/endpoint-team-browser-app-delinde")).json).toMatchObject({ status: "active", address: `${teamOrigin}/launch` });

    // CORS at the token endpoint: the module's origin may call it, another origin may not.
    const allowed = await preflight(teamOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(teamOrigin);
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    const stranger = await preflight("http://team-x.localhost:1234");
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();

    // 2. Anna de Haard assigns the new module to Tom from De Linde's catalogue.
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push(`${page.url()}: console: ${m.text()}`); });
    await page.goto(`${sandbox.url("xis")}/`);
    await page.getByLabel("Gebruikersnaam").fill("dehaard");
    await page.getByLabel("Wachtwoord").fill("dehaard");
    await page.getByRole("button", { name: "Inloggen" }).click();
    await page.getByRole("heading", { name: "Patiënten" }).waitFor();
    await page.goto(`${sandbox.url("xis")}/patienten/patient-tom`);
    await page.getByRole("heading", { name: "Module toewijzen" }).waitFor();
    expect(await page.getByLabel("Module").locator(`option[value="${AD_ID}"]`).textContent()).toContain(TITLE);
    await page.getByLabel("Module").selectOption(AD_ID);
    await page.getByLabel("Instructie voor de patiënt").fill("Open de app van het team en rond hem af.");
    await page.getByRole("button", { name: "Taak klaarzetten" }).click();
    await page.getByText("De taak is klaargezet").waitFor();
    await screenshot(page, "public-module-01-assigned");

    // 3. Tom connects De Linde in the PGO (DigiD, consent) and starts the new task.
    const auth = sandbox.url("auth.zorgnet");
    const fhirOrigin = sandbox.url("fhir.zorgnet");
    const seen: { authorize?: URL; token?: { request: PwRequest; response: PwResponse; body: Promise<Json> }; fhir: string[] } = { fhir: [] };
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.origin === auth && url.pathname === "/connect/authorize") seen.authorize = url;
      if (url.origin === fhirOrigin) seen.fhir.push(`${r.method()} ${url.pathname}`);
    });
    page.on("response", (r) => {
      if (r.url() === `${auth}/connect/token` && r.request().method() === "POST") seen.token = { request: r.request(), response: r, body: r.json() as Promise<Json> };
    });
    const pgo = sandbox.url("pgo");
    await pgoLogin(page, `${pgo}/verbind?zorgaanbieder=delinde@medmij`, "tom");
    await page.getByRole("button", { name: "Verbinden met Huisartsenpraktijk De Linde" }).click();
    await digidAndConsent(page, "Tom van Duinen");
    await page.getByRole("link", { name: TITLE }).click();
    await page.getByText("onder verantwoordelijkheid van Huisartsenpraktijk De Linde").waitFor();
    await screenshot(page, "public-module-02-pgo-task");
    await page.getByRole("button", { name: "Taak starten" }).click();

    // 4. The team's pages do the rest; the browser ends in the PGO's Klaar list.
    try {
      await page.waitForURL((u) => u.origin === pgo && u.pathname === "/taken" && u.searchParams.get("groep") === "klaar", { timeout: 15_000 });
    } catch (e) {
      await screenshot(page, "public-module-stuck");
      const error = await page.evaluate(() => document.body.dataset.error ?? document.body.innerText.slice(0, 500)).catch(() => "");
      throw new Error(`the journey did not return to the PGO's Klaar list; at ${page.url()}: ${error}\nteam server: ${teamLog.join(", ")}\npage errors: ${pageErrors.join("; ")}\n${(e as Error).message}`);
    }
    await page.getByRole("heading", { name: "Taken van zorgaanbieders" }).waitFor();
    await page.getByRole("link", { name: TITLE }).waitFor();
    await screenshot(page, "public-module-03-klaar");

    // The PGO checked the module answers (HEAD, risk Rc02) before it asked for a launch code; the
    // launch reached the team's host with iss and launch; the callback with code and state.
    expect(teamLog.indexOf("HEAD /launch")).toBeLessThan(teamLog.findIndex((l) => l.startsWith("GET /launch?")));
    const launchHit = teamLog.find((l) => l.startsWith("GET /launch?"));
    expect(launchHit).toBeDefined();
    const launched = new URL(launchHit!.slice(4), teamOrigin);
    expect(launched.searchParams.get("iss")).toBe(`${fhirOrigin}/fhir`);
    expect(launched.searchParams.get("launch")).toBeTruthy();
    expect(teamLog.some((l) => l.startsWith("GET /callback?") && l.includes("code=") && l.includes("state="))).toBe(true);
    // fhirclient's authorize: this public client, PKCE S256, the FHIR base as aud, the launch code.
    expect(seen.authorize).toBeDefined();
    expect(seen.authorize!.searchParams.get("client_id")).toBe("team-m.localhost");
    expect(seen.authorize!.searchParams.get("redirect_uri")).toBe(`${teamOrigin}/callback`);
    expect(seen.authorize!.searchParams.get("code_challenge_method")).toBe("S256");
    expect(seen.authorize!.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seen.authorize!.searchParams.get("aud")).toBe(`${fhirOrigin}/fhir`);
    expect(seen.authorize!.searchParams.get("launch")).toBe(launched.searchParams.get("launch"));
    // The token request was the browser's cross-origin fetch from the team's origin, with no secret, and CORS let it read the answer.
    expect(seen.token).toBeDefined();
    const tokenRequest = seen.token!.request;
    expect(await tokenRequest.headerValue("origin")).toBe(teamOrigin);
    expect(await tokenRequest.headerValue("authorization")).toBeNull();
    const form = new URLSearchParams(tokenRequest.postData() ?? "");
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("client_id")).toBe("team-m.localhost");
    expect(form.get("client_secret")).toBeNull();
    expect(form.get("code_verifier")).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(seen.token!.response.status()).toBe(200);
    expect(await seen.token!.response.headerValue("access-control-allow-origin")).toBe(teamOrigin);
    const tokenBody = await seen.token!.body;
    // The SMART launch context (smart-code.ts): the Task, the patient, and where to send the person back.
    expect(tokenBody.token_type).toBe("Bearer");
    expect(tokenBody.intent).toBe("startmodule");
    expect(tokenBody.patient).toBeString();
    expect(tokenBody.resource).toMatch(/^Task\/[A-Za-z0-9.-]+$/);
    expect(tokenBody.return_url).toStartWith(`${pgo}/launch_callback`);
    expect(tokenBody.refresh_token).toBeUndefined();
    const taskId = String(tokenBody.resource).slice("Task/".length);
    expect(seen.fhir).toContain(`PATCH /fhir/Task/${taskId}`);

    // The DVA's Task is completed and is the one the portal made for this module.
    const task = await fhir(sandbox, system, "GET", `Task/${taskId}`);
    expect(task.status).toBe(200);
    expect(task.json.status).toBe("completed");
    expect(JSON.stringify(task.json.extension ?? [])).toContain(`ActivityDefinition/${AD_ID}`);
    expect(task.json.for.reference).toBe(`Patient/${tokenBody.patient}`);

    // The PGO shows it as done: marked in the Klaar list, and its page says voltooid / Afgerond op.
    expect(new URL(page.url()).searchParams.get("gemarkeerd")).toBe(taskId);
    await page.getByRole("link", { name: TITLE }).click();
    await page.getByText("voltooid", { exact: true }).waitFor();
    expect(await page.getByText("Afgerond op").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Antwoorden bekijken" }).count()).toBe(1);
    await screenshot(page, "public-module-04-done");
    expect(pageErrors).toEqual([]);
    await page.close();

    // The MedMij-check judged the team's module from what the DVA and the PGO saw (issue 14 §3). The
    // pages never revoke their token before going back (fhirclient has no revocation call): that
    // is the rule this module breaks, with the return to the PGO as evidence.
    const check = new Map(((await api("/api/actors/team-browser-app/check")).json.rules as Json[]).map((r) => [r.id, r]));
    const status = Object.fromEntries([...check].map(([k, r]) => [k, r.status]));
    expect(status).toEqual({ "module-discovery": "pass", "module-pkce": "pass", "module-aud": "pass", "module-launch": "pass", "module-read-task": "pass",
      "module-if-match": "pass", "module-transition": "pass", "module-revoke": "fail", "module-return": "pass" });
    expect(check.get("module-revoke")!.evidence).toContain("zonder het token eerst in te trekken");

    // 5. The team removes its module: gone from the API, its origin no longer passes CORS.
    expect((await api("/api/actors/team-browser-app", "DELETE")).json).toEqual({ id: "team-browser-app", removed: true });
    registered = false;
    expect((await api("/api/actors/team-browser-app")).status).toBe(404);
    expect((await preflight(teamOrigin)).status).toBe(403);
    expect((await fhir(sandbox, system, "GET", `ActivityDefinition/${AD_ID}`)).json.status).toBe("retired");
  });
});
