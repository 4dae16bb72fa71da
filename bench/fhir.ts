/**
 * The DVA FHIR server over HTTP, on the population database that store.ts built: the sandbox is
 * started in-process on that file (startSandbox, port 0; a seeded file is not reseeded), a few
 * synthetic patients get a PGO collect token through the real consent flow over HTTP
 * (test/helpers/dva.ts: /auth → DigiD simulator → consent → code → /token), and then
 *   - Task collection, one request at a time (SPEC §11: p95 < 5 ms at 100 000 tasks)
 *   - the same request with If-None-Match: 304 revalidation (issue 4: < 1 ms)
 *   - FHIR read throughput with concurrent loops, in-process and against the sandbox as a child
 *     process on the same file (the judged row: both it and the hello world baseline are separate
 *     processes loaded by the same client; joined into the HTTP table by http.ts)
 *   - a zorgaanbieder system search (client_credentials) by owner, as info
 * The fetch client runs in the same process as the server, for every row here.
 */
import { testConfig } from "../src/config.ts";
import { loadNetwork } from "../src/network-loader.ts";
import { startSandbox, type Sandbox } from "../src/sandbox.ts";
import { searchTuning } from "../src/dva/fhir/rest.ts";
import { bsnSequence } from "../src/shared/bsn.ts";
import { DATA_SERVICE_TAG } from "../src/shared/fhir-profiles.ts";
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, existsSync, fsyncSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { collectTokens } from "../test/helpers/dva.ts";
import { measure, type FhirRead, type Load } from "./http.ts";
import { freePort, startTimed, stopChild, type Child } from "./processes.ts";
import { count, failedRow, max, median, min, ms, pcts, percentile, random, sampled, under, type Row } from "./report.ts";
import { TaskCollection } from "./task-collection.ts";
import { wrk } from "./wrk.ts";

const COLLECTION_P95_LIMIT_MS = 5;
const REVALIDATE_P95_LIMIT_MS = 1;
const TOKEN_BUDGET_MS = 20_000;
const SEQUENTIAL_BUDGET_MS = 15_000;
const SYSTEM_BUDGET_MS = 15_000;

