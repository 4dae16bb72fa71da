/**
 * "Eigen actor" (issue 14): a team registers its own PGO, module, DVA or system while the sandbox
 * runs — the same JSON as `POST /api/actors` — and sees the MedMij-check of each one.
 */
import type { RegisteredActor } from "../../src/shared/actor-registry.ts";
import type { RuleResult } from "../../src/shared/conformance.ts";
import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { formatDateTime } from "../../src/shared/time.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

/** A starting point per kind, as the README's tour gives them. */
export const ACTOR_EXAMPLES: Record<string, object> = {
  pgo: { kind: "pgo", host: "http://mijnteam.localhost:3000", displayName: "PGO van mijn team", redirectUris: ["/callback"] },
  module: { kind: "module", name: "Module van mijn team", host: "http://mijnteam.localhost:4000", launchPath: "/launch",
    clients: [{ dva: "zorgnet", redirectUris: ["/callback"] }], activity: { title: "Vragenlijst van mijn team", questionnaire: "phq-9" } },
  dva: { kind: "dva", id: "mijnteam", name: "DVA van mijn team", authHost: "http://mijnteam.localhost:5000", fhirHost: "http://mijnteam.localhost:5001",
    zorgaanbieders: [{ name: "mijnteamzorg@medmij", displayName: "Praktijk van mijn team", agb: "12345678" }] },
  system: { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "mijnteam-epd" },
};

const KIND_LABELS: Record<string, string> = { pgo: "PGO", module: "Module", dva: "DVA", system: "Systeem van een zorgaanbieder" };

export const nameOf = (a: RegisteredActor): string => String(a.entry.displayName ?? a.entry.name ?? a.entry.clientId ?? a.id);

export interface ActorsPageProps {
  actors: RegisteredActor[];
  csrfToken: string;
  kind: string;
  json: string;
  problems?: { path: string; message: string }[];
  removed?: string | null;
}

