import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chainLogTuning, ChainLog } from "../../../src/shared/chain-log.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { UnreachableError, createHttpClient } from "../../../src/shared/http-client.ts";
import { incomingIds } from "../../../src/shared/trace.ts";

let server: ReturnType<typeof Bun.serve>;
let seen: Headers[] = [];

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    fetch(request) {
      seen.push(request.headers);
      const url = new URL(request.url);
      if (url.pathname === "/error") return Response.json({ error: "invalid_grant", error_description: "Step up: log in again" }, { status: 400 });
      if (url.pathname === "/outcome") return Response.json({ resourceType: "OperationOutcome", issue: [{ code: "not-found", diagnostics: "no Task" }] }, { status: 404 });
      return Response.json({ ok: true });
    },
  });
});
afterAll(() => server.stop(true));

describe("chain log and the outgoing HTTP helper (SD 4.5)", () => {
  test("send and receive lines share the trace; headers carry correlation and request id", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const http = createHttpClient({ location: "pgo.localhost", chain });
    seen = [];
    const trace = { traceId: "trace-1", sessionId: "session-1" };
    const res = await http.send(`http://localhost:${server.port}/token`, {
      method: "POST", trace, event: { send: "send_token_request", receive: "receive_token_response", initiatedBy: "person", request: { grant_type: "authorization_code" } },
    });
    expect(res.status).toBe(200);
    expect(seen[0]!.get("X-Correlation-ID")).toBe("trace-1");
    const requestId = seen[0]!.get("MedMij-Request-ID")!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = chain.query({ traceId: "trace-1" });
    expect(lines.map((l) => l.event.type)).toEqual(["send_token_request", "receive_token_response"]);
    expect(lines[0]!.event).toMatchObject({ location: "pgo.localhost", session_id: "session-1", trace_id: "trace-1" });
    expect(lines[0]!.event.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(lines[0]!.request).toMatchObject({ id: requestId, method: "post", client_id: "pgo.localhost", server_id: "localhost", uri: `http://localhost:${server.port}/token`, grant_type: "authorization_code", initiated_by: "person" });
    expect(lines[1]!.response).toEqual({ request_id: requestId, status: 200 });
  });

  test("errors: OAuth JSON and OperationOutcome become the error object, named receive_<x>_request_error (SD 4.5.3.1.6)", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const http = createHttpClient({ location: "pgo.localhost", chain });
    const trace = { traceId: "trace-2", sessionId: null };
    await http.send(`http://localhost:${server.port}/error`, { trace, event: { send: "send_token_request", receive: "receive_token_response" } });
    await http.send(`http://localhost:${server.port}/outcome`, { trace, event: { send: "send_resource_request", receive: "receive_resource_response" } });
    const lines = chain.query({ traceId: "trace-2" });
    expect(lines.map((l) => l.event.type)).toEqual(["send_token_request", "receive_token_request_error", "send_resource_request", "receive_resource_request_error"]);
    expect(lines[1]!.error).toMatchObject({ code: "invalid_grant", description: "Step up: log in again", status: 400 });
    expect(lines[3]!.error).toMatchObject({ code: "not-found", description: "no Task", status: 404 });
    expect(lines[0]!.request!.initiated_by).toBe("machine");
  });

  test("an unreachable actor: availability error line and a typed error", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const http = createHttpClient({ location: "pgo.localhost", chain });
    const closed = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    await expect(http.send(`http://localhost:${port}/token`, { trace: { traceId: "t3", sessionId: null }, event: { send: "send_token_request", receive: "receive_token_response" } }))
      .rejects.toBeInstanceOf(UnreachableError);
    const lines = chain.query({ traceId: "t3" });
    expect(lines.map((l) => l.event.type)).toEqual(["send_token_request", "receive_availability_check_error"]);
    expect(lines[1]!.error).toMatchObject({ request_id: lines[0]!.request!.id, code: "service_unavailable" });
    expect(lines[1]!.error!.status).toBeUndefined();
  });

  test("an actor that answers 503 is an availability check error too (SD 4.5.3.1.7), with the status it gave", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const http = createHttpClient({ location: "pgo.localhost", chain });
    const down = Bun.serve({ port: 0, fetch: () => Response.json({ error: "temporarily_unavailable", error_description: "de DVA is even weg" }, { status: 503 }) });
    try {
      await http.send(`http://localhost:${down.port}/token`, { trace: { traceId: "t4", sessionId: null }, requestId: "req-4", event: { send: "send_token_request", receive: "receive_token_response" } });
      const lines = chain.query({ traceId: "t4" });
      expect(lines.map((l) => l.event.type)).toEqual(["send_token_request", "receive_availability_check_error"]);
      expect(lines[0]!.request!.id).toBe("req-4");
      expect(lines[1]!.error).toEqual({ request_id: "req-4", code: "service_unavailable", description: "de DVA is even weg", status: 503 });
    } finally {
      down.stop(true);
    }
  });

  test("an availability check writes no request line, and a line only when the other actor is down", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const http = createHttpClient({ location: "pgo.localhost", chain });
    await http.send(`http://localhost:${server.port}/launch`, { method: "HEAD", trace: { traceId: "t5", sessionId: "s" }, availabilityCheck: "Module niet beschikbaar" });
    expect(chain.query({ traceId: "t5" })).toEqual([]);
    const down = Bun.serve({ port: 0, fetch: () => new Response("weg", { status: 503 }) });
    try {
      await http.send(`http://localhost:${down.port}/launch`, { method: "HEAD", trace: { traceId: "t5", sessionId: "s" }, requestId: "launch-1", availabilityCheck: "Module niet beschikbaar" });
      const [line] = chain.query({ traceId: "t5" });
      expect(line!.event).toMatchObject({ type: "receive_availability_check_error", session_id: "s" });
      expect(line!.error).toMatchObject({ request_id: "launch-1", code: "service_unavailable", status: 503 });
      expect(line!.error!.description).toStartWith("Module niet beschikbaar: HEAD ");
    } finally {
      down.stop(true);
    }
  });

  test("query by since (sequence or datetime) and limit; subscribe", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const got: string[] = [];
    const stop = chain.subscribe((l) => got.push(l.event.type));
    const a = chain.write({ type: "a", location: "x", traceId: "t" });
    chain.write({ type: "b", location: "x", traceId: "t" });
    stop();
    chain.write({ type: "c", location: "x", traceId: "u" });
    expect(got).toEqual(["a", "b"]);
    expect(chain.query({ since: String(a.seq) }).map((l) => l.event.type)).toEqual(["b", "c"]);
    expect(chain.query({ since: "2000-01-01T00:00:00+01:00", limit: 1 }).map((l) => l.event.type)).toEqual(["a"]);
    expect((await chain.traces()).traces.map((t) => t.traceId)).toEqual(["u", "t"]);
  });

  test("bounded reads (issue 16): since a datetime by binary search, the trace list looks through a span at a time, stats without a count", async () => {
    const db = openDatabase(":memory:");
    const chain = new ChainLog(db);
    for (let i = 0; i < 3000; i++) chain.write({ type: i < 100 ? "rare" : "often", location: i < 100 ? "old.host" : "new.host", traceId: `t${Math.floor(i / 3)}` });
    chain.flush();
    // One line every 10 s from 2026-01-01T00:00:00Z: seq n at 10·n s.
    db.exec("UPDATE chain_log SET datetime = strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01T00:00:00Z', '+' || (seq * 10) || ' seconds')");
    const at = (seq: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + seq * 10_000).toISOString().replace(".000Z", "+00:00");
    for (const seq of [1, 2, 777, 2999, 3000]) {
      const got = chain.query({ since: at(seq), limit: 5 }).map((l) => l.seq);
      expect(got).toEqual(Array.from({ length: Math.max(0, Math.min(5, 3000 - seq)) }, (_, i) => seq + 1 + i));
    }
    expect(chain.query({ since: "2030-01-01T00:00:00+00:00" })).toEqual([]);
    expect(chain.query({ since: "2000-01-01T00:00:00+00:00", limit: 2 }).map((l) => l.seq)).toEqual([1, 2]);
    expect((await chain.stats()).lines).toBe(3000);
    // A filter that matches only the oldest lines: the newest spans have none, "older" pages reach them.
    expect((await chain.traces({ type: "rare" })).traces.length).toBeGreaterThan(0);
    const saved = { ...chainLogTuning };
    try {
      chainLogTuning.listSpan = 500;
      let page = await chain.traces({ type: "rare" });
      let pages = 1;
      while (page.traces.length === 0 && page.next !== null) { page = await chain.traces({ type: "rare", before: page.next }); pages++; }
      expect(pages).toBe(6); // seqs 3000..2501, .., 500..1: the sixth span holds lines 1–100
      expect(page.traces.length).toBeGreaterThan(0);
      expect(page.traces.every((t) => t.types.includes("rare"))).toBe(true);
      // Delivery reads a span at a time: a participant whose lines are all old gets them in a few calls, never a scan of the rest.
      let after = 0;
      const got: number[] = [];
      for (let calls = 0; calls < 10; calls++) {
        const { lines, upTo, done } = chain.linesAfter(after, ["old.host"], 1000);
        got.push(...lines.map((l) => l.seq));
        after = upTo;
        if (done) break;
      }
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(chain.linesAfter(0, ["new.host"], 1000)).toMatchObject({ upTo: 500, done: false });
      chainLogTuning.sessionSpan = 10;
      db.exec("UPDATE chain_log SET session_id = 's-old' WHERE seq = 5");
      expect(await chain.tracesOfSession("s-old")).toEqual([]);
      chainLogTuning.sessionSpan = 10_000;
      expect((await chain.tracesOfSession("s-old")).map((t) => t.traceId)).toEqual(["t1"]);
    } finally {
      Object.assign(chainLogTuning, saved);
    }
  });

  test("the trace list pages to the end showing every matching trace once, its lines however far apart (issue 16)", async () => {
    const chain = new ChainLog(openDatabase(":memory:"));
    const w = (trace: string, location: string, type = "send_resource_request") => chain.write({ type, location, traceId: trace });
    // Trace a: one line at the PGO, then thirty lines of others, then its newest line at the DVA.
    w("a", "pgo.localhost");
    for (let i = 0; i < 30; i++) w(`f${i}`, "fhir.zorgnet.localhost");
    w("a", "fhir.zorgnet.localhost", "receive_resource_request");
    for (let i = 0; i < 30; i++) w(`g${i}`, "fhir.zorgnet.localhost");
    w("b", "pgo.localhost");
    const pageAll = async (filter: Parameters<ChainLog["traces"]>[0]) => {
      const ids: string[] = [];
      let before: number | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await chain.traces({ ...filter, before, limit: 5 });
        ids.push(...page.traces.map((t) => t.traceId));
        if (page.next === null) break;
        before = page.next;
      }
      return ids;
    };
    const saved = { ...chainLogTuning };
    try {
      for (const span of [50_000, 10, 3]) {
        chainLogTuning.listSpan = span;
        expect(await pageAll({ location: "pgo.localhost" })).toEqual(["b", "a"]);
        expect(await pageAll({ location: "pgo.localhost", type: "send_resource_request" })).toEqual(["b", "a"]);
        const all = await pageAll({});
        expect(all.length).toBe(new Set(all).size);
        expect(all).toHaveLength(62);
        expect(all.slice(0, 2)).toEqual(["b", "g29"]);
      }
    } finally {
      Object.assign(chainLogTuning, saved);
    }
  });

  test("incoming ids: header, then query parameter; malformed ids are replaced", () => {
    expect(incomingIds(new Request("http://x/auth?X-Correlation-ID=abc-1&MedMij-Request-ID=r1"))).toEqual({ traceId: "abc-1", requestId: "r1", fromCaller: true });
    expect(incomingIds(new Request("http://x/", { headers: { "X-Correlation-ID": "h-1" } })).traceId).toBe("h-1");
    const odd = incomingIds(new Request("http://x/", { headers: { "X-Correlation-ID": "<script>" } }));
    expect(odd.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(odd.fromCaller).toBe(false);
  });
});