/** The PGO's Task collection (SD "Verzamelen Aanbiedertaken"), as the brief and the PGO send it. */
export const COLLECTION_QUERY = `_tag=${encodeURIComponent(`${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`)}` +
  "&status:not=completed&_include=Task:based-on&_include=Task:digital-activity";

interface Person { n: number; bsn: string; scope: string; patient: string; dva: string; token: string; fhir: string; etag: string | null }

export interface FhirOptions { samples: number; patients: number; tasks: number; people: number; systemSamples: number; httpMs: number }
export interface FhirResult { rows: Row[]; notes: string[]; read: FhirRead | null }

type Next = (i: number) => { url: string; init?: RequestInit };
interface Timed { times: number[]; errors: number; firstError: string | null }

/**
 * `n` requests one after another (latency, not throughput), after `warmup` unrecorded ones; only
 * the expected status counts. Starts no new request once `budgetMs` is spent.
 */
async function sequential(n: number, warmup: number, next: Next, expect: number, budgetMs = SEQUENTIAL_BUDGET_MS): Promise<Timed> {
  const result: Timed = { times: [], errors: 0, firstError: null };
  const deadline = performance.now() + budgetMs;
  for (let i = 0; i < warmup + n && performance.now() < deadline; i++) {
    const { url, init } = next(i);
    const started = performance.now();
    try {
      const response = await fetch(url, init);
      await response.arrayBuffer();
      const took = performance.now() - started;
      if (response.status !== expect) { result.errors++; result.firstError ??= `HTTP ${response.status}`; continue; }
      if (i >= warmup) result.times.push(took);
    } catch (e) {
      result.errors++;
      result.firstError ??= e instanceof Error ? e.message : String(e);
    }
  }
  return result;
}

const errorText = (t: Timed) => t.errors ? ` · ${t.errors} errors (${t.firstError})` : "";

/** Patient n of seed/population.ts: zorgaanbieder n mod (those with a clinician), the n-th valid BSN from 100 000 000. */
function populationPatients(sandbox: Sandbox, numbers: readonly number[]) {
  const network = sandbox.ctx.network;
  const zas = network.zorgaanbieders.filter((z) => network.clinicians.some((c) => c.zorgaanbieder === z.name));
  const bsns = bsnSequence(100_000_000);
  const byIndex: string[] = [];
  const last = Math.max(...numbers);
  for (let i = 0; i <= last; i++) byIndex.push(bsns.next().value!);
  return numbers.map((n) => {
    const za = zas[n % zas.length]!;
    return { n, bsn: byIndex[n]!, dva: za.dva, scope: za.scope, patient: `patient-synth-${n}` };
  });
}

type Bundle = { resourceType?: string; type?: string; total?: number; entry?: { resource?: { resourceType?: string; id?: string; status?: string; for?: { reference?: string } }; search?: { mode?: string } }[] };

/** The first collection of a patient: a searchset that holds what the store's SQL finds. */
async function checkCollection(p: Person, collection: TaskCollection): Promise<string | null> {
  const response = await fetch(`${p.fhir}/Task?${COLLECTION_QUERY}`, { headers: { authorization: `Bearer ${p.token}` } });
  const text = await response.text();
  if (response.status !== 200) return `HTTP ${response.status}: ${text.slice(0, 120)}`;
  p.etag = response.headers.get("etag");
  if (!p.etag) return "no ETag on the Bundle";
  const bundle = JSON.parse(text) as Bundle;
  if (bundle.resourceType !== "Bundle" || bundle.type !== "searchset") return `not a searchset Bundle (${bundle.resourceType}/${bundle.type})`;
  const entries = bundle.entry ?? [];
  const matches = entries.filter((e) => e.search?.mode === "match").map((e) => e.resource!);
  const includes = entries.filter((e) => e.search?.mode === "include").map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
  if (matches.length === 0) return "no matching Tasks";
  const wrong = matches.find((t) => t.resourceType !== "Task" || t.for?.reference !== `Patient/${p.patient}` || t.status === "completed");
  if (wrong) return `unexpected match ${wrong.resourceType}/${wrong.id} (for ${wrong.for?.reference}, status ${wrong.status})`;
  const expected = collection.rows(p.dva, `Patient/${p.patient}`);
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  if (bundle.total !== expected.matches.length || !same(matches.map((t) => t.id!), expected.matches.map((r) => r.id))) {
    return `total ${bundle.total} and ${matches.length} matches, the store's SQL finds ${expected.matches.length}`;
  }
  if (!same(includes, expected.includes.map((r) => `${r.type}/${r.id}`))) return `${includes.length} includes, the store's SQL finds ${expected.includes.length}`;
  return null;
}

/** Patients held out of the warm rows: each one's first collection after the file left the OS page cache. */
const COLD_PATIENTS = 20;

/**
 * Drop a file's pages from the OS page cache (posix_fadvise POSIX_FADV_DONTNEED after fsync; no root
 * needed, clean pages only): what a first read after a reboot or under memory pressure meets.
 * False where libc or the call is not there.
 */
function evictFromPageCache(file: string): boolean {
  try {
    const libc = dlopen("libc.so.6", { posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 } });
    let ok = true;
    for (const f of [file, `${file}-wal`]) {
      if (!existsSync(f)) continue;
      const fd = openSync(f, "r");
      try { fsyncSync(fd); ok = libc.symbols.posix_fadvise(fd, 0, 0, 4) === 0 && ok; } finally { closeSync(fd); }
    }
    libc.close();
    return ok;
  } catch {
    return false;
  }
}

