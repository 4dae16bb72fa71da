/**
 * The figures behind MedMij Beheer's dashboards (issue 13): per participant (deliveries technisch
 * OK / niet OK over time, functional errors, bereikbaarheid), per chain (the verdict of chains.ts)
 * and per flow (flows.ts). Built from the store for each page; the views only render them.
 */
import type { Participant } from "../shared/participants.ts";
import { CHAIN_KINDS, classifyChain, graceFor, type ChainKind, type ChainVerdict } from "./chains.ts";
import { flowFiguresOf, parseLines, type FlowFigure } from "./flows.ts";
import { yieldToOthers } from "../shared/yield.ts";
import type { ParsedLine } from "./exchanges.ts";
import type { BeheerStore, DeliveryRecord, LineRecord } from "./store.ts";

/** Chains and flows are computed over the newest lines: enough for a day of hackathon traffic, cheap to parse. */
export const WINDOW_LINES = 20_000;
/**
 * The flow figures and a participant's bereikbaarheid read the newest FLOW_WINDOW_LINES of them:
 * their figures are computed in one piece after the steps, which must stay well under 50 ms (issue 16).
 */
const FLOW_WINDOW_LINES = 10_000;
/** Chains a list page classifies at most (newest first), before its filter. */
const CHAIN_CANDIDATES = 200;
/** Chains classified, and lines read, between two yields to the other requests (issue 16). */
const CHAINS_PER_STEP = 10;
const LINES_PER_STEP = 2_500;
/** Lines parsed between two yields. */
const PARSE_STEP = 250;
/** The deliveries chart: the last hour in 5-minute bars. */
export const CHART_SPAN_MS = 60 * 60_000;
export const CHART_BUCKET_MS = 5 * 60_000;

export interface ParticipantSummary {
  participant: Participant;
  deliveries: number;
  ok: number;
  lines: number;
  functionalErrors: number;
  last: string | null;
}

export interface ChainList { verdicts: ChainVerdict[]; counts: Record<ChainKind, number>; looked: number }

export interface ParticipantDetail {
  summary: ParticipantSummary;
  buckets: { startMs: number; ok: number; nietOk: number }[];
  deliveries: DeliveryRecord[];
  functionalErrors: LineRecord[];
  /** Bereikbaarheid: the requests it made to other parties (each an availability check) and those that found nobody. */
  availability: { checks: number; errors: LineRecord[]; errorCount: number };
}

export class Dashboard {
  constructor(private readonly store: BeheerStore, readonly participants: readonly Participant[], readonly abandonAfterMs: number) {}

  get graceMs(): number { return graceFor(this.abandonAfterMs); }

  participant(username: string): Participant | undefined {
    return this.participants.find((p) => p.username === username);
  }

  /** Every participant of the network, with or without deliveries ("geen aanleveringen"). */
  summaries(): ParticipantSummary[] {
    const totals = new Map(this.store.totals().map((t) => [t.deelnemer, t]));
    return this.participants.map((p) => {
      const t = totals.get(p.username);
      return { participant: p, deliveries: t?.aanleveringen ?? 0, ok: t?.ok ?? 0, lines: t?.regels ?? 0, functionalErrors: t?.functioneleFouten ?? 0, last: t?.laatste ?? null };
    });
  }

  verdict(traceId: string, now = Date.now()): { verdict: ChainVerdict; lines: LineRecord[] } | null {
    const lines = this.store.chainLines(traceId);
    if (lines.length === 0) return null;
    return { verdict: classifyChain(traceId, lines, this.options(now)), lines };
  }

  /**
   * The newest chains with their verdict, optionally of one kind; `limit` after the filter. Done
   * CHAINS_PER_STEP chains at a time, letting the other requests run between (issue 16).
   */
  async chains(kind: ChainKind | null, limit: number, now = Date.now()): Promise<ChainList> {
    const ids = await this.store.recentChains(WINDOW_LINES, CHAIN_CANDIDATES);
    const counts = Object.fromEntries(CHAIN_KINDS.map((k) => [k, 0])) as Record<ChainKind, number>;
    const verdicts: ChainVerdict[] = [];
    for (let i = 0; i < ids.length; i += CHAINS_PER_STEP) {
      const step = ids.slice(i, i + CHAINS_PER_STEP);
      const lines = await this.store.chainLinesOf(step);
      for (const id of step) {
        const v = classifyChain(id, lines.get(id) ?? [], this.options(now));
        counts[v.kind]++;
        if ((kind === null || v.kind === kind) && verdicts.length < limit) verdicts.push(v);
      }
    }
    return { verdicts, counts, looked: ids.length };
  }

  async flows(now = Date.now()): Promise<FlowFigure[]> {
    const parsed: ParsedLine[] = [];
    await this.recentSteps((step) => { parsed.push(...parseLines(step)); });
    const figures = flowFiguresOf(parsed, this.participants, { now, graceMs: this.graceMs, abandonAfterMs: this.abandonAfterMs });
    for (let step = figures.next(); ; step = figures.next()) {
      if (step.done) return step.value;
      await yieldToOthers();
    }
  }

  /**
   * The newest FLOW_WINDOW_LINES lines, read LINES_PER_STEP at a time (in the reader worker); `each`
   * works on PARSE_STEP of them before the other requests are let through (issue 16: parsing a
   * read of 2 500 lines at once held everyone up 50–60 ms on a slow machine).
   */
  private async recentSteps(each: (step: LineRecord[]) => void): Promise<void> {
    const newest = this.store.lastLineSeq();
    for (let from = newest - FLOW_WINDOW_LINES; from < newest; from += LINES_PER_STEP) {
      const lines = await this.store.linesBetween(from, Math.min(newest, from + LINES_PER_STEP));
      for (let i = 0; i < lines.length; i += PARSE_STEP) {
        if (i > 0) await yieldToOthers();
        each(lines.slice(i, i + PARSE_STEP));
      }
    }
  }

  async detail(username: string, now = Date.now()): Promise<ParticipantDetail | null> {
    const summary = this.summaries().find((s) => s.participant.username === username);
    if (!summary) return null;
    const since = Math.floor((now - CHART_SPAN_MS) / CHART_BUCKET_MS) * CHART_BUCKET_MS + CHART_BUCKET_MS;
    const counted = new Map(this.store.deliveriesPerBucket(username, since, CHART_BUCKET_MS).map((b) => [b.bucket, b]));
    const buckets = Array.from({ length: CHART_SPAN_MS / CHART_BUCKET_MS }, (_, i) => ({
      startMs: since + i * CHART_BUCKET_MS, ok: counted.get(i)?.ok ?? 0, nietOk: counted.get(i)?.nietOk ?? 0,
    }));
    const hosts = new Set(summary.participant.hosts);
    const recent: LineRecord[] = [];
    await this.recentSteps((step) => { recent.push(...step.filter((l) => l.deelnemer === username && l.location !== null && hosts.has(l.location))); });
    const checks = recent.filter((l) => l.type !== null && l.type.startsWith("send_") && l.type.endsWith("_request")).length;
    const availabilityErrors = recent.filter((l) => l.type === "receive_availability_check_error");
    return {
      summary, buckets,
      deliveries: this.store.deliveriesOf(username, 20),
      functionalErrors: this.store.functionalErrors(username, 20),
      availability: { checks, errors: availabilityErrors.slice(-10).reverse(), errorCount: availabilityErrors.length },
    };
  }

  private options(now: number) {
    return { participants: this.participants, now, abandonAfterMs: this.abandonAfterMs, graceMs: this.graceMs };
  }
}
