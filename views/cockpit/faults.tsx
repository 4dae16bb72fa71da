import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { FAULTS, OAUTH_ERROR_CODES, type Faults } from "../../src/shared/faults.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface FaultsPageProps { faults: Faults; dvas: { id: string; name: string }[]; csrfToken: string; error?: string }

/** Fault switches (SPEC §9); the same keys as `POST /api/faults`. */
export function FaultsPage({ faults, dvas, csrfToken, error }: FaultsPageProps): JSX.Element {
  const value = (key: keyof Faults) => faults[key];
  return (
    <Layout theme={themes.cockpit} title="Storingen">
      <p><a href="/">← Cockpit</a></p>
      <h1>Storingen</h1>
      <p>Laat actoren op verzoek falen. Automatische tests gebruiken <code>POST /api/faults</code> met dezelfde sleutels.</p>
      {error ? <div class="error" role="alert"><p safe>{error}</p></div> : ""}
      <form method="post" action="/faults" class="card">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        {FAULTS.map((f) => {
          const id = `fault-${f.key}`;
          const current = value(f.key);
          switch (f.kind) {
            case "boolean":
              return (
                <div class="choice">
                  <input type="checkbox" id={id} name={f.key} value="true" checked={current === true} />
                  <label class="inline" for={id} safe>{f.label}</label> <code>{f.key}</code>
                </div>
              );
            case "number":
              return (
                <div>
                  <label for={id} safe>{f.label}</label>
                  <input type="number" id={id} name={f.key} min="0" max="600000" value={current === undefined ? "" : String(current)} />
                  <span class="hint"> <code>{f.key}</code> (leeg = uit)</span>
                </div>
              );
            case "dva":
              return (
                <div>
                  <label for={id} safe>{f.label}</label>
                  <select id={id} name={f.key}>
                    <option value="">— geen —</option>
                    {dvas.map((d) => <option value={d.id} selected={current === d.id} safe>{d.name}</option>)}
                  </select>
                </div>
              );
            case "oauth-error":
              return (
                <div>
                  <label for={id} safe>{f.label}</label>
                  <select id={id} name={f.key}>
                    <option value="">— geen —</option>
                    {OAUTH_ERROR_CODES.map((c) => <option value={c} selected={current === c}>{c}</option>)}
                  </select>
                </div>
              );
          }
        })}
        <div class="actions">
          <button type="submit">Opslaan</button>
          <button type="submit" name="clear" value="all" class="secondary">Alles uit</button>
        </div>
      </form>
    </Layout>
  );
}
