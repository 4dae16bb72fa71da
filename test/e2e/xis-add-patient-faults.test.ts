/**
 * "Patiënt toevoegen" when the DVA does not answer as it should (issue 11 item 4): down, a 409
 * `duplicate`, 412, 422, 500, or garbage with a 200 or 201. Each is a page with a Trace ID, never
 * a 500. The odd answers come from a small stand-in DVA (Bun.serve) that a network file names as
 * the DVA of a third zorgaanbieder, as a hackathon team's DVA would be named.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadNetwork } from "../../src/network-loader.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { postForm } from "../helpers/journey.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

type Answer = { status: number; body: string; type?: string };
const outcome = (code: string, diagnostics: string) => JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics }] });
const bundle = (resources: object[]) => JSON.stringify({ resourceType: "Bundle", type: "searchset", total: resources.length,
  entry: resources.map((resource) => ({ resource, search: { mode: "match" } })) });

/** What the stand-in DVA answers to `POST /fhir/Patient`; everything else it answers like a quiet DVA. */
let createAnswer: Answer = { status: 500, body: "" };
let standIn: ReturnType<typeof Bun.serve>;
let sandbox: Sandbox;

beforeAll(async () => {
  standIn = Bun.serve({ port: 0, fetch(request) {
    const url = new URL(request.url);
    const fhirJson = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "application/fhir+json" } });
    if (url.pathname === "/token") return Response.json({ access_token: "stand-in", token_type: "Bearer", expires_in: 900, scope: "system/*.*" });
    if (url.pathname === "/fhir/Organization") return fhirJson(200, bundle([{ resourceType: "Organization", id: "org-extern", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/agb-z", value: "09990001" }] }]));
    if (url.pathname === "/fhir/Patient" && request.method === "POST") {
      return new Response(createAnswer.body, { status: createAnswer.status, headers: { "content-type": createAnswer.type ?? "application/fhir+json" } });
    }
    if (url.pathname === "/fhir/Patient") return fhirJson(200, bundle([]));
    return fhirJson(404, outcome("not-found", "onbekend"));
  } });
  const network = structuredClone(await loadNetwork(null)) as NetworkDefinition;
  const origin = `http://127.0.0.1:${standIn.port}`;
  network.dvas.push({ id: "extern", name: "Externe DVA", phone: "000 000 00 00", authHost: origin, fhirHost: origin });
  network.zorgaanbieders.push({ name: "extern@medmij", displayName: "Praktijk Extern", agb: "09990001", dva: "extern", dataServices: ["99"],
    systemClient: { clientId: "his-extern", clientSecret: "his-extern-secret" } });
  network.clinicians.push({ id: "extern", given: "Eva", family: "Extern", role: "Huisarts", zorgaanbieder: "extern@medmij", username: "extern", password: "extern" });
  sandbox = await startTestSandbox({}, network);
});
afterAll(() => { sandbox.stop(); standIn.stop(true); });

const xis = () => sandbox.url("xis");

async function login(username: string): Promise<string> {
  const page = await get(`${xis()}/login`);
  const res = await postForm(`${xis()}/login`, cookiesOf(page), { _csrf: hiddenInput(await page.text(), "_csrf"), username, password: username, next: "/" });
  expect(res.status).toBe(303);
  return cookiesOf(res, cookiesOf(page));
}

/** The add-patient form as a clinician fills it in (a valid BSN, so the portal asks the DVA). */
async function addPatient(jar: string, csrf?: string) {
  const token = csrf ?? hiddenInput(await (await get(`${xis()}/patienten`, { headers: { cookie: jar } })).text(), "_csrf");
  const res = await postForm(`${xis()}/patienten`, jar, { _csrf: token, voornaam: "Ilse", achternaam: "Proef", bsn: "999991048", geboortedatum: "1990-01-01", geslacht: "female" });
  return { status: res.status, location: res.headers.get("location"), html: await res.text() };
}

function expectFriendlyPage(answer: { status: number; html: string }, text?: string) {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(600);
  expect(answer.status).not.toBe(500);
  expect(answer.html).toContain("Trace ID");
  expect(answer.html).not.toMatch(/at .+\.ts:\d+/);
  if (text) expect(answer.html).toContain(text);
}

describe("Patiënt toevoegen when the DVA answers oddly", () => {
  test("the DVA is down (fault dvaDown): a page with the Trace ID", async () => {
    const jar = await login("dehaard");
    const csrf = hiddenInput(await (await get(`${xis()}/patienten`, { headers: { cookie: jar } })).text(), "_csrf");
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dvaDown: "zorgnet" }) });
    try {
      expectFriendlyPage(await addPatient(jar, csrf));
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });

  const odd: [string, Answer, string | undefined][] = [
    ["409 duplicate", { status: 409, body: outcome("duplicate", "BSN 999991048 is bij deze DVA al geregistreerd als Patient/p-1") }, "al geregistreerd"],
    ["412 (several matches)", { status: 412, body: outcome("processing", "If-None-Exist vindt 2 Patient-resources") }, "If-None-Exist vindt 2"],
    ["422 refused", { status: 422, body: outcome("invariant", "birthDate is geen datum") }, "birthDate is geen datum"],
    ["500 with HTML", { status: 500, body: "<html><body>Internal error</body></html>", type: "text/html" }, undefined],
    ["200 with garbage", { status: 200, body: "dit is geen JSON", type: "text/plain" }, undefined],
    ["201 with JSON null", { status: 201, body: "null" }, undefined],
    ["201 without an id", { status: 201, body: JSON.stringify({ resourceType: "Patient" }) }, undefined],
    ["201 with a number as id", { status: 201, body: JSON.stringify({ resourceType: "Patient", id: 5 }) }, undefined],
    ["201 with another resource", { status: 201, body: JSON.stringify({ resourceType: "OperationOutcome", id: "x", issue: [] }) }, undefined],
    ["201 with an id that is a path", { status: 201, body: JSON.stringify({ resourceType: "Patient", id: "../../cockpit" }) }, undefined],
  ];
  for (const [what, answer, text] of odd) {
    test(`${what}: a page with the Trace ID, never a 500`, async () => {
      createAnswer = answer;
      const answered = await addPatient(await login("extern"));
      expectFriendlyPage(answered, text);
      expect(answered.status).toBe(502);
      expect(answered.html).toContain("Patiënt niet toegevoegd");
    });
  }

  test("a good answer from the same stand-in still adds the patient", async () => {
    createAnswer = { status: 201, body: JSON.stringify({ resourceType: "Patient", id: "p-ilse", meta: { versionId: "1" } }) };
    const added = await addPatient(await login("extern"));
    expect(added.status).toBe(303);
    expect(added.location).toBe("/patienten/p-ilse?toegevoegd");
  });
});
