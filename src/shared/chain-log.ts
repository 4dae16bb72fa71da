/**
 * Chain monitoring (ketenmonitoring, SD 4.5, SPEC §10): log lines in the shape of the SD
 * — event{type, location, datetime, session_id, trace_id}, request{...}, response{request_id,
 * status}, error{...} — stored in SQLite and served as NDJSON by the cockpit.
 */
import type { Database } from "bun:sqlite";
import { localDateTime } from "./time.ts";

export interface ChainEvent {
  type: string;
  /** Host name of the actor writing the line ("pgo.localhost"). */
  location: string;
  datetime: string;
  session_id: string | null;
  trace_id: string;
}

export interface ChainLine {
  event: ChainEvent;
  request?: { id: string; method?: string; uri?: string; client_id?: string; server_id?: string; [extra: string]: unknown };
  response?: { request_id: string; status: number; [extra: string]: unknown };
  error?: { request_id?: string; code: string; description: string; status?: number };
}

export interface ChainEntry {
  type: string;
  location: string;
  traceId: string;
  sessionId?: string | null;
  request?: ChainLine["request"];
  response?: ChainLine["response"];
  error?: ChainLine["error"];
}

export interface StoredChainLine extends ChainLine { seq: number }

export class ChainLogQueryError extends Error {
  override name = "ChainLogQueryError";
}

/** `since` as given in a query string: a sequence number or an xs:dateTime with offset ("+" may arrive as a space). */
export function parseSince(raw: string): string {
  const value = raw.trim().replace(/ (\d\d:\d\d)$/, "+$1");
  if (/^\d+$/.test(value)) return value;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new ChainLogQueryError("since must be a sequence number or an xs:dateTime with offset, e.g. 2026-11-23T09:12:51.123+01:00");
}

/** The chain log's timestamp, formatted once per millisecond (a FHIR read writes two lines). */
let lastStamp = { at: 0, text: "" };
function nowStamp(): string {
  const at = Date.now();
  if (at !== lastStamp.at) lastStamp = { at, text: localDateTime(new Date(at), true) };
  return lastStamp.text;
}

const FLUSH_MS = 10;
const FLUSH_LINES = 1000;

/** Retention (issue 11): a line goes when it is beyond either limit; 0 turns a limit off. */
export interface ChainRetention {
  keepLines: number;
  keepHours: number;
}

/** Oldest rows deleted per prune tick, and the ticks: small batches, so no request waits long. */
const PRUNE_BATCH = 2000;
const PRUNE_EVERY_MS = 1000;
const PRUNE_CATCH_UP_MS = 50;
/** The cockpit's "recent traces" come from this many newest lines. */
const RECENT_WINDOW = 20_000;

export interface ChainLogStats {
  /** Lines stored now. */
  lines: number;
  /** The oldest stored line's datetime, or null when empty. */
  since: string | null;
  retention: ChainRetention;
  /** Lines that could not be stored (disk full, I/O error) since the process started. */
  dropped: number;
}

export class ChainLog {
  private readonly insert;
  private listeners = new Set<(line: StoredChainLine) => void>();
  /**
   * Lines are numbered at once and written in batches: at the latest FLUSH_MS after the first
   * pending line, or at once when FLUSH_LINES are waiting. A transaction per line cost a third of
   * a FHIR read's time, and small batches on a file database most of the rest (bench/). Every
   * read flushes first, so queries always see every line; a kill -9 can lose the last FLUSH_MS.
   */
  private pending: [number, string, string | null, string, string, string, string][] = [];
  private nextSeq: number;
  private flushScheduled = false;
  /** Lines given up on because the database could not store them; `failing` until a batch is stored again. */
  private dropped = 0;
  private failing = false;
  private pruneTimer: ReturnType<typeof setTimeout> | null = null;
  /** After stop() the database is closing: late lines of requests still finishing are let go. */
  private stopped = false;

