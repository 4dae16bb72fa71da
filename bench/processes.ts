/**
 * Child processes and temp directories of the bench, all registered so that they are cleaned up
 * on every exit path (normal end, a thrown error, Ctrl-C). Only processes started here are killed,
 * each by its own handle.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import defaultNetwork from "../seed/network.ts";
import { actorSites, healthUrl } from "../src/shared/actor-sites.ts";
import { validateNetwork } from "../src/shared/network.ts";
import { resolveNetwork } from "../src/shared/resolved-network.ts";

const children = new Set<Subprocess>();
const tempDirs = new Set<string>();

/** Kill what is still running and remove the temp dirs. Synchronous: safe in an exit handler. */
export function cleanupAll(): void {
  for (const child of children) {
    try { child.kill("SIGKILL"); } catch { /* already gone */ }
  }
  children.clear();
  for (const dir of tempDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  tempDirs.clear();
}

process.on("exit", cleanupAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, cleaning up`);
    cleanupAll();
    process.exit(130);
  });
}

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `medmij-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A port nobody listens on right now (the OS picks it; released before the child binds it). */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response(null) });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Every internal host of the default network answers /health at the host root (SPEC §2). */
export function healthUrls(port: number): string[] {
  const network = resolveNetwork(validateNetwork(defaultNetwork), "localhost", port);
  return [...new Set(actorSites(network).filter((a) => a.site.internal).map(healthUrl))];
}

/** The environment of a child without the sandbox's own variables, so only the flags count. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !["PORT", "SANDBOX_DATA", "SANDBOX_DOMAIN"].includes(k)) env[k] = v;
  }
  return env;
}

export interface Child {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  /** The child's stderr so far (bounded), for error messages. */
  stderr(): string;
  exitCode(): number | null;
}

export function spawnChild(cmd: string[], cwd: string): Child {
  const proc = Bun.spawn(cmd, { cwd, env: childEnv(), stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  children.add(proc);
  let err = "";
  let exit: number | null = null;
  void proc.exited.then((code) => { exit = code; children.delete(proc); });
  // Drain stderr so a chatty child never blocks on a full pipe; keep the last 4 KB.
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        err = (err + decoder.decode(value, { stream: true })).slice(-4096);
      }
    } catch { /* the child is gone */ }
  })();
  return { proc, stderr: () => err, exitCode: () => exit };
}

/** SIGTERM (the sandbox closes its database), SIGKILL after 3 s. */
export async function stopChild(child: Child): Promise<void> {
  if (child.exitCode() !== null) return;
  child.proc.kill("SIGTERM");
  const exited = await Promise.race([child.proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!exited) {
    child.proc.kill("SIGKILL");
    await child.proc.exited;
  }
  children.delete(child.proc);
}

/** Poll one URL until it answers 200; fails when the child exits or the deadline passes. */
async function until200(url: string, child: Child, deadline: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(url, { redirect: "manual" });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch { /* not listening yet */ }
    if (child.exitCode() !== null) {
      throw new Error(`exited with code ${child.exitCode()} before ${url} was healthy${child.stderr() ? `: ${child.stderr().trim().split("\n").slice(-3).join(" | ")}` : ""}`);
    }
    if (performance.now() > deadline) throw new Error(`${url} not healthy within the time limit`);
    await Bun.sleep(1);
  }
}

export interface Started { child: Child; ms: number }

/**
 * Spawn and time until every host answers GET /health 200. The clock starts just before the
 * spawn, so it includes runtime start-up, module loading, migrations, (seeding) and listening.
 */
export async function startTimed(cmd: string[], cwd: string, port: number, timeoutMs = 20_000): Promise<Started> {
  const urls = healthUrls(port);
  const started = performance.now();
  const child = spawnChild(cmd, cwd);
  try {
    await Promise.all(urls.map((u) => until200(u, child, started + timeoutMs)));
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { child, ms: performance.now() - started };
}

/**
 * Where a process's resident memory is (issue 16, RSS under load), from /proc/<pid>/smaps: pages
 * of files (the Bun executable, shared libraries, mapped data), the largest anonymous mapping (the
 * allocator's arena: mimalloc reserves one 1 GiB region, and JavaScript objects and the native
 * memory they own live there), and the rest (stacks, the JIT's code, small mappings), in bytes.
 */
export interface RssParts { files: number; arena: number; rest: number }

export function rssPartsOf(smaps: string): RssParts {
  const parts: RssParts = { files: 0, arena: 0, rest: 0 };
  const anonymous: number[] = [];
  let file = false;
  for (const line of smaps.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) { file = head[1]!.startsWith("/"); continue; }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    if (file) parts.files += bytes; else anonymous.push(bytes);
  }
  const largest = anonymous.length ? Math.max(...anonymous) : 0;
  parts.arena = largest;
  parts.rest = anonymous.reduce((a, b) => a + b, 0) - largest;
  return parts;
}

export async function rssParts(pid: number): Promise<RssParts> {
  return rssPartsOf(await Bun.file(`/proc/${pid}/smaps`).text());
}

/** Resident set size in bytes, from /proc/<pid>/status (VmRSS, reported in kB). */
export async function rssOf(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
