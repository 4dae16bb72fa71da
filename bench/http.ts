/**
 * HTTP throughput on loopback: Bun's hello world (a child process) against the sandbox's
 * endpoints, each with the same number of concurrent keep-alive fetch loops for a bounded time
 * and count. Server and client share the machine, the same way for every row. The FHIR read
 * row is measured by fhir.ts (in-process sandbox on the population database) and joined here.
 */
import { join } from "node:path";
import { freePort, rssOf, startTimed, stopChild, type Child } from "./processes.ts";
import { atLeast, count, failedRow, mb, ms, percentile, under, type Row } from "./report.ts";
import type { ChildRead } from "./fhir.ts";

export const CONCURRENCY = 16;
const MAX_REQUESTS = 200_000;
const RSS_LIMIT = 150 * 1024 * 1024;

export interface Load { requests: number; errors: number; perSecond: number; latencies: number[]; firstError: string | null }

/** A fixed URL, or the i-th request of a run (e.g. round-robin over tokens and ids). */
export type Target = string | ((i: number) => { url: string; init?: RequestInit });

/** `concurrency` loops, each fetching the target until the time is up or the budget is spent; only 200s count. */
export async function load(target: Target, durationMs: number, concurrency = CONCURRENCY, budget = MAX_REQUESTS): Promise<Load> {
  const next = typeof target === "string" ? () => ({ url: target, init: undefined }) : target;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (performance.now() < deadline && issued < budget) {
      const { url, init } = next(issued++);
      const t = performance.now();
      try {
        const response = await fetch(url, init);
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
export async function measure(target: Target, durationMs: number): Promise<Load> {
  await load(target, Math.min(300, durationMs / 4));
  return load(target, durationMs);
}

export const describe = (l: Load) => `${count(l.perSecond)} req/s · p50 ${ms(percentile(l.latencies, 50))}${l.errors ? ` · ${l.errors} errors (${l.firstError})` : ""}`;

/** What fhir.ts measured in-process for the FHIR read row (or why it could not). */
export type FhirRead =
  | { read: Load; hello: Load | null; what: string; child?: ChildRead | { error: unknown } }
  | { error: unknown };

const READ_FLOOR = 1 / 3;

export async function benchHttp(root: string, durationMs: number, log: (line: string) => void, fhirRead: FhirRead | null = null): Promise<{ rows: Row[]; notes: string[] }> {
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
  const ratio = (l: Load, base: Load | null) => base && base.perSecond > 0 ? l.perSecond / base.perSecond : Number.NaN;
  const ratioText = (l: Load, base: Load | null = hello, label = "hello") => Number.isFinite(ratio(l, base)) ? ` · ${ratio(l, base).toFixed(2)}× ${label}` : "";

  const readTarget = `≥ ${READ_FLOOR.toFixed(2)}× hello world`;
  const judged = "sandbox FHIR read GET /fhir/Task/<id> (child process)";
  if (fhirRead && "read" in fhirRead) {
    const { read, hello: local, what, child } = fhirRead;
    // The judged row: the sandbox as its users run it, a process of its own, loaded in turn with a
    // hello world child by the same client (median of the paired runs, fhir.ts).
    if (child && "read" in child) {
      rows.push({ measure: judged, value: `${describe(child.read)} · ${ratio(child.read, child.hello).toFixed(2)}× hello (${count(child.hello.perSecond)} req/s)`,
        target: readTarget, result: atLeast(ratio(child.read, child.hello), READ_FLOOR) });
      notes.push(`FHIR read (child process): ${child.runs} paired runs against a hello world child, median run of each; ratios per pair ${child.ratios.map((r) => r.toFixed(2)).join(", ")}`);
      // Issue 16: the same pairs with wrk, the client the goal names; the in-process fetch loops cap hello world lower.
      if (child.wrk) {
        rows.push({ measure: "sandbox FHIR read GET /fhir/Task/<id> (child process, wrk)", value: `${count(child.wrk.read)} req/s · ${(child.wrk.read / child.wrk.hello).toFixed(2)}× hello (${count(child.wrk.hello)} req/s)`,
          target: readTarget, result: atLeast(child.wrk.read / child.wrk.hello, READ_FLOOR) });
        notes.push(`FHIR read with wrk ${child.wrk.options} (one Task URL and its PGO token): ratios per pair ${child.wrk.ratios.map((r) => r.toFixed(2)).join(", ")}`);
      } else {
        notes.push("FHIR read with wrk: not measured (no wrk on PATH; apt-get install wrk)");
      }
    } else {
      rows.push(failedRow(judged, child ? child.error : "not measured", readTarget));
    }
    if (local) rows.push({ measure: "Bun hello world (Bun.serve in the bench process)", value: describe(local), target: "baseline", result: "info (for the in-process row)" });
    // In-process, server and fetch loops share one thread: judged against hello world in the
    // same process, shown for the server's own cost without a second core.
    rows.push({ measure: "sandbox FHIR read GET /fhir/Task/<id> (in-process)",
      value: describe(read) + ratioText(read, local, "in-process hello") + ratioText(read, hello, "child hello"),
      target: "—", result: "info, not judged: the fetch loops share the server's thread" });
    notes.push(`FHIR read: ${what}; the child row starts bun src/main.ts --data <that file> and takes new tokens from it over HTTP`);
  } else {
    rows.push(fhirRead ? failedRow(judged, fhirRead.error, readTarget)
      : { measure: judged, value: "—", target: readTarget, result: "not measured (no population database)" });
  }

  log("http: sandbox (child process) …");
  let sandbox: Child | null = null;
  try {
    const port = freePort();
    sandbox = (await startTimed([process.execPath, "src/main.ts", "--port", String(port), "--data", ":memory:", "--quiet"], root, port)).child;
    const health = await measure(`http://fhir.zorgnet.localhost:${port}/health`, durationMs);
    rows.push({ measure: "sandbox GET fhir.zorgnet /health (child process)", value: describe(health) + ratioText(health),
      target: readTarget, result: `info (${atLeast(ratio(health, hello), READ_FLOOR)}; the dispatcher floor: no auth, no store, no chain log)` });
    const list = await measure(`http://register.localhost:${port}/MedMij_OAuthclientlist.xml`, durationMs);
    rows.push({ measure: "sandbox GET register /MedMij_OAuthclientlist.xml", value: describe(list) + ratioText(list), target: "—", result: "info" });
    const rss = await rssOf(sandbox.proc.pid);
    rows.push({ measure: "sandbox RSS right after the load", value: mb(rss), target: "(idle < 150 MB)", result: `info (${under(rss, RSS_LIMIT) === "pass" ? "under" : "over"} the idle bar)` });
    notes.push("child sandbox = bun src/main.ts --data :memory:; /health is answered by the dispatcher before any actor app (server.ts)");
  } catch (e) {
    rows.push(failedRow("sandbox HTTP", e));
  } finally {
    if (sandbox) await stopChild(sandbox);
  }
  return { rows, notes };
}
