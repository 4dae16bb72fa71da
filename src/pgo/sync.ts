/**
 * Collecting tasks from a connected zorgaanbieder (SD 3.3 step 3, 3.3.4): the PGO keeps its own
 * copy; a refresh asks only for Tasks changed since the last sync (`_lastUpdated=gt...`) and sends
 * `If-None-Match` with the ETag of that same request, so an unchanged list costs a 304. A full
 * collection (no `_lastUpdated`) replaces the copy, so a Task that moved to another patient or
 * was deleted at the DVA leaves it (issue 11 item 7); so does a Task whose page finds it gone.
 * Under long-term consent an expired access token is renewed silently (rotating refresh tokens),
 * one renewal at a time per connection.
 */
import * as oauth from "oauth4webapi";
import { DATA_SERVICE_TAG, DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS, OTHER_PROVIDER_TASK_TAGS } from "../shared/fhir-profiles.ts";
import { fhirList, fhirObject, fhirText, fhirTextOrNull } from "../shared/fhir-text.ts";
import type { HttpClient } from "../shared/http-client.ts";
import { newId, type Trace } from "../shared/trace.ts";
import { formatDay } from "../shared/time.ts";
import { authorizationServer, loggedFetch } from "./connect.ts";
import type { Provider } from "./register.ts";
import type { CachedTask, Connection, PgoStore, TaskView } from "./store.ts";

export type SyncResult = { status: "updated" | "unchanged" } | { status: "reconsent" } | { status: "failed"; message: string };

type Res = Record<string, any>;

/**
 * A Task and its included resources → what the overview shows; one row per business identifier.
 * Every value goes through fhirText: a DVA outside the sandbox need not validate, and the PGO keeps
 * what it collected, so one element of the wrong type must not take the overview down (issue 11).
 */
export function taskView(task: Res, included: Map<string, Res>, moduleNames: Map<string, string> = new Map()): CachedTask {
  const ext = fhirList(task.extension).map(fhirObject).find((e) => (DIGITAL_ACTIVITY_EXTENSIONS as readonly string[]).includes(fhirText(e.url)));
  const activityRef = fhirText(fhirObject(ext?.valueReference).reference);
  const activity = activityRef ? included.get(activityRef.replace(/^.*\/(\w+\/[^/]+)$/, "$1")) : undefined;
  const identifier = fhirList(task.identifier)[0];
  const period = fhirObject(task.executionPeriod);
  const firstText = (...values: unknown[]) => values.map(fhirText).find(Boolean) ?? null;
  const view: TaskView = {
    id: fhirText(task.id), status: fhirText(task.status),
    title: firstText(activity?.title, fhirObject(task.code).text, task.description) ?? "Taak",
    description: firstText(task.description, activity?.description),
    group: fhirTextOrNull(fhirObject(fhirList(task.basedOn)[0]).display),
    requester: fhirTextOrNull(fhirObject(task.requester).display),
    start: fhirTextOrNull(period.start), end: fhirTextOrNull(period.end),
    lastModified: firstText(task.lastModified, fhirObject(task.meta).lastUpdated),
    reason: fhirTextOrNull(fhirObject(task.statusReason).text),
    note: fhirList(task.note).map((n) => fhirText(fhirObject(n).text)).filter(Boolean).join(" ") || null,
    // Who runs the module (AM-FE-024): the Endpoint's name, else the ActivityDefinition's publisher.
    module: (activity ? moduleNames.get(`ActivityDefinition/${fhirText(activity.id)}`) : undefined) ?? fhirTextOrNull(activity?.publisher),
    ...executionOrderText(included.get(fhirText(fhirObject(task.focus).reference).replace(/^.*\/(\w+\/[^/]+)$/, "$1"))),
  };
  const key = identifier !== undefined ? `${fhirText(fhirObject(identifier).system)}|${fhirText(fhirObject(identifier).value)}` : `id|${view.id}`;
  return { key, taskId: view.id, status: view.status, title: view.title, sortDate: view.start, view };
}

const UNITS: Record<string, [string, string]> = { d: ["dag", "dagen"], wk: ["week", "weken"], mo: ["maand", "maanden"], h: ["uur", "uur"] };

/**
 * A pt-ExecutionOrder's schedule and instruction as the PGO shows them (issue 15): "Elke week, 3
 * keer, vanaf 8 december 2026" from occurrenceTiming, a day from occurrenceDateTime, or a period;
 * patientInstruction as it is. Another party's data: anything unreadable is left out.
 */
