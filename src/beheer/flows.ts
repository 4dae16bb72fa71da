/**
 * Per flow (Verzamelen, Token exchange, SMART launch, Terugkeer; issue 13) how often its steps
 * succeed and how long they take, from the delivered lines: each step is a request event and the
 * event that answers it at the same participant (exchanges.ts), so the time between them is that
 * participant's own clock. Terugkeer is the PGO's launch to the person's return (the time in the
 * module). A request still waiting for its answer counts once it is older than the grace.
 */
import type { Participant } from "../shared/participants.ts";
import type { FlowName } from "./chains.ts";
import { GRANT_TOKEN_EXCHANGE, exchangesOf, failed, parseLine, type ParsedLine } from "./exchanges.ts";
import type { LineRecord } from "./store.ts";

export interface StepFigure {
  flow: FlowName;
  /** "PGO: send_token_request → receive_token_response" */
  label: string;
  count: number;
  ok: number;
  /** Requests that never got their answer (within the grace). */
  unanswered: number;
  latencies: number[];
}

export interface FlowFigure { flow: FlowName; count: number; ok: number; steps: StepFigure[] }

interface StepDef {
  flow: FlowName; role: "pgo" | "dva"; request: string; answer: string;
  when?: (request: ParsedLine, pgoHosts: ReadonlySet<string>) => boolean;
  /** The person acts in between (DigiD, consent): unanswered only after N, like afgehaakt. */
  person?: true;
}

const te = (l: ParsedLine) => l.request?.grant_type === GRANT_TOKEN_EXCHANGE;
const fromPgo = (l: ParsedLine, pgoHosts: ReadonlySet<string>) => pgoHosts.has(String(l.request?.client_id ?? ""));

const STEPS: readonly StepDef[] = [
  { flow: "Verzamelen", role: "dva", request: "receive_authorization_request", answer: "send_authorization_response", person: true },
  { flow: "Verzamelen", role: "pgo", request: "send_token_request", answer: "receive_token_response", when: (l) => !te(l) },
  { flow: "Verzamelen", role: "dva", request: "receive_token_request", answer: "send_token_response", when: (l, p) => !te(l) && fromPgo(l, p) },
  { flow: "Verzamelen", role: "pgo", request: "send_resource_request", answer: "receive_resource_response" },
  { flow: "Token exchange", role: "pgo", request: "send_token_request", answer: "receive_token_response", when: te },
  { flow: "Token exchange", role: "dva", request: "receive_token_request", answer: "send_token_response", when: te },
  { flow: "SMART launch", role: "pgo", request: "send_smart_launch_request", answer: "receive_smart_launch_response" },
  { flow: "SMART launch", role: "dva", request: "receive_smart_configuration_request", answer: "send_smart_configuration_response" },
  { flow: "SMART launch", role: "dva", request: "receive_authorize_request", answer: "send_authorize_response", person: true },
  { flow: "SMART launch", role: "dva", request: "receive_token_request", answer: "send_token_response", when: (l, p) => !te(l) && !fromPgo(l, p) },
];
const RETURN_STEP = { flow: "Terugkeer", label: "PGO: send_smart_launch_request → receive_redirect_to_pgo_request" } as const;

const label = (s: StepDef) => `${s.role === "pgo" ? "PGO" : "DVA"}: ${s.request} → ${s.answer}`;

export interface FlowOptions { now: number; graceMs: number; abandonAfterMs: number }

/** The lines that carry a trace, parsed (a caller may parse a window in steps and join the results). */
export function parseLines(records: readonly LineRecord[]): ParsedLine[] {
  const out: ParsedLine[] = [];
  for (const r of records) {
    const l = r.traceId ? parseLine(r) : null;
    if (l) out.push(l);
  }
  return out;
}

/** Traces worked on between two yields of flowFiguresOf. */
const TRACES_PER_STEP = 100;

/**
 * The figures per flow of these lines, a generator that yields every TRACES_PER_STEP traces: its
 * caller lets the other requests run there (issue 16: the 10 000 newest lines in one go held the
 * event loop up to ~50 ms on a slow machine).
 */
export function* flowFiguresOf(parsed: readonly ParsedLine[], participants: readonly Participant[], o: FlowOptions): Generator<void, FlowFigure[]> {
  const role = new Map(participants.flatMap((p) => p.hosts.map((h) => [h, p.role] as const)));
  const pgoHosts = new Set(participants.filter((p) => p.role === "pgo").flatMap((p) => p.hosts));
  // Keyed by flow and label: the same request and answer can be a step of two flows (a token request).
  const fresh = (flow: FlowName, text: string): [string, StepFigure] => [`${flow} ${text}`, { flow, label: text, count: 0, ok: 0, unanswered: 0, latencies: [] }];
  const steps = new Map<string, StepFigure>([...STEPS.map((s) => fresh(s.flow, label(s))), fresh(RETURN_STEP.flow, RETURN_STEP.label)]);
  const step = (flow: FlowName, text: string) => steps.get(`${flow} ${text}`)!;
  const byTrace = new Map<string, ParsedLine[]>();
  for (const l of parsed) {
    const trace = l.rec.traceId!;
    (byTrace.get(trace) ?? byTrace.set(trace, []).get(trace)!).push(l);
  }
  const count = (step: StepFigure, request: ParsedLine, answer: ParsedLine | null, ok: boolean, waitMs = o.graceMs) => {
    if (!answer) {
      if (request.atMs !== null && o.now - request.atMs < waitMs) return;
      step.count++; step.unanswered++;
      return;
    }
    step.count++;
    if (ok) step.ok++;
    if (request.atMs !== null && answer.atMs !== null) step.latencies.push(Math.max(0, answer.atMs - request.atMs));
  };
  let traces = 0;
  for (const lines of byTrace.values()) {
    if (++traces % TRACES_PER_STEP === 0) yield;
    lines.sort((a, b) => (a.atMs ?? 0) - (b.atMs ?? 0) || a.rec.seq - b.rec.seq);
    for (const e of exchangesOf(lines)) {
      const def = STEPS.find((s) => s.request === e.request.type && role.get(e.request.location) === s.role && (!s.when || s.when(e.request, pgoHosts)));
      if (def) count(step(def.flow, label(def)), e.request, e.answer, !!e.answer && !failed(e.answer), def.person ? o.abandonAfterMs : o.graceMs);
    }
    lines.forEach((l, i) => {
      if (l.type !== "send_smart_launch_request") return;
      const back = lines.find((x, j) => j > i && x.location === l.location && x.type === "receive_redirect_to_pgo_request") ?? null;
      count(step(RETURN_STEP.flow, RETURN_STEP.label), l, back, !!back && back.request?.error === undefined && !failed(back), o.abandonAfterMs);
    });
  }
  return (["Verzamelen", "Token exchange", "SMART launch", "Terugkeer"] as const).map((flow) => {
    const own = [...steps.values()].filter((s) => s.flow === flow);
    return { flow, steps: own, count: own.reduce((n, s) => n + s.count, 0), ok: own.reduce((n, s) => n + s.ok, 0) };
  });
}

/** Nearest-rank percentile; NaN without values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}
