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

  constructor(private readonly db: Database) {
    this.insert = db.query<unknown, [number, string, string | null, string, string, string, string]>(
      "INSERT INTO chain_log (seq, trace_id, session_id, type, location, datetime, line) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.nextSeq = (db.query<{ s: number | null }, []>("SELECT max(seq) AS s FROM chain_log").get()?.s ?? 0) + 1;
  }

  /** Write the pending lines (called before every read, on a timer, and before reset/stop). */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.db.transaction(() => { for (const l of lines) this.insert.run(...l); })();
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

  /** Most recent traces with their first event, for the cockpit. */
  recentTraces(limit = 20): { traceId: string; first: string; last: string; lines: number; locations: string }[] {
    this.flush();
    return this.db.query<{ traceId: string; first: string; last: string; lines: number; locations: string }, [number]>(
      `SELECT trace_id AS traceId, min(datetime) AS first, max(datetime) AS last, count(*) AS lines,
              group_concat(DISTINCT location) AS locations
         FROM chain_log GROUP BY trace_id ORDER BY max(seq) DESC LIMIT ?`,
    ).all(limit);
  }

  /** Live tail for the cockpit; returns an unsubscribe function. */
  subscribe(listener: (line: StoredChainLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