export function executionOrderText(order: Res | undefined): { schedule: string | null; instruction: string | null } {
  if (!order || fhirText(order.resourceType) !== "ServiceRequest") return { schedule: null, instruction: null };
  const repeat = fhirObject(fhirObject(order.occurrenceTiming).repeat);
  const day = (iso: unknown) => { const t = Date.parse(fhirText(iso)); return Number.isNaN(t) ? null : formatDay(new Date(t).toISOString()); };
  let schedule: string | null = null;
  if (Object.keys(repeat).length) {
    const period = Number(repeat.period ?? 1);
    const unit = UNITS[fhirText(repeat.periodUnit)];
    const frequency = Number(repeat.frequency ?? 1);
    const count = Number(repeat.count);
    const from = day(fhirObject(repeat.boundsPeriod).start);
    if (unit && Number.isFinite(period) && period > 0) {
      const every = period === 1 ? `Elke ${unit[0]}` : `Elke ${period} ${unit[1]}`;
      schedule = [frequency > 1 ? `${every} ${frequency} keer` : every, Number.isInteger(count) && count > 0 ? `${count} keer` : null, from ? `vanaf ${from}` : null].filter(Boolean).join(", ");
    }
  } else if (order.occurrenceDateTime !== undefined) {
    schedule = day(order.occurrenceDateTime) ? `Op ${day(order.occurrenceDateTime)}` : null;
  } else if (order.occurrencePeriod !== undefined) {
    const p = fhirObject(order.occurrencePeriod);
    schedule = day(p.start) ? `Van ${day(p.start)}${day(p.end) ? ` tot ${day(p.end)}` : ""}` : null;
  }
  return { schedule, instruction: fhirTextOrNull(order.patientInstruction) };
}

/** Renewals in flight per PGO store and connection: concurrent callers share one (issue 11 item 3). */
const renewals = new WeakMap<PgoStore, Map<string, Promise<string | null>>>();

/**
 * The connection's access token, renewed with the refresh token when (nearly) expired; null =
 * re-consent. `force`: the DVA refused `c.accessToken` (401). Refresh tokens rotate and a reused
 * one revokes the whole consent (RFC 9700 §4.14.2), so two tabs must never renew at once: a
 * caller joins the renewal in flight, and a renewal starts from the stored connection, not from
 * the caller's possibly older copy of it.
 */
export function freshToken(c: Connection, p: Provider, clientId: string, store: PgoStore, http: HttpClient, trace: Trace, force = false): Promise<string | null> {
  if (!force && c.accessExpiresAt > Date.now() + 10_000) return Promise.resolve(c.accessToken);
  let inFlight = renewals.get(store);
  if (!inFlight) renewals.set(store, inFlight = new Map());
  const key = `${c.accountId} ${c.zorgaanbieder}`;
  const running = inFlight.get(key);
  if (running) return running;
  const renewal = renew(c, p, clientId, store, http, trace, force).finally(() => inFlight.delete(key));
  inFlight.set(key, renewal);
  return renewal;
}

async function renew(c: Connection, p: Provider, clientId: string, store: PgoStore, http: HttpClient, trace: Trace, force: boolean): Promise<string | null> {
  const current = store.connectionOf(c.accountId, c.zorgaanbieder);
  if (!current) return null;
  const valid = current.accessExpiresAt > Date.now() + 10_000;
  // Renewed since the caller read it: use that token; the caller's refresh token is spent.
  if (valid && (!force || current.accessToken !== c.accessToken)) return current.accessToken;
  if (!current.refreshToken) return null;
  const as = authorizationServer(p);
  const client: oauth.Client = { client_id: clientId };
  try {
    const tokens = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), current.refreshToken, loggedFetch(http, trace, "refresh_token")));
    const now = Date.now();
    store.saveConnection({ ...current, accessToken: tokens.access_token, accessExpiresAt: now + (tokens.expires_in ?? 900) * 1000,
      refreshToken: tokens.refresh_token ?? current.refreshToken });
    return tokens.access_token;
  } catch {
    return null;
  }
}

