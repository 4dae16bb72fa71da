import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { GROUP_LABELS, groupOf, notStartable, periodNote, statusLabel, type TaskGroup } from "../../src/shared/task-status.ts";
import type { Flavour } from "../../src/shared/network.ts";
import { formatDateTime, formatDay } from "../../src/shared/time.ts";
import type { TaskView } from "../../src/pgo/store.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";
import { LogoutButton } from "./account.tsx";

export interface ProviderState { name: string; displayName: string; dvaName: string; syncedAt: string | null; problem: string | null; reconsent: boolean }
/** `flavour`: the provider's DVA's (issue 15), whose display guideline groups and labels the task. */
export interface TaskRow { zorgaanbieder: string; providerName: string; view: TaskView; flavour?: Flavour }

const day = formatDay;
const taskHref = (r: TaskRow) => `/taken/${encodeURIComponent(r.zorgaanbieder)}/${encodeURIComponent(r.view.id)}`;

/** AM-FE-026: when a done or stopped task was finished (Task.lastModified); null when the DVA does not say. */
function finishedNote(v: TaskView, flavour?: Flavour): string | null {
  const when = formatDateTime(v.lastModified);
  if (!when) return null;
  const group = groupOf(v.status, flavour);
  return group === "klaar" ? `Afgerond op ${when}` : group === "gestopt" ? `Gestopt op ${when}` : null;
}

export interface OverviewProps {
  theme: Theme; pgoName: string; csrfToken: string; userName: string; group: TaskGroup; providerFilter: string | null;
  providers: ProviderState[]; rows: TaskRow[]; counts: Record<TaskGroup, number>; highlight?: string | null; justConnected?: string | null;
  /** The overview's own URL (for the periodic htmx refresh) and the period filter. */
  selfUrl: string; from: string; to: string;
  sort: TaskSort;
  /** The moment the page is rendered: whether a task's period has started or ended. */
  now: number;
}

/** SPEC §7: sort by date, provider or status (and title); date is the default per group. */
export type TaskSort = "datum" | "zorgaanbieder" | "status" | "titel";
export const TASK_SORTS: [TaskSort, string][] = [["datum", "Datum"], ["zorgaanbieder", "Zorgaanbieder"], ["status", "Status"], ["titel", "Titel"]];

