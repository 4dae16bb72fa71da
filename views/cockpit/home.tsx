import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import type { ActorSite } from "../../src/shared/actor-sites.ts";
import type { Faults } from "../../src/shared/faults.ts";
import type { ResolvedNetwork } from "../../src/shared/resolved-network.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface ActorHealth { title: string; origin: string; internal: boolean; status: number; ms: number }

/** Rows of the actor table; refreshed by htmx every few seconds (live health). */
export function HealthRows({ rows }: { rows: ActorHealth[] }): JSX.Element {
  return (
    <>
      {rows.map((r) => (
        <tr>
          <td safe>{r.title}</td>
          <td><a href={`${r.origin}/`} safe>{r.origin}</a></td>
          <td>
            {r.status === 200
              ? <span class="status up">bereikbaar</span>
              : <span class="status down" safe>{r.status === 0 ? "onbereikbaar" : `HTTP ${r.status}`}</span>}
            {r.internal ? "" : <span class="status external">extern</span>}
          </td>
          <td safe>{`${r.ms} ms`}</td>
        </tr>
      ))}
    </>
  );
}

export interface CockpitHomeProps {
  network: ResolvedNetwork;
  actors: ActorSite[];
  csrfToken: string;
  faults: Faults;
  reset: boolean;
  /** A DVA whose flavour was just saved. */
  savedDva?: string | null;
}

const FLAVOUR_LABELS: Record<string, string> = { "sd-0.2": "Oplossingsontwerp v0.2 (seed 004)", "koppelmij-2026": "KoppelMij 2026 (ProviderTasks 1.0.0-alpha.2)" };

