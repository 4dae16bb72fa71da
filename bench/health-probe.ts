/**
 * The probe of bench table 11 in a process of its own (so that the bench's own garbage collections
 * cannot delay it): GET <url> every <every> ms, one at a time, until SIGTERM; then one JSON line
 * with every latency (ms) on stdout. `bun bench/health-probe.ts <url> [every-ms]`.
 */
const url = Bun.argv[2]!;
const every = Number(Bun.argv[3] ?? 2);
const times: number[] = [];
let running = true;
process.on("SIGTERM", () => { running = false; });
console.error("probing");
while (running) {
  const t = performance.now();
  try { await (await fetch(url)).arrayBuffer(); } catch { /* counted as the time it took */ }
  times.push(performance.now() - t);
  await Bun.sleep(every);
}
process.stdout.write(`${JSON.stringify(times.map((x) => Math.round(x * 1000) / 1000))}\n`);
process.exit(0);