/** "Taken van zorgaanbieders" (SD 4.2.2): all connected providers' tasks in one view. */
export function TaskOverview(p: OverviewProps): JSX.Element {
  const dvas = [...new Set(p.providers.map((x) => x.dvaName))].join(" of ") || "de dienstverlener van je zorgaanbieder";
  const keep = `${p.providerFilter ? `&zorgaanbieder=${encodeURIComponent(p.providerFilter)}` : ""}${p.from ? `&van=${p.from}` : ""}${p.to ? `&tot=${p.to}` : ""}${p.sort !== "datum" ? `&sorteer=${p.sort}` : ""}`;
  const link = (group: TaskGroup) => `/taken?groep=${group}${keep}`;
  return (
    <Layout theme={p.theme} title="Taken van zorgaanbieders" aside={<LogoutButton csrfToken={p.csrfToken} />}>
      <h1>Taken van zorgaanbieders</h1>
      <p class="hint">Ingelogd als <strong safe>{p.userName}</strong></p>
      {p.justConnected ? <div class="notice" role="status"><p safe>{`Verbonden met ${p.justConnected}. Je taken zijn opgehaald.`}</p></div> : ""}
      <p safe>{`Op deze pagina zie je de taken die door zorgaanbieders voor jou zijn klaargezet. Kies je voor een taak, houd er dan rekening mee dat dit een applicatie start buiten ${p.pgoName} bij ${dvas}. Dit kan ook een verwerker zijn namens de zorgaanbieder.`}</p>
      <p>Lees goed wat de applicatie doet voor je er op klikt. Soms moet je daarvoor opnieuw inloggen of toestemming geven om gegevens uit te wisselen met je zorgaanbieder.</p>

      <section aria-labelledby="providers-heading" class="card">
        <h2 id="providers-heading">Zorgaanbieders</h2>
        {p.providers.length === 0 ? <p>Nog geen zorgaanbieder verbonden.</p> : (
          <ul>
            {p.providers.map((x) => (
              <li>
                <a href={`/taken?groep=${p.group}&zorgaanbieder=${encodeURIComponent(x.name)}`} safe>{x.displayName}</a>
                {x.syncedAt ? <span class="hint" safe>{` — bijgewerkt om ${x.syncedAt}`}</span> : ""}
                {x.reconsent ? <span> — <a href={`/verbind?zorgaanbieder=${encodeURIComponent(x.name)}`}>opnieuw toestemming geven</a></span> : ""}
                {x.problem ? <span class="field-error" safe>{` — ${x.problem}`}</span> : ""}
              </li>
            ))}
          </ul>
        )}
        <div class="actions">
          {/* With htmx the button shows it is busy while the DVAs answer; without, the page simply reloads. */}
          <form method="post" action="/taken/verversen" hx-post="/taken/verversen" hx-indicator="#verversen-bezig" hx-disabled-elt="find button">
            <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
            <button type="submit">Verversen</button>
            <span id="verversen-bezig" class="busy hint" role="status"> Bezig met verversen…</span>
          </form>
          <a class="button secondary" href="/zorgaanbieders">Zorgaanbieder toevoegen</a>
          <a class="button secondary" href="/verbindingen">Verbindingen</a>
          <a class="button secondary" href="/taken?weergave=week">Weekoverzicht</a>
          {p.providerFilter ? <a class="button secondary" href={`/taken?groep=${p.group}`}>Alle zorgaanbieders</a> : ""}
        </div>
      </section>

      <form method="get" action="/taken" class="actions" aria-label="Periode">
        <input type="hidden" name="groep" value={p.group} />
        {p.providerFilter ? <input type="hidden" name="zorgaanbieder" value={p.providerFilter} /> : ""}
        <div><label for="van">Van</label><input type="date" id="van" name="van" value={p.from} /></div>
        <div><label for="tot">Tot en met</label><input type="date" id="tot" name="tot" value={p.to} /></div>
        <div>
          <label for="sorteer">Sorteren op</label>
          <select id="sorteer" name="sorteer">
            {TASK_SORTS.map(([value, label]) => <option value={value} selected={p.sort === value} safe>{label}</option>)}
          </select>
        </div>
        <div style="align-self:flex-end"><button type="submit" class="secondary">Filteren</button></div>
      </form>

      {/* AM-FE-041: while the page is open it collects again every minute (htmx), without a new login. */}
      <div id="tasks" hx-get={p.selfUrl} hx-trigger="every 60s" hx-select="#tasks" hx-swap="outerHTML" hx-vals='{"auto":"1"}'>
      <nav aria-label="Groepen">
        <ul class="actions" style="list-style:none;padding:0">
          {/* "Niet ingedeeld": what a KoppelMij 2026 guideline puts in no group, shown apart instead of hidden (README "Spec flavours"). */}
          {(["te-doen", "klaar", "gestopt", ...(p.counts.overig > 0 || p.group === "overig" ? ["overig"] : [])] as TaskGroup[]).map((g) => (
            <li><a class={g === p.group ? "button" : "button secondary"} href={link(g)} aria-current={g === p.group ? "page" : undefined} safe>{GROUP_LABELS[g]}</a> <span class="hint" safe>{`(${p.counts[g]})`}</span></li>
          ))}
        </ul>
      </nav>

      <h2 safe>{GROUP_LABELS[p.group]}</h2>
      {p.rows.length === 0 ? <p class="hint">Geen taken in deze groep.</p> : (
        <ul class="grid" style="list-style:none;padding:0">
          {p.rows.map((r) => (
            <li class="card">
              <h3 class="task-title"><a href={taskHref(r)} safe>{r.view.title}</a>
                {r.view.id === p.highlight ? <span class="status up">bijgewerkt</span> : ""}</h3>
              <p class="hint" safe>{`${r.providerName}${r.view.group ? ` · ${r.view.group}` : ""} · ${statusLabel(r.view.status, r.flavour)}`}</p>
              {periodNote(r.view.status, r.view, p.now) ? <p class="period-note" safe>{periodNote(r.view.status, r.view, p.now)}</p> : ""}
              {finishedNote(r.view, r.flavour) ? <p class="done-note" safe>{finishedNote(r.view, r.flavour)}</p> : ""}
              {r.view.schedule ? <p class="hint" safe>{r.view.schedule}</p> : ""}
              {r.view.description ? <p safe>{r.view.description}</p> : ""}
              {r.view.start || r.view.end ? <p class="hint" safe>{periodText(r.view)}</p> : ""}
              {r.view.module ? <p class="hint" safe>{`Via de module ${r.view.module}`}</p> : ""}
              {r.view.reason ? <p><strong>Reden:</strong> <span safe>{r.view.reason}</span></p> : ""}
            </li>
          ))}
        </ul>
      )}
      </div>
    </Layout>
  );
}

/** "Uitvoeren van 1 december 2026 tot en met 15 december 2026", or the one bound there is. */
function periodText(v: TaskView): string {
  if (v.start && v.end) return `Uitvoeren van ${day(v.start)} tot en met ${day(v.end)}`;
  return v.start ? `Uitvoeren vanaf ${day(v.start)}` : `Uitvoeren tot en met ${day(v.end)}`;
}

