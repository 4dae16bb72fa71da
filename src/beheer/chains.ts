/**
 * What MedMij Beheer makes of one chain (keten: the lines of one trace id, from every participant
 * that delivered them), in the dashboard terms of the logging interface (issue 13):
 * - eenzijdig aangeleverd: a participant the chain involves delivered none of its lines (a chain
 *   with PGO lines but no DVA lines, or the reverse);
 * - alternatieve flow: an error ended it, or an event the SD requires is missing (a request
 *   without its answer, an answer that does not name its request);
 * - afgehaakt: the person left — a step where the person acts (DigiD, consent, the module) had no
 *   continuation within N minutes (network `beheer.abandonAfterSeconds`, default 15: the time a DVA
 *   keeps an authorization request open; after that the person cannot go on);
 * - lopend: not yet one of these, but still young enough to become happy;
 * - happy flow: every participant delivered, every request has its answer, no error.
 * A pure function of the lines, the participants and the time.
 */
import type { Participant } from "../shared/participants.ts";
import { ANSWERS, GRANT_TOKEN_EXCHANGE, PERSON_STEPS, exchangesOf, failed, parseLine, type ParsedLine } from "./exchanges.ts";
import type { LineRecord } from "./store.ts";

export type ChainKind = "happy" | "alternatief" | "eenzijdig" | "afgehaakt" | "lopend";

export const CHAIN_KINDS: readonly ChainKind[] = ["happy", "alternatief", "eenzijdig", "afgehaakt", "lopend"];

/** The flows of issue 13's dashboards. */
export type FlowName = "Verzamelen" | "Token exchange" | "SMART launch" | "Terugkeer";

export interface ChainVerdict {
  traceId: string;
  kind: ChainKind;
  /** Why, one sentence each (Dutch): the first explains the kind. */
  findings: string[];
  flows: FlowName[];
  /** Everyone the chain involves, and whether they delivered lines of it. */
  participants: { username: string; name: string; role: Participant["role"]; delivered: boolean }[];
  lines: number;
  firstMs: number | null;
  lastMs: number | null;
  first: string | null;
}

export interface ClassifyOptions {
  participants: readonly Participant[];
  now: number;
  /** N: no continuation of a person's step within this long = afgehaakt. */
  abandonAfterMs: number;
  /** How long a chain may wait for a participant's next delivery before a missing part counts. */
  graceMs: number;
}

/** The grace for missing lines: a minute (the sandbox's participants deliver every 2 s), or N when shorter. */
export const graceFor = (abandonAfterMs: number) => Math.min(60_000, abandonAfterMs);

const minutes = (ms: number) => {
  const m = ms / 60_000;
  const s = Math.round(ms / 1000);
  return m >= 1 ? `${Number.isInteger(m) ? m : m.toFixed(1)} ${m === 1 ? "minuut" : "minuten"}` : `${s} ${s === 1 ? "seconde" : "seconden"}`;
};

/** Which flows a chain's events belong to (SD 4.5.3–4.5.7, the core Verzamelen events). */
export function flowsOf(lines: readonly ParsedLine[], pgoHosts: ReadonlySet<string>): FlowName[] {
  const flows = new Set<FlowName>();
  for (const l of lines) {
    if (l.type.endsWith("authorization_request")) flows.add("Verzamelen");
    // The module's own FHIR calls at the DVA are not Verzamelen: only a PGO's, or lines that name a PGO as client.
    if (l.type.includes("resource_") && (pgoHosts.has(l.location) || pgoHosts.has(String(l.request?.client_id ?? "")))) flows.add("Verzamelen");
    if (l.type === "send_token_request" || l.type === "receive_token_request") {
      const grant = l.request?.grant_type;
      if (grant === GRANT_TOKEN_EXCHANGE) flows.add("Token exchange");
      else if (pgoHosts.has(String(l.request?.client_id ?? l.location))) flows.add("Verzamelen");
      else flows.add("SMART launch");
    }
    if (l.type.includes("smart_launch") || l.type.includes("authorize_") || l.type.includes("smart_configuration")) flows.add("SMART launch");
    if (l.type === "receive_redirect_to_pgo_request") flows.add("Terugkeer");
  }
  return (["Verzamelen", "Token exchange", "SMART launch", "Terugkeer"] as const).filter((f) => flows.has(f));
}

