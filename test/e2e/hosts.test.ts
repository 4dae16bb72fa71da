/**
 * Virtual hosts over real HTTP (SPEC §1, §2, §9): every host of the default network answers
 * /health, unknown hosts get a helpful 404, shared assets and MedMij-Request-ID work on every
 * host, and the host-level faults (dvaDown, moduleDown, latencyMs) act on the right hosts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { ASSETS } from "../../views/layout.tsx";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

/** Host labels of the default network ("" = cockpit). */
const HOSTS = ["", "register", "digid", "auth.zorgnet", "fhir.zorgnet", "auth.ggzconnect", "fhir.ggzconnect", "pgo", "module", "xis"];

/** "at foo (/x/y.ts:12:3)" and the like: a stack trace leaking into a page. */
const STACK_TRACE = /\bat [^\n<]*\.tsx?:\d+/;

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

async function setFaults(body: Record<string, unknown>): Promise<void> {
  const res = await get(`${sandbox.url()}/api/faults`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

async function clearFaults(): Promise<void> {
  const res = await get(`${sandbox.url()}/api/faults`, { method: "DELETE" });
  expect(res.status).toBe(200);
}

describe("health", () => {
  for (const label of HOSTS) {
    test(`GET /health on ${label || "the cockpit"} is 200 {"status":"ok"}`, async () => {
      const res = await get(`${sandbox.url(label)}/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("application/json");
      expect(await res.json()).toEqual({ status: "ok" });
    });
  }

  test("the origins are distinct *.localhost hosts on the test port", () => {
    const origins = HOSTS.map((h) => sandbox.url(h));
    expect(new Set(origins).size).toBe(HOSTS.length);
    for (const o of origins) expect(o).toMatch(new RegExp(`^http://([a-z.]+\\.)?localhost:${sandbox.port}$`));
  });
});

describe("host routing", () => {
  test("an unknown host gets a 404 HTML page listing the known hosts", async () => {
    const res = await get(`http://nope.localhost:${sandbox.port}/`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const html = await res.text();
    expect(html).toContain("nope.localhost");
    for (const label of HOSTS) expect(html).toContain(`${sandbox.url(label)}/`);
    expect(html).not.toMatch(STACK_TRACE);
  });

  test("an unknown host also gets the 404 on other paths and methods", async () => {
    const res = await get(`http://nope.localhost:${sandbox.port}/api/faults`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ moduleDown: true }),
    });
    expect(res.status).toBe(404);
    const faults = await (await get(`${sandbox.url()}/api/faults`)).json() as { faults: Record<string, unknown> };
    expect(faults.faults).toEqual({});
  });

  test("127.0.0.1 reaches the cockpit", async () => {
    const res = await get(`http://127.0.0.1:${sandbox.port}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Cockpit");
    const viaLocalhost = await (await get(`${sandbox.url()}/api/network`)).json();
    const via127 = await (await get(`http://127.0.0.1:${sandbox.port}/api/network`)).json();
    expect(via127).toEqual(viaLocalhost);
  });

  test("the Host header decides, case-insensitively", async () => {
    const res = await get(`http://127.0.0.1:${sandbox.port}/health`, { headers: { Host: `Register.LOCALHOST:${sandbox.port}` } });
    expect(res.status).toBe(200);
    const page = await get(`http://127.0.0.1:${sandbox.port}/MedMij_Whitelist.xml`, { headers: { Host: `REGISTER.localhost:${sandbox.port}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("application/xml");
  });

  test("an unknown path on a known host is a 404 without a stack trace", async () => {
    for (const label of HOSTS) {
      const res = await get(`${sandbox.url(label)}/bestaat-niet`, { headers: { Accept: "text/html" } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(STACK_TRACE);
    }
  });
});

describe("shared assets", () => {
  for (const label of HOSTS) {
    test(`stylesheet and htmx are served on ${label || "the cockpit"}`, async () => {
      const css = await get(`${sandbox.url(label)}${ASSETS.css}`);
      expect(css.status).toBe(200);
      expect(css.headers.get("content-type")).toStartWith("text/css");
      expect((await css.text()).length).toBeGreaterThan(100);

      const js = await get(`${sandbox.url(label)}${ASSETS.htmx}`);
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
      const body = await js.text();
      expect(body.length).toBeGreaterThan(10_000);
      expect(body).toContain("htmx");
    });
  }

  test("pages refer to the assets by these paths", async () => {
    const html = await (await get(`${sandbox.url()}/`)).text();
    expect(html).toContain(`href="${ASSETS.css}"`);
    expect(html).toContain(`src="${ASSETS.htmx}"`);
  });
});

describe("MedMij-Request-ID", () => {
  for (const label of HOSTS) {
    test(`is echoed by ${label || "the cockpit"}`, async () => {
      const id = `req-${crypto.randomUUID()}`;
      const res = await get(`${sandbox.url(label)}/health`, { headers: { "MedMij-Request-ID": id } });
      expect(res.status).toBe(200);
      expect(res.headers.get("MedMij-Request-ID")).toBe(id);
    });
  }

  test("is echoed on pages, lists and 404s too", async () => {
    for (const url of [`${sandbox.url()}/`, `${sandbox.url("register")}/MedMij_Whitelist.xml`, `${sandbox.url("digid")}/nope`]) {
      const id = crypto.randomUUID();
      const res = await get(url, { headers: { "MedMij-Request-ID": id } });
      expect(res.headers.get("MedMij-Request-ID")).toBe(id);
    }
  });

  test("a malformed id is not reflected", async () => {
    const res = await get(`${sandbox.url("register")}/health`, { headers: { "MedMij-Request-ID": "<script>alert(1)</script>" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("MedMij-Request-ID")).toBeNull();
  });
});

describe("host-level faults", () => {
  test("dvaDown makes both hosts of that DVA answer 503, the other DVA stays up", async () => {
    await setFaults({ dvaDown: "zorgnet" });
    try {
      const auth = await get(`${sandbox.url("auth.zorgnet")}/health`);
      expect(auth.status).toBe(503);
      expect(auth.headers.get("content-type")).toStartWith("application/json");
      expect(((await auth.json()) as { error: string }).error).toBe("temporarily_unavailable");

      const fhir = await get(`${sandbox.url("fhir.zorgnet")}/fhir/Task`);
      expect(fhir.status).toBe(503);
      expect(fhir.headers.get("content-type")).toStartWith("application/fhir+json");
      const outcome = (await fhir.json()) as { resourceType: string; issue: { severity: string; code: string }[] };
      expect(outcome.resourceType).toBe("OperationOutcome");
      expect(outcome.issue.length).toBeGreaterThan(0);
      expect(outcome.issue[0]!.severity).toMatch(/^(fatal|error)$/);

      const fhirHealth = await get(`${sandbox.url("fhir.zorgnet")}/health`);
      expect(fhirHealth.status).toBe(503);

      for (const label of ["auth.ggzconnect", "fhir.ggzconnect", "register", "pgo", "module", ""]) {
        expect((await get(`${sandbox.url(label)}/health`)).status).toBe(200);
      }
    } finally {
      await clearFaults();
    }
    expect((await get(`${sandbox.url("auth.zorgnet")}/health`)).status).toBe(200);
    expect((await get(`${sandbox.url("fhir.zorgnet")}/health`)).status).toBe(200);
  });

  test("dvaDown on the other DVA spares zorgnet", async () => {
    await setFaults({ dvaDown: "ggzconnect" });
    try {
      expect((await get(`${sandbox.url("auth.ggzconnect")}/health`)).status).toBe(503);
      expect((await get(`${sandbox.url("fhir.ggzconnect")}/health`)).status).toBe(503);
      expect((await get(`${sandbox.url("auth.zorgnet")}/health`)).status).toBe(200);
    } finally {
      await clearFaults();
    }
  });

  test("moduleDown makes the module host answer 503 and nothing else", async () => {
    await setFaults({ moduleDown: true });
    try {
      const res = await get(`${sandbox.url("module")}/health`);
      expect(res.status).toBe(503);
      expect(await res.text()).not.toMatch(STACK_TRACE);
      expect((await get(`${sandbox.url("module")}/`)).status).toBe(503);
      for (const label of ["pgo", "auth.zorgnet", "fhir.zorgnet", "xis", ""]) {
        expect((await get(`${sandbox.url(label)}/health`)).status).toBe(200);
      }
    } finally {
      await clearFaults();
    }
    expect((await get(`${sandbox.url("module")}/health`)).status).toBe(200);
  });

  test("latencyMs delays a DVA host", async () => {
    await setFaults({ latencyMs: 200 });
    try {
      for (const label of ["auth.zorgnet", "fhir.ggzconnect"]) {
        const started = performance.now();
        const res = await get(`${sandbox.url(label)}/health`);
        const elapsed = performance.now() - started;
        expect(res.status).toBe(200);
        expect(elapsed).toBeGreaterThanOrEqual(150);
      }
    } finally {
      await clearFaults();
    }
  });
});

describe("no stack traces", () => {
  test("pages of every host contain no stack trace", async () => {
    const urls = [
      ...HOSTS.map((h) => `${sandbox.url(h)}/`),
      `${sandbox.url("digid")}/authenticate`,
      `${sandbox.url("digid")}/authenticate?return_url=%%%&state=x`,
      `${sandbox.url()}/logs?trace_id=%3Cx%3E`,
      `${sandbox.url()}/faults`,
      `${sandbox.url("fhir.zorgnet")}/fhir/Task/..%2f..%2fetc`,
    ];
    for (const url of urls) {
      const res = await get(url, { headers: { Accept: "text/html" } });
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toMatch(STACK_TRACE);
    }
  });

  test("malformed bodies get a clear error, never a 500", async () => {
    const cases: [string, RequestInit][] = [
      [`${sandbox.url()}/api/faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{not json" }],
      [`${sandbox.url()}/faults`, { method: "POST", headers: { "Content-Type": "multipart/form-data; boundary=x" }, body: "garbage" }],
      [`${sandbox.url("digid")}/authenticate`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "%%%" }],
    ];
    for (const [url, init] of cases) {
      const res = await get(url, init);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toMatch(STACK_TRACE);
    }
  });
});
