import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { GROUP_LABELS, STATUS_LABELS, notStartable, type TaskGroup } from "../../src/shared/task-status.ts";
import type { TaskView } from "../../src/pgo/store.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";
import { LogoutButton } from "./account.tsx";

export interface ProviderState { name: string; displayName: string; dvaName: string; syncedAt: string | null; problem: string | null; reconsent: boolean }
export interface TaskRow { zorgaanbieder: string; providerName: string; view: TaskView }

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString("nl-NL", { day: "numeric", month: "long", year: "numeric", timeZone: "Europe/Amsterdam" }) : "");

export interface OverviewProps {
  theme: Theme; pgoName: string; csrfToken: string; userName: string; group: TaskGroup; providerFilter: string | null;
  providers: ProviderState[]; rows: TaskRow[]; counts: Record<TaskGroup, number>; highlight?: string | null; justConnected?: string | null;
  /** The overview's own URL (for the periodic htmx refresh) and the period filter. */
  selfUrl: string; from: string; to: string;
  sort: TaskSort;
}

/** SPEC §7: sort by date, provider or status (and title); date is the default per group. */
export type TaskSort = "datum" | "zorgaanbieder" | "status" | "titel";
export const TASK_SORTS: [TaskSort, string][] = [["datum", "Datum"], ["zorgaanbieder", "Zorgaanbieder"], ["status", "Status"], ["titel", "Titel"]];

/** "Taken van zorgaanbieders" (SD 4.2.2): all connected providers' tasks in one view. */
export function TaskOverview(p: OverviewProps): JSX.Element {
  const dvas = [...new Set(p.providers.map((x) => x.dvaName))].join(" of ") || "de dienstverlener van uw zorgaanbieder";
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
          <form method="post" action="/taken/verversen">
            <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
            <button type="submit">Verversen</button>
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
          {(["te-doen", "klaar", "gestopt"] as TaskGroup[]).map((g) => (
            <li><a class={g === p.group ? "button" : "button secondary"} href={link(g)} aria-current={g === p.group ? "page" : undefined} safe>{GROUP_LABELS[g]}</a> <span class="hint" safe>{`(${p.counts[g]})`}</span></li>
          ))}
        </ul>
      </nav>

      <h2 safe>{GROUP_LABELS[p.group]}</h2>
      {p.rows.length === 0 ? <p class="hint">Geen taken in deze groep.</p> : (
        <ul class="grid" style="list-style:none;padding:0">
          {p.rows.map((r) => (
            <li class="card">
              <h3 style="margin:0"><a href={`/taken/${encodeURIComponent(r.zorgaanbieder)}/${encodeURIComponent(r.view.id)}`} safe>{r.view.title}</a>
                {r.view.id === p.highlight ? <span class="status up">bijgewerkt</span> : ""}</h3>
              <p class="hint" safe>{`${r.providerName}${r.view.group ? ` · ${r.view.group}` : ""} · ${STATUS_LABELS[r.view.status] ?? r.view.status}`}</p>
              {r.view.description ? <p safe>{r.view.description}</p> : ""}
              {r.view.start || r.view.end ? <p class="hint" safe>{`Uitvoeren van ${day(r.view.start)} tot ${day(r.view.end)}`}</p> : ""}
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

/** A task's page with the AM-FE-042 warning and "Taak starten" (SD 3.4). */
export function TaskDetail({ theme, csrfToken, row, dvaName }: { theme: Theme; csrfToken: string; row: TaskRow; dvaName: string }): JSX.Element {
  const v = row.view;
  return (
    <Layout theme={theme} title={v.title} aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/taken">← Taken van zorgaanbieders</a></p>
      <h1 safe>{v.title}</h1>
      <dl class="error-ids">
        <dt>Zorgaanbieder</dt><dd safe>{row.providerName}</dd>
        <dt>Status</dt><dd safe>{STATUS_LABELS[v.status] ?? v.status}</dd>
        {v.group ? <><dt>Onderdeel van</dt><dd safe>{v.group}</dd></> : ""}
        {v.requester ? <><dt>Klaargezet door</dt><dd safe>{v.requester}</dd></> : ""}
        {v.module ? <><dt>Module</dt><dd safe>{v.module}</dd></> : ""}
        {v.start ? <><dt>Uitvoeren vanaf</dt><dd safe>{day(v.start)}</dd></> : ""}
        {v.end ? <><dt>Uitvoeren tot</dt><dd safe>{day(v.end)}</dd></> : ""}
        {v.reason ? <><dt>Reden van stoppen</dt><dd safe>{v.reason}</dd></> : ""}
      </dl>
      {v.description ? <p safe>{v.description}</p> : ""}
      {v.note ? <div class="card"><strong>Instructie:</strong> <span safe>{v.note}</span></div> : ""}
      <div class="banner" role="note"><p safe>{`Deze taak opent een applicatie buiten deze PGO, bij ${dvaName}, onder verantwoordelijkheid van ${row.providerName}.`}</p></div>
      {notStartable(v.status) ? <p class="hint" safe>{notStartable(v.status)}</p> : (
        <form method="post" action={`/taken/${encodeURIComponent(row.zorgaanbieder)}/${encodeURIComponent(v.id)}/starten`}>
          <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
          <button type="submit">{v.status === "completed" ? "Antwoorden bekijken" : "Taak starten"}</button>
        </form>
      )}
    </Layout>
  );
}

export interface WeekDay { date: string; label: string; rows: TaskRow[] }

/** The week calendar (AM-FE-026): per day the tasks whose executionPeriod covers it. */
export function WeekView({ theme, csrfToken, days, previous, next, title }: { theme: Theme; csrfToken: string; days: WeekDay[]; previous: string; next: string; title: string }): JSX.Element {
  return (
    <Layout theme={theme} title="Weekoverzicht" aside={<LogoutButton csrfToken={csrfToken} />}>
      <p><a href="/taken">← Lijst</a></p>
      <h1>Taken van zorgaanbieders</h1>
      <h2 safe>{title}</h2>
      <nav aria-label="Weken" class="actions">
        <a class="button secondary" href={`/taken?weergave=week&week=${previous}`}>Vorige week</a>
        <a class="button secondary" href={`/taken?weergave=week&week=${next}`}>Volgende week</a>
      </nav>
      <div class="week" style="display:grid;grid-template-columns:repeat(7,minmax(7rem,1fr));gap:.5rem;overflow-x:auto;margin-top:1rem">
        {days.map((d) => (
          <section class="card" aria-label={d.label} style="padding:.5rem">
            <h3 style="margin:0 0 .5rem;font-size:1rem" safe>{d.label}</h3>
            {d.rows.length === 0 ? <p class="hint">—</p> : d.rows.map((r) => (
              <p style="margin:.25rem 0"><a href={`/taken/${encodeURIComponent(r.zorgaanbieder)}/${encodeURIComponent(r.view.id)}`} safe>{r.view.title}</a>
                <br /><span class="hint" safe>{r.providerName}</span></p>
            ))}
          </section>
        ))}
      </div>
    </Layout>
  );
}
