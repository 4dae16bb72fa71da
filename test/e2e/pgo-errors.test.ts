/**
 * Errors that reach the person in the PGO (issue 12 §1), over real HTTP: every token exchange
 * refusal of the Storingen page ends on SD 4.2.1 or the Rc04 text (never a raw 500), a stopped
 * DigiD login is told apart from a refused consent, the Rc02/Rc04 texts follow the SD's measures,
 * and "Starten mislukt" after a module sent the person back early names the provider and DVA.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { OAUTH_ERROR_CODES } from "../../src/shared/faults.ts";
import { pgoConnect, pgoLogin, pgoStartConnect, pgoStartTask } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, setFaults, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoLogin(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
});
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const faults = (body: object | null) => setFaults(sandbox, body);
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/\s+/g, " ");

const startTask = (task: string, cookies = tom) => pgoStartTask(sandbox, cookies, task);

/** SD 4.2.1, filled in: DVA, its phone, the zorgaanbieder it supplies, Trace ID and Session ID. */
function expectTechnicalFailure(html: string, code: string) {
  const page = text(html);
  expect(html).toContain("<h1>Technische storing</h1>");
  expect(page).toContain("De uitwisseling is afgebroken. Je kunt deze stap bij Zorgnet DVA niet uitvoeren.");
  expect(page).toContain("neem contact op met Zorgnet DVA, 030 123 45 67. Dit is de leverancier van het computersysteem van Huisartsenpraktijk De Linde.");
  expect(page).toMatch(/Trace ID [0-9a-f-]{36} Session ID [0-9a-f]{16}/);
  expect(page).toContain(code);
}

describe("token exchange refused (SD 3.4 step 4): every code of the fault's list", () => {
  test.each(OAUTH_ERROR_CODES.map((c) => [c]))("tokenExchangeError %s → an SD page, never a 500", async (code) => {
    await faults({ tokenExchangeError: code });
    try {
      const res = await startTask("task-tom-delinde-intake");
      const html = await res.text();
      expect(res.headers.get("content-type")).toStartWith("text/html");
      if (code === "temporarily_unavailable") {
        // RFC 6749: the server is temporarily unable to handle the request → risk Rc04.
        expect(res.status).toBe(503);
        expect(text(html)).toContain("De tussenleverancier (DVA) van Huisartsenpraktijk De Linde, Zorgnet DVA, is tijdelijk niet beschikbaar, neem contact op met je zorgaanbieder Huisartsenpraktijk De Linde.");
      } else {
        expect(res.status).toBe(502);
        expectTechnicalFailure(html, code);
      }
    } finally {
      await faults(null);
    }
  });

  test("invalid_client (401 with WWW-Authenticate) and server_error (500) were the raw 500s: their code shows in the details", async () => {
    for (const code of ["invalid_client", "server_error"] as const) {
      await faults({ tokenExchangeError: code });
      try {
        const html = await (await startTask("task-tom-delinde-intake")).text();
        expect(html).toContain(`Technische details: <span>${code}: sandbox-storing tokenExchangeError staat aan</span>`);
      } finally {
        await faults(null);
      }
    }
  });
});

