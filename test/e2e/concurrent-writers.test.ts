/**
 * Two writing connections on one data file (issue 16): the retention prune deletes in the reader
 * worker on a connection of its own while the event loop writes. Every write must still be
 * stored and answered 201 — a transaction that read before it wrote once failed at its first
 * write (SQLITE_BUSY_SNAPSHOT) when the worker had committed in between: a fifth of the FHIR
 * writes answered 503 under load (bench table 10). Writes now take the write lock at BEGIN.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "../../src/sandbox.ts";
import { readerOf } from "../../src/shared/reader.ts";
import { systemToken } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), "concurrent-writers-"));
beforeAll(async () => { sandbox = await startTestSandbox({ dataPath: join(dir, "sandbox.db"), logKeepLines: 40 }); });
afterAll(async () => { await sandbox.stop(); rmSync(dir, { recursive: true, force: true }); });

describe("writes while the reader worker prunes", () => {
  test("concurrent FHIR writes are all stored while the chain log's and exchange log's prunes delete in the worker", async () => {
    const token = await systemToken(sandbox, "his-delinde");
    const base = `${sandbox.url("fhir.zorgnet")}/fhir`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", prefer: "return=minimal" };
    const stored = await (await fetch(`${base}/Task/task-tom-delinde-leven-met-copd`, { headers })).json() as Record<string, unknown>;
    const { id: _id, meta: _meta, ...task } = stored;
    const reader = readerOf(sandbox.ctx.db);
    const before = reader.answered;
    const statuses = new Map<number, number>();
    const ids = new Set<string>();
    const until = performance.now() + 2_500;
    await Promise.all(Array.from({ length: 12 }, async (_, loop) => {
      for (let i = 0; performance.now() < until; i++) {
        const response = await fetch(`${base}/Task`, { method: "POST", headers, body: JSON.stringify({ ...task, identifier: [{ system: "urn:test:writers", value: `${loop}-${i}` }] }) });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const location = response.headers.get("location");
        if (location) ids.add(location.split("/Task/")[1]!.split("/")[0]!);
        await response.arrayBuffer();
      }
    }));
    const written = statuses.get(201) ?? 0;
    expect(Object.fromEntries(statuses)).toEqual({ 201: written });
    expect(written).toBeGreaterThan(30);
    // The prunes really ran in the worker meanwhile (each a delete on its own connection).
    expect(reader.answered - before).toBeGreaterThan(3);
    // Every answered write is there.
    expect(ids.size).toBe(written);
    const n = sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_resource WHERE dva = 'zorgnet' AND type = 'Task' AND json_extract(json, '$.identifier[0].system') = 'urn:test:writers'").get()!.n;
    expect(n).toBe(written);
  }, 20_000);
});
