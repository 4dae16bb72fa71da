/**
 * Headers that hold against a hostile browser (issue 10), over real HTTP: every HTML response of
 * every host has the CSP (no framing, scripts only from the host itself), nosniff, no referrer and
 * no-store; every response has nosniff; FHIR health data is not cached, the metadata keeps its caching.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { ASSETS } from "../../views/layout.tsx";
import { collectTokens } from "../helpers/dva.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

/** Host labels of the default network ("" = cockpit) and a page on each. */
const PAGES: [string, string][] = [["", "/"], ["register", "/"], ["digid", "/"], ["auth.zorgnet", "/"], ["fhir.zorgnet", "/"],
  ["auth.ggzconnect", "/"], ["fhir.ggzconnect", "/"], ["pgo", "/login"], ["module", "/"], ["xis", "/login"]];

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

/** The CSP as directive → sources. */
function policy(res: Response): Map<string, string[]> {
  const header = res.headers.get("content-security-policy");
  expect(header).not.toBeNull();
  return new Map(header!.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]));
}

/** Codes travel in URLs: no referrer, except the PGO's origin alone, by which a module finds its way back. */
const referrerPolicy = (label: string) => label === "pgo" ? "strict-origin" : "no-referrer";

function expectPageHeaders(res: Response, label: string): void {
  expect(res.headers.get("content-type")).toStartWith("text/html");
  const csp = policy(res);
  expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  expect(csp.get("script-src")).toEqual(["'self'"]);
  expect(csp.get("default-src")).toEqual(["'self'"]);
  expect(csp.get("object-src")).toEqual(["'none'"]);
  expect(csp.get("base-uri")).toEqual(["'none'"]);
  expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
  // Forms post to the PGO and are redirected to a DVA or the module: form-action would block that.
  expect(csp.has("form-action")).toBe(false);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe(referrerPolicy(label));
  expect(res.headers.get("cache-control")).toBe("no-store");
}

describe("HTML responses", () => {
  for (const [label, path] of PAGES) {
    test(`${label || "cockpit"} ${path}`, async () => {
      const res = await get(`${sandbox.url(label)}${path}`, { headers: { accept: "text/html" } });
      expect(res.status).toBe(200);
      expectPageHeaders(res, label);
      // Nothing on the page needs what the policy refuses: no inline script, no inline handler.
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).toContain(`<script src="${ASSETS.htmx}"`);
    });
  }

  test("error pages: a 404 of an actor, the unknown-host page", async () => {
    expectPageHeaders(await get(`${sandbox.url("xis")}/bestaat-niet`, { headers: { accept: "text/html" } }), "xis");
    const unknown = await get(sandbox.url("nope"), { headers: { accept: "text/html" } });
    expect(unknown.status).toBe(404);
    expectPageHeaders(unknown, "nope");
  });

  test("an htmx partial", async () => {
    const res = await get(`${sandbox.url()}/partials/health`, { headers: { "HX-Request": "true" } });
    expect(res.status).toBe(200);
    expectPageHeaders(res, "");
  });

  test("a redirect gets nosniff and the referrer policy, no CSP", async () => {
    for (const label of ["pgo", "xis"]) {
      const redirect = await get(`${sandbox.url(label)}/`);
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get("x-content-type-options")).toBe("nosniff");
      expect(redirect.headers.get("referrer-policy")).toBe(referrerPolicy(label));
      expect(redirect.headers.has("content-security-policy")).toBe(false);
    }
  });
});

describe("every response", () => {
  test("assets, /health and JSON keep their own caching and get nosniff", async () => {
    const htmx = await get(`${sandbox.url("pgo")}${ASSETS.htmx}`);
    expect(htmx.headers.get("x-content-type-options")).toBe("nosniff");
    expect(htmx.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(htmx.headers.has("content-security-policy")).toBe(false);
    const health = await get(`${sandbox.url("fhir.zorgnet")}/health`);
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    const jwks = await get(`${sandbox.url("auth.zorgnet")}/.well-known/openid-configuration/jwks`);
    expect(jwks.headers.get("x-content-type-options")).toBe("nosniff");
    expect(jwks.headers.get("cache-control")).toBe("max-age=300");
  });

  test("a host that is down (dvaDown) still answers with nosniff", async () => {
    await get(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ dvaDown: "zorgnet" }) });
    try {
      const res = await get(`${sandbox.url("fhir.zorgnet")}/fhir/metadata`);
      expect(res.status).toBe(503);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    } finally {
      await get(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });
});

describe("FHIR", () => {
  test("a read with health data is no-store; a 401 too", async () => {
    const token = (await collectTokens(sandbox)).access_token;
    const base = `${sandbox.url("fhir.zorgnet")}/fhir`;
    const read = await get(`${base}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get("cache-control")).toBe("no-store");
    expect(read.headers.get("x-content-type-options")).toBe("nosniff");
    expect(read.headers.has("content-security-policy")).toBe(false);
    const search = await get(`${base}/Task`, { headers: { authorization: `Bearer ${token}` } });
    expect(search.headers.get("cache-control")).toBe("no-store");
    const denied = await get(`${base}/Task/task-tom-delinde-intake`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("cache-control")).toBe("no-store");
  });

  test("metadata and the SMART configuration keep their caching", async () => {
    const base = `${sandbox.url("fhir.zorgnet")}/fhir`;
    const metadata = await get(`${base}/metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get("cache-control")).not.toBe("no-store");
    expect(metadata.headers.get("x-content-type-options")).toBe("nosniff");
    const smart = await get(`${base}/.well-known/smart-configuration`);
    expect(smart.headers.get("cache-control")).toBe("max-age=300");
  });

  test("token responses stay no-store", async () => {
    const res = await get(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: "nope", client_id: "pgo.localhost" }) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
