/**
 * The sandbox's own chain-log lines follow the event table (issue 13 §1, SD 4.5): every journey —
 * collect, launch and return; step-up; a SMART authorize that needs DigiD; and every fault that
 * changes the lines — is driven over HTTP, and every line it wrote is checked: a known event,
 * written by the actor the table names (location = that actor's host), every required field with
 * its type (validateLine and the published JSON Schema), `initiated_by` as the SD says, a
 * `session_id` where the person has a session at the writer, every answer's `request_id` the `id`
 * of its request line, every request answered, and the PGO's requests logged by the DVA under the
 * same id.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import type { Sandbox } from "../../src/sandbox.ts";
import { CHAIN_EVENTS, CHAIN_LINE_SCHEMA, TOKEN_EXCHANGE_GRANT, chainEvent, validateLine, type ChainHost } from "../../src/shared/chain-events.ts";
import type { ChainLine, StoredChainLine } from "../../src/shared/chain-log.ts";
import { throughDva } from "../helpers/dva.ts";
import { pgoSession, postForm, runJourney } from "../helpers/journey.ts";
import { pgoConnect, pgoStartConnect, pgoStartTask } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, setFaults, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let cursor = 0;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const TOM = { user: "tom", bsn: "999991012" };
const schemaCheck = new Ajv2020({ strict: true, allErrors: true }).compile(CHAIN_LINE_SCHEMA);
const pgo = () => sandbox.url("pgo");

/** The lines written since the previous call (the previous journey). */
function newLines(): StoredChainLine[] {
  const lines = sandbox.ctx.chain.query({ since: String(cursor), limit: 10_000 });
  if (lines.length) cursor = lines.at(-1)!.seq;
  return lines;
}

/** Which actor of the table a host is, or null for anything else (the module, the register...: they write none). */
function actorOf(location: string): ChainHost | null {
  const n = sandbox.ctx.network;
  if (n.pgos.some((p) => p.clientId === location)) return "pgo";
  if (n.dvas.some((d) => d.auth.hostname === location)) return "dva-auth";
  if (n.dvas.some((d) => d.fhir.hostname === location)) return "dva-fhir";
  return null;
}

const types = (lines: StoredChainLine[]) => lines.map((l) => l.event.type);
const only = (lines: StoredChainLine[], type: string) => lines.filter((l) => l.event.type === type);
const answerOf = (l: StoredChainLine) => (l.response ?? l.error) as { request_id: string; status?: number; code?: string; description?: string; [k: string]: unknown };

