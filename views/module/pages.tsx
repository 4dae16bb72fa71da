import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface ModuleTaskProps {
  theme: Theme; csrfToken: string; firstName: string | null; title: string; description: string | null; text: string | null; video: string | null;
  kind: "information" | "questionnaire"; status: string; done: boolean;
}

/** The launched task (SD 3.5 step 4: the patient's first name is shown). */
export function ModuleTask(p: ModuleTaskProps): JSX.Element {
  return (
    <Layout theme={p.theme} title={p.title}>
      {p.firstName ? <p safe>{`Hallo ${p.firstName},`}</p> : ""}
      <h1 safe>{p.title}</h1>
      {p.description ? <p safe>{p.description}</p> : ""}
      {p.kind === "information" ? (
        <div class="card">
          {(p.text ?? "").split("\n\n").filter(Boolean).map((para) => <p safe>{para}</p>)}
          {p.video ? <div class="banner" role="img" aria-label={p.video}><p safe>{`▶ ${p.video}`}</p></div> : ""}
        </div>
      ) : <div class="banner"><p>De vragenlijst zelf wordt in deze sandbox-versie nog niet getoond (issue 6, in aanbouw).</p></div>}
      {p.done ? <div class="notice" role="status"><p>Deze taak is afgerond.</p></div> : ""}
      <div class="actions">
        {p.kind === "information" && !p.done ? (
          <form method="post" action="/taak/gelezen">
            <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
            <button type="submit">Gelezen</button>
          </form>
        ) : ""}
        <form method="post" action="/terug">
          <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
          <button type="submit" class="secondary">Terug naar PGO</button>
        </form>
      </div>
    </Layout>
  );
}

/** A launch that failed: say so, and offer the way back to the PGO with the error (SD 3.8, SPEC §8). */
export function ModuleError({ theme, message, back }: { theme: Theme; message: string; back: string | null }): JSX.Element {
  return (
    <Layout theme={theme} title="Starten mislukt">
      <h1>De module kan niet starten</h1>
      <div class="error" role="alert"><p safe>{message}</p></div>
      {back ? <p><a class="button" href={back}>Terug naar PGO</a></p> : <p>Ga terug naar uw PGO en probeer het opnieuw.</p>}
    </Layout>
  );
}
