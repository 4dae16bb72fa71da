/**
 * wrk from Debian as the bench's light load client (issue 16): one thread, a process of its own, so
 * that the client's cost is not the server's. Used by table 10 (server CPU per request) and table 6
 * (the FHIR read against hello world).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rssOf, rssParts, type RssParts } from "./processes.ts";

/** One wrk run: what wrk counted, and what the server's process spent. */
export interface Run { rate: number; requests: number; cpuUs: number; p99: string; errors: number }

/** The largest RSS each server process had at the end of a wrk run (issue 16: RSS under load ≤ 120 MB and flat). */
export const peakRss = new Map<number, number>();
/** Where that largest RSS was (smaps: the files' pages, the allocator's arena, the rest). */
export const peakRssParts = new Map<number, RssParts>();

const CLOCK_TICKS = 100; // USER_HZ on Linux x86-64 and arm64 (getconf CLK_TCK)

/** utime + stime of a process, in µs (/proc/<pid>/stat fields 14 and 15). */
async function cpuOf(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
}

export interface Target { url: string; headers?: Record<string, string>; method?: string; body?: string; connections?: number }

/**
 * wrk against one target for `seconds`; loopback with the Host header (wrk's getaddrinfo knows no
 * *.localhost subdomains, and the sandbox routes by Host). POSTs through a Lua script in `scratch`.
 * With the server's `pid`, also its CPU time over the run (per request) and its RSS after it.
 */
export async function wrk(target: Target, pid: number | null, seconds: number, scratch = tmpdir()): Promise<Run> {
  const url = new URL(target.url);
  const host = url.host;
  url.hostname = "127.0.0.1";
  const args = ["-t1", `-c${target.connections ?? 16}`, `-d${seconds}s`, "--latency", "-H", `Host: ${host}`];
  for (const [k, v] of Object.entries(target.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (target.method && target.method !== "GET") {
    const script = join(scratch, `${crypto.randomUUID()}.lua`);
    writeFileSync(script, `wrk.method = ${JSON.stringify(target.method)}\nwrk.body = ${JSON.stringify(target.body ?? "")}\n`);
    args.push("-s", script);
  }
  const before = pid === null ? 0 : await cpuOf(pid);
  const proc = Bun.spawn(["wrk", ...args, url.href], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const spent = pid === null ? Number.NaN : (await cpuOf(pid)) - before;
  if (pid !== null) {
    const rss = await rssOf(pid).catch(() => 0);
    if (rss > (peakRss.get(pid) ?? 0)) {
      peakRss.set(pid, rss);
      const parts = await rssParts(pid).catch(() => null);
      if (parts) peakRssParts.set(pid, parts);
    }
  }
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+) timeout/.exec(out)?.[1] ?? 0);
  return { rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), requests, cpuUs: requests ? spent / requests : Number.NaN,
    p99: /\s99%\s+(\S+)/.exec(out)?.[1] ?? "—", errors };
}
