/**
 * What every actor app is built from. Actors get the resolved network (URLs), shared services and
 * their own store; they never import another actor's code, and meet over HTTP only.
 */
import type { Database } from "bun:sqlite";
import type { Config } from "../config.ts";
import type { ChainLog } from "./chain-log.ts";
import type { Csrf } from "./csrf.ts";
import type { RegisteredActor } from "./actor-registry.ts";
import type { Conformance } from "./conformance.ts";
import type { ExchangeLog } from "./exchange-log.ts";
import type { FaultRegistry } from "./faults.ts";
import type { ResolvedDva, ResolvedNetwork } from "./resolved-network.ts";
import type { Tickets } from "./tickets.ts";

/** Actors teams register while the sandbox runs (issue 14 §1); each change takes effect at once. */
export interface ActorService {
  list(): RegisteredActor[];
  get(id: string): RegisteredActor | null;
  /** Throws ActorError (400 with every problem, 409 when the id is taken). `ownerToken`: shown once, needed for API changes. */
  register(input: unknown): RegisteredActor & { ownerToken: string };
  /** `owner`: the owner token (API), or "cockpit" for the sandbox's own page (its operator, CSRF-protected). */
  change(id: string, input: unknown, owner: string | null): RegisteredActor;
  remove(id: string, owner: string | null): void;
  /** Throws ActorError 403 unless `token` is the registration's owner token. */
  checkOwner(id: string, token: string | null): void;
}

export interface SandboxContext {
  config: Config;
  db: Database;
  /** The running network; replaced (not changed) when a team registers, changes or removes an actor. */
  network: ResolvedNetwork;
  actors: ActorService;
  /**
   * Switch a DVA's flavour or Koppeltaal launches at run time (issue 15; the cockpit, PATCH
   * /api/dvas/<id>): kept over the network file, the network replaced at once. Throws
   * DvaSettingError (404 unknown DVA, 400 a wrong value).
   */
  setDvaFlavour(id: string, patch: { flavour?: unknown; koppeltaal?: unknown }): ResolvedDva;
  /** The MedMij-check of the teams' actors (issue 14 §3): what the sandbox's actors saw them do. */
  checks: Conformance;
  /**
   * State an actor app keeps across the rebuilds of the host map a registration causes (a PGO's
   * pending launches): made on first use per key, then the same object.
   */
  retained<T>(key: string, make: () => T): T;
  faults: FaultRegistry;
  chain: ChainLog;
  /** The HTTP exchanges of each trace, for its HAR file (issue 13 §3). */
  exchanges: ExchangeLog;
  csrf: Csrf;
  /** Signed single-use hand-offs between sandbox hosts (cockpit "Start als Tom" → PGO). */
  tickets: Tickets;
  /** A random secret by name, made once and kept in the database (survives resets and restarts). */
  secret(name: string): string;
  /** Discard all data and reseed (cockpit "Reset", `POST /api/reset`). */
  reset(): Promise<void>;
  /** Wall-clock milliseconds since the process started listening (for the cockpit). */
  startedAt: number;
}