describe("Rc02 and Rc04 follow the SD's measures", () => {
  test("module down (Rc02): 'De module is niet beschikbaar, neem contact op met je zorgaanbieder …'", async () => {
    await faults({ moduleDown: true });
    try {
      const res = await startTask("task-tom-delinde-intake");
      expect(res.status).toBe(503);
      expect(text(await res.text())).toContain("De module is niet beschikbaar, neem contact op met je zorgaanbieder Huisartsenpraktijk De Linde.");
    } finally {
      await faults(null);
    }
  });

  test("DVA down (Rc04): the tussenleverancier named with the zorgaanbieder, and the zorgaanbieder as the contact", async () => {
    const page = await (await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake`, { headers: { cookie: tom } })).text();
    await faults({ dvaDown: "zorgnet" });
    try {
      const res = await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake/starten`, { method: "POST", headers: { cookie: tom, ...FORM },
        body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf") }) });
      expect(res.status).toBe(503);
      const page2 = text(await res.text());
      expect(page2).toContain("De tussenleverancier (DVA) van Huisartsenpraktijk De Linde, Zorgnet DVA, is tijdelijk niet beschikbaar, neem contact op met je zorgaanbieder Huisartsenpraktijk De Linde.");
      expect(page2).not.toMatch(/\b(u|uw)\b/);
    } finally {
      await faults(null);
    }
  });
});

/** Press Verbinden, then at the DigiD simulator press "Annuleren" (or log in while the fault digidCancel is on). */
async function digidStopped(cookies: string, zorgaanbieder: string, action: "cancel" | "login"): Promise<Response> {
  const authUrl = await pgoStartConnect(sandbox, cookies, zorgaanbieder);
  const toDigid = await get(authUrl);
  const dvaCookies = cookiesOf(toDigid);
  const login = await get(toDigid.headers.get("location")!);
  const html = await login.text();
  const back = await get(`${sandbox.url("digid")}/authenticate`, { method: "POST", headers: { cookie: cookiesOf(login), ...FORM },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"), persona: "999991012", action }) });
  const callback = await get(back.headers.get("location")!, { headers: { cookie: dvaCookies } });
  expect(callback.status).toBe(302);
  const redirect = new URL(callback.headers.get("location")!);
  // The DVA's answer: access_denied with the one description that says DigiD was stopped.
  expect(redirect.searchParams.get("error")).toBe("access_denied");
  expect(redirect.searchParams.get("error_description")).toBe("de persoon heeft het inloggen met DigiD afgebroken");
  return get(redirect.href, { headers: { cookie: cookies } });
}

describe("a stopped DigiD login is not a refused consent (seed 003 'Duiding van errors')", () => {
  test("DigiD simulator 'Annuleren' → 'Inloggen met DigiD gestopt', naming the DVA and the zorgaanbieder", async () => {
    const res = await digidStopped(tom, "fysiodeberk@medmij", "cancel");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Inloggen met DigiD gestopt</h1>");
    expect(text(html)).toContain("Je hebt het inloggen met DigiD bij Zorgnet DVA, de dienstverlener van Fysiotherapie De Berk, afgebroken. Er is geen verbinding gemaakt met Fysiotherapie De Berk en er is niets gedeeld.");
    expect(html).not.toContain("geen toestemming");
    expect(html).toContain('href="/verbind?zorgaanbieder=fysiodeberk%40medmij"');
  });

  test("fault digidCancel → the same page; the DVA logs the cancellation and the access_denied it sent", async () => {
    await faults({ digidCancel: true });
    try {
      const res = await digidStopped(tom, "fysiodeberk@medmij", "login");
      expect(await res.text()).toContain("<h1>Inloggen met DigiD gestopt</h1>");
      const lines = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.location === "auth.zorgnet.localhost");
      expect(lines.filter((l) => l.event.type === "receive_authorization_cancellation").at(-1)!.error).toMatchObject({ code: "cancelled" });
      const line = lines.filter((l) => l.event.type === "send_authorization_request_error").at(-1)!;
      expect(line.error).toMatchObject({ code: "access_denied", description: "de persoon heeft het inloggen met DigiD afgebroken", status: 302 });
    } finally {
      await faults(null);
    }
  });

  test("consent refused keeps its own page; another DVA's access_denied naming DigiD counts as a DigiD stop", async () => {
    const authUrl = new URL(await pgoStartConnect(sandbox, tom, "fysiodeberk@medmij"));
    const state = authUrl.searchParams.get("state")!;
    const refused = await get(`${pgo()}/auth_callback?error=access_denied&error_description=${encodeURIComponent("de persoon heeft geen toestemming gegeven")}&state=${state}`, { headers: { cookie: tom } });
    expect(await refused.text()).toContain("<h1>Je hebt geen toestemming gegeven</h1>");
    const other = new URL(await pgoStartConnect(sandbox, tom, "fysiodeberk@medmij")).searchParams.get("state")!;
    const digid = await get(`${pgo()}/auth_callback?error=access_denied&error_description=${encodeURIComponent("User cancelled the DigiD authentication")}&state=${other}`, { headers: { cookie: tom } });
    expect(await digid.text()).toContain("<h1>Inloggen met DigiD gestopt</h1>");
  });
});

describe("'Starten mislukt' (SD 4.2.3) names the task's provider, its DVA and phone", () => {
  test("an expired launch code: the module sends the person back without return_url parameters; the PGO knows the launch", async () => {
    await faults({ launchCodeTtlSeconds: 0 });
    try {
      const started = await startTask("task-tom-delinde-intake");
      expect(started.status).toBe(303);
      // The module: launch → /connect/authorize (the code has expired) → its callback → its error page.
      const launch = await get(started.headers.get("location")!, { headers: { referer: `${pgo()}/taken` } });
      const moduleCookies = cookiesOf(launch);
      const refusal = await get(launch.headers.get("location")!);
      expect(new URL(refusal.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
      const errorPage = await (await get(refusal.headers.get("location")!, { headers: { cookie: moduleCookies } })).text();
      const back = /href="([^"]*\/launch_callback[^"]*)"/.exec(errorPage)![1]!.replace(/&amp;/g, "&");
      expect(new URL(back).searchParams.has("zorgaanbieder")).toBe(false);
      const html = await (await get(back, { headers: { cookie: tom } })).text();
      const page = text(html);
      expect(html).toContain("<h1>Starten mislukt</h1>");
      expect(page).toContain("Je kunt de taak niet uitvoeren bij Huisartsenpraktijk De Linde, er ging iets mis bij het starten van de applicatie en je werd teruggestuurd naar MijnGezondheid PGO. Probeer het nog eens of neem contact op met Zorgnet DVA, 030 123 45 67. Dit is de leverancier van het computersysteem van Huisartsenpraktijk De Linde.");
      expect(page).toContain("Taak: Intakevragenlijst kortademigheid");
      expect(page).not.toMatch(/je zorgaanbieder|de dienstverlener/);
      // The return joins the launch's trace.
      const launchLine = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.type === "send_smart_launch_request").at(-1)!;
      expect(page).toContain(`Trace ID ${launchLine.event.trace_id}`);
      // With the return_url's parameters they win over the latest launch (here a provider on another DVA).
      const named = text(await (await get(`${pgo()}/launch_callback?zorgaanbieder=ggzoostland%40medmij&taak=x&error=access_denied`, { headers: { cookie: tom } })).text());
      expect(named).toContain("Je kunt de taak niet uitvoeren bij GGZ Oostland");
      expect(named).toContain("neem contact op met GGZ Connect DVA, 010 765 43 21. Dit is de leverancier van het computersysteem van GGZ Oostland.");
    } finally {
      await faults(null);
    }
  });
});
