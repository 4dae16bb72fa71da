/**
 * `bun run bench [-- --quick | --large]`: measure the SPEC §11 and issue 16 performance bars and
 * print them as tables (value, target, pass/over). It reports and always exits 0; it never gates a build.
 *
 *   --quick   smoke run: 1 repeat, 1 000 patients, 200 samples, 10 token holders, 0.5 s per HTTP row
 *   --large   1 000 000 Tasks (100 000 patients) and a day's chain log (3 000 000 lines): ~5 GB of
 *             disk and ~10 minutes, for the "flat in the DVA size" and "no request holds the others up" rows
 *   --peers   table 10 also runs Medplum's FHIR engine and oidc-provider 9 (bench/peers) beside the floor
 *   --why     table 11 samples the main thread's kernel waits (bench/why-probe.ts): where a stall waited
 *   --profile table 12: each wrk row of table 10 again under `bun --cpu-prof` and bench/statement-profile.ts
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { benchDelivery } from "./delivery.ts";
import { benchFhir, type FhirResult } from "./fhir.ts";
import { benchJourney } from "./journey.ts";
import { benchHttp } from "./http.ts";
import { cleanupAll, removeTempDir, tempDir } from "./processes.ts";
import { failedRow, pending, printTable, seconds, type Row } from "./report.ts";
import { benchSchema } from "./schema.ts";
import { benchServerCpu } from "./server-cpu.ts";
import { benchBlocking } from "./blocking.ts";
import { benchStartup } from "./startup.ts";
import { benchStore } from "./store.ts";
import { benchProfile } from "./profile.ts";

const args = Bun.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: bun run bench [-- --quick | --large]\n\n  --quick   smoke run with small sizes (1 repeat, 1 000 patients, short HTTP rows)\n"
    + "  --large   1 000 000 Tasks and a day's chain log (3 000 000 lines): ~5 GB of disk, ~10 minutes\n"
    + "  --peers   also Medplum's FHIR engine and oidc-provider (bench/peers, dev dependencies) beside the floor\n"
    + "  --why     table 11 also samples where the sandbox's main thread waited in the kernel (Linux /proc)\n"
    + "  --profile table 12: where each wrk row's CPU goes (bun --cpu-prof, and every SQLite statement's thread CPU)");
  process.exit(0);
}
const unknown = args.filter((a) => !["--quick", "--large", "--peers", "--why", "--profile"].includes(a));
if (unknown.length) console.error(`bench: ignoring unknown option(s) ${unknown.join(" ")}`);
const quick = args.includes("--quick");
const large = !quick && args.includes("--large");
const peers = args.includes("--peers");
const why = args.includes("--why");
const profile = args.includes("--profile");

const sizes = quick
  ? { repeats: 1, patients: 1_000, samples: 200, httpMs: 500, people: 10, systemSamples: 2, chainLines: 100_000 }
  : { repeats: 5, patients: large ? 100_000 : 10_000, samples: 1_000, httpMs: 2_000, people: 20, systemSamples: 5, chainLines: large ? 3_000_000 : 1_000_000 };

const root = join(import.meta.dir, "..");
const began = performance.now();
const log = (line: string) => console.error(`[${seconds(performance.now() - began).padStart(6)}] ${line}`);

// Nothing may keep the bench alive for ever: after 7 minutes, clean up and report what is known.
const watchdog = setTimeout(() => {
  console.error("bench: time limit reached, cleaning up");
  cleanupAll();
  process.exit(0);
}, (large ? 1_500_000 : 420_000) + (profile ? 120_000 : 0));
watchdog.unref();

const find = (rows: readonly Row[], prefix: string): Row | undefined => rows.find((r) => r.measure.startsWith(prefix));

async function main(): Promise<void> {
  console.log(`MedMij Sandbox bench — ${quick ? "QUICK smoke run (small sizes, not comparable)" : "full run"}`);
  console.log(`Bun ${Bun.version} · ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ${new Date().toISOString()}`);

  const startup = await benchStartup(root, sizes.repeats, log).catch((e) => ({ rows: [failedRow("start-up", e)], notes: [] as string[] }));
  printTable(`1–3. Cold start to all hosts healthy, and idle RSS (${sizes.repeats} repeat${sizes.repeats > 1 ? "s" : ""})`, startup.rows, startup.notes);

  // The population database lives from seeding (table 4) until the FHIR server rows (5, 6) are measured.
  const popDir = tempDir("store");
  const popPath = join(popDir, "population.db");
  let store: Awaited<ReturnType<typeof benchStore>>;
  let fhir: FhirResult = { rows: [], notes: [], read: null };
  let cpu: { rows: Row[]; notes: string[] } = { rows: [], notes: [] };
  let blocking: { rows: Row[]; notes: string[] } = { rows: [], notes: [] };
  let profiled: string[] = [];
  try {
    store = await benchStore(popPath, sizes.patients, sizes.samples, log).catch((e) => ({
      seedRows: [failedRow("seeding", e)], seedNotes: [] as string[], queryRows: [failedRow("store queries", e)], queryNotes: [] as string[], tasks: 0,
    }));
    printTable("4. Seeding a large population", store.seedRows, store.seedNotes);
    if (store.tasks > 0) {
      fhir = await benchFhir(popPath, { samples: sizes.samples, patients: sizes.patients, tasks: store.tasks, people: sizes.people, systemSamples: sizes.systemSamples, httpMs: sizes.httpMs }, log)
        .catch((e) => ({ rows: [failedRow("FHIR server over HTTP (in-process sandbox)", e)], notes: [] as string[], read: { error: e } }));
      cpu = await benchServerCpu(root, popPath, { seconds: quick ? 1 : 2, rounds: quick ? 1 : 3, peers }, log)
        .catch((e) => ({ rows: [failedRow("server CPU per request (wrk)", e)], notes: [] as string[] }));
      if (profile) profiled = await benchProfile(root, popPath, quick ? 1 : 3, log).catch((e) => [`profile failed: ${e instanceof Error ? e.message : String(e)}`]);
      // Last of the population's users: it adds a chain log to the file.
      blocking = await benchBlocking(root, popPath, { lines: sizes.chainLines, repeats: 3, why }, log)
        .catch((e) => ({ rows: [failedRow("no request holds the others up", e)], notes: [] as string[] }));
    } else {
      fhir.rows.push({ measure: "FHIR server over HTTP", value: "—", target: "", result: "not measured (no population database)" });
    }
  } finally {
    removeTempDir(popDir);
  }
  printTable("5. Task collection and read: store level, then the FHIR server over HTTP (in-process)", [...store.queryRows, ...fhir.rows], [...store.queryNotes, ...fhir.notes]);

  const http = await benchHttp(root, sizes.httpMs, log, fhir.read).catch((e) => ({ rows: [failedRow("HTTP", e)], notes: [] as string[] }));
  printTable("6. HTTP throughput against Bun's hello world", http.rows, http.notes);

  const journeyResult = await benchJourney(quick ? 5 : 30, log).catch((e) => ({ rows: [failedRow("journey", e)], notes: [] as string[], p50: Number.NaN }));
  const journey: Row = journeyResult.rows[0]!;
  printTable("7. Journey", journeyResult.rows, journeyResult.notes);

  const schema = await benchSchema(root, quick ? 100 : 500, log).catch((e) => ({ rows: [failedRow("FHIR write with / without schema validation", e)], notes: [] as string[] }));
  printTable("8. FHIR writes: the FHIR R4 structure check (info)", schema.rows, schema.notes);

  const delivery = await benchDelivery(quick ? 2_000 : 10_000, log).catch((e) => ({ rows: [failedRow("log delivery to MedMij Beheer", e)], notes: [] as string[] }));
  printTable("9. Delivering the SD 4.5 lines to MedMij Beheer (issue 13), CPU of this process (info)", delivery.rows, delivery.notes);

  printTable("10. Server CPU per request with wrk, against the floor and hello world (issue 16; measured on table 4's population)", cpu.rows, cpu.notes);
  printTable("11. No request holds the others up: GET /health on another host while the heaviest requests run (issue 16)", blocking.rows, blocking.notes);
  if (profile) {
    console.log("\n12. Where each row's CPU goes: table 10's rows again, each on a sandbox of its own under bun --cpu-prof and bench/statement-profile.ts (--profile)");
    for (const line of profiled) console.log(`  ${line}`);
  }

  const pick = (rows: readonly Row[], prefix: string, label: string): Row =>
    ({ ...(find(rows, prefix) ?? { value: "—", target: "", result: "not measured" }), measure: label });
  printTable("SPEC §11 summary", [
    pick(startup.rows, "binary: restart", "cold start, compiled binary, existing database"),
    pick(startup.rows, "binary: cold start", "cold start, compiled binary, :memory: (seeds)"),
    { ...journey, measure: "full journey p50" },
    pick(fhir.rows, "Task collection over HTTP", "Task collection over HTTP"),
    pick(store.queryRows, "Task collection, SQL + parse", "Task collection, store part"),
    pick(fhir.rows, "304 revalidation", "304 revalidation (issue 4 target)"),
    pick(http.rows, "sandbox FHIR read GET /fhir/Task/<id> (child", "FHIR read vs hello world (both child processes)"),
    pick(http.rows, "sandbox FHIR read GET /fhir/Task/<id> (in-process", "FHIR read vs hello world (in-process, info)"),
    pick(http.rows, "sandbox GET fhir.zorgnet /health", "/health vs hello world (dispatcher floor)"),
    pick(startup.rows, "binary: RSS idle", "RSS idle, compiled binary"),
    pick(store.seedRows, "addPopulation", "seed the population (judged at the rate, for 100 000 tasks)"),
  ], [`total bench time ${seconds(performance.now() - began)}${quick ? "; --quick sizes: use the full run for real numbers" : ""}`]);
}

try {
  await main();
} catch (e) {
  console.error("bench: unexpected failure:", e);
} finally {
  cleanupAll();
}
process.exit(0);
