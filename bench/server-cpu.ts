/**
 * Issue 16: server CPU per request, measured the way the issue measured it — wrk from Debian (one
 * thread, 16 connections) as a light client in its own process, and the server's own CPU time
 * (utime + stime of its process from /proc over the run) divided by the requests it answered.
 * Every sandbox row is judged against a floor measured in the same run: Bun's hello world, and
 * bench/peers/floor-server.ts — Bun.serve + bun:sqlite reading the same Task by primary key from the
 * same database file. The sandbox runs as its users run it (`bun src/main.ts --data <file>`).
 *
 * Rows: FHIR read with a PGO, a system and a module token; the PGO's Task collection; a selective
 * system search; a page of a non-selective system search; a 304 revalidation; the token endpoint
 * (client_credentials); a FHIR write (POST Task). Without wrk on PATH the table says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, rssOf, rssParts, startTimed, stopChild, type Child, type RssParts } from "./processes.ts";
import { populationPatient, sandboxTargets, tokenRequest } from "./targets.ts";
import { peakRss, peakRssParts, wrk, type Run, type Target } from "./wrk.ts";
import { count, failedRow, mb, type Row } from "./report.ts";

export interface CpuOptions { seconds: number; rounds: number; /** Also Medplum's FHIR engine and oidc-provider (bench/peers), `--peers`. */ peers?: boolean }

/** Several runs of one target (after a one-second warm-up), the median by CPU per request. */
async function measured(target: Target, pid: number, o: CpuOptions, scratch: string, rounds = o.rounds): Promise<Run> {
  await wrk(target, pid, 1, scratch);
  const runs: Run[] = [];
  for (let i = 0; i < rounds; i++) runs.push(await wrk(target, pid, o.seconds, scratch));
  return [...runs].sort((a, b) => a.cpuUs - b.cpuUs)[Math.floor(runs.length / 2)]!;
}

const us = (v: number) => Number.isFinite(v) ? `${v < 100 ? v.toFixed(1) : Math.round(v)} µs` : "—";

