/**
 * HTTP throughput on loopback: Bun's hello world (a child process) against the sandbox's cheap
 * endpoints, each with the same number of concurrent keep-alive fetch loops for a bounded time
 * and count. Server and client share the machine, the same way for every row.
 */
import { join } from "node:path";
import { freePort, rssOf, startTimed, stopChild, type Child } from "./processes.ts";
import { atLeast, count, failedRow, mb, ms, percentile, under, type Row } from "./report.ts";

const CONCURRENCY = 16;
const MAX_REQUESTS = 200_000;
const RSS_LIMIT = 150 * 1024 * 1024;

export interface Load { requests: number; errors: number; perSecond: number; latencies: number[]; firstError: string | null }

/** `concurrency` loops, each fetching `url` until the time is up or the budget is spent. */
export async function load(url: string, durationMs: number, concurrency = CONCURRENCY, budget = MAX_REQUESTS): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (performance.now() < deadline && issued < budget) {
      issued++;
      const t = performance.now();
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) { errors++; firstError ??= `HTTP ${response.status}`; continue; }
        latencies.push(performance.now() - t);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = performance.now() - started;
  return { requests: latencies.length, errors, perSecond: latencies.length / (elapsed / 1000), latencies, firstError };
}

/** A short warm-up (JIT, connections), then the measured run. */
async function measure(url: string, durationMs: number): Promise<Load> {
  await load(url, Math.min(300, durationMs / 4));
  return load(url, durationMs);
}

const describe = (l: Load) => `${count(l.perSecond)} req/s · p50 ${ms(percentile(l.latencies, 50))}${l.errors ? ` · ${l.errors} errors (${l.firstError})` : ""}`;

export async function benchHttp(root: string, durationMs: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes = [`${CONCURRENCY} concurrent keep-alive fetch loops per row, ${(durationMs / 1000).toFixed(1)} s each after a warm-up, at most ${count(MAX_REQUESTS)} requests; loopback only`];
  let hello: Load | null = null;
  let helloChild: Child | null = null;
  log("http: hello world …");
  try {
    const port = freePort();
    // startTimed polls /health on every sandbox host name; hello world answers them all with 200.
    helloChild = (await startTimed([process.execPath, join(root, "bench", "hello-server.ts"), String(port)], root, port)).child;
    hello = await measure(`http://localhost:${port}/`, durationMs);
    rows.push({ measure: "Bun hello world (Bun.serve, child process)", value: describe(hello), target: "baseline", result: "info" });
  } catch (e) {
    rows.push(failedRow("Bun hello world", e, "baseline"));
  } finally {
    if (helloChild) await stopChild(helloChild);
  }

  log("http: sandbox …");
  let sandbox: Child | null = null;
  try {
    const port = freePort();
    sandbox = (await startTimed([process.execPath, "src/main.ts", "--port", String(port), "--data", ":memory:", "--quiet"], root, port)).child;
    const ratio = (l: Load) => hello && hello.perSecond > 0 ? l.perSecond / hello.perSecond : Number.NaN;
    const ratioText = (l: Load) => Number.isFinite(ratio(l)) ? ` · ${ratio(l).toFixed(2)}× hello` : "";

    const health = await measure(`http://fhir.zorgnet.localhost:${port}/health`, durationMs);
    rows.push({ measure: "sandbox GET fhir.zorgnet /health (stand-in)", value: describe(health) + ratioText(health),
      target: "≥ 0.33× hello world", result: `${atLeast(ratio(health), 1 / 3)} (stand-in for FHIR read)` });
    rows.push({ measure: "sandbox FHIR read GET /fhir/Task/<id>", value: "—", target: "≥ 0.33× hello world",
      result: "not yet measurable — arrives with issue 4 (FHIR server)" });
    const list = await measure(`http://register.localhost:${port}/MedMij_OAuthclientlist.xml`, durationMs);
    rows.push({ measure: "sandbox GET register /MedMij_OAuthclientlist.xml", value: describe(list) + ratioText(list), target: "—", result: "info" });
    const rss = await rssOf(sandbox.proc.pid);
    rows.push({ measure: "sandbox RSS right after the load", value: mb(rss), target: "(idle < 150 MB)", result: `info (${under(rss, RSS_LIMIT) === "pass" ? "under" : "over"} the idle bar)` });
    notes.push("sandbox = bun src/main.ts --data :memory:; /health is answered by the dispatcher before any actor app (server.ts)");
  } catch (e) {
    rows.push(failedRow("sandbox HTTP", e));
  } finally {
    if (sandbox) await stopChild(sandbox);
  }
  return { rows, notes };
}