export function classifyChain(traceId: string, records: readonly LineRecord[], o: ClassifyOptions): ChainVerdict {
  const lines = records.map(parseLine).filter((l): l is ParsedLine => l !== null);
  const owner = new Map(o.participants.flatMap((p) => p.hosts.map((h) => [h, p] as const)));
  const name = (host: string) => owner.get(host)?.name ?? host;
  const times = lines.map((l) => l.atMs).filter((t): t is number => t !== null);
  const lastMs = times.length ? Math.max(...times) : null;
  const idle = lastMs === null ? Number.POSITIVE_INFINITY : o.now - lastMs;
  const exchanges = exchangesOf(lines);

  // Who the chain involves: who wrote lines, whom they name as client, and a server that answered.
  const expected = new Set<Participant>();
  for (const r of records) { const p = o.participants.find((x) => x.username === r.deelnemer); if (p) expected.add(p); }
  for (const l of lines) {
    const client = owner.get(String(l.request?.client_id ?? ""));
    if (client) expected.add(client);
  }
  for (const e of exchanges) {
    const server = owner.get(String(e.request.request?.server_id ?? ""));
    if (server && e.answer && e.answer.type !== "receive_availability_check_error") expected.add(server);
  }
  const delivered = new Set(records.map((r) => r.deelnemer));
  const missing = [...expected].filter((p) => !delivered.has(p.username));

  const eenzijdig = missing.map((p) => `Geen regels van ${p.name} (${p.role === "pgo" ? "PGO" : "DVA"}): alleen ${[...delivered]
    .map((u) => o.participants.find((x) => x.username === u)?.name ?? u).join(" en ")} leverde${delivered.size > 1 ? "n" : ""} deze keten aan.`);
  // The error that ended it is the one its sender wrote (send_token_request_error), not the receiver's copy of it.
  const errorLines = lines.filter((l) => l.error !== null || l.type.endsWith("_error"));
  const errorLine = errorLines.find((l) => !l.type.startsWith("receive_")) ?? errorLines[0];
  const errors = errorLine ? [`Geëindigd met een fout: ${errorLine.type} bij ${name(errorLine.location)}${errorLine.error
    ? ` — ${String(errorLine.error.code ?? "")}${errorLine.error.description ? `: ${String(errorLine.error.description)}` : ""}` : ""}.`] : [];

  // A person's step without its continuation at that participant.
  const waits: string[] = [];
  lines.forEach((l, i) => {
    if (!(l.type in PERSON_STEPS)) return;
    const next = PERSON_STEPS[l.type] ?? null;
    const continued = lines.some((x, j) => j > i && x.location === l.location && (next === null || next.includes(x.type)));
    if (!continued) waits.push(`Geen vervolg op ${l.type} bij ${name(l.location)}`);
  });

  // Requests without their answer (not those a person answers: those are waits), and answers not linked to their request.
  const gaps: string[] = [];
  for (const e of exchanges) {
    const type = e.request.type;
    if (!e.answer) {
      // The person answers it (consent, DigiD): a wait. A step of the person whose participant wrote
      // nothing after it: a wait too; once it went on without the answer, the answer is missing.
      if (PERSON_STEPS[type] === ANSWERS[type]) continue;
      const at = lines.indexOf(e.request);
      if (type in PERSON_STEPS && !lines.some((x, j) => j > at && x.location === e.request.location)) continue;
      gaps.push(`${ANSWERS[type]![0]} ontbreekt bij ${name(e.request.location)}: ${type} kreeg geen antwoord.`);
    } else if (!e.linked) {
      gaps.push(`${e.answer.type} bij ${name(e.answer.location)} noemt niet het request_id van ${type}.`);
    }
  }

  const graceOver = idle >= o.graceMs;
  const abandoned = idle >= o.abandonAfterMs;
  let kind: ChainKind;
  let findings: string[];
  if (missing.length && graceOver) { kind = "eenzijdig"; findings = [...eenzijdig, ...errors, ...gaps]; }
  else if (errors.length) { kind = "alternatief"; findings = [...errors, ...gaps, ...eenzijdig]; }
  else if (waits.length && abandoned) {
    kind = "afgehaakt";
    findings = [`De persoon is afgehaakt: ${waits[0]} binnen ${minutes(o.abandonAfterMs)}.`, ...waits.slice(1).map((w) => `${w}.`), ...gaps];
  } else if (gaps.length && graceOver) { kind = "alternatief"; findings = gaps; }
  else if (waits.length || gaps.length || missing.length) {
    kind = "lopend";
    findings = [...waits.map((w) => `${w} (nog geen ${minutes(o.abandonAfterMs)} geleden).`), ...(graceOver ? [] : [...gaps, ...eenzijdig].map((f) => `Nog niet compleet: ${f}`))];
  } else { kind = "happy"; findings = ["Alle deelnemers leverden aan, elk verzoek kreeg zijn antwoord, geen fout."]; }

  const pgoHosts = new Set(o.participants.filter((p) => p.role === "pgo").flatMap((p) => p.hosts));
  return {
    traceId, kind, findings, flows: flowsOf(lines, pgoHosts),
    participants: [...expected].map((p) => ({ username: p.username, name: p.name, role: p.role, delivered: delivered.has(p.username) })),
    lines: records.length, firstMs: times.length ? Math.min(...times) : null, lastMs, first: lines[0]?.rec.datetime ?? null,
  };
}
