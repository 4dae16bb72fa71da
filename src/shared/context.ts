/**
 * What every actor app is built from. Actors get the resolved network (URLs), shared services and
 * their own store; they never import another actor's code, and meet over HTTP only.
 */
import type { Database } from "bun:sqlite";
import type { Config } from "../config.ts";
import type { ChainLog } from "./chain-log.ts";
import type { Csrf } from "./csrf.ts";
import type { ExchangeLog } from "./exchange-log.ts";
import type { FaultRegistry } from "./faults.ts";
import type { ResolvedNetwork } from "./resolved-network.ts";
import type { Tickets } from "./tickets.ts";

export interface SandboxContext {
  config: Config;
  db: Database;
  network: ResolvedNetwork;
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
