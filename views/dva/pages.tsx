import { formatDateTime } from "../../src/shared/time.ts";
import { ErrorDetails } from "../components/error-box.tsx";
import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface TechnicalErrorProps {
  theme: Theme;
  dvaName: string;
  dvaPhone: string;
  zorgaanbieder?: string;
  traceId: string;
  sessionId?: string | null;
  /** What went wrong, for the developer reading along (shown small). */
  detail?: string;
}

/**
 * SD 4.2.1 "Technische storing", the DVA's own version for errors it may not redirect. The SD's
 * text, with "u" as the DVA addresses the person on every page (the PGO keeps the SD's "je"); the
 * sentence naming the zorgaanbieder whenever the DVA knows which one the request is for.
 */
export function TechnicalError(p: TechnicalErrorProps): JSX.Element {
  return (
    <Layout theme={p.theme} title="Technische storing">
      <h1>Technische storing</h1>
      <div class="error" role="alert">
        <p safe>{`De uitwisseling is afgebroken. U kunt deze stap bij ${p.dvaName} niet uitvoeren. Dit kan komen omdat een sessie is verlopen of door een technische fout.`}</p>
        <p safe>{`Probeer het later nog eens of neem contact op met ${p.dvaName}, ${p.dvaPhone}.${p.zorgaanbieder ? ` Dit is de leverancier van het computersysteem van ${p.zorgaanbieder}.` : ""} Als u contact opneemt met ${p.dvaName}, heeft u de volgende gegevens nodig:`}</p>
      </div>
      <ErrorDetails traceId={p.traceId} sessionId={p.sessionId} />
      {p.detail ? <p class="hint">Technische details: <span safe>{p.detail}</span></p> : ""}
    </Layout>
  );
}

export interface ConsentPageProps {
  theme: Theme;
  requestId: string;
  csrfToken: string;
  pgoName: string;
  zorgaanbieder: string;
  dataService: string;
  personName: string | null;
  /** The person's consent in force for this PGO and zorgaanbieder: its kind is preselected (step-up, re-consent). */
  current?: { kind: "once" | "long"; expiresAt: number } | null;
}


/** The consent screen (SD 3.3 step 2, SPEC §12 names). */
/** The DVA's two answers to a request for consent (SD 4.2): the collect consent and a standalone module launch. */
function ConsentButtons(): JSX.Element {
  return (
    <div class="actions">
      <button type="submit" name="action" value="grant">Toestemming geven</button>
      <button type="submit" name="action" value="deny" class="secondary">Annuleren</button>
    </div>
  );
}

export function ConsentPage(p: ConsentPageProps): JSX.Element {
  const kind = p.current?.kind ?? "once";
  return (
    <Layout theme={p.theme} title="Toestemming geven">
      <h1>Toestemming geven</h1>
      {p.personName ? <p>Ingelogd als <strong safe>{p.personName}</strong>.</p> : ""}
      <p><strong safe>{p.pgoName}</strong> vraagt toestemming om gegevens van <strong safe>{p.zorgaanbieder}</strong> voor u te verzamelen.</p>
      <div class="card">
        <p>Gegevensdienst: <strong safe>{p.dataService}</strong></p>
        <p>Met deze toestemming mag de PGO de taken verzamelen die uw zorgaanbieder voor u heeft klaargezet, en mag u
          vanuit de PGO een taak starten in de applicatie (module) van of namens uw zorgaanbieder.</p>
      </div>
      <form method="post" action="/consent">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="request" value={p.requestId} />
        <fieldset>
          <legend>Hoe lang geldt de toestemming?</legend>
          {p.current ? (
            <p class="hint" safe>{`U heeft ${p.pgoName} al ${p.current.kind === "long" ? "langdurig" : "eenmalig"} toestemming gegeven voor ${p.zorgaanbieder}, geldig tot ${formatDateTime(new Date(p.current.expiresAt))}. Die keuze staat hieronder al aangevinkt.`}</p>
          ) : ""}
          <div class="choice">
            <input type="radio" id="kind-once" name="kind" value="once" checked={kind === "once"} />
            <label class="inline" for="kind-once">Eenmalig</label>
            <span class="hint">15 minuten; daarna vraagt de PGO opnieuw toestemming.</span>
          </div>
          <div class="choice">
            <input type="radio" id="kind-long" name="kind" value="long" checked={kind === "long"} />
            <label class="inline" for="kind-long">Langdurig (6 maanden)</label>
            <span class="hint">De PGO mag 6 maanden automatisch verzamelen. Dit vervangt het opnieuw inloggen bij een volgend bezoek. U kunt de toestemming altijd intrekken.</span>
          </div>
        </fieldset>
        <ConsentButtons />
      </form>
    </Layout>
  );
}