/** Read a file (and its WAL) once from start to end, so that its pages are in the OS page cache again. */
function warmPageCache(file: string): void {
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const f of [file, `${file}-wal`]) {
    if (!existsSync(f)) continue;
    const fd = openSync(f, "r");
    try { while (readSync(fd, buffer, 0, buffer.length, null) > 0) { /* reading is the point */ } } finally { closeSync(fd); }
  }
}

export async function benchFhir(path: string, o: FhirOptions, log: (line: string) => void): Promise<FhirResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  log("fhir: the sandbox in-process on the population database …");
  let started = performance.now();
  const sandbox = await startSandbox(testConfig({ dataPath: path, port: 0 }), await loadNetwork(null));
  let stopped = false;
  rows.push({ measure: "startSandbox in-process on the population file (no reseed)", value: ms(performance.now() - started), target: "—", result: "info" });
  let read: FhirRead = { error: "not reached" };
  try {
    // A few distinct random patients of the population, each with a PGO token (long-term consent).
    const next = random(20251124);
    const numbers = new Set<number>();
    while (numbers.size < Math.min(o.people + COLD_PATIENTS, o.patients)) numbers.add(Math.floor(next() * o.patients));
    log(`fhir: PGO tokens for ${numbers.size} synthetic patients (consent flow over HTTP) …`);
    const people: Person[] = [];
    const flowTimes: number[] = [];
    const flowProblems: string[] = [];
    const problems: string[] = [];
    const tokenDeadline = performance.now() + TOKEN_BUDGET_MS;
    for (const p of populationPatients(sandbox, [...numbers])) {
      if (performance.now() > tokenDeadline) break;
      started = performance.now();
      try {
        const tokens = await collectTokens(sandbox, { bsn: p.bsn, dva: p.dva, scope: p.scope });
        flowTimes.push(performance.now() - started);
        if (typeof tokens.access_token !== "string") throw new Error(`no access_token: ${JSON.stringify(tokens).slice(0, 120)}`);
        if (tokens.patient !== p.patient) throw new Error(`token for patient ${tokens.patient}, expected ${p.patient}`);
        people.push({ n: p.n, bsn: p.bsn, scope: p.scope, patient: p.patient, dva: p.dva, token: tokens.access_token, fhir: `${sandbox.url(`fhir.${p.dva}`)}/fhir`, etag: null });
      } catch (e) {
        flowProblems.push(`${p.patient} (BSN ${p.bsn}, ${p.dva}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    rows.push(flowTimes.length
      ? { measure: `PGO collect consent flow over HTTP (${flowTimes.length} patients)`, value: `median ${ms(median(flowTimes))} · max ${ms(max(flowTimes))}`, target: "—",
        result: `info (/auth → DigiD → consent → code → token${flowProblems.length ? `; ${flowProblems.length} failed` : ""})` }
      : failedRow("PGO collect consent flow over HTTP", flowProblems[0] ?? "no patient"));
    for (const problem of flowProblems.slice(0, 3)) notes.push(`WARNING: no token for ${problem}`);
    // The last ones are held out for the cold-cache row (never collected before it).
    const cold = people.length > COLD_PATIENTS ? people.splice(people.length - COLD_PATIENTS) : [];
    if (people.length === 0) throw new Error(`no PGO token for any patient: ${flowProblems[0] ?? "time budget"}`);

    // Sanity: every patient's Bundle is a searchset with the Tasks the store's SQL finds.
    const collection = new TaskCollection(sandbox.ctx.db);
    for (const p of people) {
      const problem = await checkCollection(p, collection).catch((e: unknown) => e instanceof Error ? e.message : String(e));
      if (problem) problems.push(`${p.patient}: ${problem}`);
    }

    log(`fhir: ${count(o.samples)} Task collections and ${count(o.samples)} revalidations over HTTP …`);
    const auth = (p: Person) => ({ authorization: `Bearer ${p.token}` });
    const person = (i: number) => people[i % people.length]!;
    const collect: Next = (i) => ({ url: `${person(i).fhir}/Task?${COLLECTION_QUERY}`, init: { headers: auth(person(i)) } });
    const warmup = Math.min(100, Math.ceil(o.samples / 4));
    const searches = await sequential(o.samples, warmup, collect, 200);
    const withEtag = people.filter((p) => p.etag);
    const revalidate: Next = (i) => {
      const p = withEtag[i % withEtag.length]!;
      return { url: `${p.fhir}/Task?${COLLECTION_QUERY}`, init: { headers: { ...auth(p), "if-none-match": p.etag! } } };
    };
    const revalidations: Timed = withEtag.length ? await sequential(o.samples, warmup, revalidate, 304) : { times: [], errors: 1, firstError: "no ETag" };

    const scale = `${count(people.length)} patients, ${count(o.tasks)} synthetic Tasks`;
    const sanity = problems.length ? `; sanity: ${problems.length} problem${problems.length > 1 ? "s" : ""}` : "";
    rows.push(searches.times.length
      ? { measure: `Task collection over HTTP, GET /fhir/Task?_tag…&_include… (${count(o.samples)} requests, ${scale})`,
        value: pcts(searches.times, [50, 95, 99]) + sampled(searches.times, o.samples) + errorText(searches),
        target: `p95 < ${COLLECTION_P95_LIMIT_MS} ms`, result: under(percentile(searches.times, 95), COLLECTION_P95_LIMIT_MS) + sanity }
      : failedRow("Task collection over HTTP", searches.firstError ?? "no sample", `p95 < ${COLLECTION_P95_LIMIT_MS} ms`));
    rows.push(revalidations.times.length
      ? { measure: "304 revalidation, same request with If-None-Match: <Bundle ETag>", value: pcts(revalidations.times, [50, 95]) + sampled(revalidations.times, o.samples) + errorText(revalidations),
        target: `< ${REVALIDATE_P95_LIMIT_MS} ms (issue 4), here p95`, result: under(percentile(revalidations.times, 95), REVALIDATE_P95_LIMIT_MS) }
      : failedRow("304 revalidation", revalidations.firstError ?? "no sample", `< ${REVALIDATE_P95_LIMIT_MS} ms (issue 4)`));
    // Cold: the database file out of the OS page cache, each held-out patient's first collection (SQLite's own 2 MB cache holds none of their pages).
    if (cold.length && evictFromPageCache(path)) {
      const times: number[] = [];
      for (const p of cold) {
        const t0 = performance.now();
        const res = await fetch(`${p.fhir}/Task?${COLLECTION_QUERY}`, { headers: auth(p) });
        await res.arrayBuffer();
        if (res.status === 200) times.push(performance.now() - t0);
      }
      rows.push({ measure: `Task collection, cold cache: the file evicted from the OS page cache, each patient's first (${times.length} patients)`,
        value: times.length ? pcts(times, [50, 95]) + ` · max ${ms(max(times))}` : "—", target: "say what it costs (issue 16)", result: "info" });
      // The tables after this one measure with a warm cache, as before.
      warmPageCache(path);
    } else {
      rows.push({ measure: "Task collection, cold cache", value: "—", target: "say what it costs (issue 16)", result: "not measured: posix_fadvise unavailable or too few patients" });
    }
    notes.push(`one request at a time after ${warmup} warm-up requests, round-robin over the patients, keep-alive; each with its patient's Bearer token; the in-process fetch client's own cost is included`);
    notes.push(`query: GET /fhir/Task?${decodeURIComponent(COLLECTION_QUERY)}`);
    for (const problem of problems.slice(0, 3)) notes.push(`WARNING: ${problem}`);

    // FHIR read throughput: every Task of the patients, each with its own patient's token.
    log("fhir: FHIR read throughput (in-process) …");
    const taskIds = sandbox.ctx.db.query<{ id: string }, [string, string]>(
      "SELECT id FROM fhir_resource WHERE dva = ? AND type = 'Task' AND patient = ? AND deleted = 0 ORDER BY id");
    const reads = people.flatMap((p) => taskIds.all(p.dva, `Patient/${p.patient}`).map((t) => ({ url: `${p.fhir}/Task/${t.id}`, init: { headers: auth(p) } })));
    read = await measureRead(reads, o.httpMs, `${count(reads.length)} Tasks of ${count(people.length)} patients round-robin, each with its patient's PGO Bearer token (ES256 verified per request); ` +
      `${count(o.tasks)} synthetic Tasks in the database`);

    const system = await systemSearches(sandbox, o.systemSamples, log);
    rows.push(...system.rows);
    notes.push(...system.notes);
    const byPerson = new Map(people.map((p) => [p, taskIds.all(p.dva, `Patient/${p.patient}`).map((t) => t.id)]));
    await sandbox.stop();
    stopped = true;
    if ("read" in read) {
      log("fhir: FHIR read throughput (the sandbox as a child process on the same file) …");
      try {
        read.child = await measureChildRead(path, byPerson, o.httpMs);
      } catch (e) {
        read.child = { error: e };
      }
    }
  } catch (e) {
    // Keep what was measured; the read row reports the failure when it was not reached.
    rows.push(failedRow("FHIR server over HTTP", e));
    if ("error" in read && read.error === "not reached") read = { error: e };
  } finally {
    if (!stopped) await sandbox.stop();
  }
  return { rows, notes, read };
}

