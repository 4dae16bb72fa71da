import { chainLogTuning, type ChainLogStats, type StoredChainLine, type TraceSummary } from "../../src/shared/chain-log.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";
import { formatDay } from "../../src/shared/time.ts";

/** An actor column of the timeline: its name and colour (views/theme.ts). */
export interface Lane { host: string; title: string; color: string }

/**
 * One trace as a timeline across actors (SPEC §10): a column per actor, a row per log line in
 * order, so every hop shows where it left and where it arrived; polled live by htmx.
 */
export function TraceLines({ lines, lanes }: { traceId: string; lines: StoredChainLine[]; lanes: readonly Lane[] }): JSX.Element {
  if (lines.length === 0) return <p class="hint">Nog geen regels in deze trace.</p>;
  const present = new Set(lines.map((l) => l.event.location));
  const known = lanes.filter((l) => present.has(l.host));
  const columns: Lane[] = [...known, ...[...present].filter((h) => !known.some((k) => k.host === h)).map((host) => ({ host, title: host, color: "#64748b" }))];
  return (
    <div class="swimlanes">
      <table>
        <caption class="hint">Elke rij is één logregel; de kolom is de actor die hem schreef.</caption>
        <thead>
          <tr>
            <th scope="col">Tijd</th>
            {columns.map((c) => <th scope="col" style={`border-top: 4px solid ${c.color}`}><span safe>{c.title}</span><br /><code class="hint" safe>{c.host}</code></th>)}
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr>
              <td><code safe>{l.event.datetime.slice(11, 23)}</code></td>
              {columns.map((c) => c.host !== l.event.location ? <td></td> : (
                <td class={l.error ? "lane-event error-line" : "lane-event"} style={`border-left: 4px solid ${c.color}`}>
                  <strong safe>{l.event.type}</strong>
                  {l.request ? <div><code safe>{`${String(l.request.method ?? "").toUpperCase()} ${l.request.uri ?? ""}`}</code></div> : ""}
                  {l.response ? <div safe>{`status ${l.response.status}`}</div> : ""}
                  {l.error ? <div class="field-error" safe>{`${l.error.code}: ${l.error.description}`}</div> : ""}
                  <details><summary>JSON</summary><pre safe>{JSON.stringify({ ...l, seq: undefined }, null, 2)}</pre></details>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const count = (n: number) => n.toLocaleString("nl-NL");

/** How much of the chain log is kept (issue 11: retention), and what a full disk cost. */
export function Retention({ stats }: { stats: ChainLogStats }): JSX.Element {
  const { keepLines, keepHours } = stats.retention;
  const limits = [keepLines > 0 ? `de laatste ${count(keepLines)} regels` : "", keepHours > 0 ? `${count(keepHours)} uur` : ""].filter(Boolean);
  const since = stats.since ? ` sinds ${stats.since.slice(0, 19).replace("T", " ")}` : "";
  return (
    <div class="retention">
      <p class="hint" safe>{`Bewaard: ${count(stats.lines)} regels${since}, grens: ${limits.length ? limits.join(" en ") : "geen"}. Oudere regels verdwijnen op de achtergrond (--log-keep-lines, --log-keep-hours).`}</p>
      {stats.dropped > 0
        ? <p class="field-error" role="status" safe>{`${count(stats.dropped)} regels niet opgeslagen sinds de start: de database kon ze niet bewaren (schijf vol of opslagfout).`}</p>
        : ""}
    </div>
  );
}

/** What the list shows: the search box, the actor and event filters, the kind of trace, and the page. */
export interface LogsFilter {
  /** A Trace ID or Session ID as pasted (from an error page). */
  q: string;
  actor: string;
  type: string;
  soort: "reizen" | "overige" | "alle";
  /** The page: traces older than this sequence number. */
  voor: number | null;
}

export type LogsSearch =
  | { kind: "session"; sessionId: string; traces: TraceSummary[] }
  | { kind: "none"; value: string };

export interface LogsPageProps {
  traceId?: string;
  lines: StoredChainLine[];
  lanes: readonly Lane[];
  stats: ChainLogStats;
  filter: LogsFilter;
  /** Actors and event types of the newest lines, for the filters. */
  facets: { locations: string[]; types: string[] };
  list: { traces: TraceSummary[]; next: number | null };
  /** On the first page of journeys without filters: the newest single calls, below them. */
  singles: TraceSummary[] | null;
  search: LogsSearch | null;
}

const SOORTEN: [LogsFilter["soort"], string][] = [["reizen", "Reizen (verbinden, taak starten, terugkeer; of met een fout)"], ["overige", "Overige (taken ophalen, losse aanroepen)"], ["alle", "Alle traces"]];

/** What a trace is, from its event types (SD 4.5), so a list of ids reads as what happened. */
export function traceKind(types: readonly string[]): string {
  const has = (...t: string[]) => t.some((x) => types.includes(x));
  if (has("send_smart_launch_request", "receive_authorize_request", "send_authorize_request_error")) return "Taak starten";
  if (has("send_authorization_request", "receive_authorization_request")) return "Verbinden (toestemming)";
  if (has("send_token_request", "receive_token_request")) return "Token";
  if (has("send_resource_request")) return "Taken ophalen";
  if (has("receive_resource_request")) return "FHIR-verzoek";
  if (has("receive_smart_configuration_request")) return "SMART-configuratie";
  if (types.some((t) => t.endsWith("list_request"))) return "Lijst van het register";
  if (has("receive_availability_check_error")) return "Niet bereikbaar";
  return types[0] ?? "Trace";
}

/** A chain-log datetime (Amsterdam local time with offset) as "1 december 2026 21:59:31": as written, no ISO in the page. */
function when(datetime: string): string {
  const day = /^\d{4}-\d{2}-\d{2}/.test(datetime) ? formatDay(datetime.slice(0, 10)) : "";
  return `${day} ${datetime.slice(11, 19)}`.trim();
}

/**
 * A trace id as people compare it: in full (error pages show it in full), with the part that
 * tells ids apart in bold — a UUID v7 begins with its timestamp, so ids of one minute look alike.
 */
export function ReadableId({ id }: { id: string }): JSX.Element {
  const cut = id.lastIndexOf("-");
  if (cut < 0 || cut === id.length - 1) return <code class="trace-id" safe>{id}</code>;
  return <code class="trace-id"><span safe>{id.slice(0, cut + 1)}</span><strong safe>{id.slice(cut + 1)}</strong></code>;
}

/** Where a trace is exported for triage (issue 13 §3); the same URLs serve scripts. */
export const traceExportUrl = (traceId: string, format: "ndjson" | "har", base = "") => `${base}/api/traces/${encodeURIComponent(traceId)}.${format}`;

/**
 * "Download NDJSON" (the trace's SD 4.5 lines) and "Download HAR" (its HTTP exchanges, redacted),
 * in the trace view; in the list as "NDJSON" and "HAR", with the trace named for screen readers.
 */
export function TraceDownloads({ traceId, short = false, base = "" }: { traceId: string; short?: boolean; base?: string }): JSX.Element {
  // Only for an id the sandbox could have logged (trace.ts): the server names the file (Content-Disposition).
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(traceId)) return <></>;
  const link = (format: "ndjson" | "har", label: string) => (
    <a href={traceExportUrl(traceId, format, base)} download="">
      {short ? <><span safe>{label}</span><span class="visually-hidden" safe>{` van trace ${traceId}`}</span></> : <span safe>{`Download ${label}`}</span>}
    </a>
  );
  return short
    ? <span class="trace-downloads">{link("ndjson", "NDJSON")} {link("har", "HAR")}</span>
    : <p class="actions trace-downloads">{link("ndjson", "NDJSON")} {link("har", "HAR")}</p>;
}

function TraceTable({ traces, lanes, caption }: { traces: TraceSummary[]; lanes: readonly Lane[]; caption: string }): JSX.Element {
  const title = (host: string) => lanes.find((l) => l.host === host)?.title ?? host;
  return (
    <div class="swimlanes">
      <table>
        <caption class="hint" safe>{caption}</caption>
        <thead><tr><th scope="col">Wat</th><th scope="col">Trace ID</th><th scope="col">Begin</th><th scope="col">Regels</th><th scope="col">Actoren</th><th scope="col">Download</th></tr></thead>
        <tbody>
          {traces.map((t) => (
            <tr>
              <td>
                <a href={`/logs?trace_id=${encodeURIComponent(t.traceId)}`} safe>{traceKind(t.types)}</a>
                {t.errors > 0 ? <div class="field-error" safe>{`${t.errors} ${t.errors === 1 ? "fout" : "fouten"}`}</div> : ""}
              </td>
              <td><ReadableId id={t.traceId} /></td>
              <td safe>{when(t.first)}</td>
              <td safe>{String(t.lines)}</td>
              <td safe>{t.locations.map(title).join(", ")}</td>
              <td><TraceDownloads traceId={t.traceId} short /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The filters as a query string, for the pager and the links between kinds. */
function queryOf(f: LogsFilter, change: Partial<LogsFilter>): string {
  const next = { ...f, ...change };
  const params = new URLSearchParams();
  if (next.actor) params.set("actor", next.actor);
  if (next.type) params.set("type", next.type);
  if (next.soort !== "reizen") params.set("soort", next.soort);
  if (next.voor !== null) params.set("voor", String(next.voor));
  const text = params.toString();
  return text ? `/logs?${text}` : "/logs";
}

function SearchForm({ filter, facets, lanes }: { filter: LogsFilter; facets: LogsPageProps["facets"]; lanes: readonly Lane[] }): JSX.Element {
  const actors = [...new Set([...lanes.map((l) => l.host), ...facets.locations, ...(filter.actor ? [filter.actor] : [])])];
  const types = [...new Set([...facets.types, ...(filter.type ? [filter.type] : [])])].sort();
  const title = (host: string) => lanes.find((l) => l.host === host)?.title ?? host;
  return (
    <form method="get" action="/logs" class="card" role="search">
      <label for="logs-q">Trace ID of Session ID</label>
      <input type="search" id="logs-q" name="q" value={filter.q} autocomplete="off" spellcheck="false" aria-describedby="logs-q-hint" />
      <p class="hint" id="logs-q-hint">Plak de waarde van een foutpagina ("Technische storing", "Starten mislukt").</p>
      <div class="row">
        <div>
          <label for="logs-actor">Actor</label>
          <select id="logs-actor" name="actor">
            <option value="" selected={!filter.actor}>Alle actoren</option>
            {actors.map((a) => <option value={a} selected={a === filter.actor} safe>{`${title(a)}${title(a) === a ? "" : ` (${a})`}`}</option>)}
          </select>
        </div>
        <div>
          <label for="logs-type">Gebeurtenis</label>
          <select id="logs-type" name="type">
            <option value="" selected={!filter.type}>Alle gebeurtenissen</option>
            {types.map((t) => <option value={t} selected={t === filter.type} safe>{t}</option>)}
          </select>
        </div>
        <div>
          <label for="logs-soort">Soort</label>
          <select id="logs-soort" name="soort">
            {SOORTEN.map(([value, label]) => <option value={value} selected={value === filter.soort} safe>{label}</option>)}
          </select>
        </div>
      </div>
      <div class="actions">
        <button type="submit">Zoeken</button>
        <a class="button secondary" href="/logs">Alles tonen</a>
      </div>
    </form>
  );
}

function SearchResult({ search, lanes }: { search: LogsSearch; lanes: readonly Lane[] }): JSX.Element {
  if (search.kind === "session") {
    return (
      <section aria-labelledby="session-heading">
        <h2 id="session-heading">Sessie <code safe>{search.sessionId}</code></h2>
        <TraceTable traces={search.traces} lanes={lanes} caption="De traces waarvan een regel deze session_id draagt, nieuwste eerst." />
      </section>
    );
  }
  return (
    <div class="error" role="status">
      <p>Geen trace en geen sessie gevonden voor <code safe>{search.value}</code> <span safe>{` (een sessie zoekt de cockpit in de nieuwste ${chainLogTuning.sessionSpan.toLocaleString("nl-NL")} regels).`}</span></p>
      <p>Een Trace ID staat hier zolang de regels bewaard worden (zie hierboven). Een Session ID vindt u alleen als de actor
        die hem toonde zijn logregels met die <code>session_id</code> schrijft; de PGO en de DVA's van de sandbox schrijven
        hun regels zonder session_id. Zoek dan op de Trace ID van dezelfde foutpagina.</p>
    </div>
  );
}

export function LogsPage(p: LogsPageProps): JSX.Element {
  const { filter, list } = p;
  const heading = filter.soort === "reizen" ? "Reizen" : filter.soort === "overige" ? "Overige traces" : "Alle traces";
  return (
    <Layout theme={themes.cockpit} title="Ketenmonitoring">
      <p><a href="/">← Cockpit</a></p>
      <h1>Ketenmonitoring</h1>
      <p>Logregels in het formaat van SD 4.5, per trace (<code>X-Correlation-ID</code>). Ook als NDJSON:
        <code>GET /api/logs?trace_id=&amp;since=</code>; één trace als bestand: <code>GET /api/traces/&lt;trace_id&gt;.ndjson</code>
        of <code>.har</code>.</p>
      <Retention stats={p.stats} />
      {p.traceId ? (
        <section aria-labelledby="trace-heading">
          <h2 id="trace-heading"><span safe>{`${traceKind([...new Set(p.lines.map((l) => l.event.type))])}: trace `}</span><ReadableId id={p.traceId} /></h2>
          <TraceDownloads traceId={p.traceId} />
          <p class="hint">NDJSON: de SD 4.5-regels van deze trace. HAR: de HTTP-verzoeken die de sandbox erin zag (geheimen als REDACTED,
            bodies ingekort), te openen in de devtools van een browser (Network → Import HAR).</p>
          <div hx-get={`/partials/trace?trace_id=${encodeURIComponent(p.traceId)}`} hx-trigger="every 2s" hx-swap="innerHTML">
            <TraceLines traceId={p.traceId} lines={p.lines} lanes={p.lanes} />
          </div>
        </section>
      ) : ""}
      <SearchForm filter={filter} facets={p.facets} lanes={p.lanes} />
      {p.search ? <SearchResult search={p.search} lanes={p.lanes} /> : ""}
      <h2>{filter.voor !== null ? `${heading} (oudere)` : heading}</h2>
      {list.traces.length === 0
        ? <p class="hint">{filter.actor || filter.type || filter.voor !== null
          ? list.next !== null ? "Geen traces die hierbij passen in dit stuk van de log; Oudere traces kijkt verder terug." : "Geen traces die hierbij passen."
          : "Nog geen verkeer gelogd. Doorloop een patiëntreis en kom terug."}</p>
        : <TraceTable traces={list.traces} lanes={p.lanes} caption="Nieuwste eerst; de link opent de trace als tijdlijn over de actoren." />}
      <nav aria-label="Pagina's" class="actions">
        {filter.voor !== null ? <a href={queryOf(filter, { voor: null })}>Nieuwste</a> : ""}
        {list.next !== null ? <a href={queryOf(filter, { voor: list.next })}>Oudere traces</a> : ""}
      </nav>
      {p.singles ? (
        <section aria-labelledby="singles-heading">
          <h2 id="singles-heading">Laatste overige traces</h2>
          {p.singles.length === 0 ? <p class="hint">Geen.</p> : <TraceTable traces={p.singles} lanes={p.lanes} caption="Wat de actoren tussen de reizen door doen: taken ophalen, tokens vernieuwen, losse verzoeken." />}
          <p><a href={queryOf(filter, { soort: "overige", voor: null })}>Alle overige traces</a></p>
        </section>
      ) : ""}
    </Layout>
  );
}
