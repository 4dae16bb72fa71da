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
import { DATA_SERVICE_TAG, DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS } from "../shared/fhir-profiles.ts";
import type { HttpClient } from "../shared/http-client.ts";
import { newId } from "../shared/trace.ts";
import { authorizationServer, loggedFetch } from "./connect.ts";
import type { Provider } from "./register.ts";
import type { CachedTask, Connection, PgoStore, TaskView } from "./store.ts";

export type SyncResult = { status: "updated" | "unchanged" } | { status: "reconsent" } | { status: "failed"; message: string };

type Res = Record<string, any>;

/** A Task and its included resources → what the overview shows; one row per business identifier. */
export function taskView(task: Res, included: Map<string, Res>, moduleNames: Map<string, string> = new Map()): CachedTask {
  const ext = ((task.extension ?? []) as Res[]).find((e) => (DIGITAL_ACTIVITY_EXTENSIONS as readonly string[]).includes(e.url));
  const activity = ext?.valueReference?.reference ? included.get(String(ext.valueReference.reference).replace(/^.*\/(\w+\/[^/]+)$/, "$1")) : undefined;
  const identifier = ((task.identifier ?? []) as Res[])[0];
  const view: TaskView = {
    id: String(task.id), status: String(task.status),
    title: String(activity?.title ?? task.code?.text ?? task.description ?? "Taak"),
    description: task.description ?? activity?.description ?? null,
    group: task.basedOn?.[0]?.display ?? null,
    requester: task.requester?.display ?? null,
    start: task.executionPeriod?.start ?? null, end: task.executionPeriod?.end ?? null,
    lastModified: task.lastModified ?? task.meta?.lastUpdated ?? null,
    reason: task.statusReason?.text ?? null,
    note: ((task.note ?? []) as Res[]).map((n) => n.text).filter(Boolean).join(" ") || null,
    // Who runs the module (AM-FE-024): the Endpoint's name, else the ActivityDefinition's publisher.
    module: (activity ? moduleNames.get(`ActivityDefinition/${activity.id}`) : undefined) ?? activity?.publisher ?? null,
  };
  return { key: identifier ? `${identifier.system ?? ""}|${identifier.value ?? ""}` : `id|${task.id}`, taskId: view.id, status: view.status,
    title: view.title, sortDate: view.start, view };
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
export function freshToken(c: Connection, p: Provider, clientId: string, store: PgoStore, http: HttpClient, traceId: string, force = false): Promise<string | null> {
  if (!force && c.accessExpiresAt > Date.now() + 10_000) return Promise.resolve(c.accessToken);
  let inFlight = renewals.get(store);
  if (!inFlight) renewals.set(store, inFlight = new Map());
  const key = `${c.accountId} ${c.zorgaanbieder}`;
  const running = inFlight.get(key);
  if (running) return running;
  const renewal = renew(c, p, clientId, store, http, traceId, force).finally(() => inFlight.delete(key));
  inFlight.set(key, renewal);
  return renewal;
}

async function renew(c: Connection, p: Provider, clientId: string, store: PgoStore, http: HttpClient, traceId: string, force: boolean): Promise<string | null> {
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
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), current.refreshToken, loggedFetch(http, { traceId, sessionId: null }, "refresh_token")));
    const now = Date.now();
    store.saveConnection({ ...current, accessToken: tokens.access_token, accessExpiresAt: now + (tokens.expires_in ?? 900) * 1000,
      refreshToken: tokens.refresh_token ?? current.refreshToken });
    return tokens.access_token;
  } catch {
    return null;
  }
}