export function ActorsPage(p: ActorsPageProps): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Eigen actor">
      <p><a href="/">← Cockpit</a></p>
      <h1>Eigen actor</h1>
      <p>Meld de PGO, module, DVA of het systeem van je team aan terwijl de sandbox draait: geen herstart, geen reset. De lijsten van het
        MedMij Register veranderen meteen, een module staat meteen in de catalogus van het zorgverlenersportaal, en de MedMij-check laat
        per regel zien wat je actor goed en fout doet. Scripts gebruiken <code>POST /api/actors</code> met dezelfde JSON.</p>
      {p.removed ? <div class="notice" role="status"><p safe>{`${p.removed} is afgemeld.`}</p></div> : ""}

      <h2 id="aangemeld">Aangemeld</h2>
      {p.actors.length === 0
        ? <p class="hint">Nog geen eigen actoren.</p>
        : (
          <table class="stack">
            <thead><tr><th scope="col">Actor</th><th scope="col">Soort</th><th scope="col">Sinds</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
            <tbody>
              {p.actors.map((a) => (
                <tr>
                  <td><span safe>{nameOf(a)}</span> <code safe>{a.id}</code></td>
                  <td safe>{KIND_LABELS[a.kind] ?? a.kind}</td>
                  <td safe>{formatDateTime(new Date(a.createdAt))}</td>
                  <td>
                    <a href={`/actors/${encodeURIComponent(a.id)}/check`}>MedMij-check<span class="visually-hidden" safe>{` van ${nameOf(a)}`}</span></a>
                    {" · "}<a href={`/api/actors/${encodeURIComponent(a.id)}`}>JSON</a>
                    <form method="post" action={`/actors/${encodeURIComponent(a.id)}/afmelden`} class="inline">
                      <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
                      <button type="submit" class="secondary" aria-label={`${nameOf(a)} afmelden`}>Afmelden</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

      <h2 id="aanmelden">Aanmelden</h2>
      <p>Kies een voorbeeld en pas het aan: <a href="/actors?soort=pgo#aanmelden">PGO</a> · <a href="/actors?soort=module#aanmelden">module</a> ·{" "}
        <a href="/actors?soort=dva#aanmelden">DVA</a> · <a href="/actors?soort=system#aanmelden">systeem</a>. Gebruik een eigen host name per team,
        zoals <code>http://mijnteam.localhost:3000</code>: twee PGO's op <code>localhost</code> zouden voor elke DVA dezelfde client zijn.</p>
      {p.problems?.length
        ? (
          <div class="error" role="alert" id="problemen">
            <p>De actor is niet aangemeld:</p>
            <ul>{p.problems.map((x) => <li><code safe>{x.path}</code>: <span safe>{x.message}</span></li>)}</ul>
          </div>
        ) : ""}
      <form method="post" action="/actors" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <label for="actor-json" safe>{`JSON van de actor (${KIND_LABELS[p.kind] ?? p.kind})`}</label>
        <textarea id="actor-json" name="json" rows="14" spellcheck="false" aria-describedby={p.problems?.length ? "problemen" : undefined} safe>{p.json}</textarea>
        <div class="actions"><button type="submit">Aanmelden</button></div>
      </form>
    </Layout>
  );
}

const STATUS_LABELS: Record<string, string> = { pass: "voldoet", fail: "voldoet niet", unseen: "nog niet gezien" };

export interface CheckView { id: string; kind: string; name: string; rules: RuleResult[] }

export function CheckPage({ check, csrfToken, cleared, ownerToken }: { check: CheckView; csrfToken: string; cleared: boolean; ownerToken?: string | null }): JSX.Element {
  const count = (s: string) => check.rules.filter((r) => r.status === s).length;
  return (
    <Layout theme={themes.cockpit} title={`MedMij-check — ${check.name}`}>
      <p><a href="/actors">← Eigen actor</a></p>
      <h1 safe>{`MedMij-check: ${check.name}`}</h1>
      <p>Wat de actoren van de sandbox zagen toen ze met <span safe>{check.name}</span> (<span safe>{KIND_LABELS[check.kind] ?? check.kind}</span>) spraken.
        Een regel krijgt het oordeel van de laatste keer dat hij werd getoetst; zo ziet je team een reparatie meteen, en de laatste fout blijft erbij staan.</p>
      {cleared ? <div class="notice" role="status"><p>De check begint opnieuw.</p></div> : ""}
      {ownerToken ? <div class="notice" role="status"><p>Aangemeld. Eigenaarstoken voor <code>PUT</code> en <code>DELETE /api/actors/<span safe>{check.id}</span></code> (wordt maar één keer getoond):
        <code safe>{ownerToken}</code></p></div> : ""}
      <p role="status" aria-live="polite"><strong safe>{`${count("pass")} voldoet, ${count("fail")} voldoet niet, ${count("unseen")} nog niet gezien`}</strong></p>
      <div hx-get={`/actors/${encodeURIComponent(check.id)}/check/rules`} hx-trigger="every 5s" hx-swap="innerHTML" id="rules">
        <CheckRules check={check} />
      </div>
      <p>Downloaden: <a href={`/actors/${encodeURIComponent(check.id)}/check.md`}>Markdown</a> · <a href={`/api/actors/${encodeURIComponent(check.id)}/check`}>JSON</a></p>
      <form method="post" action={`/actors/${encodeURIComponent(check.id)}/check/opnieuw`} class="inline">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <button type="submit" class="secondary">Check opnieuw beginnen</button>
      </form>
    </Layout>
  );
}

export function CheckRules({ check }: { check: CheckView }): JSX.Element {
  return (
    <table class="stack">
      <caption class="visually-hidden">Regels en hun oordeel</caption>
      <thead><tr><th scope="col">Regel</th><th scope="col">Bron</th><th scope="col">Oordeel</th><th scope="col">Bewijs</th></tr></thead>
      <tbody>
        {check.rules.map((r) => (
          <tr id={`regel-${r.id}`}>
            <td><span safe>{r.title}</span> <code class="hint" safe>{r.id}</code></td>
            <td safe>{r.source}</td>
            <td><span class={`status ${r.status === "pass" ? "up" : r.status === "fail" ? "down" : "external"}`} safe>{STATUS_LABELS[r.status]}</span>
              {r.passes + r.fails > 0 ? <span class="hint" safe>{` (${r.passes}× goed, ${r.fails}× fout)`}</span> : ""}</td>
            <td>
              {r.evidence ? <span safe>{r.evidence}</span> : <span class="hint">—</span>}
              {r.traceId ? <> <a href={`/logs?trace_id=${encodeURIComponent(r.traceId)}`}>trace<span class="visually-hidden" safe>{` van ${r.title}`}</span></a></> : ""}
              {r.lastFailure && r.status !== "fail"
                ? <p class="hint">Laatste fout (<span safe>{formatDateTime(new Date(r.lastFailure.at))}</span>): <span safe>{r.lastFailure.evidence}</span></p> : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The check as a Markdown file a team attaches to its issue or triage note. */
export function checkMarkdown(check: CheckView, origin: string): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`# MedMij-check: ${check.name} (${check.kind}, ${check.id})`, "", `| Regel | Bron | Oordeel | Bewijs |`, "|---|---|---|---|",
    ...check.rules.map((r) => `| ${cell(r.title)} (\`${r.id}\`) | ${cell(r.source)} | ${STATUS_LABELS[r.status]} | ${cell(r.evidence ?? "—")}${r.traceId ? ` ([trace](${origin}/logs?trace_id=${encodeURIComponent(r.traceId)}))` : ""} |`)];
  return `${lines.join("\n")}\n`;
}
