/**
 * The DVA's own pages when something goes wrong or is asked again (issue 12 §1), over real HTTP:
 * SD 4.2.1 names the zorgaanbieder wherever the DVA knows it (a pending request's scope, a SMART
 * launch's context, a DVA serving one zorgaanbieder), in the DVA's "u"; and a repeated consent
 * (step-up, re-consent) preselects the person's current consent kind for that PGO and zorgaanbieder.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, consentFlow, loginAtDigid as digidLogin } from "../helpers/dva.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, setFaults, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const FORM = { "content-type": "application/x-www-form-urlencoded" };
/** A browser that opens a DVA URL needing DigiD and logs in there (test/helpers/dva.ts). */
async function loginAtDigid(start: string, bsn = "999991012", dvaCookies = "") {
  const login = await digidLogin(sandbox, start, bsn, dvaCookies);
  expect(login.status).toBe(303);
  return login;
}
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
const SUPPLIER = (name: string) => `Dit is de leverancier van het computersysteem van ${name}.`;
const faults = (body: object | null) => setFaults(sandbox, body);

function collectUrl(o: { dva?: string; scope?: string; clientId?: string; state?: string } = {}): string {
  const url = new URL(`${sandbox.url(`auth.${o.dva ?? "zorgnet"}`)}/auth`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: o.clientId ?? "pgo.localhost", redirect_uri: `${sandbox.url("pgo")}/auth_callback`,
    scope: o.scope ?? "delinde", state: o.state ?? "s-1" })) url.searchParams.set(k, v);
  return url.href;
}


/** Through DigiD to the consent screen; its HTML and the DVA cookies. */
async function consentPage(start: string, bsn = "999991012", dvaCookies = ""): Promise<{ html: string; cookies: string }> {
  const { callback, cookies } = await loginAtDigid(start, bsn, dvaCookies);
  const back = await get(callback, { headers: { cookie: cookies } });
  expect(back.status).toBe(303);
  const jar = cookiesOf(back, cookies);
  const consent = await get(new URL(back.headers.get("location")!, callback).href, { headers: { cookie: jar } });
  return { html: await consent.text(), cookies: cookiesOf(consent, jar) };
}

const checkedKind = (html: string) => /<input type="radio" id="kind-(once|long)" name="kind" value="\1" checked/.exec(html)?.[1];

