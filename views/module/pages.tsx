import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface ModuleTaskProps {
  theme: Theme; csrfToken: string; firstName: string | null; title: string; description: string | null; text: string | null; video: string | null;
  kind: "information" | "questionnaire"; status: string; done: boolean;
  /** The clinician's instruction (Task.note, AM-FE-011), if any. */
  note: string | null;
}

/** The clinician's instruction for this task (AM-FE-011: Task.note), as the person's care provider wrote it. */
export function Instruction({ note }: { note: string | null }): JSX.Element {
  if (!note) return <></>;
  return <div class="card" role="note"><strong>Instructie van uw zorgverlener:</strong> <span safe>{note}</span></div>;
}

export type TextBlock = { kind: "paragraph"; text: string } | { kind: "table"; head: string[]; rows: string[][] };

/**
 * An information module's text (ActivityDefinition.usage): paragraphs separated by blank lines; a
 * paragraph whose every line starts with "|" is a table in the pipe form of GitHub-flavoured
 * Markdown (first row the header, a `|---|` row after it optional), e.g. the medication list.
 */
export function textBlocks(text: string): TextBlock[] {
  return text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p): TextBlock => {
    const lines = p.split("\n").map((l) => l.trim());
    if (!lines.every((l) => l.startsWith("|"))) return { kind: "paragraph", text: p };
    const cells = (l: string) => l.replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
    const rows = lines.map(cells).filter((r) => !r.every((c) => /^:?-{3,}:?$/.test(c)));
    return { kind: "table", head: rows[0] ?? [], rows: rows.slice(1) };
  });
}

function Blocks({ text }: { text: string }): JSX.Element {
  return (
    <>
      {textBlocks(text).map((b) => b.kind === "paragraph" ? <p safe>{b.text}</p> : (
        <table>
          <thead><tr>{b.head.map((h) => <th scope="col" safe>{h}</th>)}</tr></thead>
          <tbody>{b.rows.map((r) => <tr>{b.head.map((_, n) => <td safe>{r[n] ?? ""}</td>)}</tr>)}</tbody>
        </table>
      ))}
    </>
  );
}

/** The launched task (SD 3.5 step 4: the patient's first name is shown). */
export function ModuleTask(p: ModuleTaskProps): JSX.Element {
  return (
    <Layout theme={p.theme} title={p.title}>
      {p.firstName ? <p safe>{`Hallo ${p.firstName},`}</p> : ""}
      <h1 safe>{p.title}</h1>
      {p.description ? <p safe>{p.description}</p> : ""}
      <Instruction note={p.note} />
      {p.kind === "information" ? (
        <div class="card">
          <Blocks text={p.text ?? ""} />
          {p.video ? <div class="banner" role="img" aria-label={p.video}><p safe>{`▶ ${p.video}`}</p></div> : ""}
        </div>
      ) : <div class="error" role="alert"><p>De vragenlijst van deze taak kon niet worden gelezen bij de zorgaanbieder. Ga terug naar uw PGO en probeer het later opnieuw.</p></div>}
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

/**
 * The module host's own front page (`GET /`): someone who types the address, or follows a link,
 * learns what this is and where it starts — never an error page.
 */
export function ModuleHome({ theme, modules }: { theme: Theme; modules: { name: string; launchUrl: string }[] }): JSX.Element {
  return (
    <Layout theme={theme} title="Aanbiedermodules">
      <h1>Aanbiedermodules</h1>
      <p>Op dit adres draaien de aanbiedermodules van het sandbox-netwerk: toepassingen van zorgaanbieders waarin u een taak
        uitvoert, zoals een vragenlijst invullen of informatie lezen.</p>
      <p>U opent een module niet hier, maar vanuit uw PGO: kies daar bij "Taken van zorgaanbieders" een taak en "Taak starten".
        De module krijgt dan van de dienstverlener van uw zorgaanbieder alleen toegang tot die ene taak.</p>
      <h2>Modules op dit adres</h2>
      <table>
        <thead><tr><th scope="col">Module</th><th scope="col">Startadres (SMART launch)</th></tr></thead>
        <tbody>{modules.map((m) => <tr><td safe>{m.name}</td><td><code safe>{m.launchUrl}</code></td></tr>)}</tbody>
      </table>
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
