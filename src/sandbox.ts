/**
 * Start a whole sandbox: listen, open and claim the data file, migrate, resolve the network on
 * the real port, seed when empty (or on --reset), and route every host. Used by main.ts and by
 * tests (port 0). A start that fails undoes itself and throws a StartError with one clear line.
 */
import type { Server } from "bun";
import type { Config } from "./config.ts";
import { buildHostMap } from "./actors.ts";
import { createDispatcher, hostnameOf } from "./server.ts";
import { actorSites } from "./shared/actor-sites.ts";
import { ChainLog } from "./shared/chain-log.ts";
import type { SandboxContext } from "./shared/context.ts";
import { Csrf } from "./shared/csrf.ts";
import { ExchangeLog } from "./shared/exchange-log.ts";
import { startExpiryPruning } from "./shared/expiry.ts";
import { flushAccessTokens } from "./dva/auth/store.ts";
import { flushFhirWrites } from "./dva/fhir/store.ts";
import { Tickets } from "./shared/tickets.ts";
import { FhirStore } from "./dva/fhir/store.ts";
import { randomToken, sha256 } from "./shared/crypto.ts";
import { COCKPIT_OWNER } from "./shared/actor-registry.ts";
import { claimDataFile, DataFileInUse } from "./shared/data-lock.ts";
import { stopReader } from "./shared/reader.ts";
import { checkpointInBackground, DataFileError, dataFileError, migrate, openDataFile, quickCheckInBackground, type Database } from "./shared/db.ts";
import { MIGRATIONS } from "./shared/migrations.ts";
import { FaultRegistry } from "./shared/faults.ts";
import { flavourProblems, type Flavour, type NetworkDefinition } from "./shared/network.ts";
import { resolveNetwork, type ResolvedNetwork } from "./shared/resolved-network.ts";
import { isSeeded, networkChangedSinceSeed, provisionModule, relocateEndpoints, retireModule, seedDatabase } from "../seed/seed.ts";
import { QUESTIONNAIRES } from "../seed/questionnaires.ts";
import { ActorError, ActorRegistry, type RegisteredActor } from "./shared/actor-registry.ts";
import { Conformance } from "./shared/conformance.ts";
import { DvaSettingError } from "./shared/dva-setting-error.ts";
import { tokensMayHaveChanged } from "./dva/auth/store.ts";
import { startLogDelivery, type LogDelivery } from "./shared/log-delivery.ts";

export interface Sandbox {
  ctx: SandboxContext;
  server: Server<undefined>;
  port: number;
  /** Origin of an actor host label ("register", "auth.zorgnet"), or the cockpit for "". */
  url(label?: string): string;
  /** The PGO's and DVAs' deliveries of their log lines to MedMij Beheer (every few seconds; `deliverAll()` now). */
  logDelivery: LogDelivery;
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

/**
 * Seconds a connection may be silent — also while its request waits for an answer — before Bun
 * closes it (Bun's default is 10). A burst of ~300 simultaneous journeys queues requests for
 * longer than 10 s, and a browser whose connection is closed re-sends single-use steps (a code,
 * a consent). 120 s covers a burst about ten times that size and the SQLite busy timeout (5 s),
 * and still frees the sockets of clients that went away within two minutes (Bun allows 255 s at
 * most; 0, never, would keep them until the file descriptors run out).
 */
export const IDLE_TIMEOUT_SECONDS = 120;

/** Bodies above this are refused before parsing (the FHIR server's own limit is 1 MiB, SPEC §6)... */
const BODY_LIMIT = 2 * 1024 * 1024;
/**
 * ...except a delivery to MedMij Beheer's logging interface, which may be 60 MB (62 914 560
 * characters, issue 13): Bun's own limit lets that through as UTF-8 with some room for multi-byte
 * characters, and the logging interface counts the characters itself.
 */
const DELIVERY_BODY_LIMIT = 64 * 1024 * 1024;

/** The 2 MiB limit for every host but MedMij Beheer, on the declared length (a chunked body is held to Bun's limit). */
function limitBodies(dispatch: (request: Request) => Promise<Response>, beheerHost: string | null): (request: Request) => Promise<Response> {
  return (request) => {
    const length = request.headers.get("content-length");
    if (length !== null && Number(length) > BODY_LIMIT && hostnameOf(request.headers.get("host")) !== beheerHost) {
      return Promise.resolve(new Response(null, { status: 413, headers: { Connection: "close" } }));
    }
    return dispatch(request);
  };
}

export async function startSandbox(config: Config, definition: NetworkDefinition, log: (line: string) => void = () => {}): Promise<Sandbox> {
  let dispatch: (request: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });

