/**
 * Restarts on a file database (SPEC §1, §11): a restart keeps all data and does not reseed; a
 * restart on another port keeps the data and moves the seeded module Endpoints to the new port;
 * `reset: true` (--reset) reseeds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../src/config.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { createHttpClient } from "../../src/shared/http-client.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const JSON_HEADERS = { "Content-Type": "application/json" };

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "medmij-restart-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function seededAt(sandbox: Sandbox): string {
  return sandbox.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'seeded_at'").get()!.value;
}

function endpoints(sandbox: Sandbox): { dva: string; id: string; version: number; address: string }[] {
  return sandbox.ctx.db.query<{ dva: string; id: string; version_id: number; json: string }, []>(
    "SELECT dva, id, version_id, json FROM fhir_resource WHERE type = 'Endpoint' AND deleted = 0 ORDER BY dva, id",
  ).all().map((r) => ({ dva: r.dva, id: r.id, version: r.version_id, address: (JSON.parse(r.json) as { address: string }).address }));
}

async function faultsOf(sandbox: Sandbox): Promise<Json> {
  const res = await get(`${sandbox.url()}/api/faults`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Json).faults as Json;
}

async function setFaults(sandbox: Sandbox, body: Json): Promise<void> {
  const res = await get(`${sandbox.url()}/api/faults`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function logLines(sandbox: Sandbox, traceId: string): Promise<Json[]> {
  const text = await (await get(`${sandbox.url()}/api/logs?trace_id=${encodeURIComponent(traceId)}`)).text();
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Json);
}

async function writeTrace(sandbox: Sandbox, traceId: string): Promise<void> {
  const client = createHttpClient({ location: "pgo.localhost", chain: sandbox.ctx.chain });
  const res = await client.send(`${sandbox.url("register")}/MedMij_Whitelist.xml`, {
    trace: { traceId, sessionId: null }, event: { send: "send_whitelist_request", receive: "receive_whitelist_response" },
  });
  expect(res.status).toBe(200);
}

/** Start on port 0 again until the port differs from `avoid` (port 0 almost always gives a new one). */
async function startOnAnotherPort(overrides: Partial<Config>, avoid: number): Promise<Sandbox> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const s = await startTestSandbox({ ...overrides, port: 0 });
    if (s.port !== avoid) return s;
    await s.stop();
  }
  throw new Error(`port 0 kept giving port ${avoid}`);
}

describe("restart on the same file", () => {
  test("faults, chain log lines, CSRF tokens and the seed survive; the seed is not re-run", async () => {
    const dataPath = join(dir, "same.db");
    const traceId = `restart-${crypto.randomUUID()}`;

    const first = await startTestSandbox({ dataPath });
    const port = first.port;
    let seeded: string;
    let cookie: string;
    let csrf: string;
    let endpointsBefore: ReturnType<typeof endpoints>;
    try {
      seeded = seededAt(first);
      endpointsBefore = endpoints(first);
      expect(endpointsBefore.length).toBeGreaterThan(0);
      await setFaults(first, { dvaDown: "ggzconnect", latencyMs: 1, tokenExchangeError: "invalid_grant" });
      await writeTrace(first, traceId);
      const page = await get(`${first.url()}/faults`);
      const html = await page.text();
      cookie = cookiesOf(page);
      csrf = hiddenInput(html, "_csrf");
    } finally {
      await first.stop();
    }

    const second = await startTestSandbox({ dataPath, port });
    try {
      expect(await faultsOf(second)).toEqual({ dvaDown: "ggzconnect", latencyMs: 1, tokenExchangeError: "invalid_grant" });
      expect((await get(`${second.url("auth.ggzconnect")}/health`)).status).toBe(503);
      expect((await get(`${second.url("auth.zorgnet")}/health`)).status).toBe(200);

      const lines = await logLines(second, traceId);
      expect(lines.map((l) => l.event.type)).toEqual(["send_whitelist_request", "receive_whitelist_response"]);

      expect(seededAt(second)).toBe(seeded);
      // Same port: nothing was relocated or rewritten.
      expect(endpoints(second)).toEqual(endpointsBefore);

      // The CSRF secret persists: a form opened before the restart can still be posted.
      const res = await get(`${second.url()}/faults`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie },
        body: new URLSearchParams({ _csrf: csrf, clear: "all" }).toString(),
      });
      expect(res.status).toBe(303);
      expect(await faultsOf(second)).toEqual({});
    } finally {
      await second.stop();
    }

    // Cleared faults stay cleared.
    const third = await startTestSandbox({ dataPath, port });
    try {
      expect(await faultsOf(third)).toEqual({});
      expect(seededAt(third)).toBe(seeded);
    } finally {
      await third.stop();
    }
  });
});

