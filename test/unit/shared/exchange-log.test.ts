/**
 * The exchange log behind a trace's HAR file (issue 13 §3): which trace a request lands in (the
 * caller's X-Correlation-ID, the trace the actor logged, the redirect or the cookie that brought
 * the browser), what is kept of it (redacted headers and bodies, cut at the limit, none for a
 * 2xx FHIR GET outside a journey), that the client still gets every byte, and retention.
 */
import { describe, expect, test } from "bun:test";
import { ChainLog } from "../../../src/shared/chain-log.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { ExchangeLog, type ExchangeLogOptions } from "../../../src/shared/exchange-log.ts";

function setup(o: ExchangeLogOptions = {}) {
  const db = openDatabase(":memory:");
  const chain = new ChainLog(db);
  return { db, chain, log: new ExchangeLog(db, chain, o) };
}

/** One request through the log as the dispatcher runs it. */
async function through(log: ExchangeLog, request: Request, actor: string, handle: (request: Request) => Response | Promise<Response>): Promise<Response> {
  const url = new URL(request.url);
  const capture = log.begin(request, url, url.hostname, actor);
  const handled = capture ? await log.received(capture) : request;
  const response = capture ? await log.run(capture, () => handle(handled)) : await handle(handled);
  if (capture) log.end(capture, response);
  return response;
}

const ok = () => new Response("ok", { headers: { "content-type": "text/plain" } });

describe("which trace an exchange belongs to", () => {
  test("the caller's X-Correlation-ID: header first, then the query parameter; a malformed one is not taken", async () => {
    const { log } = setup();
    await through(log, new Request("http://pgo.localhost/x", { headers: { "X-Correlation-ID": "trace-h" } }), "pgo", ok);
    await through(log, new Request("http://auth.zorgnet.localhost/auth?X-Correlation-ID=trace-q"), "dva-auth", ok);
    await through(log, new Request("http://pgo.localhost/y", { headers: { "X-Correlation-ID": "bad id" } }), "pgo", ok);
    await log.settled();
    expect(log.ofTrace("trace-h").map((e) => [e.url, e.via])).toEqual([["http://pgo.localhost/x", "header"]]);
    expect(log.ofTrace("trace-q").map((e) => e.via)).toEqual(["query"]);
    expect(log.ofTrace("bad id")).toEqual([]);
  });

  test("else the trace of the first chain-log line the actor wrote meanwhile, also after an await", async () => {
    const { log, chain } = setup();
    await through(log, new Request("http://auth.zorgnet.localhost/digid/callback"), "dva-auth", async () => {
      await Bun.sleep(1);
      chain.write({ type: "receive_authentication_response", location: "auth.zorgnet.localhost", traceId: "journey-1" });
      chain.write({ type: "send_other", location: "auth.zorgnet.localhost", traceId: "journey-2" });
      return ok();
    });
    await log.settled();
    const [exchange] = log.ofTrace("journey-1");
    expect(exchange).toMatchObject({ via: "logged", alsoTraceId: "journey-2" });
    // The second trace finds it too.
    expect(log.ofTrace("journey-2").map((e) => e.url)).toEqual(["http://auth.zorgnet.localhost/digid/callback"]);
  });

  test("else the redirect that sent the browser here, else a cookie an exchange of the trace sent or set", async () => {
    const { log } = setup();
    const session = "s".repeat(24);
    await through(log, new Request("http://auth.zorgnet.localhost/auth?X-Correlation-ID=journey"), "dva-auth",
      () => new Response(null, { status: 302, headers: { location: "http://digid.localhost/authenticate?state=1" } }));
    await through(log, new Request("http://digid.localhost/authenticate?state=1"), "digid",
      () => new Response("<form>", { headers: { "content-type": "text/html", "set-cookie": `digid_csrf=${session}; Path=/; HttpOnly` } }));
    await through(log, new Request("http://digid.localhost/authenticate", { method: "POST", headers: { cookie: `digid_csrf=${session}` } }), "digid", ok);
    // A short cookie value links nothing (it may be the same in every browser), nor a cookie on another host.
    await through(log, new Request("http://digid.localhost/other", { headers: { cookie: "consent=yes" } }), "digid", ok);
    await through(log, new Request("http://pgo.localhost/other", { headers: { cookie: `digid_csrf=${session}` } }), "pgo", ok);
    await log.settled();
    expect(log.ofTrace("journey").map((e) => [e.method, e.url, e.via])).toEqual([
      ["GET", "http://auth.zorgnet.localhost/auth?X-Correlation-ID=journey", "query"],
      ["GET", "http://digid.localhost/authenticate?state=1", "redirect"],
      ["POST", "http://digid.localhost/authenticate", "cookie"],
    ]);
  });

  test("a request that none of these places is not kept; nor the cockpit, /health or assets", async () => {
    const { log, db } = setup();
    await through(log, new Request("http://pgo.localhost/"), "pgo", ok);
    await through(log, new Request("http://localhost/logs", { headers: { "X-Correlation-ID": "t" } }), "cockpit", ok);
    await through(log, new Request("http://pgo.localhost/health", { headers: { "X-Correlation-ID": "t" } }), "pgo", ok);
    await through(log, new Request("http://pgo.localhost/_sandbox/style.css", { headers: { "X-Correlation-ID": "t" } }), "pgo", ok);
    await log.settled();
    log.flush();
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM exchange_log").get()!.n).toBe(0);
  });
});

