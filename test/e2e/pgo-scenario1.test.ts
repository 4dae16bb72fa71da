/**
 * SPEC §3: "the PGO must show the Scenario 1 set by the display guideline (20 tasks, all 12
 * statuses, one row per business identifier)". The official set is loaded into DVA zorgnet
 * unchanged with De Linde's system token; only its Patient gets a BSN, because the published one
 * is masked (and the IG page's 999990188 fails the 11-check), so that DigiD can find the person.
 * Then a PGO account connects De Linde as that person and the overview is read.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import type { Sandbox } from "../../src/sandbox.ts";
import { bsnSequence } from "../../src/shared/bsn.ts";
import { pgoConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const SET = `${import.meta.dir}/../../../shared/medmij-examples/providertasks-scenario-1`;
const available = existsSync(SET);
let sandbox: Sandbox;
let bsn: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  if (!available) return;
  const personas = new Set(sandbox.ctx.network.patients.map((p) => p.bsn));
  const candidates = bsnSequence(999990100);
  do bsn = candidates.next().value!; while (personas.has(bsn));
  const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` },
    body: "grant_type=client_credentials" })).json()).access_token as string;
  for (const file of readdirSync(SET).filter((f) => f.endsWith(".json"))) {
    const resource = await Bun.file(`${SET}/${file}`).json();
    if (resource.resourceType === "Patient") resource.identifier = [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: bsn }];
    const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${resource.resourceType}/${resource.id}`, {
      method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" }, body: JSON.stringify(resource) });
    expect([200, 201]).toContain(res.status);
  }
});
afterAll(() => sandbox.stop());

async function newAccount(username: string): Promise<string> {
  const pgo = sandbox.url("pgo");
  const page = await get(`${pgo}/account`);
  const res = await get(`${pgo}/account`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(await page.text(), "_csrf"), next: "/", name: "Tom van Duinen (Scenario 1)", username, password: "scenario", password2: "scenario" }) });
  expect(res.status).toBe(303);
  return cookiesOf(res, cookiesOf(page));
}

describe.skipIf(!available)("the official Scenario 1 set in the PGO (SPEC §3 display guideline)", () => {
  test("20 tasks, all 12 statuses, one row per business identifier: Te doen 12, Klaar 3, Gestopt 4", async () => {
    const cookies = await newAccount("scenario1");
    await pgoConnect(sandbox, cookies, "delinde@medmij", bsn);
    const page = async (group: string) => (await (await get(`${sandbox.url("pgo")}/taken?groep=${group}`, { headers: { cookie: cookies } })).text());
    const html = await page("te-doen");
    expect(html).toContain("Te doen</a> <span class=\"hint\">(12)</span>");
    expect(html).toContain("Klaar</a> <span class=\"hint\">(3)</span>");
    expect(html).toContain("Gestopt</a> <span class=\"hint\">(4)</span>");
    // The two "Gezonder gaan leven" tasks share a business identifier: one row.
    expect((html.match(/Lees tips voor een gezonder leven/g) ?? []).length).toBe(1);
    expect(html).toContain("Digitale zorgmodule Diabetes");
    for (const status of ["requested", "received", "ready", "in-progress", "accepted", "on-hold", "draft"]) expect(html).toContain(`[${status}]`);
    const done = await page("klaar");
    expect((done.match(/\[completed\]/g) ?? []).length).toBe(3);
    const stopped = await page("gestopt");
    for (const status of ["cancelled", "failed", "rejected", "entered-in-error"]) expect(stopped).toContain(`[${status}]`);

    // A draft or paused task shows why it cannot start; the PGO does not try (no "Technische storing").
    const pgo = sandbox.url("pgo");
    for (const [id, text] of [["ProviderTasks-Task-Glucosemeting-15-Van-Duinen", "nog niet klaargezet"], ["ProviderTasks-Task-Glucosemeting-14-Van-Duinen", "gepauzeerd"],
      ["ProviderTasks-Task-Glucosemeting-6-Van-Duinen", "gestopt"]] as const) {
      const detail = await (await get(`${pgo}/taken/delinde%40medmij/${id}`, { headers: { cookie: cookies } })).text();
      expect(detail).toContain(text);
      expect(detail).not.toContain(">Taak starten<");
      const start = await get(`${pgo}/taken/delinde%40medmij/${id}/starten`, { method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: hiddenInput(detail, "_csrf") }) });
      expect(start.status).toBe(409);
    }
  });

  // Issue 15: the ProviderTasks 1.0.0-alpha.2 display guideline (MedMij-R4-AanbiedersModule
  // Functional-Design/Display-guideline.page.md) when the DVA follows KoppelMij 2026: draft,
  // accepted, rejected, on-hold and entered-in-error are in no group.
  test("with the DVA on KoppelMij 2026: Te doen 9, Klaar 3, Gestopt 2 and five rows in no group, labelled by the newer guideline", async () => {
    const cookies = await newAccount("scenario1-2026");
    await pgoConnect(sandbox, cookies, "delinde@medmij", bsn);
    expect((await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour: "koppelmij-2026" }) })).status).toBe(200);
    try {
      const page = async (group: string) => (await (await get(`${sandbox.url("pgo")}/taken?groep=${group}`, { headers: { cookie: cookies } })).text());
      const html = await page("te-doen");
      expect(html).toContain("Te doen</a> <span class=\"hint\">(9)</span>");
      expect(html).toContain("Klaar</a> <span class=\"hint\">(3)</span>");
      expect(html).toContain("Gestopt</a> <span class=\"hint\">(2)</span>");
      expect(html).toContain("Niet ingedeeld</a> <span class=\"hint\">(5)</span>");
      for (const status of ["accepted", "on-hold", "draft"]) expect(html).not.toContain(`[${status}]`);
      const stopped = await page("gestopt");
      for (const status of ["cancelled", "failed"]) expect(stopped).toContain(`[${status}]`);
      expect(stopped).not.toContain("[rejected]");
      const other = await page("overig");
      for (const status of ["draft", "accepted", "rejected", "on-hold", "entered-in-error"]) expect(other).toContain(`[${status}]`);
      expect(other).toContain("in de wacht");
      expect(other).toContain("per ongeluk ingevoerd");
    } finally {
      await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour: "sd-0.2" }) });
    }
  });
});
