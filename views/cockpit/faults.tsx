import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { FAULTS, OAUTH_ERROR_CODES, type Faults } from "../../src/shared/faults.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface FaultsPageProps { faults: Faults; dvas: { id: string; name: string }[]; csrfToken: string; error?: string;
  /** Just saved: say what is switched on now. */
  saved?: boolean }

function SelectField(p: { id: string; name: string; label: string; current: unknown; options: { value: string; label: string }[] }): JSX.Element {
  return (
    <div>
      <label for={p.id} safe>{p.label}</label>
      <select id={p.id} name={p.name}>
        <option value="">— geen —</option>
        {p.options.map((o) => <option value={o.value} selected={p.current === o.value} safe>{o.label}</option>)}
      </select>
    </div>
  );
}

/** Fault switches (SPEC §9); the same keys as `POST /api/faults`. */
export function FaultsPage({ faults, dvas, csrfToken, error, saved }: FaultsPageProps): JSX.Element {
  const value = (key: keyof Faults) => faults[key];
  const on = FAULTS.filter((f) => { const v = value(f.key); return v !== undefined && v !== null && v !== false; })
    .map((f) => { const v = value(f.key); return v === true ? f.label : `${f.label}: ${String(v)}`; });
  const savedText: string = on.length ? `Opgeslagen. Nu aan: ${on.join("; ")}.` : "Opgeslagen. Er staat geen storing aan.";
  return (
    <Layout theme={themes.cockpit} title="Storingen">
      <p><a href="/">← Cockpit</a></p>
      <h1>Storingen</h1>
      <p>Laat actoren op verzoek falen. Automatische tests gebruiken <code>POST /api/faults</code> met dezelfde sleutels.</p>
      {error ? <div class="error" role="alert"><p safe>{error}</p></div> : ""}
      {saved && !error
        ? <div class="notice" role="status"><p safe>{savedText}</p></div>
        : ""}
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
              return <SelectField id={id} name={f.key} label={f.label} current={current} options={dvas.map((d) => ({ value: d.id, label: d.name }))} />;
            case "oauth-error":
              return <SelectField id={id} name={f.key} label={f.label} current={current} options={OAUTH_ERROR_CODES.map((c) => ({ value: c, label: c }))} />;
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
