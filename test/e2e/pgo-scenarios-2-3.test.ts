/**
 * The official ProviderTasks example sets of scenarios 2 and 3 (issue 15 §2), loaded unchanged
 * from ../shared/medmij-examples/providertasks (not copied into the repository): Koos de Groot's
 * CVRM programme (Minddistrict; 17 Tasks, one questionnaire failed) and Sanne van Dijk's COPD tasks.
 * Their Patients get a BSN (the published one is masked; Sanne's Patient file is not published at
 * all, so the test writes one with the id the Tasks name), then a PGO account connects as each
 * person and reads the overview — by the display guideline of each flavour, and with the
 * schedule and instruction of the official pt-ExecutionOrder.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import type { Sandbox } from "../../src/sandbox.ts";
import { bsnSequence } from "../../src/shared/bsn.ts";
import { pgoConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const SET = `${import.meta.dir}/../../../shared/medmij-examples/providertasks`;
const available = existsSync(SET);
let sandbox: Sandbox;
const bsn: Record<string, string> = {};

beforeAll(async () => {
  sandbox = await startTestSandbox();
  if (!available) return;
  const personas = new Set(sandbox.ctx.network.patients.map((p) => p.bsn));
  const candidates = bsnSequence(999990300);
  for (const who of ["De-Groot", "Van-Dijk"]) { let b: string; do b = candidates.next().value!; while (personas.has(b)); bsn[who] = b; }
  const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` },
    body: "grant_type=client_credentials" })).json()).access_token as string;
  const put = async (resource: Record<string, any>) => {
    const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${resource.resourceType}/${resource.id}`, {
      method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" }, body: JSON.stringify(resource) });
    if (res.status !== 200 && res.status !== 201) throw new Error(`${resource.resourceType}/${resource.id}: ${res.status} ${await res.text()}`);
  };
  // Sanne's Patient is referenced but not published: the minimal one a DVA needs to find her.
  await put({ resourceType: "Patient", id: "ProviderTasks-Patient-Van-Dijk", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: bsn["Van-Dijk"] }],
    name: [{ family: "van Dijk", given: ["Sanne"] }] });
  const files = readdirSync(SET).filter((f) => f.endsWith(".json"));
  // References first: Patients, Practitioners, Endpoints, ActivityDefinitions, ServiceRequests, then Tasks.
  const order = ["Patient", "Practitioner", "Endpoint", "ActivityDefinition", "ServiceRequest", "Task"];
  for (const type of order) {
    for (const file of files.filter((f) => f.startsWith(`${type}-`) && (f.includes("De-Groot") || f.includes("Van-Dijk") || !f.startsWith("Task-")))) {
      const resource = await Bun.file(`${SET}/${file}`).json();
      if (resource.resourceType === "Patient" && resource.id === "ProviderTasks-Patient-De-Groot") resource.identifier = [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: bsn["De-Groot"] }];
      await put(resource);
    }
  }
});
afterAll(() => sandbox.stop());

async function accountAs(username: string, who: string): Promise<string> {
  const pgo = sandbox.url("pgo");
  const page = await get(`${pgo}/account`);
  const res = await get(`${pgo}/account`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(await page.text(), "_csrf"), next: "/", name: `${who} (scenario)`, username, password: "scenario", password2: "scenario" }) });
  expect(res.status).toBe(303);
  const cookies = cookiesOf(res, cookiesOf(page));
  await pgoConnect(sandbox, cookies, "delinde@medmij", bsn[who]!);
  return cookies;
}
const overview = async (cookies: string, group = "te-doen") => (await (await get(`${sandbox.url("pgo")}/taken?groep=${group}`, { headers: { cookie: cookies } })).text());
const setFlavour = (flavour: string) => fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour }) });

describe.skipIf(!available)("the official scenario 2 and 3 sets in the PGO", () => {
  test("scenario 2, Koos de Groot (CVRM): 16 to do, the failed questionnaire stopped, in both flavours; the ExecutionOrder's schedule and instruction", async () => {
    const koos = await accountAs("scenario2", "De-Groot");
    for (const flavour of ["sd-0.2", "koppelmij-2026"]) {
      expect((await setFlavour(flavour)).status).toBe(200);
      const html = await overview(koos);
      expect(html).toContain("Te doen</a> <span class=\"hint\">(16)</span>");
      expect(html).toContain("Gestopt</a> <span class=\"hint\">(1)</span>");
      expect(html).not.toContain("Niet ingedeeld");
      expect(await overview(koos, "gestopt")).toContain("Beantwoord deze vragen over jouw situatie");
    }
    await setFlavour("sd-0.2");
    const detail = await (await get(`${sandbox.url("pgo")}/taken/delinde%40medmij/ProviderTasks-Task-Bloeddrukmeting-1-De-Groot`, { headers: { cookie: koos } })).text();
    expect(detail).toContain("Elke dag 2 keer, vanaf 22 december 2025");
    expect(detail).toContain("Meet 7 dagen, 2 keer per dag, uw bloeddruk");
  });

  test("scenario 3, Sanne van Dijk (COPD): her ten tasks to do", async () => {
    const sanne = await accountAs("scenario3", "Van-Dijk");
    const html = await overview(sanne);
    expect(html).toContain("Te doen</a> <span class=\"hint\">(10)</span>");
    expect(html).toContain("Klaar</a> <span class=\"hint\">(0)</span>");
  });
});