export function CockpitHome({ network, actors, csrfToken, faults, reset, savedDva }: CockpitHomeProps): JSX.Element {
  const activeFaults = Object.entries(faults);
  // "Start als Tom" logs in at a PGO this sandbox serves; a team's PGO gets its URL and the BSNs instead (issue 14 §4).
  const pgo = network.pgos.find((g) => g.site.internal);
  const teamPgos = network.pgos.filter((g) => !g.site.internal);
  return (
    <Layout theme={themes.cockpit} title="Cockpit">
      <h1 safe>{network.name}</h1>
      {reset ? <div class="notice" role="status"><p>Alle gegevens zijn teruggezet naar de seed.</p></div> : ""}
      {activeFaults.length > 0
        ? <div class="banner" role="status"><p>Actieve storingen: <span safe>{activeFaults.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}</span>. <a href="/faults">Storingen beheren</a></p></div>
        : ""}

      <h2 id="actors">Actoren</h2>
      <table>
        <thead><tr><th scope="col">Actor</th><th scope="col">Adres</th><th scope="col">Status</th><th scope="col">Reactietijd</th></tr></thead>
        <tbody hx-get="/partials/health" hx-trigger="load, every 5s" hx-swap="innerHTML">
          {actors.map((a) => (
            <tr><td safe>{a.title}</td><td><a href={`${a.site.origin}/`} safe>{a.site.origin}</a></td><td>…</td><td></td></tr>
          ))}
        </tbody>
      </table>

      <h2 id="dvas">DVA's en hun ontwerp</h2>
      <p>Welk ontwerp een DVA volgt voor de token exchange en de launch; de PGO en de module van de sandbox spreken mee. Omschakelen
        kan zonder herstart (ook met <code>PATCH /api/dvas/&lt;id&gt;</code>).</p>
      {savedDva ? <div class="notice" role="status"><p safe>{`Opgeslagen: ${network.dvas.find((d) => d.id === savedDva)?.name ?? savedDva} volgt nu ${FLAVOUR_LABELS[network.dvas.find((d) => d.id === savedDva)?.flavour ?? ""] ?? "?"}.`}</p></div> : ""}
      <table class="stack">
        <thead><tr><th scope="col">DVA</th><th scope="col">Ontwerp</th><th scope="col"><span class="visually-hidden">Opslaan</span></th></tr></thead>
        <tbody>
          {network.dvas.map((d) => (
            <tr>
              <td safe>{d.name}</td>
              <td>
                <form method="post" action={`/dvas/${encodeURIComponent(d.id)}`} id={`dva-${d.id}`} class="inline">
                  <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
                  <label for={`flavour-${d.id}`} class="visually-hidden" safe>{`Ontwerp van ${d.name}`}</label>
                  <select id={`flavour-${d.id}`} name="flavour">
                    {Object.entries(FLAVOUR_LABELS).map(([v, l]) => <option value={v} selected={d.flavour === v} safe>{l}</option>)}
                  </select>
                  <span class="choice"><input type="checkbox" id={`koppeltaal-${d.id}`} name="koppeltaal" value="true" checked={d.koppeltaal} />
                    <label class="inline" for={`koppeltaal-${d.id}`}>ook Koppeltaal 2.0 (HTI)</label></span>
                </form>
              </td>
              <td><button type="submit" form={`dva-${d.id}`} class="secondary" aria-label={`Ontwerp van ${d.name} opslaan`}>Opslaan</button></td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2 id="personas">Persona's</h2>
      <table>
        <thead><tr><th scope="col">Naam</th><th scope="col">BSN</th><th scope="col">Zorgaanbieders</th><th scope="col">PGO-login</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
        <tbody>
          {network.patients.map((p) => (
            <tr>
              <td safe>{p.fullName}</td>
              <td><code safe>{p.bsn}</code></td>
              <td safe>{p.zorgaanbieders.map((z) => network.zorgaanbieders.find((x) => x.name === z)?.displayName ?? z).join(", ")}</td>
              <td>{p.pgo ? <span><code safe>{p.pgo.username}</code> / <code safe>{p.pgo.password}</code></span> : <span class="hint">nog geen account</span>}</td>
              <td>{!pgo ? ""
                : p.pgo
                  ? <form method="post" action="/personas/start" class="inline">
                      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
                      <input type="hidden" name="bsn" value={p.bsn} />
                      <button type="submit" class="secondary" safe>{`Start als ${p.given}`}</button>
                    </form>
                  : <a class="button secondary" href={`${pgo.site.origin}/account`} safe>{`Account aanmaken voor ${p.given}`}</a>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {teamPgos.length
        ? (
          <div class="card" id="eigen-pgo">
            <h3>Met een eigen PGO</h3>
            <p>Een PGO van een team kent de inlog van de sandbox niet. Open de PGO zelf en log bij DigiD in met het BSN van de persona:</p>
            <ul>{teamPgos.map((g) => <li><a href={`${g.site.origin}/`} safe>{g.displayName}</a> — <code safe>{g.site.origin}</code></li>)}</ul>
            <p class="hint" safe>{network.patients.map((p) => `${p.given}: BSN ${p.bsn}`).join(" · ")}</p>
          </div>
        ) : ""}
      <h3>Zorgverleners</h3>
      <table>
        <thead><tr><th scope="col">Naam</th><th scope="col">Rol</th><th scope="col">Zorgaanbieder</th><th scope="col">Login zorgverlenersportaal</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
        <tbody>
          {network.clinicians.map((c) => (
            <tr>
              <td safe>{c.fullName}</td>
              <td safe>{c.role}</td>
              <td safe>{network.zorgaanbieders.find((z) => z.name === c.zorgaanbieder)?.displayName ?? c.zorgaanbieder}</td>
              <td><code safe>{c.username}</code> / <code safe>{c.password}</code></td>
              <td>
                <form method="post" action="/clinicians/start" class="inline">
                  <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
                  <input type="hidden" name="clinician" value={c.id} />
                  <button type="submit" class="secondary" safe>{`Start als ${c.given}`}</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Gereedschap</h2>
      <ul>
        <li><a href="/logs">Ketenmonitoring (chain log)</a> — elke stap op de lijn, per trace</li>
        <li><a href="/actors">Eigen actor</a> — meld de PGO, module, DVA of het systeem van je team aan, met de MedMij-check</li>
        <li><a href="/launch-link">Launch-link</a> — een verse launch-code voor een taak en module, met een gesimuleerde fout naar keuze</li>
        <li><a href="/tokens">Tokens</a> — bekijk een token of code (JWT, actief, van wie) en de live tokens per persona of client</li>
        <li><a href="/faults">Storingen</a> — laat actoren op verzoek falen</li>
        <li><a href="/mailbox">Postvak</a> — uitnodigingen die het zorgverlenersportaal "verstuurt"</li>
        <li><a href={`${network.register.origin}/`} safe>{`Stelsellijsten (${network.register.hostname})`}</a></li>
        <li><a href="/api/network">/api/network</a> — het netwerk als JSON, met client-id's en secrets</li>
      </ul>

      <h2 id="reset">Terug naar de seed</h2>
      <form method="post" action="/reset" class="card">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <p>Wist alle gegevens (taken, toestemmingen, accounts, logregels, e-mails, storingen) en zet de seed terug.</p>
        <div class="choice">
          <input type="checkbox" id="confirm-reset" name="confirm" value="yes" required />
          <label class="inline" for="confirm-reset">Ja, zet alles terug naar de seed</label>
        </div>
        <div class="actions"><button type="submit" class="danger">Reset to seed</button></div>
      </form>
    </Layout>
  );
}
