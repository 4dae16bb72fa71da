import type { ChainLogStats, StoredChainLine } from "../../src/shared/chain-log.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface LogsPageProps {
  traces: { traceId: string; first: string; last: string; lines: number; locations: string }[];
  traceId?: string;
  lines: StoredChainLine[];
  lanes: readonly Lane[];
  stats: ChainLogStats;
}

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

export function LogsPage({ traces, traceId, lines, lanes, stats }: LogsPageProps): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Ketenmonitoring">
      <p><a href="/">← Cockpit</a></p>
      <h1>Ketenmonitoring</h1>
      <p>Logregels in het formaat van SD 4.5, per trace (<code>X-Correlation-ID</code>). Ook als NDJSON:
        <code>GET /api/logs?trace_id=&amp;since=</code>.</p>
      <Retention stats={stats} />
      {traceId ? (
        <section aria-labelledby="trace-heading">
          <h2 id="trace-heading">Trace <code safe>{traceId}</code></h2>
          <div hx-get={`/partials/trace?trace_id=${encodeURIComponent(traceId)}`} hx-trigger="every 2s" hx-swap="innerHTML">
            <TraceLines traceId={traceId} lines={lines} lanes={lanes} />
          </div>
        </section>
      ) : ""}
      <h2>Recente traces</h2>
      {traces.length === 0 ? <p class="hint">Nog geen verkeer gelogd. Doorloop een patiëntreis en kom terug.</p> : (
        <table>
          <thead><tr><th scope="col">Trace</th><th scope="col">Begin</th><th scope="col">Regels</th><th scope="col">Actoren</th></tr></thead>
          <tbody>
            {traces.map((t) => (
              <tr>
                <td><a href={`/logs?trace_id=${encodeURIComponent(t.traceId)}`}><code safe>{t.traceId}</code></a></td>
                <td safe>{t.first}</td>
                <td safe>{String(t.lines)}</td>
                <td safe>{t.locations}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
