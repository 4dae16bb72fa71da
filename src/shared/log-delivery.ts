/**
 * The sandbox's own PGO and DVAs deliver their SD 4.5 lines to MedMij Beheer as real participants
 * do (SD 4.5.1 "verzamelingen logregels", issue 13): in batches, every few seconds and once more
 * on stop (for at most a second: the rest at the next start), over HTTP with their own
 * credentials, as NDJSON, remembering in `chain_delivery` how far each got. A delivery is not
 * itself a logged MedMij event, so the HTTP client is called without one.
 */
import type { Database } from "bun:sqlite";
import type { ChainLog } from "./chain-log.ts";
import { createHttpClient, type HttpClient } from "./http-client.ts";
import { logsEndpoint, participantsOf, type Participant } from "./participants.ts";
import type { ResolvedNetwork } from "./resolved-network.ts";
import { newId } from "./trace.ts";

/** Every this often a participant delivers what it wrote since its last delivery. */
export const DELIVERY_INTERVAL_MS = 2_000;
/**
 * Lines per delivery (≈ 1 MB of NDJSON, far below the 60 MB a delivery may be): MedMij Beheer checks
 * and stores a delivery in one go, ~6 µs a line, so a delivery holds the other requests up ~12 ms
 * at most (issue 16).
 */
export const DELIVERY_BATCH_LINES = 2_000;
/**
 * Deliveries per participant per tick: bounds the work under a flood of lines (a FHIR read
 * writes two), at 5 000 lines a second per participant. Beyond that it falls behind and
 * catches up when the flood ends; lines the chain log's retention drops first are not delivered.
 */
export const BATCHES_PER_TICK = 5;
/**
 * `stopWithinMs`: on stop, a participant delivers for at most this long; what is left (a flood's
 * backlog) goes at the next start, from where `chain_delivery` says it got to. A stop must not wait
 * for it: delivering every line of a long flood took seconds to minutes, and a supervisor (or the
 * bench) kills a process that slow. An object, so that a test can change it.
 */
export const deliveryTuning = { stopWithinMs: 1_000 };

/** `caughtUp`: the run reached the newest line (a run looks through a bounded span of the log per batch). */
export interface DeliveryOutcome { delivered: number; deliveries: number; failed: string | null; caughtUp: boolean }

export class LogDeliverer {
  private cursor: number;
  private running: Promise<DeliveryOutcome> | null = null;
  private batch = DELIVERY_BATCH_LINES;
  /** The failure being reported, so stderr gets one line per outage, not one per tick. */
  private failing: string | null = null;

  constructor(
    readonly participant: Participant,
    private readonly chain: ChainLog,
    private readonly db: Database,
    private readonly endpoint: string,
    private readonly http: HttpClient,
  ) {
    const delivered = db.query<{ s: number }, [string]>("SELECT delivered_seq AS s FROM chain_delivery WHERE participant = ?").get(participant.username)?.s ?? 0;
    // A chain log pruned to nothing numbers its lines from 1 again after a restart: then start there.
    this.cursor = Math.min(delivered, chain.linesAfter(0, [], 1).upTo);
  }

  /** A delivery is under way. */
  get busy(): boolean { return this.running !== null; }

  /**
   * Deliver what is new, at most `batches` deliveries, none begun after `until` (performance.now());
   * one run at a time (a second call waits for the first).
   */
  async deliver(timeoutMs = 10_000, batches = BATCHES_PER_TICK, until = Number.POSITIVE_INFINITY): Promise<DeliveryOutcome> {
    while (this.running) await this.running;
    const run = this.run(timeoutMs, batches, until).finally(() => { this.running = null; });
    this.running = run;
    return run;
  }

  private async run(timeoutMs: number, batches: number, until: number): Promise<DeliveryOutcome> {
    const outcome: DeliveryOutcome = { delivered: 0, deliveries: 0, failed: null, caughtUp: false };
    try {
      await this.batches(outcome, timeoutMs, batches, until);
    } catch (e) {
      // The database closed or failed under the read: try again on the next tick.
      outcome.failed = e instanceof Error ? e.message : String(e);
    }
    this.report(outcome.failed);
    return outcome;
  }

