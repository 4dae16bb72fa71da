/**
 * The HAR 1.2 builder (issue 13 §3): one entry per stored exchange in the order given, the fields
 * HAR 1.2 requires (checked against har-schema), query strings, form parameters, cookies, the
 * redirect, cut and left-out bodies said in comments; and entries from the chain log for a trace
 * whose exchanges were not kept.
 */
import { describe, expect, test } from "bun:test";
import type { StoredChainLine } from "../../../src/shared/chain-log.ts";
import type { Exchange } from "../../../src/shared/exchange-log.ts";
import { buildHar } from "../../../src/shared/har.ts";
import { harProblems } from "../../helpers/har.ts";

const creator = { name: "MedMij Sandbox", version: "0.1.0" };
const started = Date.parse("2026-12-01T10:00:00.000Z");

const exchanges: Exchange[] = [
  {
    traceId: "trace-1", via: "logged", actor: "pgo", started, time: 12.5, method: "POST", url: "http://pgo.localhost:8080/verbind",
    requestHeaders: { "content-type": "application/x-www-form-urlencoded", cookie: "pgo_session=REDACTED; sandbox_csrf=REDACTED" },
    requestBody: { mimeType: "application/x-www-form-urlencoded", size: 60, text: "_csrf=REDACTED&zorgaanbieder=delinde%40medmij" },
    status: 303,
    responseHeaders: { location: "http://auth.zorgnet.localhost:8080/auth?client_id=pgo.localhost&X-Correlation-ID=trace-1", "set-cookie": ["a=REDACTED; Path=/x; HttpOnly; Secure"] },
  },
  {
    traceId: "trace-1", via: "query", actor: "dva-auth", started: started + 14.25, time: 3, method: "GET",
    url: "http://auth.zorgnet.localhost:8080/auth?client_id=pgo.localhost&X-Correlation-ID=trace-1&scope=a+b",
    requestHeaders: {}, status: 200, responseHeaders: { "content-type": "text/html; charset=utf-8" },
    responseBody: { mimeType: "text/html; charset=utf-8", size: 40000, text: "<!doctype html>", truncated: true },
  },
  {
    traceId: "trace-1", via: "header", actor: "dva-fhir", started: started + 20, time: 0.5, method: "GET", url: "http://fhir.zorgnet.localhost:8080/fhir/Task/1",
    requestHeaders: { authorization: "Bearer REDACTED" }, status: 200, responseHeaders: { "content-type": "application/fhir+json" },
    responseBody: { mimeType: "application/fhir+json", size: -1, omitted: "not kept for a 2xx FHIR read (the hot path)" },
  },
];

describe("HAR from the exchanges", () => {
  const har = buildHar({ traceId: "trace-1", exchanges, lines: [], creator });

  test("valid HAR 1.2 (har-schema), the creator, the trace in the log's comment", () => {
    expect(harProblems(har)).toEqual([]);
    expect(har.log.version).toBe("1.2");
    expect(har.log.creator).toEqual(creator);
    expect(har.log.comment).toContain("trace-1");
  });

  test("one entry per exchange, in the order given, with start, time and timings that add up", () => {
    expect(har.log.entries.map((e) => [e.request.method, e.request.url, e.startedDateTime])).toEqual([
      ["POST", "http://pgo.localhost:8080/verbind", "2026-12-01T10:00:00.000Z"],
      ["GET", exchanges[1]!.url, "2026-12-01T10:00:00.014Z"],
      ["GET", "http://fhir.zorgnet.localhost:8080/fhir/Task/1", "2026-12-01T10:00:00.020Z"],
    ]);
    for (const e of har.log.entries) expect(e.timings.send + e.timings.wait + e.timings.receive).toBe(e.time);
    expect(har.log.entries.map((e) => e.comment)).toEqual([
      "pgo; in this trace by the trace the actor logged it under",
      "dva-auth; in this trace by the X-Correlation-ID query parameter",
      "dva-fhir; in this trace by the caller's X-Correlation-ID header",
    ]);
  });

  test("request: headers, cookies, query string decoded, form parameters", () => {
    const [post, get] = har.log.entries;
    expect(post!.request.cookies).toEqual([{ name: "pgo_session", value: "REDACTED" }, { name: "sandbox_csrf", value: "REDACTED" }]);
    expect(post!.request.postData).toEqual({ mimeType: "application/x-www-form-urlencoded", text: "_csrf=REDACTED&zorgaanbieder=delinde%40medmij",
      params: [{ name: "_csrf", value: "REDACTED" }, { name: "zorgaanbieder", value: "delinde@medmij" }] });
    expect(post!.request.bodySize).toBe(60);
    expect(get!.request.queryString).toEqual([{ name: "client_id", value: "pgo.localhost" }, { name: "X-Correlation-ID", value: "trace-1" }, { name: "scope", value: "a b" }]);
    expect(get!.request.postData).toBeUndefined();
  });

  test("response: status text, the redirect, cookies with their attributes, bodies cut or left out said in a comment", () => {
    const [post, get, fhir] = har.log.entries;
    expect(post!.response).toMatchObject({ status: 303, statusText: "See Other", redirectURL: exchanges[0]!.responseHeaders.location });
    expect(post!.response.cookies).toEqual([{ name: "a", value: "REDACTED", path: "/x", httpOnly: true, secure: true }]);
    expect(post!.response.headers).toContainEqual({ name: "set-cookie", value: "a=REDACTED; Path=/x; HttpOnly; Secure" });
    expect(get!.response.content).toEqual({ size: 40000, mimeType: "text/html; charset=utf-8", text: "<!doctype html>", comment: "truncated: the first 15 characters of 40000 bytes" });
    expect(get!._resourceType).toBe("document");
    expect(fhir!.response.content).toEqual({ size: 0, mimeType: "application/fhir+json", comment: "body not kept: not kept for a 2xx FHIR read (the hot path)" });
    expect(fhir!.response.statusText).toBe("OK");
  });
});

describe("HAR from the chain log, when no exchange of the trace was kept", () => {
  const line = (seq: number, type: string, datetime: string, part: Partial<StoredChainLine>): StoredChainLine =>
    ({ seq, event: { type, location: "fhir.zorgnet.localhost", datetime, session_id: null, trace_id: "dva-trace" }, ...part });
  const lines = [
    line(1, "receive_resource_request", "2026-12-01T11:00:00.100+01:00", { request: { id: "r1", method: "get", uri: "http://fhir.zorgnet.localhost:8080/fhir/Task/1" } }),
    line(2, "send_resource_response", "2026-12-01T11:00:00.103+01:00", { response: { request_id: "r1", status: 200 } }),
  ];

  test("an entry per received request with its answer: method, URL, status, times; valid HAR", () => {
    const har = buildHar({ traceId: "dva-trace", exchanges: [], lines, creator });
    expect(harProblems(har)).toEqual([]);
    expect(har.log.entries).toHaveLength(1);
    const [entry] = har.log.entries;
    expect(entry).toMatchObject({ startedDateTime: "2026-12-01T10:00:00.100Z", time: 3, request: { method: "GET", url: lines[0]!.request!.uri }, response: { status: 200 } });
    expect(entry!.comment).toContain("from the chain log");
  });

  test("not when the trace has exchanges: they are the record", () => {
    expect(buildHar({ traceId: "trace-1", exchanges, lines, creator }).log.entries).toHaveLength(3);
  });
});