export async function benchServerCpu(root: string, populationPath: string, o: CpuOptions, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  if (!Bun.which("wrk")) {
    return { rows: [{ measure: "server CPU per request (wrk)", value: "—", target: "", result: "not measured: no wrk on PATH (apt-get install -y wrk)" }], notes };
  }
  const scratch = mkdtempSync(join(tmpdir(), "medmij-bench-wrk-"));
  const children: Child[] = [];
  const start = async (cmd: (port: number) => string[]) => {
    const port = freePort();
    const { child } = await startTimed(cmd(port), root, port);
    children.push(child);
    return { port, pid: child.proc.pid };
  };
  try {
    const population = populationPatient(populationPath);
    const task = { id: population.taskIds[0]!, patient: population.patient };

    log("server CPU: hello world and the floor (children) …");
    const hello = await start((port) => [process.execPath, join(root, "bench", "hello-server.ts"), String(port)]);
    const floor = await start((port) => [process.execPath, join(root, "bench", "peers", "floor-server.ts"), String(port), populationPath]);
    log("server CPU: the sandbox (child on the population file) and its tokens …");
    const sandbox = await start((port) => [process.execPath, "src/main.ts", "--port", String(port), "--data", populationPath, "--quiet"]);
    const targets = await sandboxTargets(sandbox.port, population);
    const { written } = targets;

    const baseHello = await measured({ url: `http://localhost:${hello.port}/` }, hello.pid, o, scratch);
    const baseFloor = await measured({ url: `http://localhost:${floor.port}/zorgnet/Task/${task.id}` }, floor.pid, o, scratch);
    const judge = (label: string, run: Run, goal: string, ok: (r: Run) => boolean, peer = "") => rows.push({
      measure: label,
      value: `${us(run.cpuUs)} CPU · ${(run.cpuUs / baseFloor.cpuUs).toFixed(1)}× floor · ${count(run.rate)} req/s · ${(run.rate / baseHello.rate).toFixed(2)}× hello${peer} · p99 ${run.p99}${run.errors ? ` · ${run.errors} errors` : ""}`,
      target: goal, result: run.errors ? "failed (non-2xx answers)" : ok(run) ? "pass" : "OVER" });
    rows.push({ measure: "Bun hello world (child)", value: `${us(baseHello.cpuUs)} CPU · ${count(baseHello.rate)} req/s · p99 ${baseHello.p99}`, target: "baseline", result: "info" });
    rows.push({ measure: "floor: Bun.serve + bun:sqlite read by primary key (bench/peers)", value: `${us(baseFloor.cpuUs)} CPU · ${count(baseFloor.rate)} req/s · ${(baseFloor.rate / baseHello.rate).toFixed(2)}× hello · p99 ${baseFloor.p99}`, target: "floor", result: "info" });
    const floorGoal = (factor: number) => (r: Run) => r.cpuUs <= factor * baseFloor.cpuUs;
    const absolute = (limitUs: number) => (r: Run) => r.cpuUs <= limitUs;

    log("server CPU: FHIR reads …");
    judge("FHIR read GET /fhir/Task/<id>, PGO token", await measured(targets.readPgo, sandbox.pid, o, scratch), "≤ 1.5× floor CPU", floorGoal(1.5));
    judge("FHIR read, system token (client_credentials)", await measured(targets.readSystem, sandbox.pid, o, scratch), "≤ 1.5× floor CPU", floorGoal(1.5));
    if (targets.readModule) judge("FHIR read, module token (SMART launch)", await measured(targets.readModule, sandbox.pid, o, scratch), "≤ 1.5× floor CPU", floorGoal(1.5));
    else rows.push({ measure: "FHIR read, module token (SMART launch)", value: "—", target: "≤ 1.5× floor CPU", result: "not measured: no Task of the patient took a module launch" });

    log("server CPU: searches …");
    judge("PGO Task collection (_tag, status:not, 2 _includes)", await measured(targets.collection, sandbox.pid, o, scratch, 1), "≤ 400 µs CPU", absolute(400));
    judge("304 revalidation of that collection (If-None-Match)", await measured(targets.revalidation, sandbox.pid, o, scratch, 1), "≤ 200 µs CPU", absolute(200));
    judge("selective system search Task?patient=<a patient>", await measured(targets.search, sandbox.pid, o, scratch, 1), "≤ 400 µs CPU", absolute(400));
    judge("non-selective system search Task?status:not=completed&_count=10", await measured(targets.nonSelective, sandbox.pid, o, scratch, 1), "≤ 5 ms (flat in the DVA size)", absolute(5000));

    log("server CPU: token endpoint and writes …");
    const tokenRun = await measured(targets.token, sandbox.pid, o, scratch, 1);
    // The peers (`--peers`): Medplum's FHIR engine reading the same Task, oidc-provider issuing the same kind of token.
    let oidc: Run | null = null;
    if (o.peers) {
      log("server CPU: the peers (Medplum's FHIR router, oidc-provider) …");
      const taskFile = join(scratch, "task.json");
      writeFileSync(taskFile, JSON.stringify(written));
      const medplum = await start((port) => [process.execPath, join(root, "bench", "peers", "medplum-server.ts"), String(port), taskFile]);
      const id = (await Bun.file(`${taskFile}.id`).text()).trim();
      const medplumRead = await measured({ url: `http://localhost:${medplum.port}/fhir/Task/${id}` }, medplum.pid, o, scratch);
      rows.push({ measure: "peer: Medplum's FHIR engine (@medplum/fhir-router, in-memory repository, Bun.serve), GET Task/<id>",
        value: `${us(medplumRead.cpuUs)} CPU · ${(medplumRead.cpuUs / baseFloor.cpuUs).toFixed(1)}× floor · ${count(medplumRead.rate)} req/s`, target: "peer", result: "info" });
      const provider = await start((port) => [process.execPath, join(root, "bench", "peers", "oidc-provider-server.ts"), String(port)]);
      oidc = await measured(tokenRequest(`http://localhost:${provider.port}/token`), provider.pid, o, scratch, 1);
      rows.push({ measure: "peer: oidc-provider 9 on Bun, POST /token (client_credentials, ES256 JWT)", value: `${us(oidc.cpuUs)} CPU · ${count(oidc.rate)} req/s`, target: "peer", result: "info" });
    }
    const tokenGoal = oidc ? 1.5 * oidc.rate : 3800;
    judge("token endpoint POST /token (client_credentials, ES256)", tokenRun, oidc ? `≥ ${count(tokenGoal)} req/s (1.5× oidc-provider, this run)` : "≥ 3 800 req/s (1.5× oidc-provider on Bun; --peers measures it)",
      (r) => r.rate >= tokenGoal,
      oidc ? ` · ${(tokenRun.rate / oidc.rate).toFixed(2)}× oidc-provider's req/s · ${(oidc.cpuUs / tokenRun.cpuUs).toFixed(2)}× less CPU a token than it` : "");
    const writeRun = await measured(targets.write, sandbox.pid, o, scratch, 1);
    judge("FHIR write POST /fhir/Task (system token, validated)", writeRun, "≥ 3 000/s · ≤ 300 µs CPU", (r) => r.rate >= 3000 && r.cpuUs <= 300);

    const peak = peakRss.get(sandbox.pid) ?? Number.NaN;
    await Bun.sleep(3_000);
    const settled = await rssOf(sandbox.pid).catch(() => Number.NaN);
    const settledParts = await rssParts(sandbox.pid).catch(() => null);
    const where = (p: RssParts | null | undefined) => p ? ` (files ${mb(p.files)} · arena ${mb(p.arena)} · rest ${mb(p.rest)})` : "";
    rows.push({ measure: "sandbox RSS at the end of each run above (max), and 3 s after the last", value: `max ${mb(peak)}${where(peakRssParts.get(sandbox.pid))} · after ${mb(settled)}${where(settledParts)}`,
      target: "≤ 120 MB under load, flat", result: peak <= 120 * 1024 * 1024 ? "pass" : "OVER" });
    rows.push({ measure: "the same for hello world and the floor (their runs above)", value: `hello max ${mb(peakRss.get(hello.pid) ?? Number.NaN)} · floor max ${mb(peakRss.get(floor.pid) ?? Number.NaN)}`,
      target: "baseline", result: "info" });
    notes.push("RSS parts from /proc/<pid>/smaps: files = pages of mapped files (mostly the Bun executable, the same at start and under load), arena = the largest anonymous mapping (the allocator's 1 GiB region: JavaScript objects and the native memory they own, garbage included until a collection), rest = stacks, the JIT's code and small mappings");
    notes.push(`wrk -t1 -c16 (-c4 for the non-selective search) -d${o.seconds}s --latency after 1 s of warm-up, loopback with the Host header; ${o.rounds} runs of hello, floor and the reads (median by CPU), 1 of the others`);
    notes.push("CPU = utime + stime of the server process (/proc/<pid>/stat, all its threads) over the run ÷ the requests wrk counted: the figure the issue trusts on a noisy machine; req/s is wrk's");
    notes.push(`floor = bench/peers/floor-server.ts: GET of the same Task by primary key from the same file, JSON as stored, no auth and no log; the sandbox = bun src/main.ts --data <population file> (${population.taskIds.length} Tasks of ${task.patient})`);
    notes.push(`the write row POSTs the same Task body over and over — a copy of a stored Task without id and version, with its tag and profile, for another patient of De Linde (${population.writtenFor}, so that the other rows read the same Tasks in every run): each is a new Task with its index rows and chain-log lines`);
  } catch (e) {
    rows.push(failedRow("server CPU per request (wrk)", e));
  } finally {
    for (const child of children) await stopChild(child);
    rmSync(scratch, { recursive: true, force: true });
  }
  return { rows, notes };
}
