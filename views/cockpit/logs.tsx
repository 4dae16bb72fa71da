import type { StoredChainLine } from "../../src/shared/chain-log.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface LogsPageProps {
  traces: { traceId: string; first: string; last: string; lines: number; locations: string }[];
  traceId?: string;
  lines: StoredChainLine[];
}

/** One trace as a timeline across actors (SPEC §10); polled live by htmx. */
export function TraceLines({ traceId, lines }: { traceId: string; lines: StoredChainLine[] }): JSX.Element {
  if (lines.length === 0) return <p class="hint">Nog geen regels in deze trace.</p>;
  return (
    <ol class="timeline">
      {lines.map((l) => (
        <li>
          <strong safe>{l.event.type}</strong> <span class="hint" safe>{`${l.event.datetime} — ${l.event.location}`}</span>
          {l.request ? <div><code safe>{`${String(l.request.method ?? "").toUpperCase()} ${l.request.uri ?? ""}`}</code></div> : ""}
          {l.response ? <div safe>{`status ${l.response.status}`}</div> : ""}
          {l.error ? <div class="field-error" safe>{`${l.error.code}: ${l.error.description}`}</div> : ""}
          <details><summary>JSON</summary><pre safe>{JSON.stringify({ ...l, seq: undefined }, null, 2)}</pre></details>
        </li>
      ))}
    </ol>
  );
}

export function LogsPage({ traces, traceId, lines }: LogsPageProps): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Ketenmonitoring">
      <p><a href="/">← Cockpit</a></p>
      <h1>Ketenmonitoring</h1>
      <p>Logregels in het formaat van SD 4.5, per trace (<code>X-Correlation-ID</code>). Ook als NDJSON:
        <code>GET /api/logs?trace_id=&amp;since=</code>.</p>
      {traceId ? (
        <section aria-labelledby="trace-heading">
          <h2 id="trace-heading">Trace <code safe>{traceId}</code></h2>
          <div hx-get={`/partials/trace?trace_id=${encodeURIComponent(traceId)}`} hx-trigger="every 2s" hx-swap="innerHTML">
            <TraceLines traceId={traceId} lines={lines} />
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