/** ActivityDefinition → the name of the Endpoint (module) it launches, in one search at the DVA. */
async function endpointNames(activities: Res[], provider: Provider, token: string, http: HttpClient, traceId: string): Promise<Map<string, string>> {
  const byEndpoint = new Map<string, string[]>();
  for (const ad of activities) {
    const ref = ((ad.extension ?? []) as Res[]).find((e) => (ENDPOINT_EXTENSIONS as readonly string[]).includes(e.url))?.valueReference?.reference as string | undefined;
    const id = ref?.split("/").pop();
    if (id) byEndpoint.set(id, [...(byEndpoint.get(id) ?? []), `ActivityDefinition/${ad.id}`]);
  }
  const names = new Map<string, string>();
  if (byEndpoint.size === 0) return names;
  try {
    const res = await http.send(`${provider.resourceEndpoint}/Endpoint?_id=${[...byEndpoint.keys()].map(encodeURIComponent).join(",")}`, {
      trace: { traceId, sessionId: null }, headers: { Authorization: `Bearer ${token}`, Accept: "application/fhir+json" },
      event: { send: "send_resource_request", receive: "receive_resource_response" } });
    if (!res.ok) return names;
    for (const e of ((await res.json()) as Res).entry ?? []) {
      if (typeof e.resource?.name !== "string") continue;
      for (const ad of byEndpoint.get(e.resource.id) ?? []) names.set(ad, e.resource.name);
    }
  } catch { /* the names are a nicety; the tasks still count */ }
  return names;
}

export async function syncProvider(o: { store: PgoStore; http: HttpClient; clientId: string; accountId: string; connection: Connection; provider: Provider }): Promise<SyncResult> {
  const { store, http, accountId, connection, provider } = o;
  // Long-term consent: a fresh correlation id per automatic collection (SPEC §5).
  const traceId = newId();
  const state = store.syncState(accountId, provider.name);
  const url = new URL(`${provider.resourceEndpoint}/Task`);
  url.searchParams.set("_tag", `${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`);
  url.searchParams.append("_include", "Task:digital-activity");
  url.searchParams.append("_include", "Task:based-on");
  url.searchParams.set("_count", "500");
  if (state?.since) url.searchParams.set("_lastUpdated", `gt${state.since}`);

  let token = await freshToken(connection, provider, o.clientId, store, http, traceId);
  if (!token) return { status: "reconsent" };
  const fetchTasks = (bearer: string) => http.send(url.href, {
    trace: { traceId, sessionId: null },
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/fhir+json", ...(state?.etag && state.url === url.href ? { "If-None-Match": state.etag } : {}) },
    event: { send: "send_resource_request", receive: "receive_resource_response" },
  });
  let res: Response;
  try {
    res = await fetchTasks(token);
    if (res.status === 401) {
      token = await freshToken(connection, provider, o.clientId, store, http, traceId, true);
      if (!token) return { status: "reconsent" };
      res = await fetchTasks(token);
    }
  } catch (e) {
    return { status: "failed", message: `${new URL(provider.resourceEndpoint).host} is niet bereikbaar` };
  }
  const now = Date.now();
  if (res.status === 304) {
    store.saveSyncState(accountId, provider.name, { ...state!, syncedAt: now });
    return { status: "unchanged" };
  }
  if (res.status === 401) return { status: "reconsent" };
  if (!res.ok) return { status: "failed", message: `de DVA antwoordde HTTP ${res.status}` };
  let bundle: Res;
  try { bundle = await res.json() as Res; } catch { return { status: "failed", message: "de DVA stuurde geen geldige FHIR JSON" }; }
  if (bundle?.resourceType !== "Bundle" || !Array.isArray(bundle.entry ?? [])) return { status: "failed", message: "de DVA stuurde geen Bundle" };
  const entries = (bundle.entry ?? []) as { resource?: Res; search?: { mode?: string } }[];
  const included = new Map(entries.filter((e) => e.resource && e.search?.mode === "include").map((e) => [`${e.resource!.resourceType}/${e.resource!.id}`, e.resource!]));
  const moduleNames = await endpointNames([...included.values()].filter((r) => r.resourceType === "ActivityDefinition"), provider, token, http, traceId);
  const tasks = entries.filter((e) => e.resource?.resourceType === "Task" && e.search?.mode !== "include").map((e) => taskView(e.resource!, included, moduleNames));
  store.saveTasks(accountId, provider.name, tasks);
  const newest = entries.map((e) => e.resource?.meta?.lastUpdated).filter((v): v is string => typeof v === "string").sort().at(-1);
  // The next request (with _lastUpdated=gt<newest>) is a different URL; its ETag comes with its own answer.
  const since = newest && (!state?.since || newest > state.since) ? newest : state?.since ?? null;
  const sameUrl = !since || since === state?.since;
  store.saveSyncState(accountId, provider.name, { syncedAt: now, since, url: sameUrl ? url.href : null, etag: sameUrl ? res.headers.get("etag") : null });
  return { status: "updated" };
}