/** ActivityDefinition → the name of the Endpoint (module) it launches, in one search at the DVA. */
async function endpointNames(activities: Res[], provider: Provider, token: string, http: HttpClient, trace: Trace): Promise<Map<string, string>> {
  const byEndpoint = new Map<string, string[]>();
  for (const ad of activities) {
    const ext = fhirList(ad.extension).map(fhirObject).find((e) => (ENDPOINT_EXTENSIONS as readonly string[]).includes(fhirText(e.url)));
    const id = fhirText(fhirObject(ext?.valueReference).reference).split("/").pop();
    if (id) byEndpoint.set(id, [...(byEndpoint.get(id) ?? []), `ActivityDefinition/${ad.id}`]);
  }
  const names = new Map<string, string>();
  if (byEndpoint.size === 0) return names;
  try {
    const res = await http.send(`${provider.resourceEndpoint}/Endpoint?_id=${[...byEndpoint.keys()].map(encodeURIComponent).join(",")}`, {
      trace, headers: { Authorization: `Bearer ${token}`, Accept: "application/fhir+json" },
      event: { send: "send_resource_request", receive: "receive_resource_response" } });
    if (!res.ok) return names;
    for (const e of ((await res.json()) as Res).entry ?? []) {
      if (typeof e.resource?.name !== "string") continue;
      for (const ad of byEndpoint.get(e.resource.id) ?? []) names.set(ad, e.resource.name);
    }
  } catch { /* the names are a nicety; the tasks still count */ }
  return names;
}

/** At most this many pages of 500 Tasks per collection; a copy is never replaced by part of a set. */
const MAX_PAGES = 20;

/** `sessionId`: the person's PGO session whose page view collects (SD 4.5 `session_id` of these lines), or null. */
interface CollectContext { store: PgoStore; http: HttpClient; clientId: string; connection: Connection; provider: Provider; sessionId?: string | null }

/**
 * The data service's Tasks with their ActivityDefinitions and group plans (SD 3.3.4): the current
 * DataService tag, or one an older generation of the ProviderTasks material writes (comma = OR,
 * search.html#token), so a DVA that follows an older guide is collected too.
 */
function tasksUrl(provider: Provider): URL {
  const url = new URL(`${provider.resourceEndpoint}/Task`);
  url.searchParams.set("_tag", [DATA_SERVICE_TAG, ...OTHER_PROVIDER_TASK_TAGS].map((t) => `${t.system}|${t.code}`).join(","));
  url.searchParams.append("_include", "Task:digital-activity");
  url.searchParams.append("_include", "Task:based-on");
  // ProviderTasks 1.0.0-alpha.2 (issue 15): the pt-ExecutionOrder with the schedule and instruction.
  url.searchParams.append("_include", "Task:focus");
  url.searchParams.set("_count", "500");
  return url;
}

/**
 * GET at the DVA with the connection's token, renewed once on a 401; null when the consent needs
 * renewing. Throws when the DVA cannot be reached.
 */
async function readAtDva(o: CollectContext, traceId: string, href: string, etag: string | null = null, timeoutMs?: number): Promise<{ res: Response; token: string } | null> {
  const trace = { traceId, sessionId: o.sessionId ?? null };
  const send = (bearer: string) => o.http.send(href, {
    trace, ...(timeoutMs ? { timeoutMs } : {}),
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/fhir+json", ...(etag ? { "If-None-Match": etag } : {}) },
    event: { send: "send_resource_request", receive: "receive_resource_response" },
  });
  let token = await freshToken(o.connection, o.provider, o.clientId, o.store, o.http, trace);
  if (!token) return null;
  let res = await send(token);
  if (res.status === 401) {
    token = await freshToken(o.connection, o.provider, o.clientId, o.store, o.http, trace, true);
    if (!token) return null;
    res = await send(token);
  }
  return res.status === 401 ? null : { res, token };
}

type Entry = { resource?: Res; search?: { mode?: string } };
type Page = { entries: Entry[]; next: string | null } | { problem: string };

async function pageOf(res: Response, provider: Provider): Promise<Page> {
  if (!res.ok) return { problem: `de DVA antwoordde HTTP ${res.status}` };
  let bundle: Res;
  try { bundle = await res.json() as Res; } catch { return { problem: "de DVA stuurde geen geldige FHIR JSON" }; }
  if (bundle?.resourceType !== "Bundle" || !Array.isArray(bundle.entry ?? [])) return { problem: "de DVA stuurde geen Bundle" };
  const next = Array.isArray(bundle.link) ? bundle.link.find((l: Res) => l?.relation === "next")?.url : undefined;
  // The token goes to this DVA only: a next link elsewhere is not followed.
  if (typeof next === "string" && !next.startsWith(`${provider.resourceEndpoint}/`)) return { problem: "de DVA gaf een vervolgpagina op een ander adres" };
  return { entries: (bundle.entry ?? []) as Entry[], next: typeof next === "string" ? next : null };
}