/** Paired child-process runs: the sandbox's reads and Bun's hello world, alternating; `wrk` the same pairs with wrk as the client, when it is installed. */
export interface ChildRead { read: Load; hello: Load; runs: number; ratios: number[]; wrk: WrkPairs | null }
export interface WrkPairs { read: number; hello: number; ratios: number[]; options: string }

const WRK_OPTIONS = "-t1 -c16 -d3s";

/** Requests per second as wrk measures them (bench/wrk.ts, 3 s), one URL with its headers; null without wrk. */
async function wrkRate(url: string, headers: Record<string, string> = {}): Promise<number | null> {
  if (!Bun.which("wrk")) return null;
  const run = await wrk({ url, headers }, null, 3);
  if (run.errors > 0) throw new Error(`wrk ${url}: ${run.errors} answers were not 2xx`);
  return run.rate || null;
}

const PAIRED_RUNS = 3;

/**
 * The same reads against `bun src/main.ts --data <population file>` in its own process, as the
 * sandbox runs for its users: new PGO tokens from it over HTTP (its issuer carries its port).
 * Bun's hello world runs beside it as a child too; the two are loaded in turn, PAIRED_RUNS times
 * each with the same loops of http.ts, and the median run of each is reported: on a shared
 * 2-core machine one run varies by ±15 %.
 */
