/**
 * The launch link generator (issue 14 §4, like smart-launcher's, against the real DVA rules): a
 * fresh launch code for a Task and module, as `<launch URL>?iss=…&launch=…`, optionally with a
 * simulated error the DVA then acts out.
 */
import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { formatDateTime } from "../../src/shared/time.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export const SIMULATION_LABELS: Record<string, string> = {
  "": "geen — een gewone launch",
  expired: "verlopen launch-code (/connect/authorize: invalid_request)",
  "wrong-audience": "launch-code voor een andere module (verkeerde audience)",
  "step-up": "step-up: de DVA vraagt opnieuw DigiD, ook met een sessie",
  "dva-down": "DVA tijdelijk niet beschikbaar (temporarily_unavailable)",
  "return-unavailable": "terugkeer mislukt: return_url antwoordt 503 temporarily_unavailable",
};

export interface TaskChoice { value: string; label: string; group: string }
export interface GeneratedLink { url: string; launch: string; iss: string; clientId: string; expiresAt: string; simulate: string | null }

export function LaunchLinkPage(p: { csrfToken: string; tasks: TaskChoice[]; clients: { value: string; label: string }[]; values: Record<string, string>;
  link?: GeneratedLink; error?: string }): JSX.Element {
  const groups = [...new Set(p.tasks.map((t) => t.group))];
  return (
    <Layout theme={themes.cockpit} title="Launch-link">
      <p><a href="/">← Cockpit</a></p>
      <h1>Launch-link maken</h1>
      <p>Een verse launch-code voor een taak, zoals de DVA die na de token exchange uitgeeft, als link naar de module:
        <code>&lt;launch-URL&gt;?iss=…&amp;launch=…</code>. Handig om je eigen module te starten zonder PGO, met desgewenst een gesimuleerde fout.
        De code geldt 10 minuten en één keer.</p>
      {p.error ? <div class="error" role="alert"><p safe>{p.error}</p></div> : ""}
      {p.link ? (
        <div class="notice" role="status">
          <p>Launch-link{p.link.simulate ? <span safe>{` (gesimuleerd: ${SIMULATION_LABELS[p.link.simulate] ?? p.link.simulate})`}</span> : ""}:</p>
          <p><a href={p.link.url} id="launch-link"><code safe>{p.link.url}</code></a></p>
          <p class="hint" safe>{`client_id ${p.link.clientId} · iss ${p.link.iss} · geldig tot ${formatDateTime(new Date(p.link.expiresAt))}`}</p>
        </div>
      ) : ""}
      <form method="post" action="/launch-link" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <label for="task">Taak</label>
        <select id="task" name="task" required>
          {groups.map((g) => <optgroup label={g}>{p.tasks.filter((t) => t.group === g).map((t) => <option value={t.value} selected={t.value === p.values.task} safe>{t.label}</option>)}</optgroup>)}
        </select>
        <label for="client">Module (client_id bij de DVA)</label>
        <select id="client" name="client">
          <option value="">de module van de taak</option>
          {p.clients.map((c) => <option value={c.value} selected={c.value === p.values.client} safe>{c.label}</option>)}
        </select>
        <label for="launch-url">Eigen launch-URL (leeg: die van de module)</label>
        <input id="launch-url" name="launchUrl" type="url" value={p.values.launchUrl ?? ""} placeholder="http://mijnteam.localhost:4000/launch" />
        <label for="kind">Soort launch</label>
        <select id="kind" name="kind">
          <option value="code" selected={p.values.kind !== "hti"}>launch-code (zoals na de token exchange)</option>
          <option value="hti" selected={p.values.kind === "hti"}>Koppeltaal 2.0: HTI-launchtoken (DVA met koppeltaal aan)</option>
        </select>
        <label for="simulate">Gesimuleerde fout (alleen bij een launch-code)</label>
        <select id="simulate" name="simulate">
          {Object.entries(SIMULATION_LABELS).map(([v, l]) => <option value={v} selected={v === (p.values.simulate ?? "")} safe>{l}</option>)}
        </select>
        <div class="actions"><button type="submit">Launch-link maken</button></div>
      </form>
    </Layout>
  );
}

/** Where a generated launch returns (its return_url): what the module sent back, or the simulated failure. */
export function LaunchReturnPage({ params }: { params: [string, string][] }): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Terug van de module">
      <h1>Terug van de module</h1>
      <p>De module stuurde de browser terug naar de return_url van een gegenereerde launch.</p>
      {params.length
        ? <table class="stack"><caption class="visually-hidden">Parameters</caption><thead><tr><th scope="col">Parameter</th><th scope="col">Waarde</th></tr></thead>
            <tbody>{params.map(([k, v]) => <tr><td><code safe>{k}</code></td><td><code safe>{v}</code></td></tr>)}</tbody></table>
        : <p class="hint">Zonder parameters (geen error: de module meldt succes).</p>}
      <p><a href="/launch-link">Nog een launch-link maken</a></p>
    </Layout>
  );
}
