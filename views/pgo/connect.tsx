import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";
import { LogoutButton, SignedInAs } from "./account.tsx";

export interface ProviderRow { name: string; displayName: string; connected: boolean }

/** "Verbinden" with the accessible name "Verbinden met <naam>" (SPEC §12). */
function ConnectButton({ csrfToken, provider }: { csrfToken: string; provider: ProviderRow }): JSX.Element {
  return (
    <form method="post" action="/verbind">
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
      <input type="hidden" name="zorgaanbieder" value={provider.name} />
      <button type="submit" aria-label={`Verbinden met ${provider.displayName}`}>Verbinden</button>
    </form>
  );
}

/** "Zorgaanbieder toevoegen": the providers offering "Verzamelen Aanbiedertaken", searchable. */
export function ProvidersPage({ theme, csrfToken, providers, q }: { theme: Theme; csrfToken: string; providers: ProviderRow[]; q: string }): JSX.Element {
  return (
    <Layout theme={theme} title="Zorgaanbieder toevoegen" aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/">← Start</a></p>
      <h1>Zorgaanbieder toevoegen</h1>
      <p>Kies de zorgaanbieder die taken voor je heeft klaargezet. Je logt daarna in met DigiD bij de dienstverlener van die zorgaanbieder en geeft toestemming.</p>
      <form method="get" action="/zorgaanbieders" role="search">
        <label for="q">Zoek zorgaanbieder</label>
        <input type="search" id="q" name="q" value={q} hx-get="/zorgaanbieders" hx-trigger="input changed delay:200ms" hx-target="#providers" hx-select="#providers" hx-swap="outerHTML" />
        <noscript><button type="submit">Zoeken</button></noscript>
      </form>
      <ul id="providers" class="grid" aria-live="polite">
        {providers.length === 0 ? <li class="hint">Geen zorgaanbieder gevonden.</li> : providers.map((p) => (
          <li class="card">
            <strong safe>{p.displayName}</strong>
            <div class="hint"><code safe>{p.name}</code></div>
            {p.connected ? <p class="notice">Verbonden</p> : <ConnectButton csrfToken={csrfToken} provider={p} />}
          </li>
        ))}
      </ul>
    </Layout>
  );
}

/**
 * The invitation deep link (AM-FE-014/017): one provider preselected. It says which invitation
 * this is and whose PGO it opened in, with "niet jij? Uitloggen" leading back to it (issue 12 §3).
 */
export function ConnectPage({ theme, csrfToken, provider, userName, pgoName, dvaName }: { theme: Theme; csrfToken: string; provider: ProviderRow; userName: string; pgoName: string; dvaName: string }): JSX.Element {
  return (
    <Layout theme={theme} title={`Uitnodiging van ${provider.displayName}`}>
      <h1 safe>{`Uitnodiging van ${provider.displayName}`}</h1>
      <SignedInAs name={userName} csrfToken={csrfToken} next={`/verbind?zorgaanbieder=${encodeURIComponent(provider.name)}`} />
      <p safe>{`Je bent uitgenodigd om de taken van ${provider.displayName} in ${pgoName} te bekijken. Met "Verbinden" ga je naar ${dvaName}, de dienstverlener van ${provider.displayName}: daar log je in met DigiD en geef je toestemming.`}</p>
      {provider.connected
        ? <p class="hint">Je bent al verbonden met <span safe>{provider.displayName}</span>; opnieuw verbinden vernieuwt je toestemming. Je taken staan onder <a href="/taken">Taken van zorgaanbieders</a>.</p>
        : ""}
      <ConnectButton csrfToken={csrfToken} provider={provider} />
    </Layout>
  );
}

/**
 * Back from the DVA after the person broke off the DigiD login (issue 12): seed 003 "Duiding van
 * errors" — say where it stopped (DigiD, at the DVA), calm like the page for a refused consent.
 */
export function DigidStoppedPage({ theme, provider, providerName, dvaName, forTask }: { theme: Theme; provider: string; providerName: string; dvaName: string; forTask: boolean }): JSX.Element {
  return (
    <Layout theme={theme} title="Inloggen met DigiD gestopt">
      <h1>Inloggen met DigiD gestopt</h1>
      <p safe>{`Je hebt het inloggen met DigiD bij ${dvaName}, de dienstverlener van ${providerName}, afgebroken. ${forTask ? "De taak is niet gestart" : `Er is geen verbinding gemaakt met ${providerName}`} en er is niets gedeeld.`}</p>
      <p>Je kunt het opnieuw proberen wanneer je wilt.</p>
      <p>{forTask
        ? <a class="button secondary" href="/taken">Terug naar Taken van zorgaanbieders</a>
        : <a class="button secondary" href={`/verbind?zorgaanbieder=${encodeURIComponent(provider)}`}>Opnieuw verbinden</a>}</p>
    </Layout>
  );
}

