/**
 * A full disk (issue 11 item 5): a write that cannot be stored fails that request with 507 in its
 * actor's shape (OperationOutcome, OAuth JSON), reads and /health go on, the chain log drops its
 * lines with a counter and one warning, and when space returns everything works again. The disk
 * is the data file's own size limit: `PRAGMA max_page_count` on the sandbox's connection fails
 * page allocations with SQLITE_FULL exactly as a full file system does (no root, no tmpfs).
 */
import { afterAll, afterEach, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const dir = mkdtempSync(join(tmpdir(), "medmij-disk-full-"));
let sandbox: Sandbox;
let errors: ReturnType<typeof spyOn<Console, "error">>;

beforeAll(async () => {
  sandbox = await startTestSandbox({ dataPath: join(dir, "full.db") });
});
afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => errors?.mockRestore());

const BASIC = `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`;
const tokenRequest = () => fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", authorization: BASIC }, body: "grant_type=client_credentials&scope=system%2F*.*" });
const createPatient = (token: string, i: number) => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Patient`, { method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" },
  body: JSON.stringify({ resourceType: "Patient", name: [{ text: `Vol ${i} ${"x".repeat(20_000)}` }] }) });

const pages = () => sandbox.ctx.db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
const limitPages = (n: number) => sandbox.ctx.db.exec(`PRAGMA max_page_count = ${n}`);
const chainWarnings = () => errors.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("chain log:"));

/** Repeat a write until it is refused (bounded): free room in half-full pages takes a few. */
async function untilRefused(write: (i: number) => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 300; i++) {
    const res = await write(i);
    if (res.status !== 200 && res.status !== 201) return res;
  }
  throw new Error("the database never filled up");
}

describe("disk full", () => {
  test("writes answer 507, reads and /health go on, the chain log counts what it drops; with room again all works", async () => {
    errors = spyOn(console, "error").mockImplementation(() => {});
    const token = (await (await tokenRequest()).json()).access_token as string;
    expect(token).toBeString();
    limitPages(pages());

    // FHIR: 507 OperationOutcome, transient, Retry-After.
    const fhir = await untilRefused((i) => createPatient(token, i));
    expect(fhir.status).toBe(507);
    expect(fhir.headers.get("content-type")).toContain("application/fhir+json");
    expect(fhir.headers.get("retry-after")).toBe("30");
    const outcome = await fhir.json();
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0]).toMatchObject({ severity: "error", code: "transient" });
    expect(outcome.issue[0].diagnostics).toContain("schijf van de sandbox is vol");
    expect(outcome.issue[0].diagnostics).toMatch(/Trace ID \S+/);

    // OAuth: the token endpoint's write (the token's jti) fails: temporarily_unavailable JSON.
    const oauth = await untilRefused(() => tokenRequest());
    expect(oauth.status).toBe(507);
    expect(await oauth.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("schijf") });

    // The chain log cannot store lines either: dropped, counted, one warning for the whole outage.
    for (let i = 0; i < 3000; i++) sandbox.ctx.chain.write({ type: "test_line", location: "test.localhost", traceId: `full-${i}`, request: { id: `r${i}`, uri: "x".repeat(200) } });
    sandbox.ctx.chain.flush();
    const stats = await sandbox.ctx.chain.stats();
    expect(stats.dropped).toBeGreaterThanOrEqual(1000);
    // One warning per outage, not one per line or batch; a nearly full file can flap (a small batch
    // still fits a page), so allow a few outages, never thousands.
    const during = chainWarnings();
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.length).toBeLessThanOrEqual(5);
    expect(during[0]).toContain("cannot store log lines");

    // Still serving: every host's /health, a FHIR read, the cockpit (which shows the loss).
    for (const label of ["", "register", "auth.zorgnet", "fhir.zorgnet", "pgo", "module", "xis"]) {
      expect((await fetch(`${sandbox.url(label)}/health`)).status).toBe(200);
    }
    const read = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?_count=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect((await read.json()).resourceType).toBe("Bundle");
    const logs = await (await fetch(`${sandbox.url()}/logs`)).text();
    expect(logs).toContain("niet opgeslagen");

    // Room again: writes succeed, the chain log stores again and says so once.
    limitPages(1_000_000_000);
    const created = await createPatient(token, 9999);
    expect(created.status).toBe(201);
    expect((await tokenRequest()).status).toBe(200);
    sandbox.ctx.chain.write({ type: "test_line", location: "test.localhost", traceId: "after-full" });
    expect(sandbox.ctx.chain.query({ traceId: "after-full" })).toHaveLength(1);
    expect(chainWarnings().length).toBeLessThanOrEqual(10);
    expect(chainWarnings().at(-1)).toContain("storing lines again");
    // The created Patient reads back: nothing half-written from the refused attempts is in the way.
    const again = await fetch(`${sandbox.url("fhir.zorgnet")}${new URL(created.headers.get("location")!).pathname}`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
  }, 20_000);
});