describe("incoming hook", () => {
  test("receive and respond lines carry the caller's trace and request id", async () => {
    const { logIncoming } = await import("../../../src/shared/incoming.ts");
    const chain = new ChainLog(openDatabase(":memory:"));
    const request = new Request("http://auth.zorgnet.localhost:8080/token?x=1", {
      method: "POST", headers: { "X-Correlation-ID": "trace-in", "MedMij-Request-ID": "req-in" },
    });
    const received = logIncoming(chain, request, { type: "receive_token_request", location: "auth.zorgnet.localhost", initiatedBy: "person", clientId: "pgo.localhost", extra: { grant_type: "authorization_code" } });
    received.respond("send_token_request_error", 400, { code: "invalid_grant", description: "Authorization code expired" });
    const lines = chain.query({ traceId: "trace-in" });
    expect(lines.map((l) => l.event.type)).toEqual(["receive_token_request", "send_token_request_error"]);
    expect(lines[0]!.request).toEqual({ id: "req-in", method: "post", uri: "http://auth.zorgnet.localhost:8080/token", client_id: "pgo.localhost", server_id: "auth.zorgnet.localhost", initiated_by: "person", grant_type: "authorization_code" });
    expect(lines[1]!.error).toEqual({ request_id: "req-in", code: "invalid_grant", description: "Authorization code expired", status: 400 });
  });
});