async function measureChildRead(path: string, taskIds: Map<Person, string[]>, durationMs: number): Promise<ChildRead> {
  const root = join(import.meta.dir, "..");
  const port = freePort();
  let child: Child | null = null;
  let helloChild: Child | null = null;
  try {
    child = (await startTimed([process.execPath, "src/main.ts", "--port", String(port), "--data", path, "--quiet"], root, port)).child;
    const urls = { url: (label = "") => `http://${label ? `${label}.` : ""}localhost:${port}` };
    const reads: { url: string; init: RequestInit }[] = [];
    for (const [p, ids] of taskIds) {
      const tokens = await collectTokens(urls, { bsn: p.bsn, dva: p.dva, scope: p.scope });
      if (typeof tokens.access_token !== "string") throw new Error(`no token from the child sandbox for ${p.patient}`);
      for (const id of ids) reads.push({ url: `${urls.url(`fhir.${p.dva}`)}/fhir/Task/${id}`, init: { headers: { authorization: `Bearer ${tokens.access_token}` } } });
    }
    if (reads.length === 0) throw new Error("no Task ids for the patients");
    const first = await fetch(reads[0]!.url, reads[0]!.init);
    await first.arrayBuffer();
    if (first.status !== 200) throw new Error(`GET ${reads[0]!.url} answered ${first.status}`);
    const helloPort = freePort();
    helloChild = (await startTimed([process.execPath, join(root, "bench", "hello-server.ts"), String(helloPort)], root, helloPort)).child;
    const hellos: Load[] = [];
    const sandboxReads: Load[] = [];
    for (let run = 0; run < PAIRED_RUNS; run++) {
      hellos.push(await measure(`http://localhost:${helloPort}/`, durationMs));
      sandboxReads.push(await measure((i) => reads[i % reads.length]!, durationMs));
    }
    const medianRun = (loads: Load[]) => [...loads].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(loads.length / 2)]!;
    // The same pairs with wrk (one URL with its PGO token, 16 connections), when wrk is installed.
    let pairs: WrkPairs | null = null;
    const header = (reads[0]!.init.headers as Record<string, string>).authorization ?? "";
    const wrkHellos: number[] = [];
    const wrkReads: number[] = [];
    for (let run = 0; run < PAIRED_RUNS; run++) {
      const h = await wrkRate(`http://localhost:${helloPort}/`);
      const r = await wrkRate(reads[0]!.url, { Authorization: header });
      if (h === null || r === null) break;
      wrkHellos.push(h);
      wrkReads.push(r);
    }
    if (wrkReads.length === PAIRED_RUNS) {
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      pairs = { read: median(wrkReads), hello: median(wrkHellos), ratios: wrkReads.map((r, i) => r / wrkHellos[i]!), options: WRK_OPTIONS };
    }
    return { read: medianRun(sandboxReads), hello: medianRun(hellos), runs: PAIRED_RUNS, ratios: sandboxReads.map((r, i) => r.perSecond / hellos[i]!.perSecond), wrk: pairs };
  } finally {
    if (helloChild) await stopChild(helloChild);
    if (child) await stopChild(child);
  }
}