  constructor(private readonly db: Database, readonly retention: ChainRetention = { keepLines: 0, keepHours: 0 }) {
    this.insert = db.query<unknown, [number, string, string | null, string, string, string, string]>(
      "INSERT INTO chain_log (seq, trace_id, session_id, type, location, datetime, line) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.nextSeq = (db.query<{ s: number | null }, []>("SELECT max(seq) AS s FROM chain_log").get()?.s ?? 0) + 1;
  }

  /**
   * Write the pending lines (called before every read, on a timer, and before reset/stop). Never
   * throws: log lines are not worth a request or the process. When the database cannot store
   * them (disk full, SQLITE_IOERR) the batch is dropped and counted, with one warning on stderr
   * per outage, and the next batch tries again.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    if (this.stopped) return;
    try {
      this.db.transaction(() => { for (const l of lines) this.insert.run(...l); })();
      if (this.failing) {
        this.failing = false;
        console.error(`chain log: storing lines again (${this.dropped} lines dropped so far since start)`);
      }
    } catch (e) {
      this.dropped += lines.length;
      if (!this.failing) {
        this.failing = true;
        console.error(`chain log: cannot store log lines (${e instanceof Error ? e.message : String(e)}); dropping them until the database can, counted in the cockpit`);
      }
    }
  }

  /**
   * Delete at most PRUNE_BATCH of the oldest lines that are beyond the retention limits (by
   * `seq`, the primary key, so each batch is one index range). Returns how many went.
   */
  prune(now = Date.now()): number {
    const { keepLines, keepHours } = this.retention;
    if (keepLines <= 0 && keepHours <= 0) return 0;
    this.flush();
    // Lines are kept from `keepFrom` on (by count); older than `cutoff` (by age) go as well.
    const keepFrom = keepLines > 0 ? this.nextSeq - keepLines : 0;
    const cutoff = keepHours > 0 ? new Date(now - keepHours * 3_600_000).toISOString() : null;
    const result = this.db.query<unknown, [number, number, string | null, string | null]>(
      `DELETE FROM chain_log WHERE seq IN (
         SELECT seq FROM chain_log ORDER BY seq LIMIT ?
       ) AND (seq < ? OR (? IS NOT NULL AND julianday(datetime) < julianday(?)))`,
    ).run(PRUNE_BATCH, keepFrom, cutoff, cutoff);
    return result.changes;
  }

  /** Prune in the background: every PRUNE_EVERY_MS, sooner while a full batch went (catching up). */
  startPruning(): void {
    if (this.pruneTimer || (this.retention.keepLines <= 0 && this.retention.keepHours <= 0)) return;
    const tick = () => {
      let deleted = 0;
      try { deleted = this.prune(); } catch { /* a full disk can refuse a delete too; try again next tick */ }
      this.pruneTimer = setTimeout(tick, deleted >= PRUNE_BATCH ? PRUNE_CATCH_UP_MS : PRUNE_EVERY_MS);
      this.pruneTimer.unref?.();
    };
    this.pruneTimer = setTimeout(tick, 0);
    this.pruneTimer.unref?.();
  }

  /** Stop pruning and write what is pending (before the database closes). */
  stop(): void {
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.pruneTimer = null;
    this.flush();
    this.stopped = true;
  }

  /** What the cockpit shows: how much is kept, since when, the limits, and what was dropped. */
  stats(): ChainLogStats {
    this.flush();
    const row = this.db.query<{ lines: number; since: string | null }, []>(
      "SELECT count(*) AS lines, (SELECT datetime FROM chain_log ORDER BY seq LIMIT 1) AS since FROM chain_log",
    ).get();
    return { lines: row?.lines ?? 0, since: row?.since ?? null, retention: { ...this.retention }, dropped: this.dropped };
  }

  write(entry: ChainEntry): StoredChainLine {
    const line: ChainLine = {
      event: {
        type: entry.type,
        location: entry.location,
        datetime: nowStamp(),
        session_id: entry.sessionId ?? null,
        trace_id: entry.traceId,
      },
    };
    if (entry.request) line.request = entry.request;
    if (entry.response) line.response = entry.response;
    if (entry.error) line.error = entry.error;
    const seq = this.nextSeq++;
    this.pending.push([seq, entry.traceId, line.event.session_id, entry.type, entry.location, line.event.datetime, JSON.stringify(line)]);
    if (this.pending.length >= FLUSH_LINES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => { this.flushScheduled = false; this.flush(); }, FLUSH_MS);
    }
    const stored = { seq, ...line };
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  /** Lines in write order; `since` is a sequence number (exclusive) or an xs:dateTime (exclusive). */
  query(filter: { traceId?: string; since?: string; limit?: number } = {}): StoredChainLine[] {
    this.flush();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.traceId) { where.push("trace_id = ?"); args.push(filter.traceId); }
    if (filter.since) {
      if (/^\d+$/.test(filter.since)) { where.push("seq > ?"); args.push(Number(filter.since)); }
      else { where.push("julianday(datetime) > julianday(?)"); args.push(filter.since); }
    }
    args.push(Math.min(Math.max(filter.limit ?? 1000, 1), 10_000));
    const rows = this.db.query<{ seq: number; line: string }, (string | number)[]>(
      `SELECT seq, line FROM chain_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq LIMIT ?`,
    ).all(...args);
    return rows.map((r) => ({ seq: r.seq, ...(JSON.parse(r.line) as ChainLine) }));
  }

  /**
   * Most recent traces with their first event, for the cockpit: the traces of the last
   * RECENT_WINDOW lines, each counted in full through the trace index — a GROUP BY over the whole
   * table took 0.4 s at the default retention of 500 000 lines.
   */
  recentTraces(limit = 20): { traceId: string; first: string; last: string; lines: number; locations: string }[] {
    this.flush();
    return this.db.query<{ traceId: string; first: string; last: string; lines: number; locations: string }, [number, number]>(
      `WITH recent AS (
         SELECT trace_id, max(seq) AS last_seq FROM (SELECT trace_id, seq FROM chain_log ORDER BY seq DESC LIMIT ?)
          GROUP BY trace_id ORDER BY last_seq DESC LIMIT ?)
       SELECT r.trace_id AS traceId, min(c.datetime) AS first, max(c.datetime) AS last, count(*) AS lines,
              group_concat(DISTINCT c.location) AS locations
         FROM recent r JOIN chain_log c ON c.trace_id = r.trace_id
        GROUP BY r.trace_id ORDER BY max(r.last_seq) DESC`,
    ).all(RECENT_WINDOW, limit);
  }

  /** Live tail for the cockpit; returns an unsubscribe function. */
  subscribe(listener: (line: StoredChainLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