/** Every check of the table on every line of a journey; returns the lines for the journey's own expectations. */
function checkJourney(): StoredChainLine[] {
  const lines = newLines();
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) {
    const where = `${l.event.type} at ${l.event.location}`;
    const spec = chainEvent(l.event.type);
    expect(spec, `${where}: an event of the table`).toBeDefined();
    expect(spec!.written, where).toBe(true);
    expect(actorOf(l.event.location), `${where}: written by ${spec!.host}`).toBe(spec!.host);
    const { seq: _seq, ...line } = l;
    expect({ where, problems: validateLine(line, spec!.writers[0]!) }).toEqual({ where, problems: [] });
    expect({ where, schema: schemaCheck(line) ? "ok" : schemaCheck.errors }).toEqual({ where, schema: "ok" });
    if (l.request) {
      const want = spec!.initiatedBy === "by-grant" ? (l.request.grant_type === "authorization_code" ? "person" : "machine") : spec!.initiatedBy;
      expect({ where, initiated_by: l.request.initiated_by }).toEqual({ where, initiated_by: want ?? "person" });
    }
    // The person's session at the writer: every PGO line (each is written while serving a person's
    // request), the DVA's browser-facing lines, and the DVA's token lines of a code from that browser.
    const codeGrant = l.event.type === "receive_token_request" && l.request!.grant_type === "authorization_code";
    if (spec!.host === "pgo" || spec!.session === "person" || codeGrant) expect({ where, session: typeof l.event.session_id }).toEqual({ where, session: "string" });
    if (spec!.host === "dva-fhir") expect({ where, session: l.event.session_id }).toEqual({ where, session: null });
  }
  const requests = lines.filter((l) => l.request);
  for (const l of lines.filter((x) => chainEvent(x.event.type)?.answers)) {
    const spec = chainEvent(l.event.type)!;
    const answer = answerOf(l);
    const asked = requests.find((r) => r.request!.id === answer.request_id && r.event.trace_id === l.event.trace_id && r.event.location === l.event.location
      && spec.answers!.includes(r.event.type));
    // An availability check error may answer the PGO's probe of a module, which has no line of its own (SD 4.5.4.1.4).
    if (!asked && l.event.type === "receive_availability_check_error" && answer.description?.startsWith("Module niet beschikbaar")) continue;
    expect(asked, `${l.event.type} at ${l.event.location}: request_id ${answer.request_id} is the id of its ${spec.answers!.join("/")} line`).toBeDefined();
    expect(l.event.session_id, `${l.event.type}: the session of its request`).toBe(asked!.event.session_id);
  }
  for (const r of requests.filter((x) => x.event.type !== "receive_redirect_to_pgo_request")) {
    const answered = lines.some((l) => chainEvent(l.event.type)?.answers?.includes(r.event.type) && answerOf(l).request_id === r.request!.id && l.event.location === r.event.location);
    expect(answered, `${r.event.type} ${r.request!.id} at ${r.event.location} is answered`).toBe(true);
  }
  // The PGO's calls to the sandbox DVA: the DVA logs them with the PGO's MedMij-Request-ID, in the same trace.
  for (const r of requests.filter((x) => actorOf(x.event.location) === "pgo" && chainEvent(x.event.type)!.peer)) {
    const down = lines.some((l) => l.event.type === "receive_availability_check_error" && l.error!.request_id === r.request!.id);
    if (down) continue;
    const peer = lines.find((l) => l.event.type === chainEvent(r.event.type)!.peer && l.request?.id === r.request!.id);
    expect(peer, `the DVA's ${chainEvent(r.event.type)!.peer} of ${r.event.type} ${r.request!.id}`).toBeDefined();
    expect(peer!.event.trace_id).toBe(r.event.trace_id);
  }
  expect(lines.some((l) => l.event.location === new URL(sandbox.url("module")).hostname), "the module writes no lines (SD 4.5.4)").toBe(false);
  return lines;
}

/** The PGO's Session ID of a cookie jar (SD 4.2.1, trace.ts sessionIdOf). */
const pgoSessionId = (jar: string) => new Bun.CryptoHasher("sha256").update(decodeURIComponent(/pgo_session=([^;]+)/.exec(jar)![1]!)).digest("hex").slice(0, 16);

