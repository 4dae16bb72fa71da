/**
 * MedMij Beheer per participant (issue 13): its deliveries technisch OK / niet OK over the last
 * hour, the latest deliveries, lines with functional errors and bereikbaarheid; and one delivery
 * with the problems of each line, as the POST answered them.
 */
import type { ParticipantDetail } from "../../src/beheer/dashboard.ts";
import type { DeliveryRecord, LineRecord } from "../../src/beheer/store.ts";
import { formatDateTime } from "../../src/shared/time.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";
import { DeliveriesChart } from "./charts.tsx";

const nl = (n: number) => n.toLocaleString("nl-NL");
const role = (r: "pgo" | "dva") => (r === "pgo" ? "PGO" : "DVA");

function errorOf(l: LineRecord): string {
  try {
    const e = (JSON.parse(l.line) as { error?: { code?: unknown; description?: unknown } }).error;
    return e ? `${String(e.code ?? "")}${e.description ? `: ${String(e.description)}` : ""}` : "";
  } catch { return ""; }
}

function LinesTable({ lines, caption }: { lines: LineRecord[]; caption: string }): JSX.Element {
  return (
    <table class="stack">
      <caption class="hint" safe>{caption}</caption>
      <thead><tr><th scope="col">Tijd</th><th scope="col">Event</th><th scope="col">Fout</th><th scope="col">Keten</th></tr></thead>
      <tbody>
        {lines.map((l) => (
          <tr>
            <td data-label="Tijd">{l.datetime ? formatDateTime(l.datetime) : "—"}</td>
            <td data-label="Event"><code safe>{l.type ?? "—"}</code></td>
            <td data-label="Fout" safe>{errorOf(l)}</td>
            <td data-label="Keten">{l.traceId ? <a href={`/ketens/${encodeURIComponent(l.traceId)}`}>tijdlijn<span class="visually-hidden" safe>{` van ${l.traceId}`}</span></a> : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DeliveriesTable({ deliveries }: { deliveries: DeliveryRecord[] }): JSX.Element {
  return (
    <table class="stack">
      <caption class="hint">Nieuwste eerst.</caption>
      <thead><tr><th scope="col">Ontvangen</th><th scope="col">Resultaat</th><th scope="col">Regels</th><th scope="col">Met problemen</th><th scope="col">Functionele fouten</th></tr></thead>
      <tbody>
        {deliveries.map((d) => (
          <tr>
            <td data-label="Ontvangen"><a href={`/aanleveringen/${encodeURIComponent(d.id)}`} safe>{formatDateTime(d.ontvangen)}</a></td>
            <td data-label="Resultaat">{d.technischOk ? <span class="status up">technisch OK</span> : <span class="status down">technisch niet OK</span>}</td>
            <td data-label="Regels" safe>{nl(d.regels)}</td>
            <td data-label="Met problemen" safe>{nl(d.regelsMetProblemen)}</td>
            <td data-label="Functionele fouten" safe>{nl(d.functioneleFouten)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The live part of a participant's page. */
export function ParticipantDetailView({ d }: { d: ParticipantDetail }): JSX.Element {
  const s = d.summary;
  const nietOk = s.deliveries - s.ok;
  const a = d.availability;
  return (
    <>
      {s.deliveries === 0
        ? <div class="error" role="status"><p><strong>Geen aanleveringen.</strong> MedMij Beheer heeft van {" "}<span safe>{s.participant.name}</span> nog geen logregels ontvangen.
            Levert u aan met <code>POST /eagleeye/v1/logs</code> en de gegevens uit <code>GET /api/network</code> (veld <code>beheer</code>)?</p></div>
        : <p safe>{`${nl(s.deliveries)} aanleveringen: ${nl(s.ok)} technisch OK, ${nl(nietOk)} technisch niet OK; ${nl(s.lines)} regels, waarvan ${nl(s.functionalErrors)} met een functionele fout. Laatste: ${formatDateTime(s.last)}.`}</p>}
      <h2>Aanleveringen in het laatste uur</h2>
      <DeliveriesChart id="aanleveringen" buckets={d.buckets} />
      {d.deliveries.length ? <DeliveriesTable deliveries={d.deliveries} /> : ""}
      <h2>Regels met een functionele fout</h2>
      {d.functionalErrors.length === 0
        ? <p class="hint">Geen.</p>
        : <LinesTable lines={d.functionalErrors} caption="Regels met een error-deel of een event dat op _error eindigt; nieuwste eerst." />}
      <h2>Bereikbaarheid</h2>
      <p safe>{`In de laatste regels deed ${s.participant.name} ${nl(a.checks)} verzoeken aan andere partijen; ${nl(a.errorCount)} keer was de andere partij niet bereikbaar (receive_availability_check_error).`}</p>
      {a.errors.length ? <LinesTable lines={a.errors} caption="Beschikbaarheidsfouten, nieuwste eerst." /> : ""}
    </>
  );
}

export function ParticipantPage({ d }: { d: ParticipantDetail }): JSX.Element {
  const p = d.summary.participant;
  return (
    <Layout theme={themes.beheer} title={p.name}>
      <p><a href="/">← Ketenmonitoring</a></p>
      <h1 safe>{`${p.name} (${role(p.role)})`}</h1>
      <dl class="facts">
        <dt>Gebruikersnaam</dt><dd><code safe>{p.username}</code></dd>
        <dt>Hosts (event.location)</dt><dd safe>{p.hosts.join(", ")}</dd>
      </dl>
      <div hx-get={`/partials/deelnemer?u=${encodeURIComponent(p.username)}`} hx-trigger="every 5s" hx-swap="innerHTML">
        <ParticipantDetailView d={d} />
      </div>
    </Layout>
  );
}

export function DeliveryPage({ d, name, problems }: { d: DeliveryRecord; name: string; problems: { index: number; problemen: string[] }[] }): JSX.Element {
  return (
    <Layout theme={themes.beheer} title="Aanlevering">
      <p><a href="/">← Ketenmonitoring</a> · <a href={`/deelnemers/${encodeURIComponent(d.deelnemer)}`} safe>{name}</a></p>
      <h1>Aanlevering</h1>
      <dl class="facts">
        <dt>Id</dt><dd><code safe>{d.id}</code></dd>
        <dt>Deelnemer</dt><dd safe>{name}</dd>
        <dt>Ontvangen</dt><dd safe>{formatDateTime(d.ontvangen)}</dd>
        <dt>Resultaat</dt><dd>{d.technischOk ? <span class="status up">technisch OK</span> : <span class="status down">technisch niet OK</span>}</dd>
        <dt>Regels</dt><dd safe>{`${nl(d.regels)} (${nl(d.tekens)} tekens), ${nl(d.regelsMetProblemen)} met problemen, ${nl(d.functioneleFouten)} met een functionele fout`}</dd>
      </dl>
      {d.problemen.length ? <div class="error"><ul>{d.problemen.map((p) => <li safe>{p}</li>)}</ul></div> : ""}
      {problems.length
        ? <table class="stack">
            <caption class="hint">Per regel (index vanaf 0) de problemen, zoals het antwoord op de aanlevering ze gaf.</caption>
            <thead><tr><th scope="col">Index</th><th scope="col">Problemen</th></tr></thead>
            <tbody>{problems.map((r) => <tr><td data-label="Index" safe>{String(r.index)}</td><td data-label="Problemen"><ul>{r.problemen.map((x) => <li safe>{x}</li>)}</ul></td></tr>)}</tbody>
          </table>
        : d.problemen.length ? "" : <p>Elke regel voldoet aan het schema.</p>}
    </Layout>
  );
}
