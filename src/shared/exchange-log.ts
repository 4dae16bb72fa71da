/**
 * The HTTP exchanges the sandbox saw, per trace, for a trace's HAR file (issue 13 §3): the
 * dispatcher hands every request of an actor host here (begin → run → end), the headers and the
 * first BODY_LIMIT bytes of text bodies are redacted (redact.ts) and written behind, in batches
 * like the chain log, and pruned by the chain log's retention limits.
 *
 * Which trace an exchange belongs to, first that applies:
 *   1. the caller's `X-Correlation-ID` (header, or query parameter as on /auth and a module's launch URL);
 *   2. the trace of the first chain-log line the actor wrote while handling it (a DVA that knows
 *      the journey from a code, a launch code or its pending request; a FHIR read without a header);
 *   3. the exchange whose redirect (`Location`) sent the browser here (DVA → DigiD, DVA → module callback);
 *   4. a cookie of this browser at this host that an exchange of a trace sent or set (the DigiD
 *      form, the module's pages after its launch).
 * An exchange that none of these places is not kept: nobody could ask for its trace.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Database } from "bun:sqlite";
import { PRUNE_BATCH, startPruning, TimedBatch } from "./batch.ts";
import { readerOf } from "./reader.ts";
import type { ChainLog, ChainRetention } from "./chain-log.ts";
import { redactBody, redactHeaders, redactUrl, type HeaderMap } from "./redact.ts";
import { CORRELATION_HEADER } from "./trace.ts";

/** How an exchange was put in its trace (the numbered rules above); shown in the HAR entry's comment. */
export type TraceSource = "header" | "query" | "logged" | "redirect" | "cookie";

export interface CapturedBody {
  mimeType: string;
  /** Bytes of the whole body, -1 when unknown. */
  size: number;
  /** The redacted text, at most BODY_LIMIT characters; absent for binary or skipped bodies. */
  text?: string;
  truncated?: boolean;
  /** Why the text is absent ("binary", "not captured for 2xx FHIR reads", …). */
  omitted?: string;
}

export interface Exchange {
  traceId: string;
  /** Another trace the actor wrote lines under during the request (a PGO page collecting two zorgaanbieders). */
  alsoTraceId?: string;
  via: TraceSource;
  /** The actor's kind ("pgo", "dva-auth", …); its host is the URL's. */
  actor: string;
  /** Epoch milliseconds (fractional) when the request arrived, and milliseconds until the response was ready. */
  started: number;
  time: number;
  method: string;
  /** Redacted. */
  url: string;
  /** Redacted, as `Headers.toJSON()` gives them. */
  requestHeaders: HeaderMap;
  requestBody?: CapturedBody;
  status: number;
  responseHeaders: HeaderMap;
  responseBody?: CapturedBody;
}

/** Text bodies are kept up to this many bytes (a FHIR Bundle page, an HTML page's start). */
export const BODY_LIMIT = 16 * 1024;
/** Request bodies above this are not read for the log at all (a Beheer delivery may be 60 MB). */
const READ_LIMIT = 1024 * 1024;
const FLUSH_MS = 10;
const FLUSH_ROWS = 500;
/** Redirects and cookies link a browser's next request to a trace for this long, for this many keys. */
const REDIRECT_TTL_MS = 2 * 60_000;
const COOKIE_TTL_MS = 15 * 60_000;
const LINKS_MAX = 10_000;
/** Shorter cookie values are not a browser's own (a preference, a flag) and link nothing. */
const COOKIE_MIN_VALUE = 16;
/** Methods whose request body is read once for the actor and the log (ExchangeLog.received). */
const BUFFERED_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Hosts whose requests are not part of a journey: the cockpit itself, MedMij Beheer's deliveries. */
const NOT_CAPTURED = new Set(["cockpit", "beheer"]);

const TEXT = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|x-ndjson|javascript))/i;
const mimeOf = (headers: Headers) => headers.get("content-type") ?? "";
const isText = (mime: string) => TEXT.test(mime) && !mime.startsWith("text/event-stream");

interface Capture {
  started: number;
  t0: number;
  request: Request;
  url: URL;
  host: string;
  actor: string;
  caller: string | null;
  via: TraceSource;
  logged: string | null;
  alsoLogged: string | null;
  done: boolean;
  /** The request body for the log: read (a function: redacted when recorded), being read from a clone, or why not. */
  requestBody: (() => CapturedBody) | Promise<CapturedBody> | CapturedBody | undefined;
}

