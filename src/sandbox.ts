/**
 * Start a whole sandbox: open the database, listen, resolve the network on the real port, seed
 * when empty (or on --reset), and route every host. Used by main.ts and by tests (port 0).
 */
import type { Server } from "bun";
import type { Config } from "./config.ts";
import { buildHostMap } from "./actors.ts";
import { createDispatcher } from "./server.ts";
import { actorSites } from "./shared/actor-sites.ts";
import { ChainLog } from "./shared/chain-log.ts";
import type { SandboxContext } from "./shared/context.ts";
import { Csrf } from "./shared/csrf.ts";
import { Tickets } from "./shared/tickets.ts";
import { FhirStore } from "./dva/fhir/store.ts";
import { randomToken } from "./shared/crypto.ts";
import { openDatabase, type Database } from "./shared/db.ts";
import { FaultRegistry } from "./shared/faults.ts";
import type { NetworkDefinition } from "./shared/network.ts";
import { resolveNetwork } from "./shared/resolved-network.ts";
import { isSeeded, networkChangedSinceSeed, relocateEndpoints, seedDatabase } from "../seed/seed.ts";
import { tokensMayHaveChanged } from "./dva/auth/store.ts";

export interface Sandbox {
  ctx: SandboxContext;
  server: Server<undefined>;
  port: number;
  /** Origin of an actor host label ("register", "auth.zorgnet"), or the cockpit for "". */
  url(label?: string): string;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override name = "StartError";
}

function secret(db: Database, key: string): string {
  const row = db.query<{ value: string }, [string]>("SELECT value FROM sandbox_meta WHERE key = ?").get(key);
  if (row) return row.value;
  const value = randomToken();
  db.query("INSERT INTO sandbox_meta (key, value) VALUES (?, ?)").run(key, value);
  return value;
}

export async function startSandbox(config: Config, definition: NetworkDefinition, log: (line: string) => void = () => {}): Promise<Sandbox> {
  const db = openDatabase(config.dataPath);
  let dispatch: (request: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });

  let server: Server<undefined>;
  try {
    server = Bun.serve({
      port: config.port,
      // Host-header routing covers every name; bodies above 2 MiB are refused before parsing
      // (the FHIR server's own limit is 1 MiB, SPEC §6).
      maxRequestBodySize: 2 * 1024 * 1024,
      fetch: (request) => dispatch(request),
      error: () => new Response("Er ging iets mis.", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } }),
    });
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") throw new StartError(`port ${config.port} is already in use; pick another with --port or PORT`);
    throw new StartError(`cannot listen on port ${config.port}: ${e instanceof Error ? e.message : String(e)}`);
  }

  const network = resolveNetwork(definition, config.domain, server.port!);
  const faults = new FaultRegistry(db);
  const chain = new ChainLog(db);
  const ctx: SandboxContext = {
    config, db, network, faults, chain,
    secret: (name) => secret(db, name),
    csrf: new Csrf(secret(db, "csrf_secret")),
    tickets: new Tickets(secret(db, "ticket_secret"), db),
    startedAt: Date.now(),
    async reset() {
      chain.flush();
      await seedDatabase(db, network);
      tokensMayHaveChanged();
      faults.reload();
    },
  };

  try {
    if (config.reset || !isSeeded(db)) {
      const started = performance.now();
      const summary = await seedDatabase(db, network);
      faults.reload();
      log(`seeded ${summary.resources} FHIR resources (${summary.tasks} tasks) and ${summary.accounts} PGO accounts in ${Math.round(performance.now() - started)} ms`);
    } else {
      const reindexed = new FhirStore(db).reindexOutdated();
      if (reindexed) log(`re-indexed ${reindexed} FHIR resources for this version's search parameters`);
      const moved = relocateEndpoints(db, network);
      if (moved) log(`the network moved to another port or domain: updated ${moved} module Endpoint addresses`);
      if (networkChangedSinceSeed(db, network)) {
        log("warning: the network definition changed since this database was seeded; new zorgaanbieders, modules or people have no FHIR data or accounts until you reseed (--reset, `bun run seed`, or Reset in the cockpit)");
      }
    }
  } catch (e) {
    server.stop(true);
    db.close();
    throw new StartError(`seeding failed, the database is unchanged: ${e instanceof Error ? e.message : String(e)}`);
  }

  dispatch = createDispatcher(ctx, buildHostMap(ctx));
  for (const a of actorSites(network)) log(`${a.site.internal ? "  " : "↗ "}${a.title.padEnd(52)} ${a.site.origin}/${a.kind === "dva-fhir" ? "fhir" : ""}`);

  return {
    ctx,
    server,
    port: server.port!,
    url: (label = "") => (label === "" ? network.cockpit.origin : `http://${label}.${config.domain}:${server.port}`),
    async stop() {
      await server.stop(true);
      chain.flush();
      db.close();
    },
  };
}