/** The authorization server's own page: what it is and where its endpoints are. */
export function DvaAuthHome({ theme, origin, fhirBase, zorgaanbieders }: { theme: Theme; origin: string; fhirBase: string; zorgaanbieders: string[] }): JSX.Element {
  const endpoints = ["/auth", "/token", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration/jwks"];
  return (
    <Layout theme={theme} title="Autorisatieserver">
      <h1 safe>{theme.name}</h1>
      <p>Autorisatieserver voor <span safe>{zorgaanbieders.join(", ")}</span>. Begin bij een PGO om toestemming te geven.</p>
      <h2>Endpoints</h2>
      <ul>{endpoints.map((e) => <li><code safe>{`${origin}${e}`}</code></li>)}</ul>
      <p>FHIR-server: <code safe>{fhirBase}</code></p>
    </Layout>
  );
}

/** Browser check failed (risk Ra01/Rc01): the DigiD login is not the person the task belongs to. */
export function OtherPersonPage({ theme, traceId, back }: { theme: Theme; traceId: string; back?: string }): JSX.Element {
  return (
    <Layout theme={theme} title="Andere persoon">
      <h1>Andere persoon ingelogd</h1>
      <div class="error" role="alert">
        <p>U bent met DigiD ingelogd als een andere persoon dan voor wie deze taak is klaargezet. Om uw gegevens te beschermen
          start de module niet. Log in als de juiste persoon en probeer het opnieuw vanuit uw PGO.</p>
      </div>
      <ErrorDetails traceId={traceId} sessionId={null} />
      {back ? <p><a class="button secondary" href={back}>Terug naar de module</a></p> : ""}
    </Layout>
  );
}

export interface ConsentRow { id: string; pgo: string; zorgaanbieder: string; kind: "once" | "long"; createdAt: string; expiresAt: string; status: "actief" | "ingetrokken" | "verlopen" }

/** The person's consents at this DVA (SD 3.3 "overzichtspagina toestemmingen"), with withdrawal. */
export function ConsentOverview({ theme, personName, rows, csrfToken, withdrawn }: { theme: Theme; personName: string; rows: ConsentRow[]; csrfToken: string; withdrawn: boolean }): JSX.Element {
  return (
    <Layout theme={theme} title="Mijn toestemmingen">
      <h1>Mijn toestemmingen</h1>
      <p>Ingelogd als <strong safe>{personName}</strong>. Hier ziet u welke PGO's gegevens mogen verzamelen, en trekt u een toestemming in.</p>
      {withdrawn ? <div class="notice" role="status"><p>De toestemming is ingetrokken. De PGO kan niet meer automatisch verzamelen.</p></div> : ""}
      {rows.length === 0 ? <p class="hint">U heeft bij deze DVA geen toestemmingen gegeven.</p> : (
        <table>
          <thead><tr><th scope="col">PGO</th><th scope="col">Zorgaanbieder</th><th scope="col">Soort</th><th scope="col">Gegeven</th><th scope="col">Geldig tot</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td safe>{r.pgo}</td>
                <td safe>{r.zorgaanbieder}</td>
                <td>{r.kind === "long" ? "Langdurig (6 maanden)" : "Eenmalig"}</td>
                <td safe>{r.createdAt}</td>
                <td safe>{r.expiresAt}</td>
                <td>{r.status}</td>
                <td>{r.status === "actief" ? (
                  <form method="post" action="/toestemmingen/intrekken">
                    <input type="hidden" name="_csrf" value={csrfToken} />
                    <input type="hidden" name="consent" value={r.id} />
                    <button type="submit" class="danger" aria-label={`Intrekken: ${r.pgo}, ${r.zorgaanbieder}`}>Intrekken</button>
                  </form>
                ) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/**
 * A standalone module launch (issue 15, KoppelMij `launch-standalone`): the person agrees first —
 * the module names no task and no PGO asked, so nothing else shows who reads what.
 */
export function StandaloneConsentPage(p: { theme: Theme; csrfToken: string; requestId: string; personName: string; moduleName: string; zorgaanbieder: string }): JSX.Element {
  return (
    <Layout theme={p.theme} title="Toestemming voor een module">
      <h1>Toestemming voor een module</h1>
      <p>Ingelogd als <strong safe>{p.personName}</strong>.</p>
      <p>De module <strong safe>{p.moduleName}</strong> vraagt om uw gegevens bij <strong safe>{p.zorgaanbieder}</strong> te lezen.
        U start deze module zelf, zonder taak van uw zorgaanbieder.</p>
      <form method="post" action="/connect/standalone">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="request" value={p.requestId} />
        <ConsentButtons />
      </form>
    </Layout>
  );
}