/** A search's entries → the overview's rows (Tasks with their included resources and, unless given, the module names). */
async function viewsOf(entries: Entry[], o: CollectContext, token: string, traceId: string, known?: Map<string, string>): Promise<CachedTask[]> {
  const included = new Map(entries.filter((e) => e.resource && e.search?.mode === "include").map((e) => [`${e.resource!.resourceType}/${e.resource!.id}`, e.resource!]));
  const moduleNames = known ?? await endpointNames([...included.values()].filter((r) => r.resourceType === "ActivityDefinition"), o.provider, token, o.http, { traceId, sessionId: o.sessionId ?? null });
  return entries.filter((e) => e.resource?.resourceType === "Task" && e.search?.mode !== "include").map((e) => taskView(e.resource!, included, moduleNames));
}

/**
 * One collection from a provider. Incremental (`_lastUpdated=gt<newest seen>`) by default; `full`
 * (and the first collection) asks for the whole set and replaces the copy with it, following
 * `next` links so that the set is complete before anything is replaced.
 */
export async function syncProvider(o: CollectContext & { accountId: string; full?: boolean }): Promise<SyncResult> {
  const { store, accountId, provider } = o;
  // Long-term consent: a fresh correlation id per automatic collection (SPEC §5).
  const traceId = newId();
  const state = store.syncState(accountId, provider.name);
  const full = o.full === true || !state?.since;
  const url = tasksUrl(provider);
  if (!full) url.searchParams.set("_lastUpdated", `gt${state!.since}`);

  let first: { res: Response; token: string } | null;
  const unreachable = { status: "failed", message: `${new URL(provider.resourceEndpoint).host} is niet bereikbaar` } as const;
  try {
    first = await readAtDva(o, traceId, url.href, state?.etag && state.url === url.href ? state.etag : null);
  } catch {
    return unreachable;
  }
  if (!first) return { status: "reconsent" };
  const now = Date.now();
  if (first.res.status === 304) {
    store.saveSyncState(accountId, provider.name, { ...state!, syncedAt: now });
    return { status: "unchanged" };
  }
  let page = await pageOf(first.res, provider);
  if ("problem" in page) return { status: "failed", message: page.problem };
  const entries = [...page.entries];
  for (let n = 1; page.next; n++) {
    if (n >= MAX_PAGES) return { status: "failed", message: `meer dan ${MAX_PAGES} pagina's taken` };
    try {
      const next = await readAtDva(o, traceId, page.next);
      if (!next) return { status: "reconsent" };
      page = await pageOf(next.res, provider);
    } catch {
      return unreachable;
    }
    if ("problem" in page) return { status: "failed", message: page.problem };
    entries.push(...page.entries);
  }
  const tasks = await viewsOf(entries, o, first.token, traceId);
  if (full) store.replaceTasks(accountId, provider.name, tasks);
  else store.saveTasks(accountId, provider.name, tasks);
  const newest = entries.map((e) => e.resource?.meta?.lastUpdated).filter((v): v is string => typeof v === "string").sort().at(-1);
  // The next incremental request (with _lastUpdated=gt<newest>) is a different URL; its ETag comes
  // with its own answer. The full URL stays the same, so the next full collection can be a 304.
  const since = newest && (!state?.since || newest > state.since) ? newest : state?.since ?? null;
  const sameUrl = full || !since || since === state?.since;
  store.saveSyncState(accountId, provider.name, { syncedAt: now, since, url: sameUrl ? url.href : null, etag: sameUrl ? first.res.headers.get("etag") : null });
  return { status: "updated" };
}

export type TaskCheck = { status: "found"; task: CachedTask } | { status: "gone" } | { status: "unknown" };

/**
 * A Task read again when its page is opened (issue 11 item 7): the DVA answers 404 for a Task
 * that was deleted or now belongs to another patient or zorgaanbieder, and a search by `_id`
 * finds nothing — either way it is gone. Unknown (DVA down, consent to renew) keeps the copy.
 * `moduleName` is the copy's: one search, not a second one for the Endpoint's name.
 */
export async function readTask(o: CollectContext & { taskId: string; moduleName: string | null }): Promise<TaskCheck> {
  const traceId = newId();
  const url = tasksUrl(o.provider);
  url.searchParams.set("_id", o.taskId);
  try {
    const read = await readAtDva(o, traceId, url.href, null, 3_000);
    if (!read) return { status: "unknown" };
    if (read.res.status === 404 || read.res.status === 410) return { status: "gone" };
    const page = await pageOf(read.res, o.provider);
    if ("problem" in page) return { status: "unknown" };
    const task = (await viewsOf(page.entries, o, read.token, traceId, new Map())).find((t) => t.taskId === o.taskId);
    if (task && o.moduleName) task.view.module = o.moduleName;
    return task ? { status: "found", task } : { status: "gone" };
  } catch {
    return { status: "unknown" };
  }
}
