/**
 * The cockpit and the sandbox API over HTTP (SPEC §9, §10, §12): /api/network, /api/faults,
 * /api/reset and /api/logs (NDJSON in the SD 4.5 shape), and the cockpit pages with their
 * CSRF-protected forms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { createHttpClient } from "../../src/shared/http-client.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const STACK_TRACE = /\bat [^\n<]*\.tsx?:\d+/;
const JSON_HEADERS = { "Content-Type": "application/json" };

let sandbox: Sandbox;
let cockpit: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  cockpit = sandbox.url();
});

afterAll(async () => {
  await sandbox.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function postFaults(body: string, headers: Record<string, string> = JSON_HEADERS): Promise<Response> {
  return get(`${cockpit}/api/faults`, { method: "POST", headers, body });
}

async function faultsNow(): Promise<Json> {
  const res = await get(`${cockpit}/api/faults`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Json).faults as Json;
}

async function clearFaults(): Promise<void> {
  expect((await get(`${cockpit}/api/faults`, { method: "DELETE" })).status).toBe(200);
}

/** Produce real SD 4.5 send/receive lines of one trace: a logged call to the register. */
async function loggedCall(traceId: string, sessionId: string | null = "session-1"): Promise<Response> {
  const client = createHttpClient({ location: "pgo.localhost", chain: sandbox.ctx.chain, clientId: "pgo.localhost" });
  return client.send(`${sandbox.url("register")}/MedMij_Whitelist.xml`, {
    trace: { traceId, sessionId },
    event: { send: "send_whitelist_request", receive: "receive_whitelist_response", request: { grant_type: "none" } },
  });
}

async function ndjson(query: string): Promise<{ res: Response; lines: Json[] }> {
  const res = await get(`${cockpit}/api/logs${query}`);
  const text = await res.text();
  if (text !== "") expect(text.endsWith("\n")).toBe(true);
  return { res, lines: text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Json) };
}

