/**
 * Chain monitoring (ketenmonitoring, SD 4.5, SPEC §10): log lines in the shape of the SD
 * — event{type, location, datetime, session_id, trace_id}, request{...}, response{request_id,
 * status}, error{...} — stored in SQLite and served as NDJSON by the cockpit.
 */
import { PRUNE_BATCH, startPruning, TimedBatch } from "./batch.ts";
import { readerOf } from "./reader.ts";
import type { Database } from "bun:sqlite";
import { firstSeqReaching } from "./db.ts";
import { localDateTime } from "./time.ts";

export interface ChainEvent {
  type: string;
  /** Host name of the actor writing the line ("pgo.localhost"). */
  location: string;
  datetime: string;
  session_id: string | null;
  trace_id: string;
}

/**
 * One line. Which part an event carries and which of its fields are required is the event table
 * (chain-events.ts, CHAIN_EVENTS); every part may carry more (SD 4.5.1 f: additional data).
 */
export interface ChainLine {
  event: ChainEvent;
  /** `id` is the request's MedMij-Request-ID: the sender's, on the receiving side too. */
  request?: { id: string; method?: string; uri?: string; client_id?: string; server_id?: string; initiated_by?: "person" | "machine"; [extra: string]: unknown };
  /** `request_id` is the `id` of the request line it answers. */
  response?: { request_id: string; status: number; [extra: string]: unknown };
  /** `status` is absent where there was no answer (SD 4.5.3.1.7: an availability check error). */
  error?: { request_id: string; code: string; description: string; status?: number; [extra: string]: unknown };
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

/** The cockpit's "recent traces" come from this many newest lines. */
const RECENT_WINDOW = 20_000;

/** One trace in the cockpit's list: when, how long, who wrote lines, which events, whether one failed. */
export interface TraceSummary {
  traceId: string;
  first: string;
  last: string;
  lines: number;
  /** The actors (host names) that wrote lines, in no particular order. */
  locations: string[];
  /** The distinct event types. */
  types: string[];
  /** Lines whose event type ends in `_error`. */
  errors: number;
  /** The sequence number of the trace's newest line: traces are listed newest first by it. */
  lastSeq: number;
}

export interface TraceListFilter {
  /** Only traces with a line written by this actor (host name)... */
  location?: string;
  /** ...and/or of this event type (one line matching both when both are given). */
  type?: string;
  /**
   * "journeys": traces with a step a person takes (JOURNEY_EVENTS: connecting a zorgaanbieder,
   * starting a task, coming back) or with an error; "other": the calls that fill the log between
   * them (collections, refreshes, discovery, single FHIR calls); "all" (default): both.
   */
  kind?: "journeys" | "other" | "all";
  /** Page on: traces whose newest line is older than this sequence number (the previous page's `next`). */
  before?: number;
  /** Page size, 1–100 (default 30). */
  limit?: number;
}

/**
 * The SD 4.5 events of the steps a person takes in a journey (SD 4.6), on either side, so a trace
 * counts as a journey also when one party is an external actor that logs nothing: the
 * authorization of the collect flow (4.5.2), the SMART launch and authorize (4.5.4, 4.5.5), the
 * return to the PGO (4.5.7).
 */
export const JOURNEY_EVENTS = ["send_authorization_request", "receive_authorization_request", "send_smart_launch_request", "receive_smart_launch_request_error",
  "receive_authorize_request", "receive_redirect_to_pgo_request"] as const;
const JOURNEY_SQL = JOURNEY_EVENTS.map((t) => `'${t}'`).join(", ");
/** Matching lines a trace-list page looks back through at most; the next page goes on below them. */
const LIST_WINDOW = 5_000;
/**
 * Issue 16, no request may hold the others up: `listSpan` lines (matching or not) a trace-list page
 * looks through at most (one range, ~10 ms); `sessionSpan` the newest lines a session search looks
 * through. An object, so that a test can make them small.
 */
export const chainLogTuning = { listSpan: 50_000, sessionSpan: 100_000 };
/** Lines a session search reads between two yields. */
const SESSION_STEP = 20_000;

interface SummaryRow { traceId: string; first: string; last: string; lines: number; locations: string; types: string; errors: number; lastSeq: number }
const summaryOf = (r: SummaryRow): TraceSummary => ({ ...r, locations: r.locations.split(","), types: r.types.split(",") });
const SUMMARY_COLUMNS = `c.trace_id AS traceId, min(c.datetime) AS first, max(c.datetime) AS last, count(*) AS lines,
  group_concat(DISTINCT c.location) AS locations, group_concat(DISTINCT c.type) AS types,
  sum(substr(c.type, -6) = '_error') AS errors, max(c.seq) AS lastSeq`;

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
  private stopPruning: (() => void) | null = null;
  /** After stop() the database is closing: late lines of requests still finishing are let go. */
  private stopped = false;

