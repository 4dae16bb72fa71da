import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import network from "../../seed/network.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

/** Two zorgaanbieders on one DVA: each one's systems see only their own organisation's data. */
let sandbox: Sandbox;
const def: NetworkDefinition = structuredClone(network);
def.zorgaanbieders.push({ name: "ziekenhuisnoord@medmij", displayName: "Ziekenhuis Noord", agb: "06010001", dva: "zorgnet", dataServices: ["99"],
  systemClient: { clientId: "zis-noord", clientSecret: "zis-noord-secret" } });
def.clinicians.push({ id: "bakker", given: "Lisa", family: "Bakker", role: "Longarts", zorgaanbieder: "ziekenhuisnoord@medmij", username: "bakker", password: "bakker" });
def.patients[2]!.zorgaanbieders.push("ziekenhuisnoord@medmij");

beforeAll(async () => { sandbox = await startTestSandbox({}, def); });
afterAll(() => sandbox.stop());

async function systemToken(id: string) {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${id}:${id}-secret`).toString("base64")}` }, body: "grant_type=client_credentials" });
  return (await res.json()).access_token as string;
}
const fhir = (token: string, path: string, init: RequestInit = {}) => fetch(`${sandbox.url("fhir.zorgnet")}/fhir${path}`,
  { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", ...(init.headers as Record<string, string> ?? {}) } });

describe("organisation isolation for client_credentials tokens", () => {
  test("each system sees its own Tasks; the other's are 404; writing into the other organisation is 403", async () => {
    const linde = await systemToken("his-delinde");
    const noord = await systemToken("zis-noord");
    const noordTask = "task-sanne-ziekenhuisnoord-vragenlijst";
    expect((await fhir(noord, `/Task/${noordTask}`)).status).toBe(200);
    expect((await fhir(linde, `/Task/${noordTask}`)).status).toBe(404);
    const lindeIds = ((await (await fhir(linde, "/Task")).json()).entry as { resource: { id: string } }[]).map((e) => e.resource.id);
    expect(lindeIds).not.toContain(noordTask);
    expect(lindeIds).toContain("task-tom-delinde-intake");
    const noordIds = ((await (await fhir(noord, "/Task")).json()).entry as { resource: { id: string } }[]).map((e) => e.resource.id);
    expect(noordIds).toEqual([noordTask]);
    // A Task requested by the other organisation's clinician may not be written.
    const forged = { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/patient-sanne" },
      requester: { reference: "PractitionerRole/role-bakker" } };
    expect((await fhir(linde, "/Task", { method: "POST", body: JSON.stringify(forged) })).status).toBe(403);
    expect((await fhir(noord, "/Task", { method: "POST", body: JSON.stringify(forged) })).status).toBe(201);
    // Shared: the DVA's patients and the other's catalogue stay readable.
    expect((await fhir(linde, "/Patient/patient-sanne")).status).toBe(200);
  });
});