  // Listen first: with the port in use no data file is created, opened or migrated (issue 11).
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      port: config.port,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      // Host-header routing covers every name; bodies above 2 MiB are refused before parsing
      // (limitBodies), those to MedMij Beheer above 64 MiB.
      maxRequestBodySize: DELIVERY_BODY_LIMIT,
      fetch: (request) => dispatch(request),
      error: () => new Response("Er ging iets mis.", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } }),
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") throw new StartError(`port ${config.port} is already in use; pick another with --port or PORT`);
    throw new StartError(`cannot listen on port ${config.port}: ${e instanceof Error ? e.message : String(e)}`);
  }

  // Undone in reverse on a failed start: release the data file, close it, stop listening.
  const undo: (() => void)[] = [() => void server.stop(true)];
  const abort = (e: unknown): never => {
    for (const step of undo.reverse()) { try { step(); } catch { /* keep undoing */ } }
    throw startErrorOf(e, config.dataPath);
  };

  let db: Database;
  let checkLater = false;
  let release = () => {};
  try {
    ({ db, checkLater } = openDataFile(config.dataPath));
    undo.push(() => db.close());
    if (config.dataPath !== ":memory:") {
      release = await claimDataFile(db, server.port!);
      undo.push(release);
    }
    migrate(db, MIGRATIONS);
  } catch (e) {
    return abort(e);
  }

  // The network file (or the default) plus the actors teams registered at run time (issue 14).
  const registry = new ActorRegistry(db, definition);
  /** The network before the DVA settings of the cockpit (issue 15) are laid over it. */
  let current: NetworkDefinition = definition;
  let network: ResolvedNetwork;
  let ctx: SandboxContext;
  try {
    const started = registry.startNetwork();
    for (const { actor, problems } of started.skipped) {
      log(`warning: registered actor ${actor.id} no longer fits this network and is left out: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
    }
    current = started.definition;
    network = resolveNetwork(withDvaSettings(current, dvaSettings(db)), config.domain, server.port!);
    ctx = createContext(config, db, network);
  } catch (e) {
    return abort(e);
  }
  const { chain, exchanges, faults } = ctx;

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
    return abort(dataFileError(e, config.dataPath) ?? new StartError(`seeding failed, the database is unchanged: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Route every host of `ctx.network`: at start, and again after a registration changed it. */
  const route = () => {
    dispatch = limitBodies(createDispatcher(ctx, buildHostMap(ctx), exchanges), ctx.network.beheer.internal ? ctx.network.beheer.hostname : null);
  };
  try {
    route();
  } catch (e) {
    return abort(e);
  }
  const apply = (next: NetworkDefinition) => {
    const previous = ctx.network;
    ctx.network = resolveNetwork(withDvaSettings(next, dvaSettings(db)), config.domain, server.port!);
    try { route(); current = next; } catch (e) { ctx.network = previous; route(); throw e; }
  };
  ctx.actors = actorService(ctx, registry, apply);
  ctx.setDvaFlavour = (id, patch) => {
    if (!ctx.network.dvas.some((d) => d.id === id)) throw new DvaSettingError(404, [{ field: "id", message: `no DVA ${JSON.stringify(id)} in this network` }]);
    const problems = flavourProblems(patch);
    if (problems.length) throw new DvaSettingError(400, problems);
    const was = dvaSettings(db).get(id) ?? {};
    db.query("INSERT INTO sandbox_dva_setting (dva, flavour, koppeltaal) VALUES (?, ?, ?) ON CONFLICT (dva) DO UPDATE SET flavour = excluded.flavour, koppeltaal = excluded.koppeltaal")
      .run(id, (patch.flavour as Flavour | undefined) ?? was.flavour ?? null, patch.koppeltaal === undefined ? (was.koppeltaal === undefined ? null : Number(was.koppeltaal)) : Number(patch.koppeltaal));
    apply(current);
    return ctx.network.dvas.find((d) => d.id === id)!;
  };
  chain.startPruning();
  // SD 4.5.1: the PGO and the DVAs deliver their lines to MedMij Beheer, as real participants do.
  const logDelivery = startLogDelivery(network, chain, db);
  exchanges.startPruning();
  const expiry = startExpiryPruning(db);
  // A large file is checked after start, in a worker: its findings are a warning, not a refusal.
  // Reading every page of a large file costs seconds of disk and a core, so it is read only after a
  // run that did not stop cleanly (a kill -9, a crash: `clean_stop` stayed "0") or when it was found
  // damaged before; a file the seed or a clean stop closed is sound as SQLite left it.
  const meta = (key: string) => db.query<{ value: string }, [string]>("SELECT value FROM sandbox_meta WHERE key = ?").get(key)?.value;
  const setMeta = (key: string, value: string) => {
    try { db.query("INSERT INTO sandbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value); } catch { /* a full or read-only disk: check next time */ }
  };
  const soundBefore = meta("clean_stop") !== "0" && meta("quick_check") !== "damaged";
  if (config.dataPath !== ":memory:") setMeta("clean_stop", "0");
  if (!checkLater && config.dataPath !== ":memory:") setMeta("quick_check", "ok");
  const check = checkLater && !soundBefore ? quickCheckInBackground(config.dataPath) : null;
  const checkpoints = config.dataPath === ":memory:" ? null : checkpointInBackground(db, config.dataPath);
  void check?.damage.then((message) => {
    if (message === undefined) return; // stopped before it finished: check again next time
    setMeta("quick_check", message ? "damaged" : "ok");
    if (message) console.error(`medmij-sandbox: warning: ${message}`);
  });
  for (const a of actorSites(network)) log(`${a.site.internal ? "  " : "↗ "}${a.title.padEnd(52)} ${a.site.origin}/${a.kind === "dva-fhir" ? "fhir" : ""}`);

  return {
    ctx,
    server,
    port: server.port!,
    url: (label = "") => (label === "" ? network.cockpit.origin : `http://${label}.${config.domain}:${server.port}`),
    logDelivery,
    async stop() {
      // The last delivery while MedMij Beheer still answers.
      await logDelivery.stop();
      await server.stop(true);
      check?.stop();
      expiry.stop();
      await stopReader(db);
      await checkpoints?.stop();
      flushAccessTokens(db);
      flushFhirWrites(db);
      chain.stop();
      exchanges.stop();
      if (config.dataPath !== ":memory:") setMeta("clean_stop", "1");
      release();
      db.close();
    },
  };
}

/** A DVA's flavour as the cockpit set it (issue 15), by DVA id. */
function dvaSettings(db: Database): Map<string, { flavour?: Flavour; koppeltaal?: boolean }> {
  return new Map(db.query<{ dva: string; flavour: string | null; koppeltaal: number | null }, []>("SELECT dva, flavour, koppeltaal FROM sandbox_dva_setting").all()
    .map((r) => [r.dva, { ...(r.flavour ? { flavour: r.flavour as Flavour } : {}), ...(r.koppeltaal === null ? {} : { koppeltaal: r.koppeltaal === 1 }) }]));
}

/** The network with the cockpit's DVA settings over what it says. */
function withDvaSettings(def: NetworkDefinition, settings: Map<string, { flavour?: Flavour; koppeltaal?: boolean }>): NetworkDefinition {
  return settings.size === 0 ? def : { ...def, dvas: def.dvas.map((d) => ({ ...d, ...settings.get(d.id) })) };
}

/** How many HTTP exchanges are kept for `keepLines` chain-log lines (0: no limit either). */
export const exchangesKept = (keepLines: number) => (keepLines > 0 ? Math.ceil(keepLines / 4) : 0);

/**
 * Registering, changing and removing a team's actor (issue 14 §1): checked against the whole
 * network first (nothing is stored when it does not fit), then stored, its catalogue entries
 * written (a module), and the network replaced — no restart, no reset, no data lost.
 */
function actorService(ctx: SandboxContext, registry: ActorRegistry, apply: (definition: NetworkDefinition) => void): SandboxContext["actors"] {
  const questionnaires = new Set(QUESTIONNAIRES.map((q) => q.id));
  const checkCatalogue = (actor: RegisteredActor) => {
    const q = (actor.entry.activity as { questionnaire?: unknown } | undefined)?.questionnaire;
    if (actor.kind === "module" && typeof q === "string" && !questionnaires.has(q)) {
      throw new ActorError(400, [{ path: "activity.questionnaire", message: `names no Questionnaire of the DVAs; one of ${[...questionnaires].join(", ")}` }]);
    }
  };
  const moduleOf = (id: string) => ctx.network.modules.find((m) => m.registered === id);
  const save = (actor: RegisteredActor, definition: NetworkDefinition, ownerHash: string | null = null) => {
    checkCatalogue(actor);
    const before = moduleOf(actor.id);
    const network = ctx.network;
    ctx.db.transaction(() => registry.save(actor, ownerHash))();
    apply(definition);
    const after = moduleOf(actor.id);
    // A module that moved off a DVA leaves its entries there retired; the rest are (re)written.
    if (before) retireModule(ctx.db, network, { ...before, clients: before.clients.filter((c) => !after?.clients.some((x) => x.dva === c.dva)) });
    if (after) provisionModule(ctx.db, ctx.network, after);
    ctx.checks.probe(actor.id);
    return actor;
  };
  /** A team's actor runs elsewhere: not on a host name this sandbox serves (its PGO's client_id would be the team's). */
  const notOurHost = (input: unknown) => {
    const own = new Set([...actorSites(ctx.network).filter((a) => a.site.internal).map((a) => a.site.hostname), "127.0.0.1", "[::1]"]);
    const e = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
    const problems = ["host", "authHost", "fhirHost"].flatMap((f) => {
      const name = typeof e[f] === "string" ? URL.parse(e[f] as string)?.hostname : undefined;
      return name && own.has(name) ? [{ path: f, message: `${name} is a host of this sandbox; run your actor on a name of its own, e.g. http://<team>.localhost:<port>` }] : [];
    });
    if (problems.length) throw new ActorError(400, problems);
  };
  return {
    list: () => registry.list(),
    get: (id) => registry.get(id),
    register(input) {
      notOurHost(input);
      const { actor, definition } = registry.prepare(input);
      const ownerToken = randomToken();
      return { ...save(actor, definition, sha256(ownerToken)), ownerToken };
    },
    change(id, input, owner) {
      if (owner !== COCKPIT_OWNER && registry.get(id)) registry.checkOwner(id, owner);
      notOurHost(input);
      const { actor, definition } = registry.prepare(input, id);
      return save(actor, definition);
    },
    checkOwner: (id, token) => registry.checkOwner(id, token),
    remove(id, owner) {
      if (owner !== COCKPIT_OWNER && registry.get(id)) registry.checkOwner(id, owner);
      const definition = registry.prepareRemoval(id);
      const module = moduleOf(id);
      if (module) retireModule(ctx.db, ctx.network, module);
      registry.remove(id);
      ctx.checks.reset(id);
      apply(definition);
    },
  };
}

function createContext(config: Config, db: Database, network: ResolvedNetwork): SandboxContext {
  const faults = new FaultRegistry(db);
  const retention = { keepLines: config.logKeepLines, keepHours: config.logKeepHours };
  const chain = new ChainLog(db, retention);
  // The exchanges behind a trace's HAR file (issue 13 §3) go with the chain log's limits, a quarter
  // as many: an exchange is ~2 KB stored where a line is ~530 bytes, and a journey makes ~40 of
  // them to ~65 lines, so the HAR files of the newest ~3 000 journeys take about what the lines do.
  const exchanges = new ExchangeLog(db, chain, { retention: { keepLines: exchangesKept(retention.keepLines), keepHours: retention.keepHours } });
  const retained = new Map<string, unknown>();
  const unavailable = () => { throw new Error("the actor registry is not ready yet"); };
  const ctx: SandboxContext = {
    config, db, network, faults, chain, exchanges,
    checks: new Conformance(db, () => ctx.network),
    actors: { list: () => [], get: () => null, register: unavailable, change: unavailable, remove: unavailable, checkOwner: unavailable } as SandboxContext["actors"],
    setDvaFlavour: unavailable,
    retained<T>(key: string, make: () => T): T {
      if (!retained.has(key)) retained.set(key, make());
      return retained.get(key) as T;
    },
    secret: (name) => secret(db, name),
    csrf: new Csrf(secret(db, "csrf_secret")),
    tickets: new Tickets(secret(db, "ticket_secret"), db),
    startedAt: Date.now(),
    async reset() {
      // FHIR writes that arrived before the reset are written (and answered) before it.
      flushFhirWrites(db);
      chain.flush();
      exchanges.reset();
      await seedDatabase(db, ctx.network);
      tokensMayHaveChanged();
      faults.reload();
    },
  };
  return ctx;
}

/** Start failures the user can fix are StartErrors (exit 2, one clear line); anything else is a bug and keeps its stack. */
function startErrorOf(e: unknown, dataPath: string): unknown {
  if (e instanceof StartError) return e;
  if (e instanceof DataFileError) return new StartError(e.message);
  if (e instanceof DataFileInUse) return new StartError(`${dataPath}: ${e.message}`);
  const file = dataFileError(e, dataPath);
  return file ? new StartError(file.message) : e;
}
