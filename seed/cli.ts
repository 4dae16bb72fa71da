/**
 * `bun run seed [-- --patients N --tasks-per-patient M] [--data FILE] [--port N] [--domain D] [--network F]`:
 * reset the database to the seed state, optionally adding a large synthetic population. Run it
 * while the sandbox is stopped (or use the cockpit's Reset while it runs).
 */
import { ConfigError, loadConfig } from "../src/config.ts";
import { loadNetwork } from "../src/network-loader.ts";
import { DataFileInUse, liveHolder } from "../src/shared/data-lock.ts";
import { DataFileError, openDatabase } from "../src/shared/db.ts";
import { NetworkError } from "../src/shared/network.ts";
import { resolveNetwork } from "../src/shared/resolved-network.ts";
import { addPopulation } from "./population.ts";
import { seedDatabase } from "./seed.ts";

function take(args: string[], flag: string): number {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return 0;
  const raw = args[i]!.includes("=") ? args[i]!.split("=")[1] : args[i + 1];
  args.splice(i, args[i]!.includes("=") ? 1 : 2);
  if (!raw || !/^\d+$/.test(raw)) throw new ConfigError(`${flag} needs a whole number`);
  return Number(raw);
}

try {
  const args = Bun.argv.slice(2);
  const patients = take(args, "--patients");
  const tasksPerPatient = take(args, "--tasks-per-patient") || (patients ? 10 : 0);
  const config = loadConfig(args, process.env);
  if (config.dataPath === ":memory:") throw new ConfigError("seeding an in-memory database has no lasting effect; give --data FILE");
  const network = await loadNetwork(config.networkFile);
  const resolved = resolveNetwork(network, config.domain, config.port);
  const db = openDatabase(config.dataPath);
  // A running sandbox serves this file: reseeding under it would change data it holds in memory (use its Reset).
  const holder = await liveHolder(db);
  if (holder) { db.close(); throw new DataFileInUse(holder); }
  const started = performance.now();
  const summary = await seedDatabase(db, resolved);
  console.log(`seeded ${config.dataPath}: ${summary.resources} FHIR resources, ${summary.tasks} tasks, ${summary.accounts} PGO accounts`);
  if (patients > 0) {
    const result = addPopulation(db, resolved, {
      patients, tasksPerPatient,
      onProgress: (done, total) => process.stdout.write(`\rsynthetic population: ${done}/${total} tasks (${Math.round((performance.now() - started) / 100) / 10} s)`),
    });
    process.stdout.write("\n");
    console.log(`added ${result.patients} patients with ${result.tasks} tasks`);
  }
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`done in ${Math.round(performance.now() - started)} ms`);
} catch (e) {
  if (e instanceof ConfigError || e instanceof NetworkError || e instanceof DataFileError || e instanceof DataFileInUse) {
    console.error(`seed: ${e.message}${e instanceof DataFileInUse ? " (or press Reset in its cockpit)" : ""}`);
    process.exit(2);
  }
  throw e;
}
