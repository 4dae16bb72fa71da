/**
 * Table 12 (`bun run bench -- --profile`): where the CPU of each wrk row of table 10 goes — the
 * profile issue 16 asks beside every goal that is not met. For each row a sandbox of its own on the
 * population file, under `bun --cpu-prof` and bench/statement-profile.ts (every SQLite statement's
 * thread CPU), one wrk run after a warm-up; printed per row: the main thread's CPU a request (less
 * what the statement profiler's clock cost, measured; the sampling profiler still adds some), its
 * time in SQLite statements with the costliest ones, and the functions with the most samples —
 * inclusive for the sandbox's own code, self for all (the statement profiler's samples left out).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTimed, stopChild, type Child } from "./processes.ts";
import { statementProfileFile, type StatementProfile } from "./statement-profile.ts";
import { populationPatient, sandboxTargets, type SandboxTargets } from "./targets.ts";
import { wrk, type Target } from "./wrk.ts";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Self and inclusive time per function ("name (file)"), as shares of the samples that ran code. */
export function summariseCpuProfile(profile: CpuProfile): { self: [string, number][]; inclusive: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const nameOf = (n: ProfileNode) => {
    const file = n.callFrame.url.replace(/^.*?\/(src|views|node_modules)\//, "$1/").replace(/^src\//, "");
    return `${n.callFrame.functionName || "(anonymous)"}${file ? ` (${file})` : ""}`;
  };
  const idle = new Set(["(idle)", "(program)", "(root)"]);
  // The statement profiler's own clock (bench/statement-profile.ts) is not the sandbox's work.
  const profiler = (n: ProfileNode) => n.callFrame.url.endsWith("/bench/statement-profile.ts");
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, t] of time) {
    const node = byId.get(id)!;
    if (idle.has(node.callFrame.functionName) || profiler(node)) continue;
    busy += t;
    self.set(nameOf(node), (self.get(nameOf(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!n.callFrame.url.includes("/src/")) continue;
      const name = nameOf(n);
      if (!seen.has(name)) { seen.add(name); inclusive.set(name, (inclusive.get(name) ?? 0) + t); }
    }
  }
  const shares = (m: Map<string, number>) => [...m].map(([k, v]) => [k, busy ? v / busy : 0] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { self: shares(self), inclusive: shares(inclusive) };
}

const pct = (share: number) => `${Math.round(share * 100)} %`;
const short = (sql: string, n = 70) => (sql.length > n ? `${sql.slice(0, n - 1)}…` : sql);

export async function benchProfile(root: string, populationPath: string, seconds: number, log: (line: string) => void): Promise<string[]> {
  const lines: string[] = [];
  const population = populationPatient(populationPath);
  const rows: [string, (t: SandboxTargets) => Target | null][] = [
    ["FHIR read, PGO token", (t) => t.readPgo], ["FHIR read, system token", (t) => t.readSystem],
    ["PGO Task collection", (t) => t.collection], ["system search Task?patient=", (t) => t.search],
    ["FHIR write POST /fhir/Task", (t) => t.write], ["token endpoint POST /token", (t) => t.token],
  ];
  for (const [label, pick] of rows) {
    log(`profile: ${label} …`);
    const dir = mkdtempSync(join(tmpdir(), "medmij-bench-profile-"));
    let child: Child | null = null;
    try {
      const port = freePort();
      ({ child } = await startTimed([process.execPath, "--cpu-prof", `--cpu-prof-dir=${dir}`, "--preload", join(root, "bench", "statement-profile.ts"),
        "src/main.ts", "--port", String(port), "--data", populationPath, "--quiet"], root, port));
      const pid = child.proc.pid;
      const target = pick(await sandboxTargets(port, population));
      if (!target) { lines.push(`${label}: not measured (no such request on this population)`); continue; }
      await wrk(target, pid, 1, dir);
      const statements = async () => {
        const file = statementProfileFile(pid);
        rmSync(file, { force: true });
        child!.proc.kill("SIGUSR2");
        for (let i = 0; i < 200; i++) { try { return JSON.parse(readFileSync(file, "utf8")) as StatementProfile; } catch { await Bun.sleep(10); } }
        throw new Error("the sandbox wrote no statement profile");
      };
      await statements(); // from here on
      const run = await wrk(target, pid, seconds, dir);
      const profile = await statements();
      rmSync(statementProfileFile(pid), { force: true });
      await stopChild(child);
      child = null;
      const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      const functions = file ? summariseCpuProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile) : null;
      const perRequest = (ns: number) => ns / 1000 / Math.max(1, run.requests);
      const inSql = profile.statements.reduce((a, s) => a + s.ns, 0);
      const clockNs = 2 * profile.clockNs * profile.statements.reduce((a, s) => a + s.calls, 0);
      const work = profile.spanNs - clockNs;
      lines.push(`${label}: ${perRequest(work).toFixed(0)} µs of main-thread CPU a request (${run.requests} requests; less the statement clock's ${perRequest(clockNs).toFixed(0)} µs; under bun --cpu-prof)`);
      lines.push(`  SQLite statements ${perRequest(inSql).toFixed(0)} µs a request (${pct(inSql / work)}${profile.clock === "wall" ? ", wall time" : ""}), the costliest (µs a request, runs a request):`);
      for (const st of profile.statements.slice(0, 5)) {
        lines.push(`    ${perRequest(st.ns).toFixed(1).padStart(6)} µs ${(st.calls / Math.max(1, run.requests)).toFixed(2).padStart(5)}×  ${short(st.sql, 110)}`);
      }
      if (functions) {
        lines.push(`  own code, inclusive: ${functions.inclusive.filter(([, s]) => s < 0.6).slice(0, 7).map(([k, s]) => `${pct(s)} ${k}`).join(" · ")}`);
        lines.push(`  self: ${functions.self.slice(0, 7).map(([k, s]) => `${pct(s)} ${k}`).join(" · ")}`);
      }
    } catch (e) {
      lines.push(`${label}: failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    } finally {
      if (child) await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return lines;
}