describe("SD 4.2.1 at the DVA names the zorgaanbieder it knows", () => {
  test("a DigiD callback in another browser: the pending request's zorgaanbieder (De Linde, De Berk), in the DVA's 'u'", async () => {
    const otherBrowser = cookiesOf(await get(collectUrl({ state: "other" })));
    for (const [scope, name] of [["delinde", "Huisartsenpraktijk De Linde"], ["fysiodeberk", "Fysiotherapie De Berk"]] as const) {
      const { callback } = await loginAtDigid(collectUrl({ scope }));
      const res = await get(callback, { headers: { cookie: otherBrowser } });
      expect(res.status).toBe(400);
      const page = text(await res.text());
      expect(page).toContain("Technische storing");
      expect(page).toContain(`De uitwisseling is afgebroken. U kunt deze stap bij Zorgnet DVA niet uitvoeren.`);
      expect(page).toContain(`Probeer het later nog eens of neem contact op met Zorgnet DVA, 030 123 45 67. ${SUPPLIER(name)} Als u contact opneemt met Zorgnet DVA, heeft u de volgende gegevens nodig:`);
      expect(page).not.toMatch(/\b(je|jij|jouw)\b/i);
    }
  });

  test("an unverified client at /auth: the zorgaanbieder its scope names; an unknown scope names none", async () => {
    const named = text(await (await get(collectUrl({ clientId: "onbekend.example", scope: "fysiodeberk" }))).text());
    expect(named).toContain(SUPPLIER("Fysiotherapie De Berk"));
    const unnamed = text(await (await get(collectUrl({ clientId: "onbekend.example", scope: "nergens" }))).text());
    expect(unnamed).toContain("Technische storing");
    expect(unnamed).not.toContain("Dit is de leverancier");
  });

  test("a DVA that serves one zorgaanbieder always names it; one that serves two names none for an unknown request", async () => {
    const ggz = text(await (await get(`${sandbox.url("auth.ggzconnect")}/digid/callback?state=onbekend`)).text());
    expect(ggz).toContain(`neem contact op met GGZ Connect DVA, 010 765 43 21. ${SUPPLIER("GGZ Oostland")}`);
    const zorgnet = text(await (await get(`${sandbox.url("auth.zorgnet")}/digid/callback?state=onbekend`)).text());
    expect(zorgnet).toContain("Technische storing");
    expect(zorgnet).not.toContain("Dit is de leverancier");
  });

  test("a SMART authorize from an unverified module: the launch context's zorgaanbieder", async () => {
    const auth = sandbox.url("auth.zorgnet");
    const pgo = await collectTokens(sandbox, { scope: "fysiodeberk" });
    const exchange = await (await fetch(`${auth}/token`, { method: "POST", headers: FORM, body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgo.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience: "zorgmodules-zorgnet", scope: "fysiodeberk", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-fysiodeberk-ademhaling", intent: "startmodule" }),
    }) })).json() as { access_token?: string; error?: string };
    expect(exchange.access_token).toBeString();
    const authorize = new URL(`${auth}/connect/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: "onbekende-module", redirect_uri: "http://elders.example/cb", launch: exchange.access_token!,
      aud: `${sandbox.url("fhir.zorgnet")}/fhir`, state: "s", scope: "launch" })) authorize.searchParams.set(k, v);
    const res = await get(authorize.href);
    expect(res.status).toBe(400);
    expect(text(await res.text())).toContain(SUPPLIER("Fysiotherapie De Berk"));
  });
});

describe("a repeated consent preselects the person's current consent kind (step-up, re-consent)", () => {
  test("no consent → Eenmalig; a long-term consent for this PGO and zorgaanbieder → Langdurig with a note; withdrawn → Eenmalig again", async () => {
    const bsn = "999991036"; // Sanne: no consents in the seed
    const first = await consentPage(collectUrl({ state: "r-1" }), bsn);
    expect(checkedKind(first.html)).toBe("once");
    expect(first.html).not.toContain("al langdurig toestemming gegeven");
    await consentFlow(sandbox, { bsn, kind: "long", state: "r-2" });
    const again = await consentPage(collectUrl({ state: "r-3" }), bsn);
    expect(checkedKind(again.html)).toBe("long");
    expect(text(again.html)).toMatch(/U heeft MijnGezondheid PGO al langdurig toestemming gegeven voor Huisartsenpraktijk De Linde, geldig tot \d{1,2} [a-z]+ \d{4}/);
    // Per zorgaanbieder: De Berk on the same DVA has no consent of Sanne's.
    expect(checkedKind((await consentPage(collectUrl({ scope: "fysiodeberk", state: "r-4" }), bsn, again.cookies)).html)).toBe("once");
    // Withdrawn in the overview → no current consent.
    const overview = await get(`${sandbox.url("auth.zorgnet")}/toestemmingen`, { headers: { cookie: again.cookies } });
    const html = await overview.text();
    for (const id of [...html.matchAll(/name="consent" value="([^"]+)"/g)].map((m) => m[1]!)) {
      const res = await get(`${sandbox.url("auth.zorgnet")}/toestemmingen/intrekken`, { method: "POST", headers: { cookie: cookiesOf(overview, again.cookies), ...FORM },
        body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), consent: id }) });
      expect(res.status).toBe(303);
    }
    expect(checkedKind((await consentPage(collectUrl({ state: "r-5" }), bsn, again.cookies)).html)).toBe("once");
  });

  test("step-up from the PGO (stepUpAlways): accepting the preselected choice keeps the 6-month consent", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    await pgoConnect(sandbox, tom, "delinde@medmij", "999991012", "long");
    const pgo = sandbox.url("pgo");
    await faults({ stepUpAlways: true });
    try {
      const task = await (await get(`${pgo}/taken/delinde%40medmij/task-tom-delinde-medicatiecheck`, { headers: { cookie: tom } })).text();
      const started = await get(`${pgo}/taken/delinde%40medmij/task-tom-delinde-medicatiecheck/starten`, { method: "POST", headers: { cookie: tom, ...FORM },
        body: new URLSearchParams({ _csrf: hiddenInput(task, "_csrf") }) });
      const authUrl = started.headers.get("location")!;
      expect(authUrl).toStartWith(`${sandbox.url("auth.zorgnet")}/auth?`);
      const consent = await consentPage(authUrl);
      const kind = checkedKind(consent.html);
      expect(kind).toBe("long");
      const decision = await get(`${sandbox.url("auth.zorgnet")}/consent`, { method: "POST", headers: { cookie: consent.cookies, ...FORM },
        body: new URLSearchParams({ _csrf: hiddenInput(consent.html, "_csrf"), request: hiddenInput(consent.html, "request"), kind: kind!, action: "grant" }) });
      const back = await get(decision.headers.get("location")!, { headers: { cookie: tom } });
      expect(back.headers.get("location")).toStartWith(`${sandbox.url("module")}/secure/launch?iss=`);
      const connections = text(await (await get(`${pgo}/verbindingen`, { headers: { cookie: tom } })).text());
      expect(connections).toMatch(/Huisartsenpraktijk De Linde Langdurig \(6 maanden\)/);
    } finally {
      await faults(null);
    }
  });
});
