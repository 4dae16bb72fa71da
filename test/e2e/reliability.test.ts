/**
 * SPEC §11 reliability: kill -9 at any point loses no committed write (WAL), and of concurrent
 * PATCHes with the same If-Match exactly one wins.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startUntilReady } from "../helpers/process.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const dir = mkdtempSync(join(tmpdir(), "medmij-reliability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function systemToken(auth: string): Promise<string> {
  const res = await fetch(`${auth}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" });
  return (await res.json()).access_token as string;
}

describe("kill -9 loses no committed write", () => {
  test("every write answered 201/200 before the kill is there after a restart", async () => {
    const data = join(dir, "killed.db");
    const first = await startUntilReady([process.execPath, "src/main.ts", "--port", "0", "--data", data], ROOT);
    const fhir = `http://fhir.zorgnet.localhost:${first.port}/fhir`;
    const token = await systemToken(`http://auth.zorgnet.localhost:${first.port}`);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" };
    const written: string[] = [];
    // Writes keep arriving while the process is killed: only those answered count as committed.
    const load = (async () => {
      for (let i = 0; i < 400; i++) {
        try {
          const res = await fetch(`${fhir}/Patient`, { method: "POST", headers, body: JSON.stringify({ resourceType: "Patient", name: [{ text: `Kill ${i}` }] }) });
          if (res.status !== 201) break;
          written.push((await res.json()).id);
        } catch {
          break;
        }
      }
    })();
    while (written.length < 25) await Bun.sleep(2);
    first.proc.kill(9);
    await load;
    await first.proc.exited;
    expect(written.length).toBeGreaterThanOrEqual(25);

    const second = await startUntilReady([process.execPath, "src/main.ts", "--port", "0", "--data", data], ROOT);
    try {
      const again = await systemToken(`http://auth.zorgnet.localhost:${second.port}`);
      const missing: string[] = [];
      for (const id of written) {
        const res = await fetch(`http://fhir.zorgnet.localhost:${second.port}/fhir/Patient/${id}`, { headers: { authorization: `Bearer ${again}` } });
        if (res.status !== 200) missing.push(id);
      }
      expect(missing).toEqual([]);
    } finally {
      second.proc.kill();
      await second.proc.exited;
    }
  }, 30_000);
});

describe("concurrent PATCHes with If-Match", () => {
  test("of ten PATCHes against the same version exactly one wins; the rest get 412 and change nothing", async () => {
    const sandbox = await startTestSandbox();
    try {
      const token = await systemToken(sandbox.url("auth.zorgnet"));
      const url = `${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-intake`;
      const before = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const etag = before.headers.get("etag")!;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(url, {
        method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/json-patch+json", "if-match": etag },
        body: JSON.stringify([{ op: "add", path: "/note", value: [{ text: `writer ${i}` }] }]),
      })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(9);
      const after = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(Number(after.meta.versionId)).toBe(Number(/\d+/.exec(etag)![0]) + 1);
    } finally {
      await sandbox.stop();
    }
  });
});
