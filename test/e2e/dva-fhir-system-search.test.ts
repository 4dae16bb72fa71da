import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import network from "../../seed/network.ts";
import { addPopulation } from "../../seed/population.ts";
import { searchTuning } from "../../src/dva/fhir/rest.ts";
import { readerOf } from "../../src/shared/reader.ts";
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

// A data file, not :memory:, so that every walk runs in the reader worker (shared/reader.ts) as it does for a user.
const dir = mkdtempSync(join(tmpdir(), "system-search-"));
beforeAll(async () => {
  sandbox = await startTestSandbox({ dataPath: join(dir, "sandbox.db") }, def);
  addPopulation(sandbox.ctx.db, sandbox.ctx.network, { patients: 120, tasksPerPatient: 10 });
  linde = await systemToken("his-delinde");
  noord = await systemToken("zis-noord");
});
const DEFAULT_TUNING = { ...searchTuning };
afterAll(async () => { Object.assign(searchTuning, DEFAULT_TUNING); await sandbox.stop(); rmSync(dir, { recursive: true, force: true }); });

type Bundle = { total?: number; link: { relation: string; url: string }[]; entry?: { resource: { resourceType: string; id: string }; search: { mode: string } }[] };

async function get(token: string, query: string) {
  const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return { etag: res.headers.get("etag"), bundle: await res.json() as Bundle };
}

