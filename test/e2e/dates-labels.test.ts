/**
 * One date format per language and one set of status labels (issue 12 §3): no ISO date in the
 * text of any PGO or portal page, the SPEC §3 label for a task in the PGO and in the portal alike,
 * done tasks with when they were done (AM-FE-026), the PGO's privacy statement (AM-FE-042), the
 * portal's "PGO's met modules" (AM-FE-004, from the register over HTTP) and its mark for a task
 * whose period passed without completion (SD 4.6 step 16).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import type { HttpClient } from "../../src/shared/http-client.ts";
import { createPgoList } from "../../src/xis/pgo-list.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
let clinician: string;
const DAY = 86_400_000;
const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/;
/** What a person reads: the text between the tags (attributes such as input values and links are not read). */
const text = (html: string) => html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, "").replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/\s+/g, " ");

async function portalLogin(username: string): Promise<string> {
  const page = await get(`${sandbox.url("xis")}/login`);
  const res = await get(`${sandbox.url("xis")}/login`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(await page.text(), "_csrf"), username, password: username, next: "/" }) });
  return cookiesOf(res, cookiesOf(page));
}
const read = async (url: string, cookie: string) => (await get(url, { headers: { cookie } })).text();

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // A task of Tom's whose period ended without completion (journey step 16).
  const token = await systemToken(sandbox, "his-delinde");
  const intake = (await fhir(sandbox, token, "GET", "Task/task-tom-delinde-intake")).json;
  expect((await fhir(sandbox, token, "PUT", "Task/task-tom-overdue", { body: { ...intake, id: "task-tom-overdue", meta: { profile: intake.meta.profile, tag: intake.meta.tag },
    identifier: [{ system: "https://example.org/test", value: "overdue" }], executionPeriod: { start: new Date(Date.now() - 20 * DAY).toISOString(), end: new Date(Date.now() - 5 * DAY).toISOString() } } })).status).toBeLessThan(300);
  tom = await pgoLogin(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
  clinician = await portalLogin("dehaard");
});
afterAll(() => sandbox.stop());

describe("dates and labels", () => {
  test("no ISO date in the text of the PGO's pages; long Dutch dates instead", async () => {
    const pgo = sandbox.url("pgo");
    for (const path of ["/taken", "/taken?groep=klaar", "/taken?groep=gestopt", "/taken?weergave=week", "/taken/delinde%40medmij/task-tom-delinde-intake",
      "/taken/delinde%40medmij/task-tom-delinde-mrc-1", "/verbindingen", "/verbindingen/ontkoppelen?zorgaanbieder=delinde%40medmij"]) {
      const page = text(await read(`${pgo}${path}`, tom));
      expect({ path, iso: ISO_DATE.exec(page)?.[0] ?? null }).toEqual({ path, iso: null });
      expect({ path, long: /\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december) \d{4}/.test(page) }).toEqual({ path, long: true });
    }
  });

  test("no ISO date in the portal's pages (birth dates included)", async () => {
    const xis = sandbox.url("xis");
    for (const path of ["/patienten", "/patienten/patient-tom", "/taken/task-tom-delinde-mrc-1/resultaat"]) {
      const page = text(await read(`${xis}${path}`, clinician));
      expect({ path, iso: ISO_DATE.exec(page)?.[0] ?? null }).toEqual({ path, iso: null });
    }
  });

  test("the same SPEC §3 label in the PGO and the portal; done tasks say when", async () => {
    const portal = text(await read(`${sandbox.url("xis")}/patienten/patient-tom`, clinician));
    for (const label of ["aangevraagd", "bezig", "voltooid", "geannuleerd"]) expect(portal).toContain(label);
    for (const old of ["Klaargezet", "Afgerond ", "Bezig"]) expect(portal).not.toContain(old);
    const pgo = sandbox.url("pgo");
    expect(text(await read(`${pgo}/taken`, tom))).toContain("aangevraagd");
    expect(text(await read(`${pgo}/taken?groep=gestopt`, tom))).toMatch(/geannuleerd .*Gestopt op \d{1,2} \w+ \d{4} om \d\d:\d\d/);
    expect(text(await read(`${pgo}/taken?groep=klaar`, tom))).toMatch(/voltooid .*Afgerond op \d{1,2} \w+ \d{4} om \d\d:\d\d/);
  });

  test("the portal marks a task whose period passed without completion", async () => {
    const html = await read(`${sandbox.url("xis")}/patienten/patient-tom/taken`, clinician);
    const row = /<tr id="taak-task-tom-overdue">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(row).toContain("Verlopen, niet afgerond");
    const open = /<tr id="taak-task-tom-delinde-intake">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(open).not.toContain("Verlopen, niet afgerond");
    const done = /<tr id="taak-task-tom-delinde-mrc-1">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(done).not.toContain("Verlopen, niet afgerond");
  });
});

describe("the PGO's privacy statement (AM-FE-042)", () => {
  test("public, linked from every PGO page's footer, says what is stored and that modules are the zorgaanbieder's", async () => {
    const pgo = sandbox.url("pgo");
    const res = await get(`${pgo}/privacy`);
    expect(res.status).toBe(200);
    const page = text(await res.text());
    for (const part of ["Privacyverklaring", "Je account", "verzegeld", "Een kopie van je taken", "metadata", "verantwoordelijkheid van je zorgaanbieder, niet van MijnGezondheid PGO"]) {
      expect(page).toContain(part);
    }
    for (const path of ["/login", "/account", "/taken"]) expect(await read(`${pgo}${path}`, tom)).toContain('<a href="/privacy">Privacyverklaring</a>');
    // Not on other actors' pages.
    expect(await read(`${sandbox.url("xis")}/patienten`, clinician)).not.toContain("/privacy");
  });
});

describe("PGO's met modules in the portal (AM-FE-004)", () => {
  test("the patient page names the PGOs of the register's lists", async () => {
    const page = text(await read(`${sandbox.url("xis")}/patienten/patient-tom`, clinician));
    expect(page).toContain("PGO's met modules");
    expect(page).toContain("MijnGezondheid PGO (pgo.localhost)");
    expect(page).toContain("MijnZorgApp (mijnzorgapp.localhost)");
  });

  test("read over HTTP from Verbind.MedMij (issue 14): the PGOs that support Aanbiedermodules; no answer or a wrong shape is null", async () => {
    const verbind = sandbox.url("verbind");
    const asked: string[] = [];
    const http: HttpClient = { send: async (url) => { asked.push(url); return fetch(url); } };
    const pgos = await createPgoList(http, verbind).pgos({ traceId: "t", sessionId: null });
    expect(pgos).toEqual([{ name: "MijnGezondheid PGO", hostname: "pgo.localhost" }, { name: "MijnZorgApp", hostname: "mijnzorgapp.localhost" }]);
    expect(asked).toEqual([`${verbind}/api/pgos`]);
    const down: HttpClient = { send: async () => new Response("", { status: 503 }) };
    expect(await createPgoList(down, verbind).pgos({ traceId: "t", sessionId: null })).toBeNull();
    const wrong: HttpClient = { send: async () => Response.json({ pgos: "alle" }) };
    expect(await createPgoList(wrong, verbind).pgos({ traceId: "t", sessionId: null })).toBeNull();
    const odd: HttpClient = { send: async () => Response.json({ pgos: [{ name: 3 }, { name: "Goed", hostname: "goed.localhost" }] }) };
    expect(await createPgoList(odd, verbind).pgos({ traceId: "t", sessionId: null })).toEqual([{ name: "Goed", hostname: "goed.localhost" }]);
  });
});
