import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import network from "../../seed/network.ts";
import { addPopulation } from "../../seed/population.ts";
import { searchTuning } from "../../src/dva/fhir/rest.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

/**
 * A zorgaanbieder's searches over many Tasks run on the search index and parse only the page
 * (rest.ts findHits). They must answer exactly as the parsing path: same totals, order, pages,
 * includes and Bundle ETags, and the same organisation isolation.
 */
let sandbox: Sandbox;
const def: NetworkDefinition = structuredClone(network);
def.zorgaanbieders.push({ name: "ziekenhuisnoord@medmij", displayName: "Ziekenhuis Noord", agb: "06010001", dva: "zorgnet", dataServices: ["99"],
  systemClient: { clientId: "zis-noord", clientSecret: "zis-noord-secret" } });
def.clinicians.push({ id: "bakker", given: "Lisa", family: "Bakker", role: "Longarts", zorgaanbieder: "ziekenhuisnoord@medmij", username: "bakker", password: "bakker" });
let linde: string;
let noord: string;

async function systemToken(id: string) {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${id}:${id}-secret`).toString("base64")}` }, body: "grant_type=client_credentials" });
  return (await res.json()).access_token as string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox({}, def);
  addPopulation(sandbox.ctx.db, sandbox.ctx.network, { patients: 120, tasksPerPatient: 10 });
  linde = await systemToken("his-delinde");
  noord = await systemToken("zis-noord");
});
afterAll(() => { searchTuning.indexFrom = 200; return sandbox.stop(); });

type Bundle = { total: number; link: { relation: string; url: string }[]; entry?: { resource: { resourceType: string; id: string }; search: { mode: string } }[] };

async function both(token: string, query: string) {
  const run = async (indexFrom: number) => {
    searchTuning.indexFrom = indexFrom;
    const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return { etag: res.headers.get("etag"), bundle: await res.json() as Bundle };
  };
  return { index: await run(0), parsed: await run(Number.MAX_SAFE_INTEGER) };
}
const entries = (b: Bundle) => (b.entry ?? []).map((e) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`);

describe("system searches on the index (issue 4)", () => {
  const queries = [
    "status:not=completed",
    "status:not=completed&_count=7",
    "status:not=completed&_count=7&_offset=7",
    "status=requested,ready&_sort=period",
    "status:not=completed&status:not=cancelled&_sort=-_lastUpdated&_count=20",
    `_tag=${encodeURIComponent("http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7")}&_sort=-period&_count=15`,
    "_tag=urn:oid:2.16.528.1.1023.5.7",
    "_tag=|urn:oid:2.16.528.1.1023.5.7",
    "_lastUpdated=gt2000-01-01&_count=5&_include=Task:based-on&_include=Task:digital-activity",
    "_lastUpdated=lt2000-01-01",
    "_summary=count&status:not=completed",
    "_id:not=nothing&_count=3",
  ];
  for (const query of queries) {
    test(`same answer both ways: ${query}`, async () => {
      for (const token of [linde, noord]) {
        const { index, parsed } = await both(token, query);
        expect(index.bundle.total).toBe(parsed.bundle.total);
        expect(entries(index.bundle)).toEqual(entries(parsed.bundle));
        expect(index.bundle.link).toEqual(parsed.bundle.link);
        expect(index.etag).toBe(parsed.etag!);
      }
    });
  }

  test("the index path is really taken, and keeps the organisations apart", async () => {
    const { index } = await both(linde, "status:not=completed&_count=500");
    const { index: other } = await both(noord, "status:not=completed&_count=500");
    expect(index.bundle.total).toBeGreaterThan(200);
    expect(other.bundle.total).toBeGreaterThan(100);
    const ids = new Set((index.bundle.entry ?? []).map((e) => e.resource.id));
    expect((other.bundle.entry ?? []).some((e) => ids.has(e.resource.id))).toBe(false);
  });
});