  private readonly pruning = new TimedBatch(PRUNE_BATCH, 50);

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
    return this.pruning.run((size) => this.pruneUpTo(size, now)).done;
  }

  /** Lines are kept from `keepFrom` on (by count); older than `cutoff` (by age) go as well. */
  private limits(now: number): { keepFrom: number; cutoff: string | null } {
    const { keepLines, keepHours } = this.retention;
    return { keepFrom: keepLines > 0 ? this.nextSeq - keepLines : 0, cutoff: keepHours > 0 ? new Date(now - keepHours * 3_600_000).toISOString() : null };
  }

  /** Is the oldest line due to go? (One primary-key lookup.) */
  private pruneIsDue(now = Date.now()): boolean {
    const { keepFrom, cutoff } = this.limits(now);
    const oldest = this.db.query<{ seq: number; datetime: string }, []>("SELECT seq, datetime FROM chain_log ORDER BY seq LIMIT 1").get();
    return !!oldest && (oldest.seq < keepFrom || (cutoff !== null && Date.parse(oldest.datetime) < Date.parse(cutoff)));
  }

  /** The delete of at most `size` of the oldest lines beyond the limits; null without limits. */
  private pruneStatement(size: number, now = Date.now()): { sql: string; params: (number | string | null)[] } | null {
    const { keepLines, keepHours } = this.retention;
    if (keepLines <= 0 && keepHours <= 0) return null;
    this.flush();
    const { keepFrom, cutoff } = this.limits(now);
    return { sql: `DELETE FROM chain_log WHERE seq IN (SELECT seq FROM chain_log ORDER BY seq LIMIT ?)
                    AND (seq < ? OR (? IS NOT NULL AND julianday(datetime) < julianday(?)))`, params: [size, keepFrom, cutoff, cutoff] };
  }

  private pruneUpTo(size: number, now = Date.now()): number {
    const statement = this.pruneStatement(size, now);
    return statement ? this.db.query<unknown, (number | string | null)[]>(statement.sql).run(...statement.params).changes : 0;
  }

  /** Prune in the background (shared/batch.ts startPruning), the deletes in the reader worker (shared/reader.ts deleteRows). */
  startPruning(): void {
    if (this.stopPruning || (this.retention.keepLines <= 0 && this.retention.keepHours <= 0)) return;
    this.stopPruning = startPruning(this.pruning, (size) => {
      const statement = this.pruneIsDue() ? this.pruneStatement(size) : null;
      return statement ? readerOf(this.db).deleteRows(statement.sql, statement.params) : 0;
    });
  }

  /** Stop pruning and write what is pending (before the database closes). */
  stop(): void {
    this.stopPruning?.();
    this.stopPruning = null;
    this.flush();
    this.stopped = true;
  }

  /** What the cockpit shows: how much is kept, since when, the limits, and what was dropped. */
  async stats(): Promise<ChainLogStats> {
    this.flush();
    // Lines are numbered in a row and pruned from the oldest: the span of the numbers is the count
    // (two primary-key lookups; a count(*) read the whole table). Lines lost to a full disk leave gaps, counted as dropped.
    // In the reader worker: the oldest lines' pages are the ones a prune just rewrote, or on a cold
    // start pages of the disk (the cockpit's /logs waited ~25 ms a request for them, issue 16).
    const [row] = await readerOf(this.db).all<{ lines: number; since: string | null }>(
      `SELECT coalesce((SELECT max(seq) FROM chain_log) - (SELECT min(seq) FROM chain_log) + 1, 0) AS lines,
              (SELECT datetime FROM chain_log ORDER BY seq LIMIT 1) AS since`);
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

  /**
   * The first line written at or after this instant (to the second, so clock jitter within a second
   * is no matter): about twenty primary-key lookups, whatever the size of the log.
   */
  private firstSeqAtOrAfter(datetime: string): number {
    const target = Date.parse(datetime);
    return Number.isNaN(target) ? 0 : firstSeqReaching<string>(this.db, "chain_log", "datetime", (d) => Date.parse(d) >= target - 1000);
  }

  /** Lines in write order; `since` is a sequence number (exclusive) or an xs:dateTime (exclusive). */
  query(filter: { traceId?: string; since?: string; limit?: number } = {}): StoredChainLine[] {
    return this.queryText(filter).map((r) => ({ seq: r.seq, ...(JSON.parse(r.line) as ChainLine) }));
  }

  /** The same lines as stored (each its SD 4.5 JSON text): an export without parsing and serialising again. */
  queryText(filter: { traceId?: string; since?: string; limit?: number } = {}): { seq: number; line: string }[] {
    this.flush();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.traceId) { where.push("trace_id = ?"); args.push(filter.traceId); }
    if (filter.since) {
      if (/^\d+$/.test(filter.since)) { where.push("seq > ?"); args.push(Number(filter.since)); }
      else {
        // Lines are written in time order: start at the first line of that second (a binary search on
        // the primary key), not with a scan of the whole table; the exact comparison does the rest.
        where.push("seq >= ?", "julianday(datetime) > julianday(?)");
        args.push(this.firstSeqAtOrAfter(filter.since), filter.since);
      }
    }
    args.push(Math.min(Math.max(filter.limit ?? 1000, 1), 10_000));
    return this.db.query<{ seq: number; line: string }, (string | number)[]>(
      `SELECT seq, line FROM chain_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq LIMIT ?`,
    ).all(...args);
  }

  /**
   * The lines these actors (host names) wrote after sequence number `after`, oldest first, as
   * stored (JSON text): what a participant delivers to MedMij Beheer (issue 13, SD 4.5.1). One
   * range on the primary key, at most `limit` lines (1–10 000). `upTo` is the sequence number
   * through which it looked — the last line when the limit was reached, else the newest line of
   * any actor — so the next call starts there and never scans other actors' lines twice; `done`
   * when it reached the newest line.
   */
  linesAfter(after: number, locations: readonly string[], limit: number): { lines: { seq: number; line: string }[]; upTo: number; done: boolean } {
    this.flush();
    const newest = this.nextSeq - 1;
    const max = Math.min(Math.max(Math.trunc(limit), 1), 10_000);
    if (locations.length === 0) return { lines: [], upTo: Math.max(after, newest), done: true };
    // At most chainLogTuning.listSpan lines are looked through (one primary-key range): a participant
    // that wrote little, or a first delivery over a long log, moves on a span per call (issue 16).
    const end = Math.min(newest, after + chainLogTuning.listSpan);
    const lines = this.db.query<{ seq: number; line: string }, (string | number)[]>(
      `SELECT seq, line FROM chain_log WHERE seq > ? AND seq <= ? AND location IN (${locations.map(() => "?").join(", ")}) ORDER BY seq LIMIT ?`,
    ).all(after, end, ...locations, max);
    const upTo = lines.length === max ? lines.at(-1)!.seq : Math.max(after, end);
    return { lines, upTo, done: upTo >= newest };
  }

  /** Does any line carry this trace id? (The cockpit's search: a Trace ID pasted from an error page.) */
  hasTrace(traceId: string): boolean {
    this.flush();
    return this.db.query<{ one: number }, [string]>("SELECT 1 AS one FROM chain_log WHERE trace_id = ? LIMIT 1").get(traceId) !== null;
  }

  /**
   * A page of traces, newest first, for the cockpit's list: filtered by actor, event type and
   * kind (journeys or single calls). Looks through at most LIST_WINDOW matching lines below `before` (index range
   * on `seq`), then counts each candidate trace in full through the trace index. `next` is the
   * `before` of the following page, or null when nothing older is left.
   */
  async traces(filter: TraceListFilter = {}): Promise<{ traces: TraceSummary[]; next: number | null }> {
    this.flush();
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 30), 1), 100);
    const before = filter.before !== undefined && Number.isFinite(filter.before) ? filter.before : Number.MAX_SAFE_INTEGER;
    const kind = filter.kind ?? "all";
    // At most chainLogTuning.listSpan lines below `before` are looked through (one primary-key range), matching or
    // not: a filter on a rare actor or type must not read the whole log (issue 16).
    const newest = Math.min(before - 1, this.nextSeq - 1);
    const spanFrom = newest - chainLogTuning.listSpan + 1;
    const where = ["seq < ?", "seq >= ?"];
    const args: (string | number)[] = [before, spanFrom];
    if (filter.location) { where.push("location = ?"); args.push(filter.location); }
    if (filter.type) { where.push("type = ?"); args.push(filter.type); }
    // The span, the oldest line and the span's traces are read in the reader worker (shared/reader.ts):
    // on a cold page cache they are pages of the disk (the list waited 113 ms for them at 3 M lines,
    // and everyone with it; the oldest line alone, read here, ~25 ms).
    const reader = readerOf(this.db);
    const [window] = await reader.all<{ n: number; low: number | null; oldest: number | null }>(
      `SELECT count(*) AS n, min(seq) AS low, (SELECT min(seq) FROM chain_log) AS oldest
         FROM (SELECT seq FROM chain_log WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?)`, [...args, LIST_WINDOW]);
    const oldest = window?.oldest ?? null;
    if (!window || oldest === null || newest < oldest) return { traces: [], next: null };
    const floor = Math.max(oldest, spanFrom);
    // Nothing matched in this span: the next page looks further back, below it.
    if (window.low === null) return { traces: [], next: floor > oldest ? floor : null };
    // A trace is listed by its newest line that matches the filter (its newest line without one): on
    // the one page whose range holds that line, so paging to the end shows every trace once, however
    // far apart its lines are.
    const matching: string[] = [];
    const matchArgs: string[] = [];
    if (filter.location) { matching.push("c.location = ?"); matchArgs.push(filter.location); }
    if (filter.type) { matching.push("c.type = ?"); matchArgs.push(filter.type); }
    const rows = await reader.all<SummaryRow & { pageSeq: number }>(
      `WITH candidates AS (SELECT DISTINCT trace_id FROM chain_log WHERE ${where.join(" AND ")} AND seq >= ?)
       SELECT ${SUMMARY_COLUMNS}, max(CASE WHEN ${matching.length ? matching.join(" AND ") : "1"} THEN c.seq END) AS pageSeq
         FROM candidates r JOIN chain_log c ON c.trace_id = r.trace_id
        GROUP BY c.trace_id
       HAVING pageSeq < ? AND (? = 'all' OR (sum(c.type IN (${JOURNEY_SQL})) > 0 OR errors > 0) = (? = 'journeys'))
        ORDER BY pageSeq DESC LIMIT ?`, [...args, window.low, ...matchArgs, before, kind, kind, limit + 1]);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page.at(-1)!.pageSeq : window.n >= LIST_WINDOW ? window.low : floor > oldest ? floor : null;
    return { traces: page.map(({ pageSeq: _pageSeq, ...row }) => summaryOf(row)), next };
  }

  /**
   * The traces whose lines carry this session id (SD 4.5 `event.session_id`), newest first, among
   * the newest chainLogTuning.sessionSpan lines. The column has no index (a search by hand, not a
   * hot path, and an index would cost every line written): primary-key ranges of SESSION_STEP
   * lines, newest first, with the other requests let through between them (issue 16).
   */
  async tracesOfSession(sessionId: string, limit = 100): Promise<TraceSummary[]> {
    this.flush();
    const newest = this.nextSeq - 1;
    const floor = Math.max(0, newest - chainLogTuning.sessionSpan);
    // Each step in the reader worker (shared/reader.ts): a span of the log the disk may first have to read.
    const reader = readerOf(this.db);
    const found = new Map<string, number>();
    for (let high = newest; high > floor && found.size < limit; high -= SESSION_STEP) {
      const step = await reader.all<{ trace_id: string; last: number }>(
        "SELECT trace_id, max(seq) AS last FROM chain_log WHERE seq > ? AND seq <= ? AND session_id = ? GROUP BY trace_id", [Math.max(floor, high - SESSION_STEP), high, sessionId]);
      for (const r of step) found.set(r.trace_id, Math.max(found.get(r.trace_id) ?? 0, r.last));
    }
    const ids = [...found].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([id]) => id);
    if (ids.length === 0) return [];
    return (await reader.all<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM json_each(?) r JOIN chain_log c ON c.trace_id = r.value GROUP BY c.trace_id ORDER BY max(c.seq) DESC`, [JSON.stringify(ids)]))
      .map(summaryOf);
  }

  /** The actors and event types in the newest lines, for the cockpit's filters. */
  async recentFacets(): Promise<{ locations: string[]; types: string[] }> {
    this.flush();
    const rows = await readerOf(this.db).all<{ location: string; type: string }>(
      "SELECT DISTINCT location, type FROM (SELECT location, type FROM chain_log ORDER BY seq DESC LIMIT ?)", [RECENT_WINDOW]);
    return { locations: [...new Set(rows.map((r) => r.location))].sort(), types: [...new Set(rows.map((r) => r.type))].sort() };
  }

  /** Live tail for the cockpit; returns an unsubscribe function. */
  subscribe(listener: (line: StoredChainLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