  private async batches(outcome: DeliveryOutcome, timeoutMs: number, batches: number, until: number): Promise<void> {
    for (let i = 0; i < batches && performance.now() < until; i++) {
      const { lines, upTo, done } = this.chain.linesAfter(this.cursor, this.participant.internalHosts, this.batch);
      if (lines.length === 0) {
        this.advance(upTo);
        if (done) { outcome.caughtUp = true; break; }
        continue;
      }
      const status = await this.post(lines.map((l) => l.line).join("\n") + "\n", timeoutMs);
      if (status === 413 && this.batch > 1) { this.batch = Math.max(1, Math.floor(this.batch / 2)); i--; continue; }
      if (typeof status === "string" || status < 200 || status >= 300) {
        outcome.failed = typeof status === "string" ? status : `HTTP ${status}`;
        break;
      }
      this.advance(lines.length === this.batch ? lines.at(-1)!.seq : upTo);
      outcome.delivered += lines.length;
      outcome.deliveries++;
      if (lines.length < this.batch && done) { outcome.caughtUp = true; break; }
    }
  }

  /** POST one delivery; the status, or why there was none. */
  private async post(body: string, timeoutMs: number): Promise<number | string> {
    const { username, password } = this.participant;
    try {
      const res = await this.http.send(this.endpoint, {
        trace: { traceId: newId(), sessionId: null }, method: "POST", timeoutMs, body,
        headers: { "Content-Type": "application/x-ndjson", Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
      });
      await res.arrayBuffer();
      return res.status;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private advance(seq: number): void {
    if (seq <= this.cursor) return;
    this.cursor = seq;
    try {
      this.db.query("INSERT INTO chain_delivery (participant, delivered_seq) VALUES (?, ?) ON CONFLICT (participant) DO UPDATE SET delivered_seq = excluded.delivered_seq")
        .run(this.participant.username, seq);
    } catch { /* a full disk: remembered in memory; after a restart some lines are delivered twice */ }
  }

  private report(failed: string | null): void {
    if (failed && !this.failing) console.error(`log delivery: ${this.participant.name} cannot deliver its log lines to ${this.endpoint} (${failed}); trying again every ${DELIVERY_INTERVAL_MS / 1000} s`);
    if (!failed && this.failing) console.error(`log delivery: ${this.participant.name} delivers its log lines again`);
    this.failing = failed;
  }
}

export interface LogDelivery {
  deliverers: LogDeliverer[];
  /** Deliver everything written so far (tests), or what can be in `withinMs` (stop). */
  deliverAll(timeoutMs?: number, withinMs?: number): Promise<void>;
  /** Stop the timer and make a last delivery. */
  stop(): Promise<void>;
}

/** One deliverer per participant whose hosts this process serves, on a timer (unref'd: it keeps no process alive). */
export function startLogDelivery(network: ResolvedNetwork, chain: ChainLog, db: Database, intervalMs = DELIVERY_INTERVAL_MS): LogDelivery {
  const endpoint = logsEndpoint(network);
  const deliverers = participantsOf(network).filter((p) => p.internalHosts.length > 0)
    .map((p) => new LogDeliverer(p, chain, db, endpoint, createHttpClient({ location: p.internalHosts[0]!, chain })));
  let timer: ReturnType<typeof setInterval> | null = setInterval(() => {
    for (const d of deliverers) if (!d.busy) void d.deliver();
  }, intervalMs);
  timer.unref?.();
  const deliverAll = async (timeoutMs = 10_000, withinMs = Number.POSITIVE_INFINITY) => {
    const until = performance.now() + withinMs;
    // Until caught up: each run delivers at most its batches, so go on while a run delivered a full one.
    await Promise.all(deliverers.map(async (d) => {
      for (let i = 0; i < 100 && performance.now() < until; i++) {
        const outcome = await d.deliver(timeoutMs, 10, until);
        if (outcome.failed || outcome.caughtUp) break;
      }
    }));
  };
  return {
    deliverers,
    deliverAll,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await deliverAll(2_000, deliveryTuning.stopWithinMs);
    },
  };
}