/** A DigiD login at the simulator for a DVA page that sent the browser there; the DVA's answer to its callback. */
async function digidLogin(digidUrl: string, dvaCookies: string, bsn: string): Promise<Response> {
  const page = await get(digidUrl);
  const html = await page.text();
  const back = await get(`${sandbox.url("digid")}/authenticate`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"), persona: bsn, action: "login" }) });
  return get(back.headers.get("location")!, { headers: { cookie: dvaCookies } });
}

/**
 * From the PGO's 303 to the module: the module's launch, /connect/authorize (with the DVA session
 * of `dvaCookies`, else DigiD), its callback, "Terug naar PGO" — or the module's way back with an
 * error — and the PGO's /launch_callback. Returns the PGO's answer.
 */
async function throughModule(launchUrl: string, o: { pgo: string; dvaCookies?: string; bsn?: string }): Promise<Response> {
  const module = sandbox.url("module");
  const launched = await get(launchUrl, { headers: { referer: `${pgo()}/taken` } });
  let moduleCookies = cookiesOf(launched);
  let authorized = await get(launched.headers.get("location")!, { headers: { cookie: o.dvaCookies ?? "" } });
  if (authorized.headers.get("location")?.startsWith(sandbox.url("digid"))) {
    authorized = await digidLogin(authorized.headers.get("location")!, cookiesOf(authorized, o.dvaCookies), o.bsn ?? TOM.bsn);
  }
  const callback = await get(authorized.headers.get("location")!, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(callback, moduleCookies);
  let back: string;
  if (callback.status === 303 && callback.headers.get("location") === "/taak") {
    const taak = await get(`${module}/taak`, { headers: { cookie: moduleCookies } });
    moduleCookies = cookiesOf(taak, moduleCookies);
    const terug = await postForm(`${module}/terug`, moduleCookies, { _csrf: hiddenInput(await taak.text(), "_csrf") });
    back = terug.headers.get("location")!;
  } else if (callback.status === 303) {
    back = callback.headers.get("location")!;
  } else {
    back = /href="([^"]*\/launch_callback[^"]*)"/.exec(await callback.text())![1]!.replace(/&amp;/g, "&");
  }
  expect(back).toStartWith(`${pgo()}/launch_callback`);
  return get(back, { headers: { cookie: o.pgo } });
}

/** A logged-in PGO person connected to De Linde (long-term consent), with the DVA cookies of that browser; the lines so far are skipped. */
async function connected(): Promise<{ pgo: string; dvaCookies: string }> {
  const pgoCookies = await pgoSession(sandbox, TOM.user);
  const { redirect, cookies } = await throughDva(sandbox, await pgoStartConnect(sandbox, pgoCookies, "delinde@medmij"), { bsn: TOM.bsn, kind: "long" });
  expect((await get(redirect.href, { headers: { cookie: pgoCookies } })).status).toBe(303);
  newLines();
  return { pgo: pgoCookies, dvaCookies: cookies };
}

async function withFaults<T>(faults: object, run: () => Promise<T>): Promise<T> {
  expect((await setFaults(sandbox, faults)).status).toBe(200);
  try { return await run(); } finally { await setFaults(sandbox, null); }
}

describe("the happy journey: collect, launch, return (SD 4.6)", () => {
  test("every line follows the table; the launch code, request ids and sessions link the actors' lines", async () => {
    newLines();
    const pgoCookies = await pgoSession(sandbox, TOM.user);
    await runJourney(sandbox, { pgo: pgoCookies, zorgaanbieder: "delinde@medmij", bsn: TOM.bsn, task: "task-tom-delinde-intake",
      action: { answers: { "intake-beroep": "Timmerman" } } });
    const lines = checkJourney();
    expect(types(lines)).toEqual(expect.arrayContaining([
      "send_authorization_request", "receive_authorization_request", "show_landing_page", "send_authentication_request", "receive_authentication_response",
      "send_authorization_response", "receive_authorization_response", "send_token_request", "receive_token_request", "send_token_response", "receive_token_response",
      "send_resource_request", "receive_resource_request", "send_resource_response", "receive_resource_response",
      "send_smart_launch_request", "receive_smart_configuration_request", "send_smart_configuration_response", "receive_authorize_request", "send_authorize_response",
      "receive_redirect_to_pgo_request", "receive_smart_launch_response"]));
    // The PGO's lines carry the Session ID of its pages.
    const session = pgoSessionId(pgoCookies);
    for (const l of lines.filter((x) => x.event.location === "pgo.localhost")) expect(l.event.session_id).toBe(session);
    // SD 3.4 step 2: the DVA's line of the exchange says which person, task, PGO and module it checked.
    const exchange = lines.find((l) => l.event.type === "receive_token_request" && l.request!.grant_type === TOKEN_EXCHANGE_GRANT)!;
    expect(exchange.request!.request_token_type).toBe("medmij:token-type:one-time-code");
    const answer = lines.find((l) => l.event.type === "send_token_response" && l.response!.request_id === exchange.request!.id)!;
    expect(answer.response!.launch_context).toEqual({ pgo: "pgo.localhost", person: expect.stringMatching(/^Patient\//), task: "Task/task-tom-delinde-intake",
      module: "zorgmodules-zorgnet" });
    // One launch code reference on the launch, the DVA's authorize and the return (SD 4.5.4.1.1, 4.5.7.1.1).
    const launch = only(lines, "send_smart_launch_request")[0]!;
    const ref = launch.request!.smart_on_fhir_launch_code;
    expect(ref).toMatch(/^[0-9a-f]{32}$/);
    expect(only(lines, "receive_authorize_request")[0]!.request!.smart_on_fhir_launch_code).toBe(ref);
    expect(only(lines, "receive_redirect_to_pgo_request")[0]!.request!.smart_on_fhir_launch_code).toBe(ref);
    expect(only(lines, "receive_smart_launch_response")[0]!.response).toEqual({ request_id: launch.request!.id, status: 200 });
    // The authorize response answers the authorize request (not a hash of the code).
    expect(only(lines, "send_authorize_response")[0]!.response!.request_id).toBe(only(lines, "receive_authorize_request")[0]!.request!.id);
    // The DVA's session: the same browser through /auth, DigiD, consent and the SMART authorize; the module's token request carries it.
    const dvaSessions = new Set(lines.filter((l) => l.event.location === "auth.zorgnet.localhost" && chainEvent(l.event.type)!.session === "person").map((l) => l.event.session_id));
    expect(dvaSessions.size).toBe(1);
    const moduleToken = lines.find((l) => l.event.type === "receive_token_request" && l.request!.client_id === "zorgmodules-zorgnet")!;
    expect(moduleToken.request!.initiated_by).toBe("person");
    expect(dvaSessions.has(moduleToken.event.session_id)).toBe(true);
    // The launch, the exchange, the authorize and the module's calls are one trace.
    expect(new Set([launch, exchange, only(lines, "receive_authorize_request")[0]!, moduleToken].map((l) => l.event.trace_id)).size).toBe(1);
  });

  test("GET /api/logs serves the same lines as NDJSON, each valid against the schema", async () => {
    const pgoCookies = await pgoSession(sandbox, "koos");
    await runJourney(sandbox, { pgo: pgoCookies, zorgaanbieder: "delinde@medmij", bsn: "999991024", task: "task-koos-delinde-stress" });
    const lines = checkJourney();
    const text = await (await fetch(`${sandbox.url()}/api/logs?limit=10000&since=${lines[0]!.seq - 1}`)).text();
    const served = text.trim().split("\n").map((l) => JSON.parse(l) as ChainLine);
    expect(served.length).toBeGreaterThanOrEqual(lines.length);
    for (const line of served.slice(0, lines.length)) expect(schemaCheck(line)).toBe(true);
  });
});

describe("step-up and a SMART authorize without a DVA session", () => {
  test("step-up: the refused exchange names the checked context; the new authorization and the launch are in the task's trace", async () => {
    const { pgo: cookies } = await connected();
    const lines = await withFaults({ stepUpAlways: true }, async () => {
      const res = await pgoStartTask(sandbox, cookies, "task-tom-delinde-medicatiecheck");
      await Bun.sleep(5);
      const { redirect, cookies: dvaCookies } = await throughDva(sandbox, res.headers.get("location")!, { bsn: TOM.bsn });
      const back = await get(redirect.href, { headers: { cookie: cookies } });
      expect(back.status).toBe(303);
      return { launchUrl: back.headers.get("location")!, dvaCookies };
    }).then(async ({ launchUrl, dvaCookies }) => { await throughModule(launchUrl, { pgo: cookies, dvaCookies }); return checkJourney(); });
    const refused = only(lines, "send_token_request_error")[0]!;
    expect(refused.error).toMatchObject({ code: "invalid_grant", status: 400, launch_context: { pgo: "pgo.localhost", person: expect.stringMatching(/^Patient\//),
      task: "Task/task-tom-delinde-medicatiecheck", module: "medicatiecheck-zorgnet" } });
    expect(only(lines, "receive_token_request_error")[0]!.error).toMatchObject({ request_id: refused.error!.request_id, code: "invalid_grant" });
    const trace = refused.event.trace_id;
    expect(types(lines.filter((l) => l.event.trace_id === trace))).toEqual(expect.arrayContaining(["send_authorization_request", "receive_authentication_response",
      "receive_authorization_response", "send_token_response", "send_smart_launch_request", "receive_smart_launch_response"]));
  });

  test("a module in a browser without a DVA session: the SMART authorize logs DigiD's authentication request and answer", async () => {
    const { pgo: cookies } = await connected();
    const res = await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake");
    expect(res.status).toBe(303);
    await throughModule(res.headers.get("location")!, { pgo: cookies });
    const lines = checkJourney();
    expect(types(lines)).toEqual(expect.arrayContaining(["receive_authorize_request", "send_authentication_request", "receive_authentication_response",
      "send_authorize_response", "receive_smart_launch_response"]));
    const authn = only(lines, "send_authentication_request")[0]!;
    expect(authn.request).toMatchObject({ client_id: "auth.zorgnet.localhost", server_id: "digid.localhost", initiated_by: "person" });
  });
});

describe("every fault that changes the lines (shared/faults.ts)", () => {
  test("dvaDown: the PGO's call that found the DVA down is a receive_availability_check_error (SD 4.5.3.1.7)", async () => {
    const { pgo: cookies } = await connected();
    const lines = await withFaults({ dvaDown: "zorgnet" }, async () => {
      expect((await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake")).status).toBe(503);
      return checkJourney();
    });
    // The task's page reads the Task again (issue 11 item 7), then "Taak starten": each call that found the DVA down.
    const down = only(lines, "receive_availability_check_error");
    const sent = only(lines, "send_resource_request");
    expect(down.length).toBe(sent.length);
    expect(down.map((l) => l.error!.request_id)).toEqual(sent.map((l) => l.request!.id));
    for (const l of down) expect(l.error).toMatchObject({ code: "service_unavailable", status: 503 });
    expect(lines.some((l) => actorOf(l.event.location) !== "pgo")).toBe(false);
  });

  test("moduleDown: no launch code asked for, no launch; the probe's failure names the launch (SD 4.5.4.1.4)", async () => {
    const { pgo: cookies } = await connected();
    const lines = await withFaults({ moduleDown: true }, async () => {
      expect((await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake")).status).toBe(503);
      return checkJourney();
    });
    expect(only(lines, "receive_availability_check_error")[0]!.error).toMatchObject({ code: "service_unavailable", status: 503,
      description: expect.stringMatching(/^Module niet beschikbaar voor SMART launch: HEAD /) });
    expect(types(lines)).not.toContain("send_smart_launch_request");
    expect(lines.some((l) => l.request?.grant_type === TOKEN_EXCHANGE_GRANT)).toBe(false);
  });

  for (const code of ["invalid_scope", "temporarily_unavailable"] as const) {
    test(`tokenExchangeError ${code}: the DVA's send_token_request_error; the PGO's ${code === "invalid_scope" ? "receive_token_request_error" : "availability check error (a 503)"}`, async () => {
      const { pgo: cookies } = await connected();
      const lines = await withFaults({ tokenExchangeError: code }, async () => {
        await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake");
        return checkJourney();
      });
      const sent = only(lines, "send_token_request_error")[0]!;
      expect(sent.error).toMatchObject({ code, launch_context: { pgo: "pgo.localhost" } });
      const received = only(lines, code === "invalid_scope" ? "receive_token_request_error" : "receive_availability_check_error")[0]!;
      expect(received.error).toMatchObject({ request_id: sent.error!.request_id, status: code === "invalid_scope" ? 400 : 503 });
    });
  }

  test("launchCodeTtlSeconds 0: the DVA refuses the authorize; the PGO logs the module's error and the return", async () => {
    const { pgo: cookies, dvaCookies } = await connected();
    const lines = await withFaults({ launchCodeTtlSeconds: 0 }, async () => {
      const res = await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake");
      await throughModule(res.headers.get("location")!, { pgo: cookies, dvaCookies });
      return checkJourney();
    });
    expect(only(lines, "send_authorize_request_error")[0]!.error).toMatchObject({ code: "invalid_request", description: "de launch-code is verlopen", status: 302 });
    const launch = only(lines, "send_smart_launch_request")[0]!;
    expect(only(lines, "receive_smart_launch_request_error")[0]!.error).toMatchObject({ request_id: launch.request!.id, code: "invalid_request", status: 400 });
    expect(only(lines, "receive_redirect_to_pgo_request")[0]!.request).toMatchObject({ error: "invalid_request", smart_on_fhir_launch_code: launch.request!.smart_on_fhir_launch_code });
  });

  test("digidCancel: the DVA logs the cancellation and the access_denied it sent; the PGO the error it got", async () => {
    const pgoCookies = await pgoSession(sandbox, TOM.user);
    newLines();
    await withFaults({ digidCancel: true }, async () => {
      const toDigid = await get(await pgoStartConnect(sandbox, pgoCookies, "delinde@medmij"));
      const callback = await digidLogin(toDigid.headers.get("location")!, cookiesOf(toDigid), TOM.bsn);
      expect((await get(callback.headers.get("location")!, { headers: { cookie: pgoCookies } })).status).toBe(200);
    });
    const lines = checkJourney();
    expect(types(lines)).toEqual(["send_authorization_request", "receive_authorization_request", "show_landing_page", "send_authentication_request",
      "receive_authorization_cancellation", "send_authorization_request_error", "receive_authorization_request_error"]);
    expect(only(lines, "send_authorization_request_error")[0]!.error).toMatchObject({ code: "access_denied", status: 302 });
    expect(only(lines, "receive_authorization_request_error")[0]!.error).toMatchObject({ code: "access_denied", status: 403,
      request_id: only(lines, "send_authorization_request")[0]!.request!.id });
  });

  test("moduleFailAfterLaunch: the module sends the person back with an error: receive_smart_launch_request_error", async () => {
    const { pgo: cookies, dvaCookies } = await connected();
    const lines = await withFaults({ moduleFailAfterLaunch: true }, async () => {
      const res = await pgoStartTask(sandbox, cookies, "task-tom-delinde-intake");
      await throughModule(res.headers.get("location")!, { pgo: cookies, dvaCookies });
      return checkJourney();
    });
    expect(only(lines, "receive_smart_launch_request_error")[0]!.error).toMatchObject({ code: "temporarily_unavailable", status: 503 });
    expect(types(lines)).not.toContain("receive_smart_launch_response");
  });

  test("fhirTokenExpired: the FHIR server's send_resource_request_error 401, the PGO's renewal (machine) and its second try", async () => {
    const { pgo: cookies } = await connected();
    const lines = await withFaults({ fhirTokenExpired: true }, async () => {
      const page = await (await get(`${pgo()}/taken`, { headers: { cookie: cookies } })).text();
      await postForm(`${pgo()}/taken/verversen`, cookies, { _csrf: hiddenInput(page, "_csrf") });
      return checkJourney();
    });
    expect(only(lines, "send_resource_request_error")[0]!.error).toMatchObject({ status: 401 });
    expect(only(lines, "receive_resource_request_error")[0]!.error).toMatchObject({ status: 401 });
    expect(lines.find((l) => l.event.type === "send_token_request")!.request).toMatchObject({ grant_type: "refresh_token", initiated_by: "machine" });
    expect(only(lines, "send_resource_request").length).toBe(2);
  });

  test("a SMART configuration the module cannot take (Accept): send_smart_configuration_request_error (SD 4.5.6.1.3)", async () => {
    newLines();
    const res = await get(`${sandbox.url("fhir.zorgnet")}/fhir/.well-known/smart-configuration`, { headers: { accept: "application/xml" } });
    expect(res.status).toBe(406);
    const lines = checkJourney();
    expect(types(lines)).toEqual(["receive_smart_configuration_request", "send_smart_configuration_request_error"]);
    expect(lines[1]!.error).toMatchObject({ status: 406, code: "not-supported" });
  });
});

test("every event the sandbox writes was seen in these journeys", () => {
  const seen = new Set(sandbox.ctx.chain.query({ limit: 10_000 }).map((l) => l.event.type));
  // Not reached by a journey: an unverified client (dva-auth tests), a broken DigiD assertion, the PGO refusing an unregistered module.
  const elsewhere = new Set(["authorization_request_error", "show_authorization_request_error_page", "send_authorization_request_error", "receive_authentication_error"]);
  for (const e of CHAIN_EVENTS.filter((x) => x.written && !elsewhere.has(x.type) && x.type !== "receive_smart_launch_request_error")) expect(seen).toContain(e.type);
});

test("an unverified client at /auth: authorization_request_error and the error page (AS 3.1), in the person's DVA session", async () => {
  newLines();
  const auth = new URL(`${sandbox.url("auth.zorgnet")}/auth`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: "pgo.localhost", redirect_uri: "https://elders.example/cb", scope: "delinde", state: "s" })) auth.searchParams.set(k, v);
  const res = await get(auth.href);
  expect(res.status).toBe(400);
  const lines = checkJourney();
  expect(types(lines)).toEqual(["receive_authorization_request", "authorization_request_error", "show_authorization_request_error_page"]);
  // The page's Session ID is the lines' (and the browser keeps it: its DVA cookie is set).
  expect(await res.text()).toContain(`<dt>Session ID</dt><dd><code>${lines[0]!.event.session_id}</code></dd>`);
  expect(res.headers.getSetCookie().some((c) => c.startsWith("dva_browser="))).toBe(true);
});