/** GET a cockpit page as a browser: its cookie and CSRF token. */
async function openPage(path: string): Promise<{ html: string; cookie: string; csrf: string }> {
  const res = await get(`${cockpit}${path}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, cookie: cookiesOf(res), csrf: hiddenInput(html, "_csrf") };
}

function postForm(path: string, fields: Record<string, string>, cookie: string): Promise<Response> {
  return get(`${cockpit}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

describe("GET /api/network", () => {
  let network: Json;

  beforeAll(async () => {
    const res = await get(`${cockpit}/api/network`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    network = (await res.json()) as Json;
  });

  const onPort = (url: unknown) => {
    expect(url).toBeString();
    const u = new URL(url as string);
    expect(u.protocol).toBe("http:");
    expect(u.port).toBe(String(sandbox.port));
    expect(u.hostname).toMatch(/(^|\.)localhost$/);
  };

  test("dvas: id, name, authBase, fhirBase", () => {
    expect(network.dvas.map((d: Json) => d.id)).toEqual(["zorgnet", "ggzconnect"]);
    for (const d of network.dvas as Json[]) {
      expect(d.name).toBeString();
      expect(d.authBase).toBe(sandbox.url(`auth.${d.id}`));
      expect(d.fhirBase).toBe(`${sandbox.url(`fhir.${d.id}`)}/fhir`);
      onPort(d.authBase);
      onPort(d.fhirBase);
    }
  });

  test("zorgaanbieders: name, displayName, dva, systemClient", () => {
    expect(network.zorgaanbieders).toEqual([
      expect.objectContaining({ name: "delinde@medmij", displayName: "Huisartsenpraktijk De Linde", dva: "zorgnet",
        systemClient: { clientId: "his-delinde", clientSecret: "his-delinde-secret" } }),
      expect.objectContaining({ name: "fysiodeberk@medmij", displayName: "Fysiotherapie De Berk", dva: "zorgnet",
        systemClient: { clientId: "epd-deberk", clientSecret: "epd-deberk-secret" } }),
      expect.objectContaining({ name: "ggzoostland@medmij", displayName: "GGZ Oostland", dva: "ggzconnect",
        systemClient: { clientId: "ecd-ggzoostland", clientSecret: "ecd-ggzoostland-secret" } }),
    ]);
  });

  test("pgos: clientId, clientSecret, redirectUris, base", () => {
    // MijnGezondheid PGO and the second PGO, MijnZorgApp (issue 14).
    expect(network.pgos.map((g: Json) => g.clientId)).toEqual(["pgo.localhost", "mijnzorgapp.localhost"]);
    const pgo = network.pgos[0] as Json;
    expect(pgo.clientId).toBe("pgo.localhost");
    expect("clientSecret" in pgo).toBe(true);
    expect(pgo.base).toBe(sandbox.url("pgo"));
    expect(pgo.redirectUris).toEqual([`${sandbox.url("pgo")}/auth_callback`, `${sandbox.url("pgo")}/callback_stepup`]);
    for (const u of pgo.redirectUris as string[]) onPort(u);
  });

  test("modules: id, name, launchUrl, clients with dva, clientId, clientSecret, redirectUris", () => {
    expect(network.modules.map((m: Json) => m.id)).toEqual(["zorgmodules", "medicatiecheck"]);
    for (const m of network.modules as Json[]) {
      expect(m.name).toBeString();
      onPort(m.launchUrl);
      expect(new URL(m.launchUrl).origin).toBe(sandbox.url("module"));
      expect(m.clients.map((c: Json) => c.dva)).toEqual(["zorgnet", "ggzconnect"]);
      for (const c of m.clients as Json[]) {
        expect(c.clientId).toBeString();
        expect(c.clientSecret).toBeString();
        expect(c.redirectUris.length).toBeGreaterThan(0);
        for (const u of c.redirectUris as string[]) onPort(u);
      }
    }
    expect(network.modules[0].launchUrl).toBe(`${sandbox.url("module")}/launch`);
    expect(network.modules[0].clients[0]).toEqual({
      dva: "zorgnet", clientId: "zorgmodules-zorgnet", clientSecret: "zorgmodules-zorgnet-secret", public: false,
      redirectUris: [`${sandbox.url("module")}/callback`],
    });
  });

  test("patients: name, bsn, pgoUsername, pgoPassword", () => {
    const byName = Object.fromEntries((network.patients as Json[]).map((p) => [p.name, p]));
    expect(byName["Tom van Duinen"]).toEqual(expect.objectContaining({ bsn: "999991012", pgoUsername: "tom", pgoPassword: "tom" }));
    expect(byName["Koos de Groot"]).toEqual(expect.objectContaining({ bsn: "999991024", pgoUsername: "koos", pgoPassword: "koos" }));
    for (const p of network.patients as Json[]) {
      for (const key of ["name", "bsn", "pgoUsername", "pgoPassword"]) expect(key in p).toBe(true);
    }
  });

  test("every URL in the document is absolute and on the test port", () => {
    const urls = JSON.stringify(network).match(/https?:\/\/[^"]+/g) ?? [];
    expect(urls.length).toBeGreaterThan(10);
    for (const u of urls) onPort(u);
  });
});

describe("/api/faults", () => {
  test("GET lists the faults in force and the available keys", async () => {
    const res = await get(`${cockpit}/api/faults`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.faults).toEqual({});
    expect(body.available).toEqual(expect.arrayContaining([
      "dvaDown", "moduleDown", "tokenExchangeError", "stepUpAlways", "launchCodeTtlSeconds", "latencyMs", "digidCancel", "moduleFailAfterLaunch",
    ]));
  });

  test("POST sets, merges and returns the faults; DELETE clears them all", async () => {
    try {
      let res = await postFaults(JSON.stringify({ dvaDown: "zorgnet", tokenExchangeError: "invalid_grant" }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json).faults).toEqual({ dvaDown: "zorgnet", tokenExchangeError: "invalid_grant" });

      res = await postFaults(JSON.stringify({ latencyMs: 0, launchCodeTtlSeconds: 30, stepUpAlways: true, digidCancel: true, moduleFailAfterLaunch: true, moduleDown: true }));
      expect(res.status).toBe(200);
      expect(await faultsNow()).toEqual({
        dvaDown: "zorgnet", tokenExchangeError: "invalid_grant", latencyMs: 0, launchCodeTtlSeconds: 30,
        stepUpAlways: true, digidCancel: true, moduleFailAfterLaunch: true, moduleDown: true,
      });

      // null or false clears one key.
      res = await postFaults(JSON.stringify({ dvaDown: null, moduleDown: false }));
      expect(res.status).toBe(200);
      const now = await faultsNow();
      expect(now.dvaDown).toBeUndefined();
      expect(now.moduleDown).toBeUndefined();
      expect(now.stepUpAlways).toBe(true);

      const del = await get(`${cockpit}/api/faults`, { method: "DELETE" });
      expect(del.status).toBe(200);
      expect(((await del.json()) as Json).faults).toEqual({});
      expect(await faultsNow()).toEqual({});
    } finally {
      await clearFaults();
    }
  });

  test("Content-Type with a charset parameter is fine", async () => {
    const res = await postFaults(JSON.stringify({ moduleDown: true }), { "Content-Type": "application/json; charset=utf-8" });
    expect(res.status).toBe(200);
    await clearFaults();
  });

  test("POST without Content-Type: application/json is 415 and changes nothing", async () => {
    const cases: Record<string, string>[] = [
      {},
      { "Content-Type": "text/plain" },
      { "Content-Type": "application/x-www-form-urlencoded" },
      { "Content-Type": "multipart/form-data; boundary=x" },
    ];
    for (const headers of cases) {
      const res = await postFaults(JSON.stringify({ moduleDown: true }), headers);
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toStartWith("application/json");
    }
    const noType = await fetch(`${cockpit}/api/faults`, { method: "POST", body: new Blob([JSON.stringify({ moduleDown: true })]) });
    expect(noType.status).toBe(415);
    expect(await faultsNow()).toEqual({});
  });

  test("an unknown key is a 400 and changes nothing", async () => {
    const res = await postFaults(JSON.stringify({ moduleDown: true, everythingDown: true }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.error).toBeString();
    expect(body.error_description).toContain("everythingDown");
    expect(await faultsNow()).toEqual({});
  });

  test("malformed JSON and non-objects are 400", async () => {
    for (const body of ["{not json", "[]", '"moduleDown"', "42", "null"]) {
      const res = await postFaults(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(await faultsNow()).toEqual({});
  });

  test("tokenExchangeError must be an RFC 6749 §5.2 error code", async () => {
    for (const code of ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"]) {
      const res = await postFaults(JSON.stringify({ tokenExchangeError: code }));
      expect({ code, status: res.status }).toEqual({ code, status: 200 });
      expect((await faultsNow()).tokenExchangeError).toBe(code);
    }
    for (const code of ["access_denied_please", "INVALID_GRANT", "nope", 5, true, ["invalid_grant"]]) {
      const res = await postFaults(JSON.stringify({ tokenExchangeError: code }));
      expect({ code, status: res.status }).toEqual({ code, status: 400 });
    }
    await clearFaults();
  });

  test("dvaDown must name a DVA of the network", async () => {
    for (const value of ["nope", "ZORGNET", 1, true, ["zorgnet"], { id: "zorgnet" }]) {
      const res = await postFaults(JSON.stringify({ dvaDown: value }));
      expect({ value, status: res.status }).toEqual({ value, status: 400 });
    }
    expect(await faultsNow()).toEqual({});
    expect((await postFaults(JSON.stringify({ dvaDown: "ggzconnect" }))).status).toBe(200);
    expect((await faultsNow()).dvaDown).toBe("ggzconnect");
    await clearFaults();
  });

  test("numbers must be whole numbers from 0 to 600000", async () => {
    for (const value of [-1, 1.5, "abc", 600_001, 1e9, { ms: 5 }]) {
      for (const key of ["latencyMs", "launchCodeTtlSeconds"]) {
        const res = await postFaults(JSON.stringify({ [key]: value }));
        expect({ key, value, status: res.status }).toEqual({ key, value, status: 400 });
      }
    }
    expect(await faultsNow()).toEqual({});
    expect((await postFaults(JSON.stringify({ latencyMs: 0, launchCodeTtlSeconds: 600_000 }))).status).toBe(200);
    expect(await faultsNow()).toEqual({ latencyMs: 0, launchCodeTtlSeconds: 600_000 });
    await clearFaults();
  });

  // Bug (reported): parseFaults converts with Number(), so true → 1, [5] → 5 and " " → 0 are accepted.
  test("numbers reject booleans, arrays and blank strings", async () => {
    try {
      for (const value of [true, [5], " "]) {
        const res = await postFaults(JSON.stringify({ latencyMs: value }));
        expect({ value, status: res.status }).toEqual({ value, status: 400 });
      }
    } finally {
      await clearFaults();
    }
  });

  test("boolean switches take true and reject other values", async () => {
    for (const value of ["yes", 1, "1", ["true"]]) {
      const res = await postFaults(JSON.stringify({ moduleDown: value }));
      expect({ value, status: res.status }).toEqual({ value, status: 400 });
    }
    expect(await faultsNow()).toEqual({});
    expect((await postFaults(JSON.stringify({ moduleDown: true }))).status).toBe(200);
    expect((await faultsNow()).moduleDown).toBe(true);
    await clearFaults();
  });
});

describe("POST /api/reset", () => {
  test("needs Content-Type: application/json (415 otherwise)", async () => {
    await postFaults(JSON.stringify({ moduleDown: true }));
    for (const headers of [{}, { "Content-Type": "text/plain" }, { "Content-Type": "application/x-www-form-urlencoded" }] as Record<string, string>[]) {
      const res = await get(`${cockpit}/api/reset`, { method: "POST", headers, body: "{}" });
      expect(res.status).toBe(415);
    }
    // Nothing was reset.
    expect((await faultsNow()).moduleDown).toBe(true);
    await clearFaults();
  });

  test("clears faults and chain log lines and reseeds", async () => {
    const seededBefore = sandbox.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'seeded_at'").get()!.value;
    const traceId = `reset-${crypto.randomUUID()}`;
    expect((await loggedCall(traceId)).status).toBe(200);
    expect((await ndjson(`?trace_id=${traceId}`)).lines.length).toBe(2);
    expect((await postFaults(JSON.stringify({ dvaDown: "zorgnet", latencyMs: 5 }))).status).toBe(200);
    expect((await get(`${sandbox.url("auth.zorgnet")}/health`)).status).toBe(503);

    await Bun.sleep(5); // seeded_at has millisecond resolution
    const res = await get(`${cockpit}/api/reset`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");

    expect(await faultsNow()).toEqual({});
    expect((await get(`${sandbox.url("auth.zorgnet")}/health`)).status).toBe(200);
    expect((await ndjson(`?trace_id=${traceId}`)).lines).toEqual([]);
    const seededAfter = sandbox.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'seeded_at'").get()!.value;
    expect(seededAfter).not.toBe(seededBefore);
    // The seed is back: the network still answers.
    expect((await get(`${cockpit}/api/network`)).status).toBe(200);
  });

  test("an empty JSON body is fine", async () => {
    const res = await get(`${cockpit}/api/reset`, { method: "POST", headers: JSON_HEADERS });
    expect(res.status).toBe(200);
  });
});

describe("GET /api/logs", () => {
  test("returns NDJSON in the SD 4.5 shape, filtered by trace_id", async () => {
    const traceId = `trace-${crypto.randomUUID()}`;
    const otherTrace = `other-${crypto.randomUUID()}`;
    expect((await loggedCall(traceId)).status).toBe(200);
    expect((await loggedCall(otherTrace, null)).status).toBe(200);

    const { res, lines } = await ndjson(`?trace_id=${encodeURIComponent(traceId)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(lines.length).toBe(2);
    for (const l of lines) {
      expect(l.event.trace_id).toBe(traceId);
      expect(l.event.session_id).toBe("session-1");
      expect(l.event.location).toBe("pgo.localhost");
      expect(l.event.datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}([+-]\d{2}:\d{2}|Z)$/);
      expect(l.seq).toBeUndefined();
    }
    const [sent, received] = lines as [Json, Json];
    expect(Object.keys(sent.event).toSorted()).toEqual(["datetime", "location", "session_id", "trace_id", "type"]);
    expect(sent.event.type).toBe("send_whitelist_request");
    expect(sent.request).toEqual(expect.objectContaining({
      id: expect.any(String),
      method: expect.stringMatching(/^get$/i),
      uri: `${sandbox.url("register")}/MedMij_Whitelist.xml`,
      client_id: "pgo.localhost",
      server_id: "register.localhost",
      grant_type: "none",
    }));
    expect(received.event.type).toBe("receive_whitelist_response");
    expect(received.response).toEqual({ request_id: sent.request.id, status: 200 });

    const other = await ndjson(`?trace_id=${encodeURIComponent(otherTrace)}`);
    expect(other.lines.length).toBe(2);
    expect(other.lines.every((l) => l.event.trace_id === otherTrace && l.event.session_id === null)).toBe(true);
    expect(other.lines[0]!.request.initiated_by).toBe("machine");
    expect(sent.request.initiated_by).toBe("machine");
  });

  test("a failed call writes an error line", async () => {
    const traceId = `err-${crypto.randomUUID()}`;
    const client = createHttpClient({ location: "pgo.localhost", chain: sandbox.ctx.chain });
    const res = await client.send(`${sandbox.url("register")}/MedMij_Bestaatniet.xml`, {
      trace: { traceId, sessionId: null }, event: { send: "send_list_request", receive: "receive_list_response" },
    });
    expect(res.status).toBe(404);
    const { lines } = await ndjson(`?trace_id=${traceId}`);
    expect(lines.length).toBe(2);
    expect(lines[1]!.event.type).toBe("receive_list_request_error");
    expect(lines[1]!.error).toEqual(expect.objectContaining({ request_id: lines[0]!.request.id, status: 404, code: expect.any(String) }));
  });

  test("since filters by sequence number (X-Last-Seq) and by date-time", async () => {
    const first = `since-a-${crypto.randomUUID()}`;
    const second = `since-b-${crypto.randomUUID()}`;
    await loggedCall(first);
    const all = await ndjson("");
    const lastSeq = all.res.headers.get("X-Last-Seq");
    expect(lastSeq).toMatch(/^\d+$/);
    const lastDatetime = all.lines.at(-1)!.event.datetime as string;
    await Bun.sleep(5); // the next lines must carry a later millisecond than lastDatetime
    await loggedCall(second);

    const bySeq = await ndjson(`?since=${lastSeq}`);
    expect(bySeq.lines.map((l) => l.event.trace_id)).toEqual([second, second]);
    expect(Number(bySeq.res.headers.get("X-Last-Seq"))).toBeGreaterThan(Number(lastSeq));

    const byTime = await ndjson(`?since=${encodeURIComponent(lastDatetime)}`);
    expect(byTime.lines.map((l) => l.event.trace_id)).toEqual([second, second]);

    const both = await ndjson(`?trace_id=${first}&since=${lastSeq}`);
    expect(both.lines).toEqual([]);

    const nothing = await ndjson(`?since=${Number(bySeq.res.headers.get("X-Last-Seq"))}`);
    expect(nothing.res.status).toBe(200);
    expect(nothing.lines).toEqual([]);
    expect(nothing.res.headers.get("X-Last-Seq")).toBeNull();
  });

  test("an unknown trace gives an empty 200 NDJSON body", async () => {
    const res = await get(`${cockpit}/api/logs?trace_id=bestaat-niet`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await res.text()).toBe("");
  });

  // Bug (reported): an unparsable `since` silently matches nothing instead of a 400.
  test("an unparsable since is a 400", async () => {
    const res = await get(`${cockpit}/api/logs?since=garbage`);
    expect(res.status).toBe(400);
  });
});

describe("the sandbox mailbox (SPEC §9)", () => {
  test("POST /api/mail takes JSON only, checks every field and keeps links to http(s); the mail is escaped on its page", async () => {
    const ok = await get(`${cockpit}/api/mail`, { method: "POST", headers: JSON_HEADERS,
      body: JSON.stringify({ from: "Team XIS", to: "Tom <b>van</b> Duinen", subject: "Uitnodiging <script>", body: "Beste Tom,\n\nKlik hieronder.", link: "http://pgo.localhost/verbind?zorgaanbieder=delinde@medmij" }) });
    expect(ok.status).toBe(201);
    const { id, url } = await ok.json() as { id: string; url: string };
    expect(url).toBe(`${cockpit}/mailbox/${id}`);
    const page = await (await get(url)).text();
    expect(page).toContain("Uitnodiging &lt;script&gt;");
    expect(page).not.toContain("<script>");
    expect(page).toContain("<svg");
    for (const [body, status] of [
      [JSON.stringify({ from: "x", to: "y", subject: "z", body: "b", link: "javascript:alert(1)" }), 400],
      [JSON.stringify({ from: "x", to: "y", subject: "", body: "b" }), 400],
      [JSON.stringify([1]), 400],
    ] as [string, number][]) {
      const res = await get(`${cockpit}/api/mail`, { method: "POST", headers: JSON_HEADERS, body });
      expect(res.status).toBe(status);
      expect((await res.json()).error).toBe("invalid_request");
    }
    const broken = await get(`${cockpit}/api/mail`, { method: "POST", headers: JSON_HEADERS, body: "{not json" });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toBe("invalid_json");
    expect((await get(`${cockpit}/api/mail`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" })).status).toBe(415);
    expect((await get(`${cockpit}/mailbox/unknown`)).status).toBe(404);
    const list = await (await get(`${cockpit}/mailbox`)).text();
    expect(list).toContain("Uitnodiging &lt;script&gt;");
  });
});

describe("cockpit pages", () => {
  test("the home page lists every actor origin and the personas", async () => {
    const { html } = await openPage("/");
    for (const label of ["", "register", "digid", "auth.zorgnet", "fhir.zorgnet", "auth.ggzconnect", "fhir.ggzconnect", "pgo", "module", "xis"]) {
      expect(html).toContain(`href="${sandbox.url(label)}/"`);
    }
    for (const name of ["Tom van Duinen", "Koos de Groot", "999991012", "999991024"]) expect(html).toContain(name);
    expect(html).toContain("Start als Tom");
    expect(html).toContain('href="/faults"');
    expect(html).toContain('href="/logs"');
    expect(html).not.toMatch(STACK_TRACE);
  });

  test("one click on \"Start als Tom\" lands in the PGO logged in as Tom; the ticket works once, at that PGO only", async () => {
    const page = await openPage("/");
    const start = await get(`${cockpit}/personas/start`, { method: "POST", headers: { cookie: page.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(page.html, "_csrf"), bsn: "999991012" }) });
    expect(start.status).toBe(303);
    const ticketUrl = start.headers.get("location")!;
    expect(ticketUrl).toStartWith(`${sandbox.url("pgo")}/persona-login?ticket=`);
    const landed = await get(ticketUrl);
    expect(landed.status).toBe(303);
    expect(landed.headers.get("location")).toBe("/taken");
    const session = cookiesOf(landed);
    expect(landed.headers.get("set-cookie")).toMatch(/pgo_session=.*HttpOnly/i);
    const overview = await get(`${sandbox.url("pgo")}/taken`, { headers: { cookie: session } });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("Tom");
    // Single use, unforgeable, and useless without the cockpit's CSRF token.
    const again = await get(ticketUrl);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("Startlink verlopen");
    const ticket = new URL(ticketUrl).searchParams.get("ticket")!;
    const forged = `${Buffer.from(JSON.stringify({ p: "pgo-login pgo.localhost", s: "koos", e: Date.now() + 60_000, n: "x" })).toString("base64url")}.${ticket.split(".")[1]}`;
    expect((await get(`${sandbox.url("pgo")}/persona-login?ticket=${encodeURIComponent(forged)}`)).status).toBe(400);
    expect((await get(`${sandbox.url("pgo")}/persona-login`)).status).toBe(400);
    const noCsrf = await get(`${cockpit}/personas/start`, { method: "POST", headers: { cookie: page.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ bsn: "999991012" }) });
    expect(noCsrf.status).toBe(403);
  });

  test("the health partial reports every actor as reachable", async () => {
    const res = await get(`${cockpit}/partials/health`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect((html.match(/bereikbaar/g) ?? []).length).toBeGreaterThanOrEqual(10);
    expect(html).not.toContain("onbereikbaar");
  });

  test("the home page shows active faults", async () => {
    await postFaults(JSON.stringify({ moduleDown: true }));
    try {
      const { html } = await openPage("/");
      expect(html).toContain("moduleDown=true");
    } finally {
      await clearFaults();
    }
  });

  test("the faults form sets a fault with a CSRF token, clears the unchecked ones, and refuses a POST without one", async () => {
    const page = await openPage("/faults");
    for (const key of ["dvaDown", "moduleDown", "tokenExchangeError", "latencyMs", "digidCancel"]) expect(page.html).toContain(`name="${key}"`);
    expect(page.cookie).toContain("sandbox_csrf=");
    try {
      let res = await postForm("/faults", { _csrf: page.csrf, moduleDown: "true", dvaDown: "ggzconnect", tokenExchangeError: "", latencyMs: "" }, page.cookie);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/faults?opgeslagen");
      expect(await faultsNow()).toEqual({ moduleDown: true, dvaDown: "ggzconnect" });
      expect((await get(`${sandbox.url("module")}/health`)).status).toBe(503);

      // The form shows the state it saved, and says what is now switched on (issue 12 §3 feedback).
      const again = await openPage("/faults?opgeslagen");
      expect(again.html).toMatch(/name="moduleDown" value="true" checked/);
      expect(again.html).toMatch(/Opgeslagen\. Nu aan: [^<]*ggzconnect/);

      // A form without moduleDown (unchecked) clears it.
      res = await postForm("/faults", { _csrf: page.csrf, dvaDown: "ggzconnect" }, page.cookie);
      expect(res.status).toBe(303);
      expect(await faultsNow()).toEqual({ dvaDown: "ggzconnect" });

      // No CSRF token, a wrong one, or no cookie: 403, nothing changes.
      for (const [fields, cookie] of [
        [{ moduleDown: "true" }, page.cookie],
        [{ _csrf: "wrong", moduleDown: "true" }, page.cookie],
        [{ _csrf: page.csrf, moduleDown: "true" }, ""],
      ] as [Record<string, string>, string][]) {
        const refused = await postForm("/faults", fields, cookie);
        expect(refused.status).toBe(403);
        expect(refused.headers.get("location")).toBeNull();
        expect(await refused.text()).not.toMatch(STACK_TRACE);
      }
      expect(await faultsNow()).toEqual({ dvaDown: "ggzconnect" });

      // An invalid value shows the form again with a message.
      const invalid = await postForm("/faults", { _csrf: page.csrf, latencyMs: "-5" }, page.cookie);
      expect(invalid.status).toBe(422);
      expect(await invalid.text()).toContain("latencyMs");
      expect(await faultsNow()).toEqual({ dvaDown: "ggzconnect" });

      // "Alles uit".
      res = await postForm("/faults", { _csrf: page.csrf, clear: "all" }, page.cookie);
      expect(res.status).toBe(303);
      expect(await faultsNow()).toEqual({});
      expect((await openPage("/faults?opgeslagen")).html).toContain("Opgeslagen. Er staat geen storing aan.");
    } finally {
      await clearFaults();
    }
  });

  test("htmx form posts get HX-Redirect instead of a 303", async () => {
    const page = await openPage("/faults");
    const res = await get(`${cockpit}/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: page.cookie, "HX-Request": "true" },
      body: new URLSearchParams({ _csrf: page.csrf, digidCancel: "true" }).toString(),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("HX-Redirect")).toBe("/faults?opgeslagen");
    expect((await faultsNow()).digidCancel).toBe(true);
    await clearFaults();
  });

  test("the reset form needs the CSRF token and the confirm checkbox", async () => {
    const page = await openPage("/");
    expect(page.html).toContain('action="/reset"');
    expect(page.html).toMatch(/name="confirm" value="yes"/);
    const traceId = `form-reset-${crypto.randomUUID()}`;
    await loggedCall(traceId);
    await postFaults(JSON.stringify({ moduleDown: true }));

    // Without CSRF: 403, nothing reset.
    let res = await postForm("/reset", { confirm: "yes" }, page.cookie);
    expect(res.status).toBe(403);
    expect((await faultsNow()).moduleDown).toBe(true);

    // Without the confirm box: back to the form, nothing reset.
    res = await postForm("/reset", { _csrf: page.csrf }, page.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/#reset");
    expect((await faultsNow()).moduleDown).toBe(true);
    expect((await ndjson(`?trace_id=${traceId}`)).lines.length).toBe(2);

    // With both: reset, and the home page says so.
    res = await postForm("/reset", { _csrf: page.csrf, confirm: "yes" }, page.cookie);
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toStartWith("/?reset");
    expect(await faultsNow()).toEqual({});
    expect((await ndjson(`?trace_id=${traceId}`)).lines).toEqual([]);
    const after = await get(`${cockpit}${location}`, { headers: { Cookie: page.cookie } });
    expect(await after.text()).toContain("teruggezet naar de seed");
  });

  test("/logs lists recent traces and /logs?trace_id= shows one trace as a timeline", async () => {
    const traceId = `page-${crypto.randomUUID()}`;
    await loggedCall(traceId);

    const list = await get(`${cockpit}/logs`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain(`/logs?trace_id=${traceId}`);

    const res = await get(`${cockpit}/logs?trace_id=${encodeURIComponent(traceId)}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(traceId);
    expect(html).toContain("send_whitelist_request");
    expect(html).toContain("receive_whitelist_response");
    expect(html).toContain(`GET ${sandbox.url("register")}/MedMij_Whitelist.xml`);
    expect(html).toContain("status 200");
    expect(html.indexOf("send_whitelist_request")).toBeLessThan(html.indexOf("receive_whitelist_response"));
    // A column per actor that wrote a line: here only the PGO (the register writes none).
    expect(html).toContain('<div class="swimlanes">');
    expect(html).toContain("<code class=\"hint\">pgo.localhost</code>");
    expect(html).not.toContain("<code class=\"hint\">register.localhost</code>");

    const partial = await get(`${cockpit}/partials/trace?trace_id=${encodeURIComponent(traceId)}`);
    expect(partial.status).toBe(200);
    expect(await partial.text()).toContain("receive_whitelist_response");
  });

  test("/logs escapes the trace id", async () => {
    const res = await get(`${cockpit}/logs?trace_id=${encodeURIComponent("<script>alert(1)</script>")}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;");
  });
});