/** Recently seen keys → trace, oldest dropped first; `at` lets the newest of several win. */
class Links {
  private readonly map = new Map<string, { trace: string; at: number }>();
  constructor(private readonly ttl: number) {}
  get(key: string, now: number): { trace: string; at: number } | null {
    const hit = this.map.get(key);
    if (!hit || now - hit.at > this.ttl) return null;
    return hit;
  }
  set(key: string, trace: string, now: number): void {
    this.map.delete(key);
    this.map.set(key, { trace, at: now });
    if (this.map.size > LINKS_MAX) this.map.delete(this.map.keys().next().value!);
  }
  clear(): void { this.map.clear(); }
}

/** The browser's cookies at a host, as `name=value` pairs worth linking on. */
function cookiePairs(header: string | null): string[] {
  if (!header) return [];
  return header.split(";").map((p) => p.trim()).filter((p) => p.length - p.indexOf("=") - 1 >= COOKIE_MIN_VALUE && p.indexOf("=") > 0);
}

/** A body for the log: redacted before it is cut, so that no secret is cut in half. */
function capturedBody(bytes: Uint8Array, mimeType: string, limit: number): CapturedBody {
  // A little more than the limit is decoded and redacted: a secret across the cut is gone before the cut.
  const redacted = redactBody(mimeType, new TextDecoder().decode(bytes.subarray(0, limit + 4096)));
  const text = redacted.slice(0, limit);
  return bytes.length > limit + 4096 || redacted.length > limit ? { mimeType, size: bytes.length, text, truncated: true } : { mimeType, size: bytes.length, text };
}

/** Read a body (a clone) for the log. */
async function readBody(body: { bytes(): Promise<Uint8Array> }, mimeType: string, limit: number): Promise<CapturedBody> {
  return capturedBody(await body.bytes(), mimeType, limit);
}

/** The headers, redacted: `toJSON()` is one native call, where iterating cost the FHIR read a microsecond more. */
const snapshot = (headers: Headers): HeaderMap => redactHeaders(headers.toJSON());

/** An id a caller may set, as trace.ts takes it over (`incomingIds` also makes two fresh ids, which this does not need). */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Rule 1: the caller's trace, from the header or else the query parameter. */
function callerTrace(request: Request, url: URL): { traceId: string; via: TraceSource } | null {
  const header = request.headers.get(CORRELATION_HEADER);
  if (header !== null && SAFE_ID.test(header)) return { traceId: header, via: "header" };
  const param = url.search === "" ? null : url.searchParams.get(CORRELATION_HEADER);
  return param !== null && SAFE_ID.test(param) ? { traceId: param, via: "query" } : null;
}

export interface ExchangeLogOptions {
  retention?: ChainRetention;
  bodyLimit?: number;
  /** Keep the body of a 2xx FHIR read too (off: the hot path, bench table 6). */
  fhirReadBodies?: boolean;
}

export class ExchangeLog {
  readonly retention: ChainRetention;
  private readonly bodyLimit: number;
  private readonly fhirReadBodies: boolean;
  private readonly current = new AsyncLocalStorage<Capture>();
  private readonly redirects = new Links(REDIRECT_TTL_MS);
  private readonly cookies = new Links(COOKIE_TTL_MS);
  private readonly insert;
  private pending: Exchange[] = [];
  private flushScheduled = false;
  /** Exchanges whose bodies are still being read. */
  private readonly reading = new Set<Promise<void>>();
  private stopPruning: (() => void) | null = null;
  private readonly pruning = new TimedBatch(PRUNE_BATCH, 50);
  private stopped = false;
  /** Exchanges not stored because the database refused them (disk full), since start. */
  dropped = 0;

  constructor(private readonly db: Database, chain: ChainLog, o: ExchangeLogOptions = {}) {
    this.retention = o.retention ?? { keepLines: 0, keepHours: 0 };
    this.bodyLimit = o.bodyLimit ?? BODY_LIMIT;
    this.fhirReadBodies = o.fhirReadBodies ?? false;
    this.insert = db.query<unknown, [string, string | null, number, string]>(
      "INSERT INTO exchange_log (trace_id, also_trace_id, started_ms, exchange) VALUES (?, ?, ?, ?)");
    // Rule 2: a line written while a request is being handled names the trace the actor put it in.
    chain.subscribe((line) => {
      const c = this.current.getStore();
      if (!c || c.done) return;
      const trace = line.event.trace_id;
      if (c.logged === null) c.logged = trace;
      else if (trace !== c.logged && c.alsoLogged === null) c.alsoLogged = trace;
    });
  }