/** Back from the DVA without consent: calm, no error tone (issue 5 item 2). */
export function NoConsentPage({ theme, provider }: { theme: Theme; provider: string }): JSX.Element {
  return (
    <Layout theme={theme} title="Geen toestemming">
      <h1>Je hebt geen toestemming gegeven</h1>
      <p safe>{`Er is niets gedeeld met ${provider}. Je kunt later alsnog verbinden.`}</p>
      <p><a class="button secondary" href="/zorgaanbieders">Terug naar zorgaanbieders</a></p>
    </Layout>
  );
}

export interface ConnectionRow { name: string; displayName: string; dvaName: string; longTerm: boolean; connectedAt: string; expiresAt: string | null }

const disconnectHref = (r: ConnectionRow) => `/verbindingen/ontkoppelen?zorgaanbieder=${encodeURIComponent(r.name)}`;

/** Connected providers, consent type and expiry, and "Ontkoppelen" (issue 5 item 8), which first asks (issue 12 §3). */
export function ConnectionsPage({ theme, csrfToken, rows, removed }: { theme: Theme; csrfToken: string; rows: ConnectionRow[]; removed: boolean }): JSX.Element {
  return (
    <Layout theme={theme} title="Verbindingen" aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/taken">← Taken van zorgaanbieders</a></p>
      <h1>Verbindingen</h1>
      {removed ? <div class="notice" role="status"><p>De verbinding is verbroken en de toestemming bij de dienstverlener ingetrokken.</p></div> : ""}
      {rows.length === 0 ? <p class="hint">Geen verbonden zorgaanbieders.</p> : (
        <table class="stack">
          <thead><tr><th scope="col">Zorgaanbieder</th><th scope="col">Toestemming</th><th scope="col">Verbonden op</th><th scope="col">Geldig tot</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td safe>{r.displayName}</td>
                <td data-label="Toestemming">{r.longTerm ? "Langdurig (6 maanden)" : "Eenmalig"}</td>
                <td data-label="Verbonden op" safe>{r.connectedAt}</td>
                <td data-label="Geldig tot" safe>{r.expiresAt ?? "—"}</td>
                <td><a class="button danger" href={disconnectHref(r)} aria-label={`Ontkoppelen van ${r.displayName}`}>Ontkoppelen</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/**
 * "Ontkoppelen" asks first and says what it does (issue 12 §3): a page of its own, so it works
 * without JavaScript. The POST revokes the tokens at the DVA (RFC 7009) and forgets the tasks.
 */
export function DisconnectPage({ theme, csrfToken, row, pgoName }: { theme: Theme; csrfToken: string; row: ConnectionRow; pgoName: string }): JSX.Element {
  return (
    <Layout theme={theme} title={`Ontkoppelen van ${row.displayName}`} aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/verbindingen">← Verbindingen</a></p>
      <h1 safe>{`Ontkoppelen van ${row.displayName}?`}</h1>
      <div class="card confirm">
        <p>Als je ontkoppelt:</p>
        <ul>
          <li safe>{`trekt ${pgoName} je toestemming (${row.longTerm ? "langdurig, geldig tot " : "eenmalig, geldig tot "}${row.expiresAt ?? "—"}) in bij ${row.dvaName}, de dienstverlener van ${row.displayName}: de toegangssleutels (access token${row.longTerm ? " en refresh token" : ""}) werken daarna niet meer;`}</li>
          <li safe>{`verwijdert ${pgoName} de taken van ${row.displayName} uit je overzicht;`}</li>
          <li safe>{`blijven je taken en antwoorden bij ${row.displayName} zelf bewaard.`}</li>
        </ul>
        <p>Je kunt later opnieuw verbinden; dan log je opnieuw in met DigiD en geef je opnieuw toestemming.</p>
      </div>
      <form method="post" action="/verbindingen/ontkoppelen" class="actions">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <input type="hidden" name="zorgaanbieder" value={row.name} />
        <button type="submit" class="danger">Ja, ontkoppelen</button>
        <a class="button secondary" href="/verbindingen">Annuleren</a>
      </form>
    </Layout>
  );
}
