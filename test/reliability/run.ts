/**
 * `bun run reliability [-- --rounds N]`: the sandbox in the environments SPEC §11 and issue 11
 * name, as a client sees it, with the figures printed:
 *  1. kill -9 during concurrent journeys and writes (child processes on one data file): every
 *     write the sandbox acknowledged is there after the restart (FHIR creates answered 201, and
 *     Tasks whose journey ended in "Klaar" are completed), the file passes `quick_check`, and a
 *     journey works again;
 *  2. a full disk (a size-limited database: `PRAGMA max_page_count`): writes fail with 507, reads
 *     and /health go on, and writes work again once there is room;
 *  3. two processes on one data file: the second refuses to start (exit 2) and names the first.
 * Exits 1 when a check fails. Not part of `bun test` (it kills processes); CI does not run it.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxUrls } from "../helpers/dva.ts";
import { systemToken } from "../helpers/fhir.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { ROOT, run, startUntilReady } from "../helpers/process.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const args = Bun.argv.slice(2);
const ROUNDS = Math.max(1, Number(args[args.indexOf("--rounds") + 1]) || 8);
const JOURNEYS = 6;
const dir = mkdtempSync(join(tmpdir(), "medmij-reliability-"));
const failures: string[] = [];
const check = (ok: boolean, what: string) => { if (!ok) failures.push(what); };

const urlsOf = (port: number): SandboxUrls => ({ url: (label = "") => (label ? `http://${label}.localhost:${port}` : `http://localhost:${port}`) });
const start = (data: string) => startUntilReady([process.execPath, "src/main.ts", "--port", "0", "--data", data], ROOT);

/** A fresh information Task for Tom at De Linde, written by the HIS: one per journey. */
async function newTask(urls: SandboxUrls, token: string, n: number): Promise<string> {
  const base = `${urls.url("fhir.zorgnet")}/fhir`;
  const template = await (await fetch(`${base}/Task/task-tom-delinde-leven-met-copd`, { headers: { authorization: `Bearer ${token}` } })).json() as Record<string, any>;
  const now = Date.now();
  const task = { ...template, id: undefined, meta: { tag: template.meta.tag, profile: template.meta.profile }, status: "requested", output: undefined,
    identifier: [{ system: "https://medmij-sandbox.example/reliability", value: `journey-${n}-${now}` }],
    executionPeriod: { start: new Date(now - 86_400_000).toISOString(), end: new Date(now + 86_400_000).toISOString() } };
  const res = await fetch(`${base}/Task`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" }, body: JSON.stringify(task) });
  return (await res.json() as { id: string }).id;
}

async function killDuringJourneys(): Promise<string> {
  const data = join(dir, "journeys.db");
  const acknowledged = { creates: [] as string[], completed: [] as string[] };
  let kills = 0;
  let journeys = 0;
  let interrupted = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = await start(data);
    const urls = urlsOf(child.port);
    const token = await systemToken(urls, "his-delinde");
    const tasks = await Promise.all(Array.from({ length: JOURNEYS }, (_, i) => newTask(urls, token, round * 100 + i)));
    acknowledged.creates.push(...tasks);
    const pgo = await pgoSession(urls, "tom");
    let stop = false;
    const writes = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${urls.url("fhir.zorgnet")}/fhir/Patient`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" },
            body: JSON.stringify({ resourceType: "Patient", name: [{ text: `Reliability ${round}-${i}` }] }) });
          if (res.status !== 201) return;
          acknowledged.creates.push(`Patient/${(await res.json() as { id: string }).id}`);
        } catch { return; }
      }
    })();
    let finished = 0;
    let failed = 0;
    const running = tasks.map((task) => runJourney(urls, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991012", task })
      .then((r) => { finished++; journeys++; if (r.back.includes("groep=klaar")) acknowledged.completed.push(task); }, () => { failed++; interrupted++; }));
    // Kill in the middle of the journeys: once 1 to 4 of the 6 have finished, the rest mid-flight.
    const target = 1 + Math.floor(Math.random() * 4);
    while (finished < target && finished + failed < JOURNEYS) await Bun.sleep(2);
    child.proc.kill(9);
    kills++;
    stop = true;
    await Promise.all([...running, writes]);
    await child.proc.exited;
  }
  // After the last kill: everything acknowledged is there, the file is sound, the network works.
  const quick = new Database(data, { readonly: true }).query<{ quick_check: string }, []>("PRAGMA quick_check").all().map((r) => r.quick_check);
  check(quick.length === 1 && quick[0] === "ok", `quick_check after ${kills} kills: ${quick.join("; ")}`);
  const child = await start(data);
  try {
    const urls = urlsOf(child.port);
    const token = await systemToken(urls, "his-delinde");
    const read = (ref: string) => fetch(`${urls.url("fhir.zorgnet")}/fhir/${ref.includes("/") ? ref : `Task/${ref}`}`, { headers: { authorization: `Bearer ${token}` } });
    let lost = 0;
    for (const ref of acknowledged.creates) if ((await read(ref)).status !== 200) lost++;
    let notCompleted = 0;
    for (const task of acknowledged.completed) if ((await (await read(task)).json() as { status?: string }).status !== "completed") notCompleted++;
    check(lost === 0, `${lost} acknowledged creates missing after kill -9`);
    check(notCompleted === 0, `${notCompleted} acknowledged completions not completed after kill -9`);
    const again = await runJourney(urls, { pgo: await pgoSession(urls, "tom"), zorgaanbieder: "delinde@medmij", bsn: "999991012",
      task: await newTask(urls, token, 999) }).then((r) => r.back.includes("groep=klaar"), () => false);
    check(again, "a journey after the last kill did not end in Klaar");
    return `kill -9 during journeys: ${kills} kills, ${journeys} journeys finished and ${interrupted} interrupted; `
      + `${acknowledged.creates.length} acknowledged creates and ${acknowledged.completed.length} acknowledged completions checked, ${lost + notCompleted} lost; `
      + `quick_check ${quick.join(" ")}; a journey afterwards ${again ? "ok" : "FAILED"}`;
  } finally {
    child.proc.kill();
    await child.proc.exited;
  }
}

async function diskFull(): Promise<string> {
  const sandbox = await startTestSandbox({ dataPath: join(dir, "full.db") });
  try {
    const token = await systemToken(sandbox, "his-delinde");
    const base = `${sandbox.url("fhir.zorgnet")}/fhir`;
    const post = (i: number) => fetch(`${base}/Patient`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", name: [{ text: `Vol ${i} ${"x".repeat(2000)}` }] }) });
    const pages = sandbox.ctx.db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
    sandbox.ctx.db.exec(`PRAGMA max_page_count = ${pages + 20}`);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) { const s = (await post(i)).status; statuses.set(s, (statuses.get(s) ?? 0) + 1); }
    const read = (await fetch(`${base}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token}` } })).status;
    const health = (await fetch(`${sandbox.url("pgo")}/health`)).status;
    check((statuses.get(507) ?? 0) > 0 && ![...statuses.keys()].some((s) => s >= 500 && s !== 507), `disk full: statuses ${[...statuses].join(" ")}`);
    check(read === 200 && health === 200, `disk full: read ${read}, /health ${health}`);
    sandbox.ctx.db.exec("PRAGMA max_page_count = 1073741823");
    const after = (await post(9999)).status;
    check(after === 201, `after room returned a write answered ${after}`);
    return `disk full: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(" ")} of 200 writes; a read ${read}, /health ${health} meanwhile; a write after room returned ${after}`;
  } finally {
    await sandbox.stop();
  }
}

async function twoProcesses(): Promise<string> {
  const data = join(dir, "shared.db");
  const first = await start(data);
  try {
    const second = await run([process.execPath, "src/main.ts", "--port", "0", "--data", data]);
    const named = second.stderr.includes(`port ${first.port}`);
    check(second.code === 2 && named, `the second process exited ${second.code}: ${second.stderr.trim().slice(0, 200)}`);
    const health = (await fetch(`http://localhost:${first.port}/health`)).status;
    check(health === 200, `the first process answered ${health} afterwards`);
    return `two processes on one file: the second exited ${second.code}${named ? " naming the first's port" : ""}; the first still answers ${health}`;
  } finally {
    first.proc.kill();
    await first.proc.exited;
  }
}

try {
  const started = performance.now();
  for (const line of [await killDuringJourneys(), await diskFull(), await twoProcesses()]) console.log(`reliability: ${line}`);
  console.log(`reliability: ${failures.length ? `${failures.length} FAILED:\n  - ${failures.join("\n  - ")}` : "all checks hold"} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
