/**
 * Where the sandbox's main thread waited (bench table 11 with `--why`, Linux only): every <every>
 * ms it reads /proc/<pid>/stat (state) and /proc/<pid>/wchan (the kernel function a sleeping thread
 * waits in) of the main thread, until SIGTERM; then one JSON line on stdout: per wchan, how many
 * samples found the thread there while it was not idle in epoll, and its CPU time and the time it
 * was runnable but waited for a CPU (/proc/<pid>/schedstat), and the CPU time the hypervisor took
 * from the whole VM meanwhile (/proc/stat steal). An uninterruptible sleep (D) in
 * `submit_bio_wait` or `folio_wait_bit` is a disk read on the event loop — what a TimedBatch
 * cannot bound. `bun bench/why-probe.ts <pid> [every-ms]`.
 */
import { readFileSync } from "node:fs";

const pid = Bun.argv[2]!;
const every = Number(Bun.argv[3] ?? 1);
const waits: Record<string, number> = {};
let samples = 0;
let running = true;
process.on("SIGTERM", () => { running = false; });

/** The main thread's CPU time (utime + stime, ms) and time runnable but waiting for a CPU (schedstat, ms). */
function times(): { cpu: number; queued: number } {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 1000 / 100; // USER_HZ
  const [, queued] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(" ").map(Number);
  return { cpu: (Number(fields[11]) + Number(fields[12])) * tick, queued: (queued ?? 0) / 1e6 };
}
/** Per CPU, the time the hypervisor took from this VM (ms; /proc/stat "steal"), a wait no code of ours can shorten; the longest run of it on one CPU is a vCPU the host held. */
function stealPerCpu(): number[] {
  return readFileSync("/proc/stat", "utf8").split("\n").filter((l) => /^cpu\d/.test(l)).map((l) => Number(l.trim().split(/\s+/)[8] ?? 0) * (1000 / 100));
}
const WINDOW_MS = 100;
const recent: { at: number; steal: number[]; ran: number; queued: number }[] = [];
/** The most the main thread ran (on a CPU) and the most it waited for one, within any WINDOW_MS (schedstat, ms). */
let busiest = 0;
let longestQueue = 0;
/** The most steal one CPU saw within any WINDOW_MS: a vCPU held by the host that long froze whatever ran on it. */
let burst = 0;
const start = times();
const steal = () => stealPerCpu().reduce((a, b) => a + b, 0);
const stolenBefore = steal();
console.error("sampling");
while (running) {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    const wchan = state === "R" ? "running" : readFileSync(`/proc/${pid}/task/${pid}/wchan`, "utf8").trim() || "?";
    samples++;
    const now = performance.now();
    const perCpu = stealPerCpu();
    const [ran, queued] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(" ").map((v) => Number(v) / 1e6);
    recent.push({ at: now, steal: perCpu, ran: ran ?? 0, queued: queued ?? 0 });
    while (recent.length > 1 && now - recent[0]!.at > WINDOW_MS) recent.shift();
    const first = recent[0]!;
    for (let c = 0; c < perCpu.length; c++) burst = Math.max(burst, perCpu[c]! - (first.steal[c] ?? perCpu[c]!));
    busiest = Math.max(busiest, (ran ?? 0) - first.ran);
    longestQueue = Math.max(longestQueue, (queued ?? 0) - first.queued);
    // Idle (waiting for the next request) is no stall; running JavaScript is not the disk.
    if (!/^(ep_poll|do_epoll_wait|running)$/.test(wchan)) waits[`${state} ${wchan}`] = (waits[`${state} ${wchan}`] ?? 0) + 1;
  } catch {
    break; // the process is gone
  }
  await Bun.sleep(every);
}
let end = start;
try { end = times(); } catch { /* gone */ }
process.stdout.write(`${JSON.stringify({ samples, every, waits, cpuMs: end.cpu - start.cpu, queuedMs: end.queued - start.queued, stolenMs: steal() - stolenBefore, burstMs: burst, busiestMs: busiest, queueBurstMs: longestQueue })}\n`);
process.exit(0);