  /** A request arrives at an actor host; null when it is not logged (cockpit, /health, assets). Never throws. */
  begin(request: Request, url: URL, host: string, actor: string): Capture | null {
    if (this.stopped || NOT_CAPTURED.has(actor) || url.pathname === "/health" || url.pathname.startsWith("/_sandbox/")) return null;
    try {
      const caller = callerTrace(request, url);
      const t0 = performance.now();
      const c: Capture = {
        // Sub-millisecond, so that a request and the calls it makes keep their order in the HAR.
        started: performance.timeOrigin + t0, t0, request, url, host, actor, caller: caller?.traceId ?? null, via: caller?.via ?? "header",
        logged: null, alsoLogged: null, done: false, requestBody: undefined,
      };
      return c;
    } catch {
      return null;
    }
  }

  /**
   * The request the actor handles, and its body for the log. A text body of a known size up to
   * READ_LIMIT is read once here and the actor gets a request on those bytes: a clone of the
   * incoming request (a tee of its stream), read twice, cost ~90 µs of the token endpoint's ~330
   * (issue 16). A body of unknown size is read from a clone as before; a binary or larger one is
   * not read for the log. Never throws: a body that cannot be read is an empty one for the actor,
   * which answers it as a request without a body (the client is gone or sent garbage).
   */
  received(c: Capture): Request | Promise<Request> {
    const { request } = c;
    if (request.method === "GET" || request.method === "HEAD" || !request.body) return request;
    const mimeType = mimeOf(request.headers);
    const length = request.headers.get("content-length");
    const size = length === null ? -1 : Number(length);
    if (!isText(mimeType)) { c.requestBody = { mimeType, size, omitted: "binary" }; return request; }
    if (size > READ_LIMIT) { c.requestBody = { mimeType, size, omitted: `larger than ${READ_LIMIT} bytes` }; return request; }
    // Another method than these (one a Request may not be made with, such as TRACE) or an unknown size: from a clone.
    if (!(size >= 0) || !BUFFERED_METHODS.has(request.method)) {
      c.requestBody = readBody(request.clone(), mimeType, this.bodyLimit).catch(() => ({ mimeType, size, omitted: "unreadable" }));
      return request;
    }
    return this.readOnce(c, mimeType, size);
  }

  /** The body read here, the actor's request made on it; decoded and redacted only when the exchange is recorded (what no trace places is never kept). */
  private async readOnce(c: Capture, mimeType: string, size: number): Promise<Request> {
    const { request } = c;
    let body = new Uint8Array(0);
    try {
      const bytes = await request.bytes();
      c.requestBody = () => capturedBody(bytes, mimeType, this.bodyLimit);
      body = bytes;
    } catch {
      c.requestBody = { mimeType, size, omitted: "unreadable" };
    }
    return new Request(request.url, { method: request.method, headers: request.headers, body });
  }

  /** Handle the request inside its capture, so that chain-log lines written meanwhile are attributed to it (rule 2). */
  run<T>(c: Capture, handle: () => T): T {
    return this.current.run(c, handle);
  }

  /**
   * The response is ready: place the exchange in its trace and queue it; its bodies are read off
   * the request's path. Never throws: the log is not worth a request.
   *
   * Not kept: a 2xx/3xx FHIR GET that names no trace. The DVA makes it a trace of its own, which
   * its two chain-log lines describe (the HAR builds its entry from them); writing its headers too
   * cost the FHIR read a third of its throughput (bench table 6: 25 200 → 15 900 req/s), where
   * the check costs about a microsecond. Calls in a journey carry X-Correlation-ID and are kept.
   */
  end(c: Capture, response: Response): void {
    c.done = true;
    if (c.caller === null && c.actor === "dva-fhir" && (c.request.method === "GET" || c.request.method === "HEAD") && response.status < 400) return;
    try {
      const now = Date.now();
      const placed = this.place(c, now);
      if (!placed) return;
      this.link(c, response, placed.traceId, now);
      this.record(c, response, placed.traceId, placed.via);
    } catch { /* a capture bug must not fail the request */ }
  }

