import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { fhirText } from "../../src/shared/fhir-text.ts";
import { OVERDUE_LABEL } from "../../src/shared/task-status.ts";
import { formatDateTime, formatDay } from "../../src/shared/time.ts";
import type { ModulePgo } from "../../src/xis/pgo-list.ts";
import type { CatalogueItem, PatientRow, TaskRow } from "../../src/xis/portal.ts";
import { ASSETS, Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface Who { name: string; role: string; organisation: string; csrfToken: string }

/** One date format for the whole portal (issue 12 §3): "1 december 2026"; a dash for nothing. */
const date = (iso: string | null | undefined) => formatDay(iso) || "—";

/** Who is logged in, and the way out. */
function Aside({ who }: { who: Who }): JSX.Element {
  return (
    <form method="post" action="/logout" class="inline who">
      <span safe>{`${who.name}, ${who.role} — ${who.organisation}`}</span>{" "}
      <input type="hidden" name={CSRF_FIELD} value={who.csrfToken} />
      <button type="submit" class="secondary">Uitloggen</button>
    </form>
  );
}

export function PatientRows({ rows, total }: { rows: PatientRow[]; total: number }): JSX.Element {
  if (rows.length === 0) return <tbody id="patienten"><tr><td colspan="3" class="hint">Geen patiënten gevonden.</td></tr></tbody>;
  return (
    <tbody id="patienten">
      {rows.map((p) => (
        <tr>
          <td><a href={`/patienten/${encodeURIComponent(p.id)}`} safe>{p.name}</a></td>
          <td><code safe>{p.bsn ?? "—"}</code></td>
          <td safe>{date(p.birthDate)}</td>
        </tr>
      ))}
      {total > rows.length
        ? <tr><td colspan="3" class="hint" safe>{`${rows.length} van ${total} getoond; zoek op naam of BSN om de anderen te vinden.`}</td></tr>
        : ""}
    </tbody>
  );
}

/** AM-FE-010: the organisation's patients, filtered as you type. */
export interface NewPatientValues { voornaam?: string; achternaam?: string; bsn?: string; geboortedatum?: string; geslacht?: string }

/** Register a person at the DVA (a new patient of the practice), so that DigiD, the PGO and tasks work for them too. */
function NewPatientForm({ csrfToken, errors, values }: { csrfToken: string; errors: Record<string, string>; values: NewPatientValues }): JSX.Element {
  const invalid = (name: string) => ({ "aria-invalid": errors[name] ? "true" : "false", "aria-describedby": errors[name] ? `${name}-fout` : undefined });
  const error = (name: string) => (errors[name] ? <p class="field-error" id={`${name}-fout`} safe>{errors[name]}</p> : "");
  return (
    <details class="card" open={Object.keys(errors).length > 0}>
      <summary><strong>Patiënt toevoegen</strong></summary>
      <form method="post" action="/patienten" novalidate>
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <div class="row">
          <div><label for="voornaam">Voornaam</label><input type="text" id="voornaam" name="voornaam" required maxlength="60" value={values.voornaam ?? ""} {...invalid("voornaam")} />{error("voornaam")}</div>
          <div><label for="achternaam">Achternaam</label><input type="text" id="achternaam" name="achternaam" required maxlength="80" value={values.achternaam ?? ""} {...invalid("achternaam")} />{error("achternaam")}</div>
        </div>
        <div class="row">
          <div><label for="bsn">BSN</label><input type="text" id="bsn" name="bsn" required inputmode="numeric" maxlength="11" value={values.bsn ?? ""} {...invalid("bsn")} />{error("bsn")}</div>
          <div><label for="geboortedatum">Geboortedatum</label><input type="date" id="geboortedatum" name="geboortedatum" required value={values.geboortedatum ?? ""} {...invalid("geboortedatum")} />{error("geboortedatum")}</div>
          <div>
            <label for="geslacht">Geslacht</label>
            <select id="geslacht" name="geslacht">
              {[["unknown", "Onbekend"], ["female", "Vrouw"], ["male", "Man"], ["other", "Anders"]].map(([v, l]) => <option value={v} selected={values.geslacht === v} safe>{l}</option>)}
            </select>
          </div>
        </div>
        <p class="hint">Een sandbox-BSN moet de elfproef doorstaan. Met dit BSN logt de persoon daarna in bij de DigiD-simulator.</p>
        <div class="actions"><button type="submit">Patiënt toevoegen</button></div>
      </form>
    </details>
  );
}

export function PatientsPage(p: { theme: Theme; who: Who; rows: PatientRow[]; total: number; q: string; errors?: Record<string, string>; values?: NewPatientValues }): JSX.Element {
  return (
    <Layout theme={p.theme} title="Patiënten" aside={<Aside who={p.who} />}>
      <h1>Patiënten</h1>
      <form method="get" action="/patienten" role="search" class="card">
        <label for="q">Zoek patiënt</label>
        <input type="search" id="q" name="q" value={p.q} autocomplete="off" placeholder="naam of BSN"
          hx-get="/patienten/lijst" hx-trigger="input changed delay:200ms, search" hx-target="#patienten" hx-swap="outerHTML" />
        <div class="actions"><button type="submit" class="secondary">Zoeken</button></div>
      </form>
      <table>
        <caption class="hint">Patiënten bij de DVA van uw organisatie</caption>
        <thead><tr><th scope="col">Naam</th><th scope="col">BSN</th><th scope="col">Geboortedatum</th></tr></thead>
        <PatientRows rows={p.rows} total={p.total} />
      </table>
      <NewPatientForm csrfToken={p.who.csrfToken} errors={p.errors ?? {}} values={p.values ?? {}} />
    </Layout>
  );
}

/**
 * AM-FE-009/012: the tasks with their live status; htmx refreshes the table every 10 seconds,
 * except while a cancel form is open (the swap would throw away the reason being typed).
 */
export function TaskTable({ patientId, tasks, csrfToken }: { patientId: string; tasks: TaskRow[]; csrfToken: string }): JSX.Element {
  return (
    <div id="taken" hx-get={`/patienten/${encodeURIComponent(patientId)}/taken`} hx-trigger="every 10s" data-pause-while-open hx-swap="outerHTML">
      {tasks.length === 0
        ? <p class="hint">Nog geen taken voor deze patiënt.</p>
        : <table class="stack">
            <thead><tr><th scope="col">Taak</th><th scope="col">Status</th><th scope="col">Periode</th><th scope="col">Details</th><th scope="col"><span class="visually-hidden">Acties</span></th></tr></thead>
            <tbody>
              {tasks.map((t) => (
                <tr id={`taak-${t.id}`}>
                  <td><strong safe>{t.title}</strong>{t.plan ? <div class="hint" safe>{t.plan}</div> : ""}</td>
                  <td data-label="Status"><span class={`status ${t.status}`} safe>{t.statusText}</span>
                    {t.overdue ? <div><span class="status overdue">{OVERDUE_LABEL}</span></div> : ""}</td>
                  <td data-label="Periode" safe>{`${date(t.start)} – ${date(t.end)}`}</td>
                  <td>
                    {t.note ? <div><span class="hint">Instructie:</span> <span safe>{t.note}</span></div> : ""}
                    {t.reason ? <div><span class="hint">Reden:</span> <span safe>{t.reason}</span></div> : ""}
                    {t.score ? <div safe>{`Score: ${t.score.total} (${t.score.label})`}</div> : ""}
                  </td>
                  <td>
                    {t.status === "completed" && t.response ? <a class="button secondary" href={`/taken/${encodeURIComponent(t.id)}/resultaat`} safe>{`Resultaat van ${t.title}`}</a> : ""}
                    {t.cancellable
                      ? <details>
                          <summary safe>{`Annuleren: ${t.title}`}</summary>
                          <form method="post" action={`/taken/${encodeURIComponent(t.id)}/annuleren`}>
                            <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
                            <input type="hidden" name="patient" value={patientId} />
                            <label for={`reden-${t.id}`}>Reden van annuleren</label>
                            <textarea id={`reden-${t.id}`} name="reden" required maxlength="500" rows="2"></textarea>
                            <div class="actions"><button type="submit" class="danger">Taak annuleren</button></div>
                          </form>
                        </details>
                      : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>}
    </div>
  );
}

export interface AssignValues { module?: string; instructie?: string; start?: string; eind?: string; herhalen?: string; aantal?: string; plan?: string; mail?: string;
  /** One id per rendered form: a second submit of the same form sets nothing out twice. */
  aanvraag?: string }

export interface PatientPageProps {
  theme: Theme; who: Who; patientId: string; name: string; bsn: string | null; birthDate: string | null;
  tasks: TaskRow[]; catalogue: CatalogueItem[]; notice?: string; errors?: Record<string, string>; values: AssignValues;
  /** AM-FE-004: the PGOs that support modules, from the register's lists; null when the register did not answer. */
  pgos: ModulePgo[] | null;
}

/** AM-FE-004: which PGOs the patient can use for these tasks (MedMij Register, read over HTTP). */
function ModulePgos({ pgos }: { pgos: ModulePgo[] | null }): JSX.Element {
  // No aria-labelledby: a region named "… modules" would also answer getByLabel("Module"), the module field's name.
  return (
    <section class="card">
      <h2>PGO's met modules</h2>
      {pgos === null ? <p class="hint">De lijsten van het MedMij-register zijn nu niet op te halen.</p>
        : pgos.length === 0 ? <p class="hint">Het MedMij-register noemt geen PGO die taken van zorgaanbieders verzamelt.</p>
        : <>
            <p>De patiënt kan deze taken openen in een PGO die aanbiedermodules ondersteunt (volgens het MedMij-register):</p>
            <ul>{pgos.map((g) => <li><strong safe>{g.name}</strong> <span class="hint" safe>{`(${g.hostname})`}</span></li>)}</ul>
          </>}
    </section>
  );
}

/** One patient: tasks, and assigning a module from the organisation's catalogue (AM-FE-001/002/011/043). */
export function PatientPage(p: PatientPageProps): JSX.Element {
  const e = p.errors ?? {};
  const v = p.values;
  const invalid = (name: string) => ({ "aria-invalid": e[name] ? "true" : "false", "aria-describedby": e[name] ? `${name}-fout` : undefined });
  const error = (name: string) => (e[name] ? <p class="field-error" id={`${name}-fout`} safe>{e[name]}</p> : "");
  return (
    <Layout theme={p.theme} title={p.name} aside={<Aside who={p.who} />}>
      <p><a href="/patienten">← Alle patiënten</a></p>
      <h1 safe>{p.name}</h1>
      <dl class="facts">
        <dt>BSN</dt><dd><code safe>{p.bsn ?? "—"}</code></dd>
        <dt>Geboortedatum</dt><dd safe>{date(fhirText(p.birthDate))}</dd>
      </dl>
      {p.notice ? <div class="notice" role="status"><p safe>{p.notice}</p></div> : ""}

      <h2>Taken</h2>
      <TaskTable patientId={p.patientId} tasks={p.tasks} csrfToken={p.who.csrfToken} />
      <script src={ASSETS.pauseRefresh} defer></script>
      <form method="post" action={`/patienten/${encodeURIComponent(p.patientId)}/uitnodiging`} class="inline">
        <input type="hidden" name={CSRF_FIELD} value={p.who.csrfToken} />
        <button type="submit" class="secondary">Uitnodiging versturen</button>
      </form>
      <ModulePgos pgos={p.pgos} />

      <h2 id="toewijzen">Module toewijzen</h2>
      {p.catalogue.length === 0
        ? <p class="hint">Uw organisatie biedt (nog) geen modules aan bij deze DVA.</p>
        : <form method="post" action={`/patienten/${encodeURIComponent(p.patientId)}/taken`} class="card" novalidate>
            <input type="hidden" name={CSRF_FIELD} value={p.who.csrfToken} />
            <input type="hidden" name="aanvraag" value={v.aanvraag ?? ""} />
            <label for="module">Module</label>
            <select id="module" name="module" required {...invalid("module")}>
              <option value="">Kies een module</option>
              {p.catalogue.map((m) => <option value={m.id} selected={v.module === m.id} safe>{m.kind === "information" ? `${m.title} (informatie)` : m.title}</option>)}
            </select>
            {error("module")}
            <label for="instructie">Instructie voor de patiënt</label>
            <textarea id="instructie" name="instructie" rows="3" maxlength="1000" safe>{v.instructie ?? ""}</textarea>
            <div class="row">
              <div>
                <label for="start">Startdatum</label>
                <input type="date" id="start" name="start" required value={v.start ?? ""} {...invalid("start")} />
                {error("start")}
              </div>
              <div>
                <label for="eind">Einddatum</label>
                <input type="date" id="eind" name="eind" required value={v.eind ?? ""} {...invalid("eind")} />
                {error("eind")}
              </div>
            </div>
            <div class="row">
              <div>
                <label for="herhalen">Herhalen</label>
                <select id="herhalen" name="herhalen">
                  <option value="nee" selected={v.herhalen !== "week"}>Niet herhalen</option>
                  <option value="week" selected={v.herhalen === "week"}>Elke week</option>
                </select>
              </div>
              <div>
                <label for="aantal">Aantal keer</label>
                <input type="number" id="aantal" name="aantal" min="1" max="12" value={v.aantal ?? "1"} {...invalid("aantal")} />
                {error("aantal")}
              </div>
            </div>
            <label for="plan">Behandelplan (groepslabel in de PGO)</label>
            <input type="text" id="plan" name="plan" maxlength="120" value={v.plan ?? ""} placeholder="bijvoorbeeld: Behandeling angstklachten" />
            <div class="choice">
              <input type="checkbox" id="mail" name="mail" value="ja" checked={v.mail !== "nee"} />
              <label class="inline" for="mail">Uitnodiging per e-mail versturen</label>
            </div>
            <div class="actions"><button type="submit">Taak klaarzetten</button></div>
          </form>}
    </Layout>
  );
}

export interface Answer { text: string; answers: string[] }
export interface SeriesPoint { taskId: string; at: string; total: number; label: string }

/** AM-FE-013: the scores of repeated rounds as a line chart (an SVG drawn on the server). */
function ScoreChart({ series }: { series: SeriesPoint[] }): JSX.Element {
  const w = 560;
  const h = 220;
  const left = 56;
  const right = 56;
  const top = 28;
  const bottom = 36;
  const max = Math.max(...series.map((s) => s.total), 1);
  const x = (i: number) => left + (series.length === 1 ? (w - left - right) / 2 : (i * (w - left - right)) / (series.length - 1));
  const y = (v: number) => h - bottom - (v / max) * (h - top - bottom);
  const points = series.map((s, i) => `${x(i).toFixed(1)},${y(s.total).toFixed(1)}`).join(" ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby="grafiek-titel">
        <title id="grafiek-titel">Scores per ronde</title>
        <line x1={String(left)} y1={String(h - bottom)} x2={String(w - right)} y2={String(h - bottom)} stroke="#94a3b8" />
        <line x1={String(left)} y1={String(top)} x2={String(left)} y2={String(h - bottom)} stroke="#94a3b8" />
        <line x1={String(left)} y1={String(y(max))} x2={String(w - right)} y2={String(y(max))} stroke="#e2e8f0" stroke-dasharray="4 4" />
        <text x={String(left - 8)} y={String(h - bottom + 4)} text-anchor="end" font-size="12">0</text>
        <text x={String(left - 8)} y={(y(max) + 4).toFixed(1)} text-anchor="end" font-size="12" safe>{String(max)}</text>
        <polyline points={points} fill="none" stroke="var(--actor)" stroke-width="3" />
        {series.map((s, i) => (
          <g>
            <circle cx={x(i).toFixed(1)} cy={y(s.total).toFixed(1)} r="5" fill="var(--actor)" />
            <text x={x(i).toFixed(1)} y={(y(s.total) - 10).toFixed(1)} text-anchor="middle" font-size="13" safe>{String(s.total)}</text>
            <text x={x(i).toFixed(1)} y={String(h - bottom + 20)} text-anchor="middle" font-size="12" safe>{date(s.at)}</text>
          </g>
        ))}
      </svg>
      <figcaption>Score per afgeronde ronde van deze module.</figcaption>
    </figure>
  );
}

export interface ResultPageProps {
  theme: Theme; who: Who; patientId: string; patientName: string; task: TaskRow; questionnaireTitle: string | null;
  answers: Answer[]; series: SeriesPoint[];
}

/** AM-FE-006: the result of a completed questionnaire, with earlier rounds (AM-FE-013). */
export function ResultPage(p: ResultPageProps): JSX.Element {
  return (
    <Layout theme={p.theme} title={`Resultaat: ${p.task.title}`} aside={<Aside who={p.who} />}>
      <p><a href={`/patienten/${encodeURIComponent(p.patientId)}`} safe>{`← ${p.patientName}`}</a></p>
      <h1 safe>{p.task.title}</h1>
      <dl class="facts">
        <dt>Patiënt</dt><dd safe>{p.patientName}</dd>
        <dt>Afgerond op</dt><dd safe>{formatDateTime(p.task.lastModified) || "—"}</dd>
        {p.task.score ? <><dt>Score</dt><dd safe>{`${p.task.score.total} — ${p.task.score.label}`}</dd></> : ""}
      </dl>
      {p.series.length > 1
        ? <section>
            <h2>Verloop</h2>
            <ScoreChart series={p.series} />
            <table>
              <caption class="hint">Scores per ronde</caption>
              <thead><tr><th scope="col">Afgerond</th><th scope="col">Score</th></tr></thead>
              <tbody>{p.series.map((s) => <tr><td safe>{date(s.at)}</td><td safe>{`${s.total} (${s.label})`}</td></tr>)}</tbody>
            </table>
          </section>
        : ""}
      <h2>Antwoorden{p.questionnaireTitle ? <>: <span safe>{p.questionnaireTitle}</span></> : ""}</h2>
      {p.answers.length === 0
        ? <p class="hint">Er zijn geen antwoorden gevonden bij deze taak.</p>
        : <dl class="answers">
            {p.answers.map((a) => <><dt safe>{a.text}</dt><dd safe>{a.answers.join(", ") || "—"}</dd></>)}
          </dl>}
    </Layout>
  );
}
