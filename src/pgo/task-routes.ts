/**
 * "Taken van zorgaanbieders" (SD 4.2.2, SPEC §7): the overview of all connected providers' tasks
 * (groups, filters, sort, week view, periodic refresh), a task's page, starting it (SD 3.4) and the
 * return from the module (SD 3.8).
 */
import { Elysia } from "elysia";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, readForm, redirectAfterPost, toLogin } from "../shared/html.ts";
import { groupOf, notStartable, statusLabel, type TaskGroup } from "../shared/task-status.ts";
import { addDays, amsterdamDay, clockTime, weekdayLabel } from "../shared/time.ts";
import { statusOfOAuthError } from "../shared/chain-events.ts";
import { incomingIds, newId, sessionIdOf } from "../shared/trace.ts";
import { LaunchFailed, Unavailable } from "../../views/pgo/problems.tsx";
import { TASK_SORTS, TaskDetail, TaskOverview, WeekView, type ProviderState, type TaskRow, type TaskSort, type Week, type WeekDay } from "../../views/pgo/tasks.tsx";
import { PGO_SESSION_COOKIE } from "./account-routes.ts";
import type { PgoDeps } from "./deps.ts";

/** The Amsterdam calendar day ("YYYY-MM-DD") of a FHIR dateTime; null when absent or unreadable. */
function dayOf(iso: string | null): string | null {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : amsterdamDay(new Date(t));
}

/**
 * The week (Monday to Sunday, Amsterdam calendar days) containing `week` (YYYY-MM-DD; default
 * today in Amsterdam). Each open task appears once: on the Amsterdam day its executionPeriod
 * starts (Europe/Amsterdam with DST, so a task from Amsterdam midnight is on that day, not the one
 * before), or under "Loopt al" when it started earlier and still runs this week.
 */
export function weekOf(week: string | null, rows: TaskRow[], now = new Date()): Week {
  const noon = week && /^\d{4}-\d{2}-\d{2}$/.test(week) ? new Date(`${week}T12:00:00Z`) : null;
  const base = noon && !Number.isNaN(noon.getTime()) && noon.toISOString().startsWith(week!) ? week! : amsterdamDay(now);
  const monday = addDays(base, -((new Date(`${base}T12:00:00Z`).getUTCDay() + 6) % 7));
  const sunday = addDays(monday, 6);
  const open = rows.filter((r) => groupOf(r.view.status, r.flavour) === "te-doen")
    .map((r) => ({ r, start: dayOf(r.view.start), end: dayOf(r.view.end), at: r.view.start ? Date.parse(r.view.start) || 0 : 0 }))
    .sort((a, b) => a.at - b.at || a.r.view.title.localeCompare(b.r.view.title, "nl"));
  const today = amsterdamDay(now);
  const days: WeekDay[] = Array.from({ length: 7 }, (_, i) => {
    const date = addDays(monday, i);
    return { date, label: weekdayLabel(date), today: date === today, rows: open.filter((t) => t.start === date).map((t) => t.r) };
  });
  const earlier = open.filter((t) => (t.start === null || t.start < monday) && (t.end === null || t.end >= monday)).map((t) => t.r);
  return { days, earlier, previous: addDays(monday, -7), next: addDays(monday, 7),
    title: `Week van ${weekdayLabel(monday)} ${monday.slice(0, 4)} tot en met ${weekdayLabel(sunday)} ${sunday.slice(0, 4)}` };
}

