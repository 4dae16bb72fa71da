import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface DigidLoginProps {
  returnUrl: string;
  state: string;
  csrfToken: string;
  personas: { name: string; bsn: string }[];
  error?: string;
  bsn?: string;
  /** The persona chosen before the page came back with a message; nothing is preselected otherwise (issue 12 §3). */
  selected?: string;
}

/**
 * The simulator's login page: pick a persona (by full name) or type a BSN (SPEC §12 names).
 * Nobody is preselected: "Inloggen" without a choice asks for one, so Koos never lands in Tom's tasks.
 */
export function DigidLogin(p: DigidLoginProps): JSX.Element {
  const dva = new URL(p.returnUrl).host;
  return (
    <Layout theme={themes.digid} title="Inloggen">
      <p class="banner simulator">Dit is een simulator voor tests en demo's. Er wordt niet echt ingelogd met DigiD.</p>
      <h1>Inloggen bij de DigiD-simulator</h1>
      <p>U logt in voor <strong safe>{dva}</strong>. Na het inloggen gaat u daarheen terug.</p>
      {p.error ? <div class="error" role="alert" id="bsn-error"><p safe>{p.error}</p></div> : ""}
      <form method="post" action="/authenticate">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="return_url" value={p.returnUrl} />
        <input type="hidden" name="state" value={p.state} />
        <fieldset>
          <legend>Kies een persoon</legend>
          {p.personas.map((persona, i) => (
            <div class="choice">
              <input type="radio" name="persona" id={`persona-${i}`} value={persona.bsn} checked={persona.bsn === p.selected}
                aria-describedby={p.error ? "bsn-error" : undefined} />
              <label class="inline" for={`persona-${i}`} safe>{persona.name}</label>
              <span class="hint" safe>{`BSN ${persona.bsn}`}</span>
            </div>
          ))}
        </fieldset>
        <label for="bsn">BSN</label>
        <p class="hint" id="bsn-hint">Of vul zelf een BSN in (9 cijfers, elfproef). Dit gaat voor de keuze hierboven.</p>
        <input type="text" id="bsn" name="bsn" inputmode="numeric" autocomplete="off" value={p.bsn ?? ""}
          aria-describedby={p.error ? "bsn-hint bsn-error" : "bsn-hint"} aria-invalid={p.error ? "true" : "false"} />
        <div class="actions">
          <button type="submit" name="action" value="login">Inloggen</button>
          <button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Annuleren</button>
        </div>
      </form>
    </Layout>
  );
}

/** What the simulator is and how a DVA uses it (for hackathon teams building a DVA). */
export function DigidHome({ origin, dvas }: { origin: string; dvas: string[] }): JSX.Element {
  return (
    <Layout theme={themes.digid} title="Over de simulator">
      <p class="banner simulator">Dit is een simulator voor tests en demo's. Er wordt niet echt ingelogd met DigiD.</p>
      <h1>DigiD-simulator</h1>
      <p>Een DVA stuurt de browser naar:</p>
      <pre safe>{`${origin}/authenticate?return_url=<terugkeeradres bij de DVA>&state=<state>`}</pre>
      <p>De simulator keert terug naar het terugkeeradres met <code>assertion</code> (een JWT, ES256) en <code>state</code>,
        of met <code>error=cancelled</code>. De assertion bevat <code>bsn</code>, <code>auth_time</code>, <code>level</code>
        en <code>state</code>; <code>aud</code> is de origin van de DVA. Controleer hem met de sleutels op
        <a href="/.well-known/jwks.json"><code>/.well-known/jwks.json</code></a>.</p>
      <h2>Toegestane terugkeeradressen</h2>
      <ul>{dvas.map((d) => <li><code safe>{d}</code></li>)}</ul>
    </Layout>
  );
}
