/**
 * MedMij Beheer's logging interface over real HTTP (issue 13 §2): the sandbox's own PGO and DVAs
 * deliver their lines every few seconds and on stop, and they validate; an external PGO (an
 * absolute URL in the network) delivers a good and a bad batch with a script of its own; HTTP
 * Basic (401), the 60 MB limit (413), and GET /logs with its filters.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_DELIVERY_CHARS } from "../../src/beheer/delivery.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { deliveryTuning } from "../../src/shared/log-delivery.ts";
import { newId } from "../../src/shared/trace.ts";
import { beheerApi as api, login, withTeamPgo, type Login } from "../helpers/beheer.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { ROOT, run } from "../helpers/process.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

async function network(sandbox: Sandbox) {
  return (await fetch(`${sandbox.url()}/api/network`)).json() as Promise<{ beheer: { base: string; logs: string }; pgos: { clientId: string; beheer: Login }[]; dvas: { id: string; beheer: Login }[] }>;
}

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox({}, await withTeamPgo()); });
afterAll(async () => { await sandbox.stop(); });

describe("MedMij Beheer: the logging interface", () => {
  test("an actor like the others: /health, in the cockpit's actor list, and its logins in /api/network", async () => {
    expect(await (await fetch(`${sandbox.url("beheer")}/health`)).json()).toEqual({ status: "ok" });
    const home = await (await fetch(`${sandbox.url()}/`)).text();
    expect(home).toContain("MedMij Beheer");
    expect(home).toContain(sandbox.url("beheer"));
    expect(await (await fetch(`${sandbox.url()}/partials/health`)).text()).toContain(`${sandbox.url("beheer")}/`);
    const n = await network(sandbox);
    expect(n.beheer.base).toBe(sandbox.url("beheer"));
    expect(n.beheer.logs).toBe(`${sandbox.url("beheer")}/eagleeye/v1/logs`);
    // Derived from the network: username = the PGO's host name / the DVA's id, password = "<username>-beheer-secret".
    expect(n.pgos.map((p) => p.beheer)).toEqual([
      { username: "pgo.localhost", password: "pgo.localhost-beheer-secret" }, { username: "mijnzorgapp.localhost", password: "mijnzorgapp.localhost-beheer-secret" },
      { username: "teampgo.localhost", password: "teampgo.localhost-beheer-secret" }]);
    expect(n.dvas.map((d) => d.beheer.username)).toEqual(["zorgnet", "ggzconnect"]);
  });

  test("the sandbox's own PGO and DVA deliver a journey's lines within a few seconds, and every delivery is technisch OK", async () => {
    const tom = await pgoSession(sandbox, "tom");
    await runJourney(sandbox, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
    const n = await network(sandbox);
    const pgo = n.pgos[0]!.beheer;
    const zorgnet = n.dvas[0]!.beheer;
    // The timer, not a test hook: every 2 s.
    const deadline = Date.now() + 8_000;
    let seen = { pgo: 0, dva: 0 };
    while (Date.now() < deadline) {
      const count = async (login: Login) => ((await (await api(sandbox, "/aanleveringen", login)).json()) as { aanleveringen: unknown[] }).aanleveringen.length;
      seen = { pgo: await count(pgo), dva: await count(zorgnet) };
      if (seen.pgo > 0 && seen.dva > 0) break;
      await Bun.sleep(200);
    }
    expect(seen.pgo).toBeGreaterThan(0);
    expect(seen.dva).toBeGreaterThan(0);

    await sandbox.logDelivery.deliverAll();
    const chain = sandbox.ctx.chain.query({ limit: 10_000 });
    for (const [login, hosts] of [[pgo, ["pgo.localhost"]], [zorgnet, ["auth.zorgnet.localhost", "fhir.zorgnet.localhost"]]] as const) {
      const deliveries = ((await (await api(sandbox, "/aanleveringen?count=1000", login)).json()) as { aanleveringen: { aanlevering: string; technischOk: boolean }[] }).aanleveringen;
      const notOk = await Promise.all(deliveries.filter((d) => !d.technischOk).map(async (d) => (await api(sandbox, `/aanleveringen/${d.aanlevering}`, login)).json()));
      expect(notOk).toEqual([]);
      const lines = (await (await api(sandbox, "/logs?count=10000", login)).json()) as { aantal: number; regels: { regel: { event: { location: string } } }[] };
      expect(lines.aantal).toBe(chain.filter((l) => (hosts as readonly string[]).includes(l.event.location)).length);
      expect(new Set(lines.regels.map((r) => r.regel.event.location))).toEqual(new Set(hosts));
    }
    // Delivering again delivers nothing twice: each remembers how far it got.
    const before = ((await (await api(sandbox, "/logs?count=10000", pgo)).json()) as { aantal: number }).aantal;
    await sandbox.logDelivery.deliverAll();
    expect(((await (await api(sandbox, "/logs?count=10000", pgo)).json()) as { aantal: number }).aantal).toBe(before);
  }, 20_000);

  test("an external PGO's own script delivers a good and a bad batch: technisch OK, and niet OK with the problems per line", async () => {
    const r = await run(["bun", "test/external/deliver-logs.ts", sandbox.url(), "teampgo.localhost"], ROOT);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { good, bad } = JSON.parse(r.stdout);
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ technischOk: true, aantalRegels: 2, regels: [], problemen: [] });
    expect(good.location).toBe(`/eagleeye/v1/aanleveringen/${good.body.aanlevering}`);
    expect(bad.status).toBe(201);
    expect(bad.body.technischOk).toBe(false);
    const problems = Object.fromEntries((bad.body.regels as { index: number; problemen: string[] }[]).map((x) => [x.index, x.problemen.join(" | ")]));
    expect(Object.keys(problems)).toEqual(["0", "1", "2", "3", "4"]);
    expect(problems[0]).toContain("request.client_id ontbreekt");
    expect(problems[1]).toContain("hoort niet bij de rol pgo");
    expect(problems[2]).toContain("event.location pgo.elders.example is geen host van Team PGO");
    expect(problems[3]).toContain("error.status is geen geheel getal");
    expect(problems[4]).toContain("geen geldige JSON");
    // The delivery can be read back, as the answer gave it.
    expect(await (await api(sandbox, `/aanleveringen/${bad.body.aanlevering}`, login("teampgo.localhost"))).json()).toEqual(bad.body);
    // And its page on the dashboard.
    const page = await (await fetch(`${sandbox.url("beheer")}/aanleveringen/${bad.body.aanlevering}`)).text();
    expect(page).toContain("technisch niet OK");
    expect(page).toContain("hoort niet bij de rol pgo");
  });

  test("wrong or missing credentials: 401 with WWW-Authenticate: Basic; another participant's delivery is not found", async () => {
    const body = JSON.stringify([{ event: { type: "send_token_request" } }]);
    for (const who of [null, { username: "pgo.localhost", password: "fout" }, { username: "niemand", password: "niemand-beheer-secret" }]) {
      const res = await api(sandbox, "/logs", who, { method: "POST", body });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toStartWith("Basic ");
      expect((await res.json()).error).toBe("unauthorized");
    }
    expect((await api(sandbox, "/logs", null)).status).toBe(401);
    expect((await api(sandbox, "/aanleveringen", { username: "zorgnet", password: "x" })).status).toBe(401);
    const team = login("teampgo.localhost");
    const own = ((await (await api(sandbox, "/aanleveringen", login("pgo.localhost"))).json()) as { aanleveringen: { aanlevering: string }[] }).aanleveringen[0]!;
    expect((await api(sandbox, `/aanleveringen/${own.aanlevering}`, team)).status).toBe(404);
    expect((await api(sandbox, `/logs?aanlevering=${own.aanlevering}`, team)).status).toBe(404);
    // The documents need no login.
    const swagger = await (await api(sandbox, "/swagger", null)).json();
    expect(swagger.openapi).toStartWith("3.");
    expect(Object.keys(swagger.paths)).toEqual(["/logs", "/aanleveringen", "/aanleveringen/{id}", "/schema", "/swagger"]);
    const schema = await api(sandbox, "/schema", null);
    expect(schema.status).toBe(200);
    expect((await schema.json()).$schema).toContain("json-schema.org");
  });

  test("at most 62 914 560 characters: one more is 413, with or without Content-Length", async () => {
    const team = login("teampgo.localhost");
    const atLimit = await api(sandbox, "/logs", team, { method: "POST", body: `${" ".repeat(MAX_DELIVERY_CHARS - 2)}[]` });
    expect(atLimit.status).toBe(201);
    expect(await atLimit.json()).toMatchObject({ technischOk: false, problemen: ["de aanlevering bevat geen logregels"] });
    const over = await api(sandbox, "/logs", team, { method: "POST", body: `${" ".repeat(MAX_DELIVERY_CHARS - 1)}[]` });
    expect(over.status).toBe(413);
    expect((await over.json()).error).toBe("payload_too_large");
    const chunk = new TextEncoder().encode(" ".repeat(1 << 20));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({ pull(c) { if (sent > MAX_DELIVERY_CHARS) c.close(); else { c.enqueue(chunk); sent += chunk.length; } } });
    const chunked = await api(sandbox, "/logs", team, { method: "POST", body: stream });
    expect(chunked.status).toBe(413);
  }, 30_000);

  test("GET /logs as the real one: from, to, count, valid, aanlevering", async () => {
    const team = login("teampgo.localhost");
    const trace = crypto.randomUUID();
    const at = (s: number) => `2026-11-30T10:00:0${s}.000+01:00`;
    const lines = [0, 1, 2, 3].map((s) => ({ event: { type: s === 3 ? "receive_token_request_error" : "receive_token_response", location: "teampgo.localhost", datetime: at(s), session_id: null, trace_id: trace },
      ...(s === 3 ? { error: { request_id: `r${s}`, code: "invalid_grant", description: "verlopen", status: 400 } } : { response: { request_id: `r${s}`, status: 200 } }) }));
    const delivered = await (await api(sandbox, "/logs", team, { method: "POST", body: JSON.stringify(lines) })).json();
    expect(delivered.technischOk).toBe(true);
    const get = async (query: string) => {
      const res = await api(sandbox, `/logs?aanlevering=${delivered.aanlevering}&${query}`, team);
      expect(res.status).toBe(200);
      return ((await res.json()) as { regels: { index: number; valid: boolean; regel: { event: { datetime: string } } }[] }).regels;
    };
    expect((await get("")).map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect((await get("count=2")).map((r) => r.index)).toEqual([0, 1]);
    expect((await get("valid=false")).map((r) => [r.index, r.valid])).toEqual([[3, false]]);
    expect((await get("valid=true")).map((r) => r.index)).toEqual([0, 1, 2]);
    expect((await get(`from=${encodeURIComponent(at(1))}&to=${encodeURIComponent(at(3))}`)).map((r) => r.regel.event.datetime)).toEqual([at(1), at(2)]);
    // A "+" that arrives as a space, and UTC for the same instant.
    expect((await get(`from=${at(2)}`)).map((r) => r.index)).toEqual([2, 3]);
    expect((await get("to=2026-11-30T09:00:01Z")).map((r) => r.index)).toEqual([0]);
    // Without aanlevering: all of this participant's lines in that time.
    const all = await api(sandbox, `/logs?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(4))}`, team);
    expect(((await all.json()) as { aantal: number }).aantal).toBe(4);
    for (const bad of ["from=gisteren", "to=2026-11-30", "count=0", "count=10001", "valid=ja"]) {
      const res = await api(sandbox, `/logs?${bad}`, team);
      expect([bad, res.status]).toEqual([bad, 400]);
      expect((await res.json()).error).toBe("invalid_request");
    }
  });
});

describe("delivery remembers how far it got, and delivers on stop", () => {
  const dir = mkdtempSync(join(tmpdir(), "beheer-delivery-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const FHIR_HOST = "fhir.zorgnet.localhost";
  /** `n` lines of FHIR read answers at the DVA's FHIR host, as a flood of reads writes them. */
  const flood = (s: Sandbox, n: number) => {
    for (let i = 0; i < n; i++) s.ctx.chain.write({ type: "send_resource_response", location: FHIR_HOST, traceId: newId(), response: { request_id: newId(), status: 200 } });
    s.ctx.chain.flush();
  };
  const delivered = (s: Sandbox) => s.ctx.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM beheer_regel WHERE location = ?").get(FHIR_HOST)!.n;

  test("a backlog is delivered for as long as it is given, the rest on the next call, each line once", async () => {
    const s = await startTestSandbox();
    try {
      await s.logDelivery.deliverAll();
      const before = delivered(s);
      flood(s, 30_000);
      const started = performance.now();
      await s.logDelivery.deliverAll(2_000, 30);
      expect(performance.now() - started).toBeLessThan(1_000);
      const part = delivered(s) - before;
      expect(part).toBeGreaterThan(0);
      expect(part).toBeLessThan(30_000);
      await s.logDelivery.deliverAll();
      expect(delivered(s) - before).toBe(30_000);
    } finally {
      await s.stop();
    }
  }, 30_000);

  test("a stop does not wait for a backlog: it goes at the next start, each line once", async () => {
    const dataPath = join(dir, "backlog.db");
    const first = await startTestSandbox({ dataPath });
    const kept = deliveryTuning.stopWithinMs;
    let before = 0;
    try {
      await first.logDelivery.deliverAll();
      before = delivered(first);
      flood(first, 5_000);
      deliveryTuning.stopWithinMs = 0;
    } finally {
      await first.stop();
      deliveryTuning.stopWithinMs = kept;
    }
    const second = await startTestSandbox({ dataPath });
    try {
      expect(delivered(second)).toBe(before);
      await second.logDelivery.deliverAll();
      expect(delivered(second) - before).toBe(5_000);
    } finally {
      await second.stop();
    }
  }, 30_000);

  test("lines written just before stop are delivered then; after a restart nothing is delivered twice", async () => {
    const dataPath = join(dir, "s.db");
    const first = await startTestSandbox({ dataPath });
    const tom = await pgoSession(first, "tom");
    await runJourney(first, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
    const written = first.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.location === "pgo.localhost").length;
    await first.stop();
    const second = await startTestSandbox({ dataPath });
    try {
      const pgo = login("pgo.localhost");
      const count = async () => ((await (await api(second, "/logs?count=10000", pgo)).json()) as { aantal: number }).aantal;
      expect(await count()).toBe(written);
      await second.logDelivery.deliverAll();
      expect(await count()).toBe(written);
    } finally {
      await second.stop();
    }
  }, 20_000);
});