  /** Rules 1–4, in order. */
  private place(c: Capture, now: number): { traceId: string; via: TraceSource } | null {
    if (c.caller !== null) return { traceId: c.caller, via: c.via };
    if (c.logged !== null) return { traceId: c.logged, via: "logged" };
    const redirect = this.redirects.get(c.url.href, now);
    if (redirect) return { traceId: redirect.trace, via: "redirect" };
    let best: { trace: string; at: number } | null = null;
    for (const pair of cookiePairs(c.request.headers.get("cookie"))) {
      const hit = this.cookies.get(`${c.host}\n${pair}`, now);
      if (hit && (!best || hit.at > best.at)) best = hit;
    }
    return best ? { traceId: best.trace, via: "cookie" } : null;
  }

  private record(c: Capture, response: Response, traceId: string, via: TraceSource): void {
    const { request, url } = c;
    const status = response.status;
    const exchange: Exchange = {
      traceId, via, actor: c.actor, started: c.started, time: Math.round((performance.now() - c.t0) * 1000) / 1000,
      method: request.method, url: redactUrl(url.href), requestHeaders: snapshot(request.headers), status, responseHeaders: snapshot(response.headers),
    };
    const also = c.logged !== null && c.logged !== traceId ? c.logged : c.alsoLogged !== null && c.alsoLogged !== traceId ? c.alsoLogged : null;
    if (also !== null) exchange.alsoTraceId = also;
    const mimeType = mimeOf(response.headers);
    let responseBody: Promise<CapturedBody> | CapturedBody | undefined;
    // Not `response.body`: touching it turns a string body into a stream, which costs the FHIR read more than this whole capture.
    if (request.method !== "HEAD" && status >= 200 && status !== 204 && status !== 304 && mimeType !== "") {
      const size = Number(response.headers.get("content-length") ?? -1);
      if (!isText(mimeType)) responseBody = { mimeType, size, omitted: "binary or streamed" };
      else if (!this.fhirReadBodies && c.actor === "dva-fhir" && request.method === "GET" && status < 300) {
        responseBody = { mimeType, size, omitted: "not kept for a 2xx FHIR read (the hot path)" };
      } else {
        responseBody = readBody(response.clone(), mimeType, this.bodyLimit).catch(() => ({ mimeType, size, omitted: "unreadable" }));
      }
    }
    // Redacted now, and kept so (the raw bytes, up to READ_LIMIT, are let go with the function).
    if (typeof c.requestBody === "function") c.requestBody = c.requestBody();
    const requestBody = c.requestBody;
    if (requestBody instanceof Promise || responseBody instanceof Promise) {
      const read = Promise.all([requestBody, responseBody]).then(([req, res]) => this.queue(exchange, req, res));
      this.reading.add(read);
      void read.finally(() => this.reading.delete(read));
    } else {
      this.queue(exchange, requestBody, responseBody);
    }
  }