/** A task's page with the AM-FE-042 warning and "Taak starten" (SD 3.4). */
export function TaskDetail({ theme, csrfToken, row, dvaName, now }: { theme: Theme; csrfToken: string; row: TaskRow; dvaName: string; now: number }): JSX.Element {
  const v = row.view;
  const refused = notStartable(v.status, v, now);
  return (
    <Layout theme={theme} title={v.title} aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/taken">← Taken van zorgaanbieders</a></p>
      <h1 safe>{v.title}</h1>
      <dl class="error-ids">
        <dt>Zorgaanbieder</dt><dd safe>{row.providerName}</dd>
        <dt>Status</dt><dd safe>{statusLabel(v.status, row.flavour)}</dd>
        {finishedNote(v, row.flavour) ? <><dt>{groupOf(v.status, row.flavour) === "klaar" ? "Afgerond op" : "Gestopt op"}</dt><dd safe>{formatDateTime(v.lastModified)}</dd></> : ""}
        {v.group ? <><dt>Onderdeel van</dt><dd safe>{v.group}</dd></> : ""}
        {v.requester ? <><dt>Klaargezet door</dt><dd safe>{v.requester}</dd></> : ""}
        {v.module ? <><dt>Module</dt><dd safe>{v.module}</dd></> : ""}
        {v.start ? <><dt>Uitvoeren vanaf</dt><dd safe>{day(v.start)}</dd></> : ""}
        {v.end ? <><dt>Uitvoeren tot en met</dt><dd safe>{day(v.end)}</dd></> : ""}
        {v.reason ? <><dt>Reden van stoppen</dt><dd safe>{v.reason}</dd></> : ""}
      </dl>
      {v.description ? <p safe>{v.description}</p> : ""}
      {v.schedule ? <p><strong>Schema:</strong> <span safe>{v.schedule}</span></p> : ""}
      {/* The ExecutionOrder's patientInstruction (ProviderTasks 1.0.0-alpha.2), else the Task's note (SD v0.2, AM-FE-011); one, not both when equal. */}
      {v.instruction ? <div class="card"><strong>Instructie:</strong> <span safe>{v.instruction}</span></div> : ""}
      {v.note && v.note !== v.instruction ? <div class="card"><strong>{v.instruction ? "Notitie:" : "Instructie:"}</strong> <span safe>{v.note}</span></div> : ""}
      <div class="banner" role="note"><p safe>{`Deze taak opent een applicatie buiten deze PGO, bij ${dvaName}, onder verantwoordelijkheid van ${row.providerName}.`}</p></div>
      {refused ? <p class="period-note" safe>{refused}</p> : (
        <form method="post" action={`/taken/${encodeURIComponent(row.zorgaanbieder)}/${encodeURIComponent(v.id)}/starten`}>
          <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
          <button type="submit">{v.status === "completed" ? "Antwoorden bekijken" : "Taak starten"}</button>
        </form>
      )}
    </Layout>
  );
}

export interface WeekDay { date: string; label: string; today: boolean; rows: TaskRow[] }
export interface Week { days: WeekDay[]; earlier: TaskRow[]; previous: string; next: string; title: string }

/** One task in the week: its title, provider and until when. */
function WeekTask({ r }: { r: TaskRow }): JSX.Element {
  return (
    <li>
      <a href={taskHref(r)} safe>{r.view.title}</a>
      <span class="hint" safe>{`${r.providerName}${r.view.end ? ` · tot en met ${day(r.view.end)}` : ""}`}</span>
    </li>
  );
}

/**
 * The week calendar (AM-FE-025): each open task once, on the Amsterdam day its executionPeriod
 * starts; tasks that started before this week and still run are listed above the days.
 */
export function WeekView({ theme, csrfToken, week }: { theme: Theme; csrfToken: string; week: Week }): JSX.Element {
  return (
    <Layout theme={theme} title="Weekoverzicht" aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/taken">← Lijst</a></p>
      <h1>Taken van zorgaanbieders</h1>
      <h2 safe>{week.title}</h2>
      <nav aria-label="Weken" class="actions">
        <a class="button secondary" href={`/taken?weergave=week&week=${week.previous}`}>Vorige week</a>
        <a class="button secondary" href="/taken?weergave=week">Deze week</a>
        <a class="button secondary" href={`/taken?weergave=week&week=${week.next}`}>Volgende week</a>
      </nav>
      {week.earlier.length ? (
        <section class="card week-earlier" aria-labelledby="week-earlier">
          <h3 id="week-earlier">Loopt al</h3>
          <ul class="week-tasks">{week.earlier.map((r) => <WeekTask r={r} />)}</ul>
        </section>
      ) : ""}
      <ol class="week">
        {week.days.map((d) => (
          <li class={d.today ? "card week-day today" : "card week-day"} aria-labelledby={`dag-${d.date}`} aria-current={d.today ? "date" : undefined}>
            <h3 id={`dag-${d.date}`} safe>{d.label}</h3>
            {d.today ? <span class="status up">vandaag</span> : ""}
            {d.rows.length === 0 ? <p class="hint">Geen nieuwe taken</p> : <ul class="week-tasks">{d.rows.map((r) => <WeekTask r={r} />)}</ul>}
          </li>
        ))}
      </ol>
    </Layout>
  );
}