/** The FHIR read load, with an in-process Bun hello world measured the same way as its baseline. */
async function measureRead(reads: { url: string; init: RequestInit }[], durationMs: number, what: string): Promise<FhirRead> {
  if (reads.length === 0) return { error: "no Task ids for the patients" };
  const first = await fetch(reads[0]!.url, reads[0]!.init);
  const body = await first.json() as { resourceType?: string; id?: string };
  if (first.status !== 200 || body.resourceType !== "Task" || !reads[0]!.url.endsWith(`/Task/${body.id}`)) {
    return { error: `GET ${reads[0]!.url} answered ${first.status} ${body.resourceType}/${body.id}` };
  }
  let hello: Load | null = null;
  const server = Bun.serve({ port: 0, fetch: () => new Response("Hello World!") });
  try {
    hello = await measure(`http://localhost:${server.port}/`, durationMs);
  } catch { /* the row falls back to the child baseline */ } finally {
    await server.stop(true);
  }
  const read = await measure((i) => reads[i % reads.length]!, durationMs);
  return { read, hello, what };
}

interface SystemSearch { label: string; query: string; check: (bundle: Bundle) => string | null }

/** Sequential samples of one system search within a time budget. */
async function timeSystemSearch(base: string, token: string, search: SystemSearch, samples: number): Promise<{ times: number[]; total: number | undefined }> {
  const times: number[] = [];
  let total: number | undefined;
  // The handler is synchronous: one slow request cannot be interrupted, the budget only stops new ones.
  const deadline = performance.now() + SYSTEM_BUDGET_MS;
  while (times.length < samples && performance.now() < deadline) {
    const started = performance.now();
    const res = await fetch(`${base}/Task?${search.query}`, { headers: { authorization: `Bearer ${token}` } });
    const bundle = await res.json() as Bundle;
    times.push(performance.now() - started);
    if (res.status !== 200 || bundle.resourceType !== "Bundle") throw new Error(`HTTP ${res.status} ${bundle.resourceType}`);
    const problem = search.check(bundle);
    if (problem) throw new Error(problem);
    total = bundle.total;
  }
  return { times, total };
}