describe("restart on another port", () => {
  test("keeps the data and moves the seeded module Endpoints to the new port", async () => {
    const dataPath = join(dir, "moved.db");
    const traceId = `moved-${crypto.randomUUID()}`;

    const first = await startTestSandbox({ dataPath });
    const oldPort = first.port;
    let seeded: string;
    let before: ReturnType<typeof endpoints>;
    try {
      seeded = seededAt(first);
      before = endpoints(first);
      // 2 modules × 3 zorgaanbieders (two on zorgnet, one on ggzconnect).
      expect(before.length).toBe(6);
      for (const e of before) {
        expect(new URL(e.address).port).toBe(String(oldPort));
        expect(e.address).toStartWith(`http://module.localhost:${oldPort}/`);
      }
      await setFaults(first, { moduleDown: true });
      await writeTrace(first, traceId);
    } finally {
      await first.stop();
    }

    const second = await startOnAnotherPort({ dataPath }, oldPort);
    try {
      const newPort = second.port;
      expect(newPort).not.toBe(oldPort);

      expect(seededAt(second)).toBe(seeded);
      expect(await faultsOf(second)).toEqual({ moduleDown: true });
      expect((await logLines(second, traceId)).length).toBe(2);

      const after = endpoints(second);
      expect(after.map((e) => `${e.dva}/${e.id}`)).toEqual(before.map((e) => `${e.dva}/${e.id}`));
      for (const [i, e] of after.entries()) {
        expect(e.address).toContain(`:${newPort}`);
        expect(e.address).not.toContain(`:${oldPort}/`);
        expect(e.address).toBe(before[i]!.address.replace(`:${oldPort}/`, `:${newPort}/`));
        // A new version, not a silent overwrite (FHIR history).
        expect(e.version).toBe(before[i]!.version + 1);
      }

      // Public surfaces follow the new port too.
      const network = (await (await get(`${second.url()}/api/network`)).json()) as Json;
      expect(network.modules[0].launchUrl).toBe(`http://module.localhost:${newPort}/launch`);
      const zal = await (await get(`${second.url("register")}/MedMij_Zorgaanbiederslijst.xml`)).text();
      expect(zal).toContain(`http://auth.zorgnet.localhost:${newPort}/token`);
      expect(zal).not.toContain(`:${oldPort}`);
    } finally {
      await second.stop();
    }
  });
});

describe("reset on start", () => {
  test("reset: true reseeds: faults and chain log cleared, new seeded_at, Endpoints fresh", async () => {
    const dataPath = join(dir, "reset.db");
    const traceId = `reset-${crypto.randomUUID()}`;

    const first = await startTestSandbox({ dataPath });
    const port = first.port;
    let seeded: string;
    try {
      seeded = seededAt(first);
      await setFaults(first, { digidCancel: true });
      await writeTrace(first, traceId);
    } finally {
      await first.stop();
    }

    await Bun.sleep(5); // seeded_at has millisecond resolution
    const second = await startTestSandbox({ dataPath, port, reset: true });
    let reseeded: string;
    try {
      reseeded = seededAt(second);
      expect(reseeded).not.toBe(seeded);
      expect(await faultsOf(second)).toEqual({});
      expect(await logLines(second, traceId)).toEqual([]);
      for (const e of endpoints(second)) {
        expect(e.version).toBe(1);
        expect(e.address).toContain(`:${port}/`);
      }
    } finally {
      await second.stop();
    }

    // Without reset, the next start keeps the new seed.
    const third = await startTestSandbox({ dataPath, port });
    try {
      expect(seededAt(third)).toBe(reseeded);
    } finally {
      await third.stop();
    }
  });

  test("the first start on an empty file seeds it", async () => {
    const dataPath = join(dir, "fresh", "nested", "s.db");
    const s = await startTestSandbox({ dataPath });
    try {
      expect(seededAt(s)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(endpoints(s).length).toBe(6);
      const accounts = s.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM pgo_account").get()!.n;
      expect(accounts).toBe(2);
    } finally {
      await s.stop();
    }
  });
});