  /** Rules 3 and 4 for what this browser does next: its redirect target and its cookies here lead to this trace. */
  private link(c: Capture, response: Response, traceId: string, now: number): void {
    const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
    if (location) {
      const target = URL.parse(location, c.url);
      if (target) this.redirects.set(target.href, traceId, now);
    }
    for (const pair of cookiePairs(c.request.headers.get("cookie"))) this.cookies.set(`${c.host}\n${pair}`, traceId, now);
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(";", 1)[0]!.trim();
      if (cookiePairs(pair).length) this.cookies.set(`${c.host}\n${pair}`, traceId, now);
    }
  }

  private queue(exchange: Exchange, requestBody: CapturedBody | undefined, responseBody: CapturedBody | undefined): void {
    if (this.stopped) return;
    if (requestBody) exchange.requestBody = requestBody;
    if (responseBody) exchange.responseBody = responseBody;
    this.pending.push(exchange);
    if (this.pending.length >= FLUSH_ROWS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => { this.flushScheduled = false; this.flush(); }, FLUSH_MS).unref?.();
    }
  }

  /** Write what is queued (on a timer, before every read, before reset and stop). Never throws: a full disk drops the batch, counted. */
  flush(): void {
    if (this.pending.length === 0 || this.stopped) return;
    const rows = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const e of rows) this.insert.run(e.traceId, e.alsoTraceId ?? null, e.started, JSON.stringify(e));
      })();
    } catch {
      this.dropped += rows.length;
    }
  }

  /** Once the bodies being read now are queued (tests; a download right after a journey needs no wait: the client read them first). */
  async settled(): Promise<void> {
    while (this.reading.size) await Promise.all(this.reading);
  }

  /** A trace's exchanges in the order they arrived, the first `limit` (a runaway trace is bounded like every read). */
  ofTrace(traceId: string, limit = 10_000): Exchange[] {
    this.flush();
    return this.db.query<{ exchange: string }, [string, string, number]>(
      `SELECT exchange, started_ms, seq FROM exchange_log WHERE trace_id = ?
       UNION ALL SELECT exchange, started_ms, seq FROM exchange_log WHERE also_trace_id = ?
       ORDER BY started_ms, seq LIMIT ?`,
    ).all(traceId, traceId, limit).map((r) => JSON.parse(r.exchange) as Exchange);
  }

  hasTrace(traceId: string): boolean {
    this.flush();
    return this.db.query<{ one: number }, [string]>("SELECT 1 AS one FROM exchange_log WHERE trace_id = ? LIMIT 1").get(traceId) !== null;
  }

  /**
   * Delete at most PRUNE_BATCH of the oldest exchanges beyond the chain log's limits: more than
   * `keepLines` exchanges, or older than `keepHours`. Returns how many went.
   */
  prune(now = Date.now()): number {
    return this.pruning.run((size) => this.pruneUpTo(size, now)).done;
  }

  /** Exchanges are kept from `keepFrom` on (by count); those started before `cutoff` go as well. */
  private limits(now: number): { keepFrom: number; cutoff: number } {
    const { keepLines, keepHours } = this.retention;
    const newest = this.db.query<{ s: number | null }, []>("SELECT max(seq) AS s FROM exchange_log").get()?.s ?? 0;
    return { keepFrom: keepLines > 0 ? newest - keepLines + 1 : 0, cutoff: keepHours > 0 ? now - keepHours * 3_600_000 : 0 };
  }

  /** Is the oldest exchange due to go? (Two primary-key lookups.) */
  private pruneIsDue(now = Date.now()): boolean {
    const { keepFrom, cutoff } = this.limits(now);
    const oldest = this.db.query<{ seq: number; started: number }, []>("SELECT seq, started_ms AS started FROM exchange_log ORDER BY seq LIMIT 1").get();
    return !!oldest && (oldest.seq < keepFrom || oldest.started < cutoff);
  }

  /** The delete of at most `size` of the oldest exchanges beyond the limits; null without limits. */
  private pruneStatement(size: number, now = Date.now()): { sql: string; params: number[] } | null {
    const { keepLines, keepHours } = this.retention;
    if (keepLines <= 0 && keepHours <= 0) return null;
    this.flush();
    const { keepFrom, cutoff } = this.limits(now);
    return { sql: "DELETE FROM exchange_log WHERE seq IN (SELECT seq FROM exchange_log ORDER BY seq LIMIT ?) AND (seq < ? OR started_ms < ?)", params: [size, keepFrom, cutoff] };
  }

  private pruneUpTo(size: number, now = Date.now()): number {
    const statement = this.pruneStatement(size, now);
    return statement ? this.db.query<unknown, number[]>(statement.sql).run(...statement.params).changes : 0;
  }

  /** Prune in the background, the deletes in the reader worker (shared/reader.ts deleteRows). */
  startPruning(): void {
    if (this.stopPruning || (this.retention.keepLines <= 0 && this.retention.keepHours <= 0)) return;
    this.stopPruning = startPruning(this.pruning, (size) => {
      const statement = this.pruneStatement(size);
      return statement && this.pruneIsDue() ? readerOf(this.db).deleteRows(statement.sql, statement.params) : 0;
    });
  }

  /** Before a reset: what is queued is written (and then emptied with the rest), and no browser stays linked to an old trace. */
  reset(): void {
    this.flush();
    this.redirects.clear();
    this.cookies.clear();
  }

  stop(): void {
    this.stopPruning?.();
    this.stopPruning = null;
    this.flush();
    this.stopped = true;
  }
}