/** The three paths of rest.ts: parse every candidate, match on the index, walk the index in order (steps of 7). */
async function both(token: string, query: string) {
  const run = (tuning: Partial<typeof searchTuning>) => {
    Object.assign(searchTuning, DEFAULT_TUNING, tuning);
    return get(token, query).finally(() => Object.assign(searchTuning, DEFAULT_TUNING));
  };
  return {
    index: await run({ indexFrom: 0, walkFrom: Number.MAX_SAFE_INTEGER }),
    parsed: await run({ indexFrom: Number.MAX_SAFE_INTEGER, walkFrom: Number.MAX_SAFE_INTEGER }),
    walked: await run({ walkFrom: 0, step: 7 }),
  };
}
async function walked(token: string, query: string, tuning: Partial<typeof searchTuning> = {}) {
  Object.assign(searchTuning, DEFAULT_TUNING, { walkFrom: 0, step: 7 }, tuning);
  try { return await get(token, query); } finally { Object.assign(searchTuning, DEFAULT_TUNING); }
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
        const { index, parsed, walked: walk } = await both(token, query);
        expect(index.bundle.total).toBe(parsed.bundle.total);
        expect(entries(index.bundle)).toEqual(entries(parsed.bundle));
        expect(index.bundle.link).toEqual(parsed.bundle.link);
        expect(index.etag).toBe(parsed.etag!);
        // The walk shows the same page and links; Bundle.total only where it reached the end or was asked to count.
        expect(entries(walk.bundle)).toEqual(entries(parsed.bundle));
        expect(walk.bundle.link).toEqual(parsed.bundle.link);
        const last = !(parsed.bundle.link ?? []).some((l) => l.relation === "next");
        if (last || query.includes("_summary=count")) {
          expect(walk.bundle.total).toBe(parsed.bundle.total!);
          expect(walk.etag).toBe(parsed.etag!);
        } else {
          expect(walk.bundle.total).toBeUndefined();
        }
        const accurate = await walked(token, `${query}&_total=accurate`);
        expect(accurate.bundle.total).toBe(parsed.bundle.total!);
        expect(entries(accurate.bundle)).toEqual(entries(parsed.bundle));
        // Every step "too slow" (as from a cold disk): the steps shrink to 2 heads, the answer stays the same.
        const shrinking = await walked(token, `${query}&_total=accurate`, { stepMs: -1, minStep: 2 });
        expect(shrinking.bundle.total).toBe(parsed.bundle.total!);
        expect(entries(shrinking.bundle)).toEqual(entries(parsed.bundle));
        expect(shrinking.bundle.link).toEqual(accurate.bundle.link);
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

  test("a walked search keeps the organisations apart, pages to the end, and says the total on its last page", async () => {
    const mine = new Set<string>();
    let url: string | null = "status:not=completed&_count=40";
    let pages = 0;
    let total: number | undefined;
    while (url) {
      const { bundle } = await walked(linde, url);
      for (const e of bundle.entry ?? []) { expect(mine.has(e.resource.id)).toBe(false); mine.add(e.resource.id); }
      const next = bundle.link.find((l) => l.relation === "next");
      if (next) expect(bundle.total).toBeUndefined(); else total = bundle.total;
      url = next ? new URL(next.url).search.slice(1) : null;
      pages++;
    }
    expect(pages).toBeGreaterThan(3);
    expect(total).toBe(mine.size);
    const { parsed } = await both(linde, "status:not=completed&_count=500");
    expect(mine.size).toBe(parsed.bundle.total!);
    const theirs = await walked(noord, "status:not=completed&_count=500&_total=accurate");
    expect(theirs.bundle.total).toBeGreaterThan(100);
    expect((theirs.bundle.entry ?? []).some((e) => mine.has(e.resource.id))).toBe(false);
  });

  test("a conditional create narrows through its most selective parameter; criteria that would walk the DVA are refused (412), never scanned", async () => {
    Object.assign(searchTuning, DEFAULT_TUNING, { walkFrom: 0, step: 7 });
    try {
      const { bundle } = await get(linde, "status:not=completed&_count=1");
      const task = bundle.entry![0]!.resource as unknown as { id: string } & Record<string, unknown>;
      const post = (ifNoneExist: string, identifier = "urn:x|none") => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task`, { method: "POST",
        headers: { authorization: `Bearer ${linde}`, "content-type": "application/fhir+json", "if-none-exist": ifNoneExist },
        body: JSON.stringify({ ...task, id: undefined, meta: undefined, identifier: [{ system: identifier.split("|")[0], value: identifier.split("|")[1] }] }) });
      const one = await post(`_id=${task.id}&status:not=completed`);
      expect(one.status).toBe(200);
      expect((await one.json()).id).toBe(task.id);
      const vague = await post("status:not=completed");
      expect(vague.status).toBe(412);
      expect((await vague.json()).issue[0].diagnostics).toContain("niet selectief genoeg");
      // status first, identifier second: the identifier (no candidates yet) narrows, so nothing walks.
      Object.assign(searchTuning, { walkFrom: 5 });
      const created = await post("status=requested,in-progress,completed,cancelled&identifier=urn:x|new-1", "urn:x|new-1");
      expect(created.status).toBe(201);
      const again = await post("status=requested,in-progress,completed,cancelled&identifier=urn:x|new-1", "urn:x|new-1");
      expect(again.status).toBe(200);
    } finally {
      Object.assign(searchTuning, DEFAULT_TUNING);
    }
  });

  test("a count over the walk is exact while the Tasks it passed are written (each counted once)", async () => {
    const truth = (await get(linde, "_summary=count")).bundle.total!;
    Object.assign(searchTuning, DEFAULT_TUNING, { walkFrom: 0, step: 3 });
    try {
      const all = ((await get(linde, "status:not=nothing&_count=60")).bundle.entry ?? []).map((e) => e.resource as unknown as Record<string, unknown>);
      const writer = (async () => {
        for (const [k, t] of all.slice(0, 40).entries()) {
          const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/${t.id}`, { method: "PUT",
            headers: { authorization: `Bearer ${linde}`, "content-type": "application/fhir+json" }, body: JSON.stringify({ ...t, meta: undefined, note: [{ text: `touch ${k}` }] }) });
          expect(res.status).toBe(200);
        }
      })();
      const [count, accurate] = await Promise.all([get(linde, "_summary=count"), get(linde, "_total=accurate&_count=1")]);
      await writer;
      expect(count.bundle.total).toBe(truth);
      expect(accurate.bundle.total).toBe(truth);
    } finally {
      Object.assign(searchTuning, DEFAULT_TUNING);
    }
  });

  test("walks run in the reader worker, take turns there (a long count does not hold up a page), and a worker that goes away costs no answer", async () => {
    const worker = readerOf(sandbox.ctx.db);
    const truth = (await get(linde, "_summary=count")).bundle.total!;
    Object.assign(searchTuning, DEFAULT_TUNING, { walkFrom: 0, step: 2, minStep: 2 });
    try {
      const before = worker.answered;
      const order: string[] = [];
      const count = get(linde, "_summary=count").then((r) => { order.push("count"); return r; });
      await Bun.sleep(5);
      const page = get(linde, "status:not=nothing&_count=1").then((r) => { order.push("page"); return r; });
      const [counted, paged] = await Promise.all([count, page]);
      expect(counted.bundle.total).toBe(truth);
      expect(paged.bundle.entry).toHaveLength(1);
      expect(order).toEqual(["page", "count"]);
      expect(worker.answered - before).toBe(4); // per search its count of the type (walks() decides by it) and its walk
      // Stopped mid-walk (as on a crash): the request is answered on the event loop, and the next walk starts a new worker.
      const again = get(linde, "_summary=count");
      await Bun.sleep(5);
      worker.stop();
      expect((await again).bundle.total).toBe(truth);
      const after = worker.answered;
      expect((await get(linde, "_summary=count")).bundle.total).toBe(truth);
      expect(worker.answered).toBe(after + 2);
      // A selective search is decided by a few index pages here: no message to the worker.
      Object.assign(searchTuning, DEFAULT_TUNING);
      const quiet = worker.answered;
      expect((await get(linde, "identifier=urn:x|nobody&status:not=completed")).bundle.entry ?? []).toEqual([]);
      expect(worker.answered).toBe(quiet);
    } finally {
      Object.assign(searchTuning, DEFAULT_TUNING);
    }
  });

  test("a walked page is checked again as it is when the walk ends: a hit written since the walk met it no longer matching is not shown", async () => {
    const query = "status=in-progress&_count=3&_total=accurate";
    Object.assign(searchTuning, DEFAULT_TUNING, { walkFrom: 0, step: 2, minStep: 2 });
    const put = (task: Record<string, unknown> & { id: string }, status: string) => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/${task.id}`, { method: "PUT",
      headers: { authorization: `Bearer ${linde}`, "content-type": "application/fhir+json" }, body: JSON.stringify({ ...task, meta: undefined, status }) });
    try {
      // The write must land while the walk runs. On a machine too busy for that, the case did not
      // happen — the search answered before the write was, or the write came before the walk met the
      // Task (the page is then the next three hits) —: try again with the next three (completed is
      // final, the Task stays out).
      for (let attempt = 1; ; attempt++) {
        const first = (await get(linde, query)).bundle.entry!.map((e) => e.resource as unknown as Record<string, unknown> & { id: string });
        expect(first).toHaveLength(3);
        // The walk passes the first hit at once and then counts on through the whole DVA, two Tasks a step.
        let searched = Number.POSITIVE_INFINITY;
        const walking = get(linde, query).then((r) => { searched = performance.now(); return r; });
        await Bun.sleep(10);
        const res = await put(first[0]!, "completed");
        const written = performance.now();
        expect(res.status).toBe(200);
        const { bundle } = await walking;
        const ids = (bundle.entry ?? []).map((e) => e.resource.id);
        const before = ids.length === 3 && ids[0] === first[1]!.id && ids[1] === first[2]!.id;
        // Tried again first; the last try is judged whatever happened (never a pass without the case).
        if ((searched < written || before) && attempt < 5) continue;
        expect(ids).not.toContain(first[0]!.id);
        expect(ids).toEqual([first[1]!.id, first[2]!.id]);
        break;
      }
    } finally {
      Object.assign(searchTuning, DEFAULT_TUNING);
    }
  });
});
