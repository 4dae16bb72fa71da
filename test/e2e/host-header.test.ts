/**
 * A missing or malformed Host header (issue 11 item 4) is a 400 — a page for a browser, JSON for
 * anything else — never a 500. fetch() normalises Host, so these requests go over raw TCP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { hostnameOf } from "../../src/server.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

/** Send `head` as is and read the whole answer (Connection: close). */
function raw(head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(head)}`)), 3000);
    const done = () => {
      clearTimeout(timer);
      const [headers = "", body = ""] = [text.slice(0, text.indexOf("\r\n\r\n")), text.slice(text.indexOf("\r\n\r\n") + 4)];
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1] ?? 0), headers, body });
    };
    void Bun.connect({ hostname: "127.0.0.1", port: sandbox.port, socket: {
      open(socket) { socket.write(head); },
      data(_socket, chunk) { text += new TextDecoder().decode(chunk); },
      close: done,
      error: (_socket, e) => reject(e),
    } });
  });
}

const request = (hostLine: string | null, accept = "application/json", version = "1.1") =>
  raw(`GET /health HTTP/${version}\r\n${hostLine === null ? "" : `${hostLine}\r\n`}Accept: ${accept}\r\nConnection: close\r\n\r\n`);

describe("Host header", () => {
  test.each([
    ["a port above 65535", "Host: x:99999"],
    ["a port that is not a number", "Host: x:P:1"],
    ["two ports", "Host: localhost:1:2"],
    ["an IDN in UTF-8 (not punycode)", "Host: bücher.localhost"],
    ["user info", "Host: user@localhost"],
    ["an empty Host", "Host: "],
    ["a space", "Host: a b"],
    ["two Host headers", "Host: localhost\r\nHost: pgo.localhost"],
  ])("%s: 400 JSON with the error shape", async (_what, hostLine) => {
    const res = await request(hostLine);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("Host-header") });
    expect(body.trace_id).toBeString();
    expect(res.headers).toContain("X-Content-Type-Options: nosniff");
  });

  test("HTTP/1.0 without Host: 400", async () => {
    const res = await request(null, "application/json", "1.0");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toBe("invalid_request");
  });

  test("a browser gets the friendly page with a trace id", async () => {
    const res = await request("Host: x:99999", "text/html");
    expect(res.status).toBe(400);
    expect(res.body).toContain("Ongeldig verzoek");
    expect(res.body).toContain("Trace ID");
    expect(res.headers).toContain("Content-Security-Policy:");
  });

  test("well-formed hosts still route: a known one answers, an unknown or punycode one gets the 404 page", async () => {
    expect((await request(`Host: pgo.localhost:${sandbox.port}`)).status).toBe(200);
    expect((await request(`Host: PGO.LOCALHOST:${sandbox.port}`)).status).toBe(200);
    expect((await request("Host: xn--bcher-kva.localhost")).status).toBe(404);
    // An IPv6 literal is a host like any other (the cockpit answers on loopback addresses).
    expect((await request(`Host: [::1]:${sandbox.port}`)).status).toBeLessThan(500);
    expect((await request("Host: other.example:8080")).status).toBe(404);
  });

  test("hostnameOf", () => {
    expect(hostnameOf("Auth.Zorgnet.localhost:8080")).toBe("auth.zorgnet.localhost");
    expect(hostnameOf("[::1]:8080")).toBe("[::1]");
    expect(hostnameOf("localhost")).toBe("localhost");
    for (const bad of [null, "", "x:99999", "x:P:1", "user@host", "bücher.localhost", "a, b", "[::1"]) expect(hostnameOf(bad)).toBeNull();
  });
});
