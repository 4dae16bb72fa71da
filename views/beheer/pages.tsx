/**
 * MedMij Beheer's dashboards (issue 13): the overview (participants, chains, flows), the chain
 * list and one chain with the same swimlane timeline as the cockpit's /logs. Each page's live
 * part is a partial that htmx fetches again every few seconds.
 */
import type { ChainKind, ChainVerdict } from "../../src/beheer/chains.ts";
import { CHAIN_KINDS } from "../../src/beheer/chains.ts";
import type { ChainList, ParticipantSummary } from "../../src/beheer/dashboard.ts";
import { percentile, type FlowFigure } from "../../src/beheer/flows.ts";
import type { StoredChainLine } from "../../src/shared/chain-log.ts";
import { formatDateTime } from "../../src/shared/time.ts";
import { ReadableId, TraceDownloads, TraceLines, type Lane } from "../cockpit/logs.tsx";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";
import { KIND_LABELS, KindPill, OK_COLOR, ShareBars, kindColor } from "./charts.tsx";

const nl = (n: number) => n.toLocaleString("nl-NL");
const pct = (ok: number, total: number) => (total === 0 ? "—" : `${Math.round((ok / total) * 100)} %`);
const ms = (v: number) => (Number.isFinite(v) ? (v < 10_000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`) : "—");
const role = (r: "pgo" | "dva") => (r === "pgo" ? "PGO" : "DVA");
const minutesText = (ms: number) => {
  const n = ms >= 60_000 ? Math.round(ms / 60_000) : Math.round(ms / 1000);
  return ms >= 60_000 ? `${n} ${n === 1 ? "minuut" : "minuten"}` : `${n} ${n === 1 ? "seconde" : "seconden"}`;
};

export function ParticipantsTable({ rows }: { rows: ParticipantSummary[] }): JSX.Element {
  return (
    <table class="stack">
      <caption class="hint">Elke PGO en DVA van het netwerk, ook als die nog niets aanleverde.</caption>
      <thead><tr><th scope="col">Deelnemer</th><th scope="col">Rol</th><th scope="col">Aanleveringen</th><th scope="col">Regels</th><th scope="col">Functionele fouten</th><th scope="col">Laatste aanlevering</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td data-label="Deelnemer"><a href={`/deelnemers/${encodeURIComponent(r.participant.username)}`} safe>{r.participant.name}</a></td>
            <td data-label="Rol">{role(r.participant.role)}</td>
            <td data-label="Aanleveringen">{r.deliveries === 0
              ? <span class="status down">geen aanleveringen</span>
              : <span safe>{`${nl(r.ok)} technisch OK, ${nl(r.deliveries - r.ok)} niet OK`}</span>}</td>
            <td data-label="Regels" safe>{nl(r.lines)}</td>
            <td data-label="Functionele fouten" safe>{nl(r.functionalErrors)}</td>
            <td data-label="Laatste aanlevering">{r.last ? formatDateTime(r.last) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ChainsTable({ verdicts, caption }: { verdicts: ChainVerdict[]; caption: string }): JSX.Element {
  if (verdicts.length === 0) return <p class="hint">Geen ketens die hierbij passen.</p>;
  return (
    <table class="stack">
      <caption class="hint" safe>{caption}</caption>
      <thead><tr><th scope="col">Soort</th><th scope="col">Flows</th><th scope="col">Trace ID</th><th scope="col">Begin</th><th scope="col">Bevinding</th></tr></thead>
      <tbody>
        {verdicts.map((v) => (
          <tr>
            <td data-label="Soort"><a href={`/ketens/${encodeURIComponent(v.traceId)}`}><KindPill kind={v.kind} /></a></td>
            <td data-label="Flows" safe>{v.flows.join(", ") || "—"}</td>
            <td data-label="Trace ID"><ReadableId id={v.traceId} /></td>
            <td data-label="Begin">{v.first ? formatDateTime(v.first) : "—"}</td>
            <td data-label="Bevinding" safe>{v.findings[0] ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function KindCounts({ list }: { list: ChainList }): JSX.Element {
  const total = CHAIN_KINDS.reduce((n, k) => n + list.counts[k], 0);
  return (
    <>
      <ShareBars id="ketens" title="Ketens per soort" bars={CHAIN_KINDS.map((k) => ({ label: KIND_LABELS[k], value: list.counts[k], total, color: kindColor(k), note: `${nl(list.counts[k])} (${pct(list.counts[k], total)})` }))} />
      <ul class="hint">{CHAIN_KINDS.map((k) => <li><a href={`/ketens?soort=${k}`} safe>{`${KIND_LABELS[k]}: ${nl(list.counts[k])}`}</a></li>)}</ul>
    </>
  );
}

export function FlowsSection({ flows }: { flows: FlowFigure[] }): JSX.Element {
  return (
    <>
      <ShareBars id="flows" title="Geslaagd per flow" bars={flows.map((f) => ({ label: f.flow, value: f.ok, total: f.count, color: OK_COLOR, note: f.count ? `${pct(f.ok, f.count)} van ${nl(f.count)}` : "geen gegevens" }))} />
      <table class="stack">
        <caption class="hint">Per stap: een verzoek en het antwoord erop bij dezelfde deelnemer (dus op diens eigen klok). Terugkeer is de tijd in de module.</caption>
        <thead><tr><th scope="col">Flow</th><th scope="col">Stap</th><th scope="col">Aantal</th><th scope="col">Geslaagd</th><th scope="col">Zonder antwoord</th><th scope="col">Tijd p50</th><th scope="col">Tijd p95</th></tr></thead>
        <tbody>
          {flows.flatMap((f) => f.steps.map((s) => (
            <tr>
              <td data-label="Flow">{f.flow}</td>
              <td data-label="Stap"><code safe>{s.label}</code></td>
              <td data-label="Aantal" safe>{nl(s.count)}</td>
              <td data-label="Geslaagd" safe>{pct(s.ok, s.count)}</td>
              <td data-label="Zonder antwoord" safe>{nl(s.unanswered)}</td>
              <td data-label="Tijd p50" safe>{ms(percentile(s.latencies, 50))}</td>
              <td data-label="Tijd p95" safe>{ms(percentile(s.latencies, 95))}</td>
            </tr>
          )))}
        </tbody>
      </table>
    </>
  );
}

export interface OverviewProps { participants: ParticipantSummary[]; chains: ChainList; flows: FlowFigure[]; abandonAfterMs: number }

/** The live part of the overview (htmx swaps it every 5 s). */
export function Overview(p: OverviewProps): JSX.Element {
  return (
    <>
      <section aria-labelledby="deelnemers-kop">
        <h2 id="deelnemers-kop">Deelnemers</h2>
        <ParticipantsTable rows={p.participants} />
      </section>
      <section aria-labelledby="ketens-kop">
        <h2 id="ketens-kop">Ketens</h2>
        <p class="hint" safe>{`De laatste ${nl(p.chains.looked)} ketens (trace id's). Afgehaakt: geen vervolg binnen ${minutesText(p.abandonAfterMs)} op een stap van de persoon (DigiD, toestemming, de module).`}</p>
        <KindCounts list={p.chains} />
        <ChainsTable verdicts={p.chains.verdicts} caption="Nieuwste eerst; de soort opent de keten als tijdlijn." />
        <p><a href="/ketens">Alle ketens</a></p>
      </section>
      <section aria-labelledby="flows-kop">
        <h2 id="flows-kop">Flows</h2>
        <FlowsSection flows={p.flows} />
      </section>
    </>
  );
}

export function BeheerHome(p: OverviewProps & { endpoint: string }): JSX.Element {
  return (
    <Layout theme={themes.beheer} title="Ketenmonitoring">
      <h1>Ketenmonitoring</h1>
      <p>MedMij Beheer ontvangt de logregels van SD 4.5 die PGO's en DVA's in batches aanleveren via de logging interface
        (<code safe>{`POST ${p.endpoint}`}</code>, HTTP Basic per deelnemer), controleert elke aanlevering en toont hier per keten,
        per deelnemer en per flow wat er gebeurde.</p>
      <p><a href="/eagleeye/v1/swagger">API-beschrijving (OpenAPI)</a> · <a href="/eagleeye/v1/schema">Schema van een logregel</a> · <a href="/ketens">Ketens</a></p>
      <div hx-get="/partials/overzicht" hx-trigger="every 5s" hx-swap="innerHTML">
        <Overview {...p} />
      </div>
    </Layout>
  );
}

export function ChainsPage({ list, kind }: { list: ChainList; kind: ChainKind | null }): JSX.Element {
  const query = kind ? `?soort=${kind}` : "";
  return (
    <Layout theme={themes.beheer} title="Ketens">
      <p><a href="/">← Ketenmonitoring</a></p>
      <h1>Ketens{kind ? <>: <span safe>{KIND_LABELS[kind]}</span></> : ""}</h1>
      <form method="get" action="/ketens" class="card">
        <label for="soort">Soort keten</label>
        <select id="soort" name="soort">
          <option value="" selected={kind === null}>Alle soorten</option>
          {CHAIN_KINDS.map((k) => <option value={k} selected={k === kind} safe>{KIND_LABELS[k]}</option>)}
        </select>
        <div class="actions"><button type="submit">Tonen</button></div>
      </form>
      <div hx-get={`/partials/ketens${query}`} hx-trigger="every 5s" hx-swap="innerHTML">
        <ChainsTable verdicts={list.verdicts} caption={`Nieuwste eerst, uit de laatste ${nl(list.looked)} ketens.`} />
      </div>
    </Layout>
  );
}

export interface ChainPageProps { verdict: ChainVerdict; lines: StoredChainLine[]; lanes: readonly Lane[] }

export function ChainDetail({ verdict, lines, lanes }: ChainPageProps): JSX.Element {
  return (
    <>
      <p><KindPill kind={verdict.kind} /> {verdict.flows.length ? <span>Flows: <span safe>{verdict.flows.join(", ")}</span></span> : ""}</p>
      <ul>{verdict.findings.map((f) => <li safe>{f}</li>)}</ul>
      <h2>Deelnemers in deze keten</h2>
      <ul>
        {verdict.participants.map((p) => (
          <li><a href={`/deelnemers/${encodeURIComponent(p.username)}`} safe>{`${p.name} (${role(p.role)})`}</a>{" "}
            {p.delivered ? <span class="status up">leverde aan</span> : <span class="status down">leverde niets aan</span>}</li>
        ))}
      </ul>
      <h2>Tijdlijn</h2>
      <TraceLines traceId={verdict.traceId} lines={lines} lanes={lanes} />
    </>
  );
}

/** Where a chain's delivered lines are downloaded (as the participants delivered them). */
export const deliveredLinesUrl = (traceId: string) => `/ketens/${encodeURIComponent(traceId)}/regels.ndjson`;

export function ChainPage(p: ChainPageProps & { cockpit: string }): JSX.Element {
  return (
    <Layout theme={themes.beheer} title="Keten">
      <p><a href="/">← Ketenmonitoring</a> · <a href="/ketens">Ketens</a></p>
      <h1>Keten <ReadableId id={p.verdict.traceId} /></h1>
      <section aria-labelledby="downloads">
        <h2 id="downloads">Downloaden voor triage</h2>
        <p><a href={deliveredLinesUrl(p.verdict.traceId)} download="">Aangeleverde regels (NDJSON)</a>: de regels van deze keten zoals
          de deelnemers ze aan MedMij Beheer leverden, ook die van externe PGO's en DVA's.</p>
        <p class="hint">Wat de sandbox zelf zag (haar eigen SD 4.5-regels, en als HAR het HTTP-verkeer van deze trace, geheimen
          weggelaten):</p>
        <TraceDownloads traceId={p.verdict.traceId} base={p.cockpit} />
      </section>
      <div hx-get={`/partials/keten?trace_id=${encodeURIComponent(p.verdict.traceId)}`} hx-trigger="every 3s" hx-swap="innerHTML">
        <ChainDetail {...p} />
      </div>
    </Layout>
  );
}