/**
 * A zorgaanbieder system (client_credentials, system/*.*) at zorgnet: the owner search of the
 * brief, and a search without a selective token parameter, which runs on the index over every Task.
 */
async function systemSearches(sandbox: Sandbox, samples: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  const owner: SystemSearch = {
    label: "system search GET /fhir/Task?owner=Patient/patient-synth-0 (client_credentials)",
    query: `owner=${encodeURIComponent("Patient/patient-synth-0")}`,
    check: (b) => {
      const owners = (b.entry ?? []).filter((e) => e.search?.mode === "match").map((e) => (e.resource as { owner?: { reference?: string } }).owner?.reference);
      return !b.total || owners.some((r) => r !== "Patient/patient-synth-0") ? `unexpected result: total ${b.total}, owners ${[...new Set(owners)].join(", ")}` : null;
    },
  };
  // Issue 16: a page of a walk has no Bundle.total (the walk stopped at the page); _total=accurate counts (in steps).
  const open: SystemSearch = {
    label: "system search GET /fhir/Task?status:not=completed&_count=10 (no selective parameter)",
    query: "status:not=completed&_count=10",
    check: (b) => (b.entry ?? []).length !== 10 || (b.entry ?? []).some((e) => e.resource?.status === "completed") ? `unexpected result: ${(b.entry ?? []).length} entries` : null,
  };
  const counted: SystemSearch = {
    label: "the same with _total=accurate (the walk counts the whole DVA, yielding between steps)",
    query: "status:not=completed&_count=10&_total=accurate",
    check: (b) => !b.total ? `unexpected result: total ${b.total}` : null,
  };
  const rows: Row[] = [];
  const notes: string[] = [];
  let token: string;
  try {
    const response = await fetch(`${sandbox.url("auth.zorgnet")}/token`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&scope=system%2F*.*",
    });
    const body = await response.json() as { access_token?: string };
    if (response.status !== 200 || !body.access_token) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body).slice(0, 120)}`);
    token = body.access_token;
  } catch (e) {
    return { rows: [failedRow(owner.label, e)], notes };
  }
  const dvaTasks = sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM fhir_resource WHERE dva = 'zorgnet' AND type = 'Task' AND deleted = 0").get()?.n ?? 0;
  const base = `${sandbox.url("fhir.zorgnet")}/fhir`;
  const medians: number[] = [];
  for (const search of [owner, open, counted]) {
    log(`fhir: ${search.label.split(" (")[0]} at ${count(dvaTasks)} Tasks (up to ${samples} samples) …`);
    try {
      const { times, total } = await timeSystemSearch(base, token, search, samples);
      medians.push(median(times));
      rows.push({ measure: search.label, value: `median ${ms(median(times))} · min ${ms(min(times))} · max ${ms(max(times))} (n=${times.length})${sampled(times, samples)}`,
        target: search === open ? "≤ 5 ms, flat in the DVA size (issue 16)" : "—",
        result: search === open ? `${under(median(times), 5)} (${count(dvaTasks)} Tasks at zorgnet; no total: the walk stopped at the page)`
          : `info (total ${count(total ?? Number.NaN)} of ${count(dvaTasks)} Tasks at zorgnet)` });
    } catch (e) {
      rows.push(failedRow(search.label, e));
    }
  }
  if (medians.length >= 2) {
    const [ownerMs, scanMs] = medians as [number, number];
    notes.push(`system searches (rest.ts): owner= narrows through the token index; from ${count(searchTuning.walkFrom)} candidates on, a search walks the DVA in search order ` +
      `${searchTuning.step} heads a step and stops at the page (walkHits) — the page of the search without a selective parameter is ` +
      `${(scanMs / Math.max(ownerMs, 0.001)).toFixed(1)}× the owner search at ${count(dvaTasks)} Tasks`);
  }
  return { rows, notes };
}