describe("what is kept", () => {
  test("headers and bodies redacted; the actor and the client still get every byte", async () => {
    const { log } = setup();
    const form = "username=tom&password=geheim-wachtwoord&_csrf=csrf-value";
    const token = JSON.stringify({ access_token: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", token_type: "Bearer", expires_in: 900 });
    let seen = "";
    const response = await through(log, new Request("http://pgo.localhost/login", {
      method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded", "X-Correlation-ID": "t", cookie: "pgo_session=session-value-123" },
    }), "pgo", async (request) => {
      seen = await request.text();
      return new Response(token, { headers: { "content-type": "application/json", "set-cookie": "pgo_session=new-session-value-456; Path=/; HttpOnly" } });
    });
    expect(seen).toBe(form);
    expect(await response.text()).toBe(token);
    await log.settled();
    const [e] = log.ofTrace("t");
    expect(e!.requestBody).toEqual({ mimeType: "application/x-www-form-urlencoded", size: form.length, text: "username=tom&password=REDACTED&_csrf=REDACTED" });
    expect(e!.requestHeaders.cookie).toBe("pgo_session=REDACTED");
    expect(e!.responseHeaders["set-cookie"]).toEqual(["pgo_session=REDACTED; Path=/; HttpOnly"]);
    expect(JSON.parse(e!.responseBody!.text!)).toEqual({ access_token: "REDACTED", token_type: "Bearer", expires_in: 900 });
    expect(JSON.stringify(e)).not.toMatch(/geheim|csrf-value|session-value|eyJ/);
  });

  test("a body of known size is read once: the actor gets a request on those bytes — method, URL, headers and every byte — and the log its redacted text", async () => {
    const { log } = setup();
    const form = "grant_type=client_credentials&client_secret=his-secret&scope=system%2F*.*";
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const request = new Request(`http://auth.zorgnet.localhost/token?x=${method}`, { method, body: form,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(form.length), "X-Correlation-ID": `t-${method}`, authorization: "Basic eDp5" } });
      let seen: { method: string; url: string; auth: string | null; body: string; same: boolean } | null = null;
      await through(log, request, "dva-auth", async (r) => {
        seen = { method: r.method, url: r.url, auth: r.headers.get("authorization"), body: await r.text(), same: r === request };
        return ok();
      });
      expect(seen!).toEqual({ method, url: request.url, auth: "Basic eDp5", body: form, same: false });
    }
    await log.settled();
    const [e] = log.ofTrace("t-POST");
    expect(e!.requestBody).toEqual({ mimeType: "application/x-www-form-urlencoded", size: form.length, text: "grant_type=client_credentials&client_secret=REDACTED&scope=system%2F*.*" });
    expect(e!.requestHeaders.authorization).toBe("Basic REDACTED");
  });

  test("a body of unknown size or another method is read from a clone; a binary one is not read; an unreadable one is empty for the actor and never a throw", async () => {
    const { log } = setup();
    const text = "a=1&b=2";
    const stream = () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(text)); c.close(); } });
    const bodies: string[] = [];
    const actor = async (r: Request) => { bodies.push(await r.text()); return ok(); };
    const form = { "content-type": "application/x-www-form-urlencoded" };
    await through(log, new Request("http://pgo.localhost/a", { method: "POST", body: stream(), headers: { ...form, "X-Correlation-ID": "u" } }), "pgo", actor);
    await through(log, new Request("http://pgo.localhost/b", { method: "OPTIONS", body: text, headers: { ...form, "content-length": String(text.length), "X-Correlation-ID": "u" } }), "pgo", actor);
    const binary = new Request("http://pgo.localhost/c", { method: "POST", body: new Uint8Array([1, 2, 3]), headers: { "content-type": "image/png", "content-length": "3", "X-Correlation-ID": "u" } });
    let same = false;
    await through(log, binary, "pgo", async (r) => { same = r === binary; return actor(r); });
    const broken = new ReadableStream({ pull(c) { c.error(new Error("the client went away")); } });
    await through(log, new Request("http://pgo.localhost/d", { method: "POST", body: broken, headers: { ...form, "content-length": "10", "X-Correlation-ID": "u" } }), "pgo", actor);
    expect(same).toBe(true);
    expect(bodies).toEqual([text, text, "\u0001\u0002\u0003", ""]);
    await log.settled();
    expect(log.ofTrace("u").map((e) => e.requestBody)).toEqual([
      { mimeType: form["content-type"], size: text.length, text },
      { mimeType: form["content-type"], size: text.length, text },
      { mimeType: "image/png", size: 3, omitted: "binary" },
      { mimeType: form["content-type"], size: 10, omitted: "unreadable" },
    ]);
  });

  test("a text body beyond the limit is cut (redacted first), its size kept; a binary body is not read", async () => {
    const { log } = setup({ bodyLimit: 1000 });
    const big = `${"x".repeat(990)}&code=abcdefghijkl${"y".repeat(5000)}`;
    const response = await through(log, new Request("http://pgo.localhost/big", { headers: { "X-Correlation-ID": "t" } }), "pgo",
      () => new Response(big, { headers: { "content-type": "text/plain" } }));
    expect((await response.text()).length).toBe(big.length);
    await through(log, new Request("http://pgo.localhost/img", { headers: { "X-Correlation-ID": "t" } }), "pgo",
      () => new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "image/png", "content-length": "3" } }));
    await log.settled();
    const [text, binary] = log.ofTrace("t");
    expect(text!.responseBody).toMatchObject({ size: big.length, truncated: true });
    expect(text!.responseBody!.text).toHaveLength(1000);
    expect(text!.responseBody!.text).not.toContain("abcdefgh");
    expect(binary!.responseBody).toEqual({ mimeType: "image/png", size: 3, omitted: "binary or streamed" });
  });

  test("a 2xx FHIR GET without X-Correlation-ID is not kept (the hot path); in a journey its headers are, not its body; an error in full", async () => {
    const { log, chain } = setup();
    // The DVA logs a call under the caller's trace, or under one it makes.
    const fhir = (status: number) => (request: Request) => {
      chain.write({ type: "receive_resource_request", location: "fhir.zorgnet.localhost", traceId: request.headers.get("X-Correlation-ID") ?? "dva-made" });
      return new Response(JSON.stringify({ resourceType: status < 400 ? "Task" : "OperationOutcome" }), { status, headers: { "content-type": "application/fhir+json" } });
    };
    await through(log, new Request("http://fhir.zorgnet.localhost/fhir/Task/1"), "dva-fhir", fhir(200));
    await through(log, new Request("http://fhir.zorgnet.localhost/fhir/Task/1", { headers: { "X-Correlation-ID": "journey" } }), "dva-fhir", fhir(200));
    await through(log, new Request("http://fhir.zorgnet.localhost/fhir/Task/2"), "dva-fhir", fhir(404));
    await log.settled();
    expect(log.ofTrace("journey").map((e) => [e.status, e.responseBody?.omitted])).toEqual([[200, "not kept for a 2xx FHIR read (the hot path)"]]);
    expect(log.ofTrace("dva-made").map((e) => [e.status, e.responseBody?.text])).toEqual([[404, '{"resourceType":"OperationOutcome"}']]);
  });
});

describe("retention, like the chain log's", () => {
  const fill = async (log: ExchangeLog, n: number) => {
    for (let i = 0; i < n; i++) await through(log, new Request(`http://pgo.localhost/${i}`, { headers: { "X-Correlation-ID": `t-${i}` } }), "pgo", ok);
    await log.settled();
  };

  test("at most keepLines exchanges: the oldest go", async () => {
    const { log } = setup({ retention: { keepLines: 3, keepHours: 0 } });
    await fill(log, 5);
    expect(log.prune()).toBe(2);
    expect([0, 1, 2, 3, 4].map((i) => log.ofTrace(`t-${i}`).length)).toEqual([0, 0, 1, 1, 1]);
  });

  test("none older than keepHours", async () => {
    const { log } = setup({ retention: { keepLines: 0, keepHours: 2 } });
    await fill(log, 2);
    expect(log.prune(Date.now() + 3_600_000)).toBe(0);
    expect(log.prune(Date.now() + 2 * 3_600_000 + 1000)).toBe(2);
    expect(log.ofTrace("t-0")).toEqual([]);
  });

  test("no limits: nothing goes", async () => {
    const { log } = setup();
    await fill(log, 2);
    expect(log.prune(Date.now() + 1e12)).toBe(0);
  });
});
