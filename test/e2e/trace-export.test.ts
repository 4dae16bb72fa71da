/**
 * Trace export for triage (issue 13 §3): `GET /api/traces/<trace_id>.har` and `.ndjson` after
 * real journeys over HTTP. The HAR is valid HAR 1.2 (har-schema), has the PGO's, the DVA's and
 * the module's requests, and carries none of the secrets the journey's client saw on the wire —
 * every code, launch code, DigiD assertion, token, cookie and CSRF token, collected by watching
 * fetch — nor the PGO password; bodies are cut at 16 KiB; unknown traces are 404, malformed ids
 * 400; old exchanges go with the chain log's retention.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { BODY_LIMIT } from "../../src/shared/exchange-log.ts";
import type { Har } from "../../src/shared/har.ts";
import { collectTokens } from "../helpers/dva.ts";
import { harProblems } from "../helpers/har.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { cookiesOf, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
/** Every secret value a response showed the client (or the sandbox's own actors): [what, value]. */
const seen: [string, string][] = [];
const realFetch = globalThis.fetch;

/** Watch fetch: secrets in redirects, cookies, token responses and pages' hidden CSRF fields. */
async function watch(response: Response): Promise<void> {
  const location = response.headers.get("location");
  if (location) {
    const url = URL.parse(location, "http://x.invalid/");
    for (const name of ["code", "launch", "assertion", "ticket"]) {
      const value = url?.searchParams.get(name);
      if (value) seen.push([name, value]);
    }
  }
  for (const cookie of response.headers.getSetCookie()) {
    const value = cookie.split(";")[0]!.split("=").slice(1).join("=");
    if (value.length >= 8) seen.push(["cookie", decodeURIComponent(value)]);
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    const body = await response.clone().json().catch(() => null) as Record<string, unknown> | null;
    for (const name of ["access_token", "refresh_token", "id_token"]) if (typeof body?.[name] === "string") seen.push([name, body[name] as string]);
  } else if (type.includes("html")) {
    for (const m of (await response.clone().text()).matchAll(/name="_csrf" value="([^"]+)"/g)) seen.push(["_csrf", m[1]!]);
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  globalThis.fetch = Object.assign(async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await realFetch(input, init);
    await watch(response);
    return response;
  }, realFetch);
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  await sandbox.stop();
});

interface Line { event: { type: string; trace_id: string } }
async function lines(query = ""): Promise<Line[]> {
  const text = await (await realFetch(`${sandbox.url()}/api/logs?limit=10000${query}`)).text();
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
}
const traceOf = async (type: string) => (await lines()).filter((l) => l.event.type === type).at(-1)!.event.trace_id;

async function download(traceId: string, format: "har" | "ndjson"): Promise<{ response: Response; text: string }> {
  const response = await realFetch(`${sandbox.url()}/api/traces/${encodeURIComponent(traceId)}.${format}`);
  return { response, text: await response.text() };
}

/** The secrets of `kinds` that occur in `text` (each value once). */
function leaked(text: string, kinds?: string[]): string[] {
  return [...new Set(seen.filter(([kind, value]) => (!kinds || kinds.includes(kind)) && text.includes(value)).map(([kind, value]) => `${kind}: ${value}`))];
}

const hosts = (har: Har) => new Set(har.log.entries.map((e) => new URL(e.request.url).hostname));

