/**
 * MedMij Beheer's storage (issue 13): deliveries (`beheer_aanlevering`) and their lines
 * (`beheer_regel`), behind intent-named functions on prepared statements. Kept like the chain log
 * (the central retention is 24–36 months; a sandbox keeps it bounded): the newest `keepLines`
 * lines and deliveries, none received more than `keepHours` ago, pruned in small batches as
 * deliveries arrive.
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { TimedBatch } from "../shared/batch.ts";
import { readerOf } from "../shared/reader.ts";
import { yieldToOthers } from "../shared/yield.ts";
import type { Database } from "bun:sqlite";
import type { ChainRetention } from "../shared/chain-log.ts";
import { dataEpoch, firstSeqReaching } from "../shared/db.ts";
import { localDateTime } from "../shared/time.ts";
import { newId } from "../shared/trace.ts";
import type { CheckedDelivery } from "./delivery.ts";

export interface DeliveryRecord {
  seq: number;
  id: string;
  deelnemer: string;
  ontvangen: string;
  ontvangenMs: number;
  tekens: number;
  regels: number;
  regelsMetProblemen: number;
  functioneleFouten: number;
  technischOk: boolean;
  problemen: string[];
  eersteRegel: number | null;
  laatsteRegel: number | null;
}

export interface LineRecord {
  seq: number;
  /** The delivery's id. */
  aanlevering: string;
  index: number;
  deelnemer: string;
  traceId: string | null;
  type: string | null;
  location: string | null;
  datetime: string | null;
  atMs: number | null;
  functioneleFout: boolean;
  problemen: string[];
  /** The line as delivered (JSON text). */
  line: string;
}

export interface LineFilter {
  fromMs?: number;
  toMs?: number;
  /** true: lines without a functional error; false: lines with one. */
  valid?: boolean;
  delivery?: DeliveryRecord;
  count: number;
}

export interface ParticipantTotals {
  deelnemer: string;
  aanleveringen: number;
  ok: number;
  regels: number;
  functioneleFouten: number;
  laatste: string | null;
}

interface DeliveryRow {
  seq: number; id: string; deelnemer: string; ontvangen: string; ontvangen_ms: number; tekens: number; regels: number; regels_met_problemen: number;
  functionele_fouten: number; technisch_ok: number; problemen: string; eerste_regel: number | null; laatste_regel: number | null;
}
interface LineRow {
  seq: number; aanlevering_id: string; idx: number; deelnemer: string; trace_id: string | null; type: string | null; location: string | null;
  datetime: string | null; at_ms: number | null; functionele_fout: number; problemen: string | null; line: string;
}

const deliveryOf = (r: DeliveryRow): DeliveryRecord => ({
  seq: r.seq, id: r.id, deelnemer: r.deelnemer, ontvangen: r.ontvangen, ontvangenMs: r.ontvangen_ms, tekens: r.tekens, regels: r.regels,
  regelsMetProblemen: r.regels_met_problemen, functioneleFouten: r.functionele_fouten, technischOk: r.technisch_ok === 1,
  problemen: JSON.parse(r.problemen) as string[], eersteRegel: r.eerste_regel, laatsteRegel: r.laatste_regel,
});
const lineOf = (r: LineRow): LineRecord => ({
  seq: r.seq, aanlevering: r.aanlevering_id, index: r.idx, deelnemer: r.deelnemer, traceId: r.trace_id, type: r.type, location: r.location,
  datetime: r.datetime, atMs: r.at_ms, functioneleFout: r.functionele_fout === 1, problemen: r.problemen ? JSON.parse(r.problemen) as string[] : [], line: r.line,
});

const LINE_COLUMNS = "r.seq, a.id AS aanlevering_id, r.idx, r.deelnemer, r.trace_id, r.type, r.location, r.datetime, r.at_ms, r.functionele_fout, r.problemen, r.line";
const LINES_FROM = "beheer_regel r JOIN beheer_aanlevering a ON a.seq = r.aanlevering";
/** Oldest rows looked at per prune: a delivery's worth of work, so no delivery waits long. */
const PRUNE_BATCH = 2_000;
/** The most one prune batch deletes (deliveries and lines each); fewer while a batch takes over 10 ms. */
const PRUNE_MAX = 2 * PRUNE_BATCH;

