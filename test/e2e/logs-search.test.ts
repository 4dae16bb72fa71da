/**
 * The chain log as people look for it (issue 12 §4): /logs lists journeys first, pages beyond
 * the newest 30, filters by actor and event type, and finds a pasted Trace ID or Session ID.
 * `GET /api/logs` keeps its contract.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const cockpit = () => sandbox.url();
/** The trace ids the main list links to (before the "Laatste losse aanroepen" section). */
function listed(html: string): string[] {
  const main = html.slice(html.indexOf('role="search"'), html.includes('id="singles-heading"') ? html.indexOf('id="singles-heading"') : undefined);
  return [...main.matchAll(/href="\/logs\?trace_id=([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
}
const olderLink = (html: string) => /<a href="(\/logs\?[^"]*voor=\d+[^"]*)">Oudere traces<\/a>/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? null;

/** A journey's trace (a task started: PGO and DVA, 6 lines) and a single call (the DVA's two lines), written as the actors write them. */
function journey(id: string, o: { session?: string } = {}) {
  const w = (type: string, location: string) => sandbox.ctx.chain.write({ type, location, traceId: id, sessionId: o.session ?? null });
  w("send_token_request", "pgo.localhost"); w("receive_token_request", "auth.zorgnet.localhost"); w("send_token_response", "auth.zorgnet.localhost");
  w("receive_token_response", "pgo.localhost"); w("send_smart_launch_request", "pgo.localhost");
  w("receive_authorize_request", "auth.zorgnet.localhost");
}
function single(id: string) {
  sandbox.ctx.chain.write({ type: "receive_resource_request", location: "fhir.zorgnet.localhost", traceId: id });
  sandbox.ctx.chain.write({ type: "send_resource_response", location: "fhir.zorgnet.localhost", traceId: id });
}

describe("/logs", () => {
  test("journeys first, newest first, and pages beyond 30 with nothing lost or twice", async () => {
    await fetch(`${cockpit()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const journeys: string[] = [];
    for (let n = 0; n < 45; n++) {
      const id = `reis-${String(n).padStart(2, "0")}`;
      journey(id);
      journeys.push(id);
      // Between the journeys, the single calls that used to push them out of the list.
      for (let k = 0; k < 3; k++) single(`los-${n}-${k}`);
    }
    const first = await (await get(`${cockpit()}/logs`)).text();
    expect(first).toContain("<h2>Reizen</h2>");
    const page1 = listed(first);
    expect(page1).toEqual(journeys.slice(15).reverse());
    // The newest single calls are shown apart, below the journeys.
    expect(first.slice(first.indexOf('id="singles-heading"'))).toContain("/logs?trace_id=los-44-2");
    const older = olderLink(first)!;
    expect(older).toStartWith("/logs?voor=");
    const second = await (await get(`${cockpit()}${older}`)).text();
    expect(listed(second)).toEqual(journeys.slice(0, 15).reverse());
    expect(olderLink(second)).toBeNull();
    expect(second).toContain('href="/logs">Nieuwste</a>');
    // All traces, 30 a page, through every page: each of the 45 + 135 once.
    const seen: string[] = [];
    let url: string | null = "/logs?soort=alle";
    for (let guard = 0; url && guard < 20; guard++) {
      const html = await (await get(`${cockpit()}${url}`)).text();
      seen.push(...listed(html));
      url = olderLink(html);
    }
    expect(seen.length).toBe(180);
    expect(new Set(seen).size).toBe(180);
  });

  test("readable ids: what happened, when, who, and the id with its telling part in bold", async () => {
    journey("0190aaaa-bbbb-7ccc-8ddd-123456789abc");
    const html = await (await get(`${cockpit()}/logs`)).text();
    expect(html).toContain('<a href="/logs?trace_id=0190aaaa-bbbb-7ccc-8ddd-123456789abc">Taak starten</a>');
    expect(html).toContain('<code class="trace-id"><span>0190aaaa-bbbb-7ccc-8ddd-</span><strong>123456789abc</strong></code>');
    // Actors by name, not host name; the day in words, never ISO.
    expect(html).toMatch(/<td>[^<]*PGO, [^<]*DVA — autorisatieserver<\/td>/);
    expect(html).toMatch(/<td>\d{1,2} [a-z]+ \d{4} \d\d:\d\d:\d\d<\/td>/);
  });

  test("a Trace ID pasted from an error page opens its trace, with or without its label", async () => {
    // A refused token exchange, as the PGO's "Technische storing" shows its Trace ID: two hops, one error.
    for (const [type, location] of [["send_token_request", "pgo.localhost"], ["receive_token_request", "auth.zorgnet.localhost"],
      ["send_token_request_error", "auth.zorgnet.localhost"], ["receive_token_request_error", "pgo.localhost"]] as const) {
      sandbox.ctx.chain.write({ type, location, traceId: "trace-van-foutpagina" });
    }
    for (const q of ["trace-van-foutpagina", "  trace-van-foutpagina ", "Trace ID: trace-van-foutpagina", "Trace ID trace-van-foutpagina"]) {
      const res = await get(`${cockpit()}/logs?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/logs?trace_id=trace-van-foutpagina");
    }
    const trace = await (await get(`${cockpit()}/logs?trace_id=trace-van-foutpagina`)).text();
    expect(trace).toContain("send_token_request_error");
    // A trace with an error is listed with the journeys.
    expect(listed(await (await get(`${cockpit()}/logs`)).text())).toContain("trace-van-foutpagina");
  });

  test("a Session ID lists the traces whose lines carry it; an unknown value says what can be found", async () => {
    journey("sessie-trace-1", { session: "a1b2c3d4e5f60718" });
    journey("sessie-trace-2", { session: "a1b2c3d4e5f60718" });
    const html = await (await get(`${cockpit()}/logs?q=${encodeURIComponent("Session ID: a1b2c3d4e5f60718")}`)).text();
    const section = html.slice(html.indexOf('id="session-heading"'), html.indexOf("</section>", html.indexOf('id="session-heading"')));
    expect([...section.matchAll(/href="\/logs\?trace_id=([^"]+)"/g)].map((m) => m[1])).toEqual(["sessie-trace-2", "sessie-trace-1"]);
    const none = await get(`${cockpit()}/logs?q=bestaat-niet-0000`);
    expect(none.status).toBe(200);
    const text = await none.text();
    expect(text).toContain("Geen trace en geen sessie gevonden voor <code>bestaat-niet-0000</code>");
    expect(text).toContain("Zoek dan op de Trace ID van dezelfde foutpagina.");
    const odd = await (await get(`${cockpit()}/logs?q=${encodeURIComponent('"><script>alert(1)</script>')}`)).text();
    expect(odd).not.toContain('"><script>');
    expect(odd).toContain("<code>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code>");
  });

  test("filter by actor and by event type; the filters are kept on the next page", async () => {
    sandbox.ctx.chain.write({ type: "receive_smart_configuration_request", location: "fhir.ggzconnect.localhost", traceId: "alleen-ggz" });
    const byActor = listed(await (await get(`${cockpit()}/logs?soort=alle&actor=fhir.ggzconnect.localhost`)).text());
    expect(byActor).toEqual(["alleen-ggz"]);
    const byType = listed(await (await get(`${cockpit()}/logs?soort=alle&type=send_token_request_error`)).text());
    expect(byType).toEqual(["trace-van-foutpagina"]);
    const both = listed(await (await get(`${cockpit()}/logs?soort=alle&actor=pgo.localhost&type=send_token_request_error`)).text());
    expect(both).toEqual([]);
    const form = await (await get(`${cockpit()}/logs?actor=pgo.localhost`)).text();
    expect(form).toContain('<option value="pgo.localhost" selected>');
    expect(form).toContain('<option value="send_smart_launch_request">send_smart_launch_request</option>');
    expect(olderLink(form)).toMatch(/^\/logs\?actor=pgo\.localhost&voor=\d+$/);
    // Odd values are a page, never an error.
    for (const q of ["voor=abc", "voor=-1", "soort=x", `actor=${"a".repeat(5000)}`]) expect((await get(`${cockpit()}/logs?${q}`)).status).toBe(200);
  });

  test("a real journey over HTTP is at the top of /logs with the module's calls in it", async () => {
    const pgo = await pgoSession(sandbox, "tom");
    await runJourney(sandbox, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-intake", action: { answers: {} } });
    const launch = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.type === "send_smart_launch_request").at(-1)!.event.trace_id;
    const html = await (await get(`${cockpit()}/logs`)).text();
    expect(listed(html)[0]).toBe(launch);
    // The contract of GET /api/logs is unchanged: NDJSON of the trace.
    const res = await get(`${cockpit()}/api/logs?trace_id=${launch}`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.every((l) => l.event.trace_id === launch)).toBe(true);
    expect(lines.some((l) => l.event.location === "fhir.zorgnet.localhost" && l.request?.method === "patch")).toBe(true);
  });
});