describe("a journey's trace as HAR and NDJSON", () => {
  test("valid HAR 1.2 with the PGO's, the DVA's and the module's requests, and no secret of the journey in it", async () => {
    const pgo = await pgoSession(sandbox, "tom");
    await runJourney(sandbox, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-intake", action: { answers: { "intake-beroep": "Timmerman" } } });
    const traceId = await traceOf("send_smart_launch_request");

    const { response, text } = await download(traceId, "har");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="trace-${traceId}.har"`);
    const har = JSON.parse(text) as Har;
    expect(harProblems(har)).toEqual([]);
    expect(har.log.creator.name).toBe("MedMij Sandbox");
    expect(har.log.comment).toContain(traceId);
    expect([...hosts(har)]).toEqual(expect.arrayContaining(["pgo.localhost", "auth.zorgnet.localhost", "fhir.zorgnet.localhost", "module.localhost"]));
    // In the order the requests arrived: the start at the PGO first, the return to the PGO last.
    const started = har.log.entries.map((e) => Date.parse(e.startedDateTime));
    expect(started).toEqual([...started].sort((a, b) => a - b));
    expect(har.log.entries[0]!.request.url).toEndWith("/starten");
    expect(har.log.entries.at(-1)!.request.url).toContain("/launch_callback");
    // The module's pages after its launch are in it too (the module writes no log lines).
    expect(har.log.entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual(expect.arrayContaining([
      "GET /launch", "GET /callback", "GET /taak", "POST /taak/opslaan", "POST /terug", "POST /connect/token"]));

    // The secrets this journey put on the wire: not one in the file.
    expect(seen.some(([kind]) => kind === "launch")).toBe(true);
    expect(seen.some(([kind]) => kind === "code")).toBe(true);
    expect(leaked(text)).toEqual([]);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).toContain("launch=REDACTED");
    expect(text).toContain("Bearer REDACTED");
  });

  test("the collect flow's trace: the code, the DigiD assertion, the access and refresh token are not in it", async () => {
    const tokens = await collectTokens(sandbox);
    expect(tokens.access_token).toBeString();
    const { text } = await download(await traceOf("receive_token_request"), "har");
    const har = JSON.parse(text) as Har;
    expect(harProblems(har)).toEqual([]);
    expect([...hosts(har)]).toEqual(expect.arrayContaining(["auth.zorgnet.localhost", "digid.localhost"]));
    const token = har.log.entries.find((e) => e.request.url.endsWith("/token"))!;
    expect(JSON.parse(token.response.content.text!)).toMatchObject({ access_token: "REDACTED", refresh_token: "REDACTED" });
    expect(text).not.toContain(tokens.access_token);
    expect(text).not.toContain(tokens.refresh_token!);
    expect(seen.some(([kind]) => kind === "assertion")).toBe(true);
    expect(leaked(text)).toEqual([]);
  });

  test("NDJSON: the trace's SD 4.5 lines as GET /api/logs?trace_id= gives them", async () => {
    const traceId = await traceOf("send_smart_launch_request");
    const { response, text } = await download(traceId, "ndjson");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="trace-${traceId}.ndjson"`);
    expect(text).toBe(await (await realFetch(`${sandbox.url()}/api/logs?limit=10000&trace_id=${encodeURIComponent(traceId)}`)).text());
    expect(text.trim().split("\n").length).toBeGreaterThan(10);
  });

  test("a login in a trace: its password and session are not in the file; a body beyond 16 KiB is cut", async () => {
    const pgo = `${sandbox.url("pgo")}/login`;
    const headers = { "X-Correlation-ID": "trace-export-login" };
    const page = await realFetch(pgo, { headers });
    const cookie = cookiesOf(page);
    const csrf = hiddenInput(await page.text(), "_csrf");
    const login = await realFetch(pgo, { method: "POST", redirect: "manual", headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, next: "/", username: "tom", password: "tom" }) });
    expect(login.status).toBe(303);
    const session = cookiesOf(login).split("; ").map((c) => c.split("=").slice(1).join("=")).filter((v) => v.length > 8);
    const big = await realFetch(pgo, { method: "POST", redirect: "manual", headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, username: "koos", password: "nope", next: `/${"y".repeat(40_000)}` }) });
    expect(big.status).toBeLessThan(500);

    const { text } = await download("trace-export-login", "har");
    const har = JSON.parse(text) as Har;
    expect(harProblems(har)).toEqual([]);
    const posts = har.log.entries.filter((e) => e.request.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[0]!.request.postData!.params).toContainEqual({ name: "password", value: "REDACTED" });
    expect(posts[0]!.request.postData!.params).toContainEqual({ name: "_csrf", value: "REDACTED" });
    expect(text).not.toContain("password=tom");
    expect(text).not.toContain(csrf);
    for (const value of session) expect(text).not.toContain(value);
    const cut = posts[1]!.request.postData!;
    expect(cut.text!.length).toBe(BODY_LIMIT);
    expect(cut.comment).toBe(`truncated: the first ${BODY_LIMIT} characters of ${posts[1]!.request.bodySize} bytes`);
    expect(posts[1]!.request.bodySize).toBeGreaterThan(40_000);
  });
});

describe("asking for a trace", () => {
  test("an unknown trace is 404 JSON, for both formats", async () => {
    for (const format of ["har", "ndjson"] as const) {
      const { response, text } = await download("no-such-trace-01", format);
      expect(response.status).toBe(404);
      expect(JSON.parse(text)).toMatchObject({ error: "not_found", trace_id: "no-such-trace-01" });
    }
  });

  test("a malformed trace id is 400; another file type is 404", async () => {
    const bad = await download("bad id<script>", "har");
    expect(bad.response.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: "invalid_request" });
    expect((await realFetch(`${sandbox.url()}/api/traces/${"x".repeat(129)}.har`)).status).toBe(400);
    expect((await realFetch(`${sandbox.url()}/api/traces/some-trace.json`)).status).toBe(404);
  });
});

describe("retention", () => {
  test("the exchanges go with the chain log's limits (--log-keep-lines, a quarter as many): an old trace's HAR is then 404", async () => {
    const small = await startTestSandbox({ logKeepLines: 12 });
    try {
      // The PGO's login page writes no log lines: its trace is its exchange alone.
      for (let i = 0; i < 5; i++) await realFetch(`${small.url("pgo")}/login`, { headers: { "X-Correlation-ID": `kept-${i}` } });
      expect((await realFetch(`${small.url()}/api/traces/kept-4.har`)).status).toBe(200);
      small.ctx.exchanges.prune(); // (the background pruning may have been first)
      const statuses = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await realFetch(`${small.url()}/api/traces/kept-${i}.har`)).status));
      expect(statuses).toEqual([404, 404, 200, 200, 200]);
    } finally {
      await small.stop();
    }
  });
});