export function taskRoutes(d: PgoDeps) {
  const { ctx, pgo, theme, store, accountOf, displayName, failure, expired, providersOr, lastResults, syncAll, checkTask, dvaNameOf, problemProps, launches, start, continueLaunch, flavoursOf } = d;
  const sessionOf = (request: Request) => sessionIdOf(request, PGO_SESSION_COOKIE);
  return new Elysia({ name: `pgo-tasks:${pgo.clientId}` })
    // "Taken van zorgaanbieders" (SD 4.2.2): the central overview.
    .get("/taken", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      // A page view collects when the copy is older than 5 minutes; the periodic htmx refresh every minute.
      await syncAll(account.id, { maxAgeMs: url.searchParams.has("auto") ? 55_000 : 5 * 60_000, sessionId: sessionOf(request) });
      const dateParam = (name: string) => { const v = url.searchParams.get(name) ?? ""; return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : ""; };
      const from = dateParam("van");
      const to = dateParam("tot");
      const groupParam = url.searchParams.get("groep");
      const group: TaskGroup = groupParam === "klaar" || groupParam === "gestopt" || groupParam === "overig" ? groupParam : "te-doen";
      const providerFilter = url.searchParams.get("zorgaanbieder");
      const flavours = await flavoursOf(store.connectionsOf(account.id).map((c) => c.zorgaanbieder));
      const all: TaskRow[] = store.tasksOf(account.id).map((t) => ({ zorgaanbieder: t.zorgaanbieder, providerName: displayName(t.zorgaanbieder), view: t.view, flavour: flavours.get(t.zorgaanbieder) }));
      if (url.searchParams.get("weergave") === "week") {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(WeekView({ theme, csrfToken: csrf.token, week: weekOf(url.searchParams.get("week"), all) }), { setCookies: [csrf.setCookie] });
      }
      // Period filter: tasks whose executionPeriod overlaps [van, tot], in Amsterdam calendar days.
      const overlaps = (r: TaskRow) => (!from || (dayOf(r.view.end) ?? from) >= from) && (!to || (dayOf(r.view.start) ?? to) <= to);
      const visible = all.filter((r) => (!providerFilter || r.zorgaanbieder === providerFilter) && overlaps(r));
      const counts = { "te-doen": 0, klaar: 0, gestopt: 0, overig: 0 } as Record<TaskGroup, number>;
      for (const r of visible) counts[groupOf(r.view.status, r.flavour)]++;
      // Open tasks earliest first; done and stopped most recent first (issue 5 item 3). Another
      // order (SPEC §7: provider, status, title) keeps that date order within equal values.
      const sortParam = url.searchParams.get("sorteer");
      const sort: TaskSort = TASK_SORTS.some(([v]) => v === sortParam) ? sortParam as TaskSort : "datum";
      const key = (r: TaskRow) => (group === "te-doen" ? r.view.start ?? "" : r.view.lastModified ?? r.view.end ?? "");
      const byDate = (a: TaskRow, b: TaskRow) => (group === "te-doen" ? 1 : -1) * key(a).localeCompare(key(b));
      const first = (r: TaskRow) => sort === "zorgaanbieder" ? r.providerName : sort === "status" ? statusLabel(r.view.status, r.flavour) : sort === "titel" ? r.view.title : "";
      const rows = visible.filter((r) => groupOf(r.view.status, r.flavour) === group).sort((a, b) => first(a).localeCompare(first(b), "nl") || byDate(a, b));
      const providers: ProviderState[] = store.connectionsOf(account.id).map((c) => {
        const state = store.syncState(account.id, c.zorgaanbieder);
        const result = lastResults.get(`${account.id} ${c.zorgaanbieder}`);
        return { name: c.zorgaanbieder, displayName: displayName(c.zorgaanbieder), dvaName: dvaNameOf(c.zorgaanbieder),
          syncedAt: state ? clockTime(new Date(state.syncedAt)) : null,
          problem: result?.status === "failed" ? result.message : null, reconsent: result?.status === "reconsent" };
      });
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(TaskOverview({ theme, pgoName: pgo.displayName, csrfToken: csrf.token, userName: account.displayName, group, providerFilter,
        providers, rows, counts, highlight: url.searchParams.get("gemarkeerd"), from, to, sort, now: Date.now(),
        selfUrl: `/taken?${new URLSearchParams([...url.searchParams].filter(([k]) => k !== "auto" && k !== "verbonden")).toString()}`,
        justConnected: url.searchParams.get("verbonden") ? displayName(url.searchParams.get("verbonden")!) : null }), { setCookies: [csrf.setCookie] });
    })
    .post("/taken/verversen", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      // "Verversen" is a full collection: the copy becomes what the DVA gives now (issue 11 item 7).
      await syncAll(account.id, { maxAgeMs: 0, full: true, sessionId: sessionOf(request) });
      return redirectAfterPost(request, "/taken");
    })
    .get("/taken/:zorgaanbieder/:id", async ({ request, params }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      // The copy may be stale: the page reads the Task again, and a Task the DVA no longer gives leaves the copy (issue 11 item 7).
      if (!(await checkTask(account.id, params.zorgaanbieder, params.id, sessionOf(request)))) {
        return failure(request, "Taak niet gevonden", `${displayName(params.zorgaanbieder)} heeft deze taak niet meer voor je klaarstaan. Hij is uit je overzicht gehaald.`, 404);
      }
      const row = store.tasksOf(account.id).find((t) => t.zorgaanbieder === params.zorgaanbieder && t.view.id === params.id);
      if (!row) return failure(request, "Taak niet gevonden", "Deze taak staat niet (meer) in je overzicht.", 404);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(TaskDetail({ theme, csrfToken: csrf.token, dvaName: dvaNameOf(row.zorgaanbieder), now: Date.now(),
        row: { zorgaanbieder: row.zorgaanbieder, providerName: displayName(row.zorgaanbieder), view: row.view, flavour: (await flavoursOf([row.zorgaanbieder])).get(row.zorgaanbieder) } }), { setCookies: [csrf.setCookie] });
    })
    .post("/taken/:zorgaanbieder/:id/starten", async ({ request, params }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const row = store.tasksOf(account.id).find((t) => t.zorgaanbieder === params.zorgaanbieder && t.view.id === params.id);
      if (!row) return failure(request, "Taak niet gevonden", "Deze taak staat niet (meer) in je overzicht.", 404);
      // Outside its executionPeriod the PGO does not ask for a launch code (the DVA would refuse it too).
      const refused = notStartable(row.view.status, row.view, Date.now());
      if (refused) return failure(request, "Deze taak kan niet gestart worden", refused, 409);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === row.zorgaanbieder);
      if (!provider) return htmlResponse(Unavailable({ ...problemProps(request, row.zorgaanbieder), what: "dva" }), { status: 503 });
      return start(request, account.id, provider, row.view.id, newId(), true);
    })
    // KoppelMij 2026 (issue 15): the DVA's redirect with the launch authorization code, then the launch.
    .get("/callback_stepup", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      return continueLaunch(request, account.id, (url.searchParams.get("state") ?? "").slice(0, 200), url.searchParams.get("code"), url.searchParams.get("error"));
    })
    // SD 3.8: back from the module, with or without error.
    .get("/launch_callback", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      const error = url.searchParams.get("error");
      // A module that fails before it has the launch context returns without return_url's
      // parameters: then this account's latest launch says which task it was (SD 4.2.3).
      const latest = url.searchParams.has("zorgaanbieder") ? null : d.lastLaunchOf(account.id);
      const zorgaanbieder = url.searchParams.get("zorgaanbieder") ?? latest?.zorgaanbieder ?? "";
      const taskId = url.searchParams.get("taak") ?? latest?.taskId ?? "";
      const { requestId, traceId: fresh } = incomingIds(request, url);
      const launch = launches.get(`${account.id} ${zorgaanbieder} ${taskId}`);
      const traceId = launch?.traceId ?? fresh;
      const sessionId = sessionOf(request);
      // SD 4.5.7.1.1: the launch code's reference links the return to its launch (lost only when the PGO restarted in between).
      ctx.chain.write({ type: "receive_redirect_to_pgo_request", location: pgo.clientId, traceId, sessionId,
        request: { id: requestId, method: "get", server_id: pgo.clientId, uri: `${url.origin}${url.pathname}`, initiated_by: "person",
          ...(launch ? { smart_on_fhir_launch_code: launch.launchCode } : {}), ...(error ? { error: error.slice(0, 100) } : {}) } });
      // The module's answer to the launch, which the PGO learns only now, as the browser comes back (SD 4.5.4.1.2/3).
      if (launch && !launch.answered) {
        launch.answered = true;
        const base = { location: pgo.clientId, traceId, sessionId };
        if (error) {
          const description = (url.searchParams.get("error_description") || `de module stuurde de persoon terug met error=${error}`).slice(0, 300);
          ctx.chain.write({ ...base, type: "receive_smart_launch_request_error",
            error: { request_id: launch.requestId, code: error.slice(0, 100), description, status: statusOfOAuthError(error) } });
        } else {
          ctx.chain.write({ ...base, type: "receive_smart_launch_response", response: { request_id: launch.requestId, status: 200 } });
        }
      }
      const taskOf = () => store.tasksOf(account.id).find((t) => t.zorgaanbieder === zorgaanbieder && t.view.id === taskId);
      if (error) {
        return htmlResponse(LaunchFailed({ ...problemProps(request, zorgaanbieder, traceId), error: error.slice(0, 100), taskTitle: taskOf()?.view.title }), { status: 200 });
      }
      if (zorgaanbieder) await syncAll(account.id, { maxAgeMs: 0, only: zorgaanbieder, sessionId });
      const row = taskOf();
      const group = row ? groupOf(row.view.status, (await flavoursOf([zorgaanbieder])).get(zorgaanbieder)) : "te-doen";
      return new Response(null, { status: 303, headers: { Location: `/taken?groep=${group}&gemarkeerd=${encodeURIComponent(taskId)}` } });
    });
}