/** A chain's lines in the order the participants wrote them: time, then delivery. */
const chainOrder = (a: LineRecord, b: LineRecord) => (a.atMs ?? Number.MAX_SAFE_INTEGER) - (b.atMs ?? Number.MAX_SAFE_INTEGER) || a.seq - b.seq;

export class BeheerStore {
  private readonly insertDelivery;
  private readonly insertLine;
  private readonly setRange;
  /**
   * Per participant, what totals() answers: read once, then kept up to date by saveDelivery and
   * prune (issue 16: a GROUP BY over every delivery on each poll of the overview grew with the log).
   */
  private totalsCache: Map<string, ParticipantTotals> | null = null;
  /** The reset the cache belongs to: a reset empties the deliveries, and the cache with them. */
  private readonly pruning = new TimedBatch(PRUNE_MAX, 50);
  private totalsEpoch = -1;

  /** The kept totals, or null when there are none or a reset made them stale. */
  private keptTotals(): Map<string, ParticipantTotals> | null {
    const epoch = dataEpoch(this.db);
    if (epoch !== this.totalsEpoch) { this.totalsCache = null; this.totalsEpoch = epoch; }
    return this.totalsCache;
  }

  constructor(private readonly db: Database, private readonly retention: ChainRetention) {
    this.insertDelivery = db.query<{ seq: number }, (string | number)[]>(
      `INSERT INTO beheer_aanlevering (id, deelnemer, ontvangen, ontvangen_ms, tekens, regels, regels_met_problemen, functionele_fouten, technisch_ok, problemen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`);
    // run() and lastInsertRowid: RETURNING per row doubled the cost of storing a line (bench/delivery.ts).
    this.insertLine = db.query<unknown, (string | number | null)[]>(
      `INSERT INTO beheer_regel (aanlevering, idx, deelnemer, trace_id, type, location, datetime, at_ms, functionele_fout, problemen, line)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.setRange = db.query<unknown, [number | null, number | null, number]>("UPDATE beheer_aanlevering SET eerste_regel = ?, laatste_regel = ? WHERE seq = ?");
  }

  /** Store a checked delivery and its lines in one transaction; then prune what the retention lets go. */
  saveDelivery(deelnemer: string, checked: CheckedDelivery, now = Date.now()): DeliveryRecord {
    const id = newId();
    const withProblems = checked.lines.filter((l) => l.problems.length > 0).length;
    const functional = checked.lines.filter((l) => l.functionalError).length;
    const seq = this.db.transaction(() => {
      const d = this.insertDelivery.get(id, deelnemer, localDateTime(new Date(now), true), now, checked.chars, checked.lines.length, withProblems, functional,
        checked.technischOk ? 1 : 0, JSON.stringify(checked.problems))!.seq;
      let first: number | null = null;
      let last: number | null = null;
      for (const l of checked.lines) {
        last = Number(this.insertLine.run(d, l.index, deelnemer, l.traceId, l.type, l.location, l.datetime, l.atMs, l.functionalError ? 1 : 0,
          l.problems.length ? JSON.stringify(l.problems) : null, l.text).lastInsertRowid);
        first ??= last;
      }
      this.setRange.run(first, last, d);
      return d;
    })();
    const kept = this.keptTotals();
    if (kept) {
      const t = kept.get(deelnemer) ?? { deelnemer, aanleveringen: 0, ok: 0, regels: 0, functioneleFouten: 0, laatste: null };
      const received = localDateTime(new Date(now), true);
      kept.set(deelnemer, { ...t, aanleveringen: t.aanleveringen + 1, ok: t.ok + (checked.technischOk ? 1 : 0), regels: t.regels + checked.lines.length,
        functioneleFouten: t.functioneleFouten + functional, laatste: t.laatste === null || received > t.laatste ? received : t.laatste });
    }
    // The logging API prunes what is due (pruneDue) before it answers: its pages first read in the reader worker.
    return this.delivery(id)!;
  }

  /**
   * Prune what the retention lets go in batches of bounded time (TimedBatch: deleting the oldest
   * lines of a table of millions dirties a random index page per line), yielding to the other
   * requests between them, until `want` rows went or nothing more is due: after a delivery of n
   * lines, 2n, so the tables keep pace with what comes in.
   */
  async pruneDue(want: number, now = Date.now()): Promise<void> {
    for (let gone = 0; gone < want;) {
      if (!this.due(now)) return;
      // The deletes in the reader worker (shared/reader.ts deleteRows): what they read and write waits for the disk there.
      const reader = readerOf(this.db);
      const { done, full } = await this.pruning.runAsync((size) => this.pruneWith(now, size,
        (sql, params) => reader.deleteReturning(sql, params), (sql, params) => reader.deleteRows(sql, params)));
      gone += done;
      if (!full) return;
    }
  }

  delivery(id: string): DeliveryRecord | null {
    const row = this.db.query<DeliveryRow, [string]>("SELECT * FROM beheer_aanlevering WHERE id = ?").get(id);
    return row ? deliveryOf(row) : null;
  }

  /** A participant's deliveries, newest first. */
  deliveriesOf(deelnemer: string, limit = 100): DeliveryRecord[] {
    return this.db.query<DeliveryRow, [string, number]>("SELECT * FROM beheer_aanlevering WHERE deelnemer = ? ORDER BY seq DESC LIMIT ?")
      .all(deelnemer, limit).map(deliveryOf);
  }

  /** The lines of a delivery that have problems: `{index, problemen}` in order. */
  problemsOf(d: DeliveryRecord): { index: number; problemen: string[] }[] {
    if (d.eersteRegel === null || d.laatsteRegel === null || d.regelsMetProblemen === 0) return [];
    return this.db.query<{ idx: number; problemen: string }, [number, number]>(
      "SELECT idx, problemen FROM beheer_regel WHERE seq BETWEEN ? AND ? AND problemen IS NOT NULL ORDER BY seq",
    ).all(d.eersteRegel, d.laatsteRegel).map((r) => ({ index: r.idx, problemen: JSON.parse(r.problemen) as string[] }));
  }

  /**
   * `GET /eagleeye/v1/logs` for one participant: in delivery order, or in time order when `from`
   * or `to` is given (on `event.datetime`; lines whose datetime does not parse then drop out).
   */
  linesOf(deelnemer: string, f: LineFilter): LineRecord[] {
    const where = ["r.deelnemer = ?"];
    const args: (string | number)[] = [deelnemer];
    if (f.delivery) {
      if (f.delivery.eersteRegel === null) return [];
      where.push("r.seq BETWEEN ? AND ?");
      args.push(f.delivery.eersteRegel, f.delivery.laatsteRegel!);
    }
    const timed = f.fromMs !== undefined || f.toMs !== undefined;
    if (timed) { where.push("r.at_ms >= ? AND r.at_ms < ?"); args.push(f.fromMs ?? -8.64e15, f.toMs ?? 8.64e15); }
    if (f.valid !== undefined) { where.push("r.functionele_fout = ?"); args.push(f.valid ? 0 : 1); }
    args.push(f.count);
    if (!timed && !f.delivery) {
      // In delivery order: the participant's deliveries in order (beheer_aanlevering_deelnemer), each
      // one range of lines — stops at `count` lines instead of sorting all of the participant's (issue 16).
      return this.db.query<LineRow, (string | number)[]>(
        `SELECT ${LINE_COLUMNS} FROM beheer_aanlevering a JOIN beheer_regel r NOT INDEXED ON r.seq BETWEEN a.eerste_regel AND a.laatste_regel
          WHERE a.deelnemer = ? AND ${where.join(" AND ")} ORDER BY a.seq, r.seq LIMIT ?`,
      ).all(deelnemer, ...args).map(lineOf);
    }
    return this.db.query<LineRow, (string | number)[]>(
      `SELECT ${LINE_COLUMNS} FROM ${LINES_FROM} WHERE ${where.join(" AND ")} ORDER BY ${timed ? "r.at_ms, r.seq" : "r.seq"} LIMIT ?`,
    ).all(...args).map(lineOf);
  }

  /** Every delivered line of a chain (trace), in the order the participants wrote them (time, then delivery). */
  chainLines(traceId: string): LineRecord[] {
    return this.db.query<LineRow, [string]>(`SELECT ${LINE_COLUMNS} FROM ${LINES_FROM} WHERE r.trace_id = ? ORDER BY r.seq LIMIT 5000`)
      .all(traceId).map(lineOf).sort(chainOrder);
  }

  // The dashboards' windows (the newest lines, their chains) are read in the reader worker
  // (shared/reader.ts): spans of thousands of lines and hundreds of chains are, on a cold page
  // cache, pages of the disk, which the event loop must not wait for (issue 16).

  /** The chains of the newest `window` lines, newest first. */
  async recentChains(window: number, limit: number): Promise<string[]> {
    return (await readerOf(this.db).all<{ trace_id: string }>(
      `SELECT trace_id FROM (SELECT trace_id, seq FROM beheer_regel ORDER BY seq DESC LIMIT ?)
        WHERE trace_id IS NOT NULL GROUP BY trace_id ORDER BY max(seq) DESC LIMIT ?`, [window, limit])).map((r) => r.trace_id);
  }

  /** Every delivered line of each of these chains (chainLines, for many at once). */
  async chainLinesOf(traceIds: readonly string[]): Promise<Map<string, LineRecord[]>> {
    const rows = await readerOf(this.db).all<LineRow>(
      `SELECT ${LINE_COLUMNS} FROM ${LINES_FROM} WHERE r.trace_id IN (SELECT value FROM json_each(?)) ORDER BY r.seq LIMIT ?`,
      [JSON.stringify(traceIds), 5000 * traceIds.length]);
    const byChain = new Map<string, LineRecord[]>(traceIds.map((id) => [id, []]));
    for (const row of rows) byChain.get(row.trace_id!)?.push(lineOf(row));
    for (const lines of byChain.values()) lines.sort(chainOrder);
    return byChain;
  }

  /** The lines numbered after `after` through `through`, oldest first (the dashboards read the newest lines a range at a time). */
  async linesBetween(after: number, through: number): Promise<LineRecord[]> {
    return (await readerOf(this.db).all<LineRow>(`SELECT ${LINE_COLUMNS} FROM ${LINES_FROM} WHERE r.seq > ? AND r.seq <= ? ORDER BY r.seq`, [after, through]))
      .map(lineOf);
  }

  /** The newest line's number: the dashboards recompute only when it moves. */
  lastLineSeq(): number {
    return this.db.query<{ s: number | null }, []>("SELECT max(seq) AS s FROM beheer_regel").get()?.s ?? 0;
  }

  /** The newest delivery's number: what the overview is cached on. */
  lastDeliverySeq(): number {
    return this.db.query<{ s: number | null }, []>("SELECT max(seq) AS s FROM beheer_aanlevering").get()?.s ?? 0;
  }

  /** Per participant that ever delivered (within the retention): deliveries, how many OK, lines, functional errors, the last. */
  totals(): ParticipantTotals[] {
    this.totalsCache = this.keptTotals() ?? new Map(this.db.query<ParticipantTotals, []>(
      `SELECT deelnemer, count(*) AS aanleveringen, sum(technisch_ok) AS ok, sum(regels) AS regels, sum(functionele_fouten) AS functioneleFouten,
              max(ontvangen) AS laatste FROM beheer_aanlevering GROUP BY deelnemer`,
    ).all().map((t) => [t.deelnemer, t]));
    return [...this.totalsCache.values()].map((t) => ({ ...t }));
  }

  /**
   * The first delivery received at or after `ms` (deliveries are numbered in the order they
   * arrive): a binary search on the primary key, whatever the number of deliveries.
   */
  private firstDeliveryAtOrAfter(ms: number): number {
    return firstSeqReaching<number>(this.db, "beheer_aanlevering", "ontvangen_ms", (at) => at >= ms);
  }

  /** A participant's deliveries since `sinceMs` counted per `bucketMs`: [bucket index, OK, niet OK]. */
  deliveriesPerBucket(deelnemer: string, sinceMs: number, bucketMs: number): { bucket: number; ok: number; nietOk: number }[] {
    return this.db.query<{ bucket: number; ok: number; nietOk: number }, [number, number, string, number, number]>(
      `SELECT (ontvangen_ms - ?) / ? AS bucket, sum(technisch_ok) AS ok, count(*) - sum(technisch_ok) AS nietOk
         FROM beheer_aanlevering WHERE deelnemer = ? AND seq >= ? AND ontvangen_ms >= ? GROUP BY bucket ORDER BY bucket`,
    ).all(sinceMs, bucketMs, deelnemer, this.firstDeliveryAtOrAfter(sinceMs), sinceMs);
  }

  /** A participant's newest lines with a functional error (of one event type, if given). */
  functionalErrors(deelnemer: string, limit: number, type?: string): LineRecord[] {
    return this.db.query<LineRow, (string | number)[]>(
      `SELECT ${LINE_COLUMNS} FROM ${LINES_FROM} WHERE r.deelnemer = ? AND r.functionele_fout = 1 ${type ? "AND r.type = ?" : ""} ORDER BY r.seq DESC LIMIT ?`,
    ).all(...(type ? [deelnemer, type, limit] : [deelnemer, limit])).map(lineOf);
  }

  /** Is anything due to go? From the ends of both tables (primary keys); what prune needs of them, or null. */
  private due(now: number): { cutoff: number; newestDelivery: number } | null {
    const { keepLines, keepHours } = this.retention;
    if (keepLines <= 0 && keepHours <= 0) return null;
    const cutoff = keepHours > 0 ? now - keepHours * 3_600_000 : -1;
    // Most deliveries find nothing to do: ask the ends of both tables (primary keys) before deleting.
    const ends = this.db.query<{ oldestMs: number | null; newestDelivery: number | null; firstDelivery: number | null; firstLine: number | null; lastLine: number | null;
      firstLinesDelivery: number | null }, []>(
      `SELECT (SELECT ontvangen_ms FROM beheer_aanlevering ORDER BY seq LIMIT 1) AS oldestMs, (SELECT max(seq) FROM beheer_aanlevering) AS newestDelivery,
              (SELECT min(seq) FROM beheer_aanlevering) AS firstDelivery, (SELECT min(seq) FROM beheer_regel) AS firstLine, (SELECT max(seq) FROM beheer_regel) AS lastLine,
              (SELECT aanlevering FROM beheer_regel ORDER BY seq LIMIT 1) AS firstLinesDelivery`,
    ).get()!;
    const newestDelivery = ends.newestDelivery ?? 0;
    const due = (ends.oldestMs !== null && ends.oldestMs < cutoff)
      || (keepLines > 0 && newestDelivery - (ends.firstDelivery ?? newestDelivery) + 1 > keepLines)
      || (keepLines > 0 && (ends.lastLine ?? 0) - (ends.firstLine ?? ends.lastLine ?? 0) + 1 > keepLines)
      // Lines of deliveries that went in an earlier batch.
      || (ends.firstLinesDelivery !== null && (ends.firstDelivery === null || ends.firstLinesDelivery < ends.firstDelivery));
    return due ? { cutoff, newestDelivery } : null;
  }

  /**
   * Retention: delete at most `batch` of the oldest lines and deliveries beyond the limits — more
   * than `keepLines` newer ones, or received more than `keepHours` ago (a delivery's lines go
   * with it). Returns how many rows went. Its two deletes are run by `returning` and `run` (the
   * reader worker's); the totals kept in memory follow what went.
   */
  private async pruneWith(now: number, batch: number, returning: <T>(sql: string, params: SQLQueryBindings[]) => Promise<T[]>,
    run: (sql: string, params: SQLQueryBindings[]) => Promise<number>): Promise<number> {
    const ends = this.due(now);
    if (!ends) return 0;
    const { keepLines } = this.retention;
    const { cutoff, newestDelivery } = ends;
    const gone = await returning<{ deelnemer: string; ok: number; regels: number; fouten: number }>(
      `DELETE FROM beheer_aanlevering WHERE seq IN (SELECT seq FROM beheer_aanlevering ORDER BY seq LIMIT ?) AND (seq <= ? OR ontvangen_ms < ?)
       RETURNING deelnemer, technisch_ok AS ok, regels, functionele_fouten AS fouten`, [batch, keepLines > 0 ? newestDelivery - keepLines : 0, cutoff]);
    const kept = this.keptTotals();
    for (const g of gone) {
      const t = kept?.get(g.deelnemer);
      if (!t) continue;
      if (t.aanleveringen <= 1) { kept!.delete(g.deelnemer); continue; }
      kept!.set(g.deelnemer, { ...t, aanleveringen: t.aanleveringen - 1, ok: t.ok - g.ok, regels: t.regels - g.regels, functioneleFouten: t.functioneleFouten - g.fouten });
    }
    const lines = await run(`DELETE FROM beheer_regel WHERE seq IN (SELECT seq FROM beheer_regel ORDER BY seq LIMIT ?)
          AND (seq <= ? OR aanlevering < (SELECT coalesce(min(seq), 9007199254740991) FROM beheer_aanlevering))`, [batch, keepLines > 0 ? this.lastLineSeq() - keepLines : 0]);
    return gone.length + lines;
  }
}
