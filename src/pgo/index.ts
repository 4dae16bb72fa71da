/**
 * The PGO (SPEC §7) at `pgo.localhost`: accounts (AM-FE-016) with CSRF on every form and an
 * HttpOnly SameSite session cookie, and connecting zorgaanbieders from the register (SD 3.2, 3.3)
 * including the invitation deep link. The task overview and starting tasks are the rest of issue 5.
 */
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import { clearCookie, readCookie, serializeCookie } from "../shared/cookies.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, isHtmx, readForm, redirectAfterPost, toLogin } from "../shared/html.ts";
import type { ResolvedPgo } from "../shared/resolved-network.ts";
import { incomingIds } from "../shared/trace.ts";
import { AccountPage } from "../../views/pgo/account.tsx";
import { LoginPage } from "../../views/components/login.tsx";
import { ConnectPage, ConnectionsPage, NoConsentPage, ProvidersPage, type ProviderRow } from "../../views/pgo/connect.tsx";
import { localDateTime } from "../shared/time.ts";
import { createHttpClient } from "../shared/http-client.ts";
import { newId } from "../shared/trace.ts";
import { sha256 } from "../shared/crypto.ts";
import { ConnectError, authorizationUrl, redeemCode } from "./connect.ts";
import { RegisterUnavailableError, createProviderDirectory, type Provider } from "./register.ts";
import * as oauth from "oauth4webapi";
import { TASK_SORTS, TaskDetail, TaskOverview, WeekView, type ProviderState, type TaskRow, type TaskSort, type WeekDay } from "../../views/pgo/tasks.tsx";
import { STATUS_LABELS, groupOf, notStartable, type TaskGroup } from "../shared/task-status.ts";
import { clockTime } from "../shared/time.ts";
import { freshToken, syncProvider, type SyncResult } from "./sync.ts";
import { launchTask } from "./launch.ts";
import { LaunchFailed, TechnicalFailure, Unavailable } from "../../views/pgo/problems.tsx";
import { ErrorPage } from "../../views/error-page.tsx";
import { themes } from "../../views/theme.ts";
import { PgoStore, type Connection } from "./store.ts";
import { PGO_SESSION_COOKIE, PGO_SESSION_TTL_MS, accountRoutes, safeNext } from "./account-routes.ts";
import { personaLoginPurpose } from "../shared/tickets.ts";
import { Sealer } from "../shared/sealed.ts";

export { safeNext };

const DAY_MS = 86_400_000;
const dayName = new Intl.DateTimeFormat("nl-NL", { weekday: "long", day: "numeric", month: "long", timeZone: "Europe/Amsterdam" });

/** Monday-to-Sunday of the week containing `week` (YYYY-MM-DD, default today), with each day's active tasks. */
export function weekOf(week: string | null, rows: TaskRow[]): { days: WeekDay[]; previous: string; next: string; title: string } {
  const base = week && /^\d{4}-\d{2}-\d{2}$/.test(week) && !Number.isNaN(Date.parse(`${week}T12:00:00Z`)) ? new Date(`${week}T12:00:00Z`) : new Date();
  const monday = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate() - ((base.getUTCDay() + 6) % 7)));
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  const days: WeekDay[] = Array.from({ length: 7 }, (_, i) => {
    const start = new Date(monday.getTime() + i * DAY_MS);
    const end = start.getTime() + DAY_MS - 1;
    return {
      date: iso(start), label: dayName.format(new Date(start.getTime() + 12 * 3_600_000)),
      rows: rows.filter((r) => groupOf(r.view.status) === "te-doen" && r.view.start && Date.parse(r.view.start) <= end && (!r.view.end || Date.parse(r.view.end) >= start.getTime())),
    };
  });
  return { days, previous: iso(new Date(monday.getTime() - 7 * DAY_MS)), next: iso(new Date(monday.getTime() + 7 * DAY_MS)),
    title: `Week van ${days[0]!.label} tot en met ${days[6]!.label}` };
}

export function createPgo(ctx: SandboxContext, pgo: ResolvedPgo) {
  const theme = themes.pgo(pgo.displayName);
  const store = new PgoStore(ctx.db, new Sealer(ctx.secret("pgo_token_key")));
  const accountOf = (request: Request) => {
    const id = readCookie(request, PGO_SESSION_COOKIE);
    return id ? store.accountOfSession(pgo.clientId, id, Date.now()) : null;
  };
  const startSession = (accountId: string) =>
    serializeCookie(PGO_SESSION_COOKIE, store.createSession(pgo.clientId, accountId, Date.now(), PGO_SESSION_TTL_MS), { maxAgeSeconds: PGO_SESSION_TTL_MS / 1000 });
  const http = createHttpClient({ location: pgo.clientId, chain: ctx.chain });
  const directory = createProviderDirectory(http, ctx.network.register.origin);
  const redirectUri = pgo.redirectUris[0]!;
  // REGISTER.md: the PGO shows the network's display name; the lists carry the zorgaanbiedernaam.
  const displayName = (name: string) => ctx.network.zorgaanbieders.find((z) => z.name === name)?.displayName ?? name;
  const failure = (request: Request, heading: string, message: string, status: number) => htmlResponse(ErrorPage({ theme, heading, message,
    traceId: incomingIds(request).traceId, back: { href: "/", label: "Naar de startpagina" } }), { status });
  async function providersOr(request: Request): Promise<Provider[] | Response> {
    try { return await directory.providers(); } catch (e) {
      if (e instanceof RegisterUnavailableError) return failure(request, "Zorgaanbieders niet beschikbaar", `De lijst met zorgaanbieders kan nu niet worden opgehaald: ${e.message}. Probeer het later nog eens.`, 503);
      throw e;
    }
  }
  const rows = (providers: Provider[], accountId: string): ProviderRow[] => {
    const connected = new Set(store.connectionsOf(accountId).map((c) => c.zorgaanbieder));
    return providers.map((p) => ({ name: p.name, displayName: displayName(p.name), connected: connected.has(p.name) }));
  };

  /** The last collection's outcome per account and provider, for the overview's hints. */
  const lastResults = new Map<string, SyncResult>();
  async function syncConnection(accountId: string, connection: Connection, provider: Provider): Promise<void> {
    lastResults.set(`${accountId} ${provider.name}`, await syncProvider({ store, http, clientId: pgo.clientId, accountId, connection, provider }));
  }
  /** Collect from the connected providers (SD 3.3.4), all or one, when their copy is older than maxAgeMs. */
  async function syncAll(accountId: string, maxAgeMs: number, only?: string): Promise<void> {
    let providers: Provider[];
    try { providers = await directory.providers(); } catch { return; }
    await Promise.all(store.connectionsOf(accountId).filter((c) => !only || c.zorgaanbieder === only).map(async (connection) => {
      const provider = providers.find((p) => p.name === connection.zorgaanbieder);
      if (!provider) return;
      const state = store.syncState(accountId, provider.name);
      if (state && Date.now() - state.syncedAt < maxAgeMs) return;
      await syncConnection(accountId, connection, provider);
    }));
  }
  const dvaNameOf = (zorgaanbieder: string) => {
    const za = ctx.network.zorgaanbieders.find((z) => z.name === zorgaanbieder);
    return za ? za.dvaSite.name : "de dienstverlener";
  };

  const problemProps = (request: Request, zorgaanbieder: string, traceId?: string) => {
    const za = ctx.network.zorgaanbieders.find((z) => z.name === zorgaanbieder);
    const session = readCookie(request, PGO_SESSION_COOKIE);
    return { theme, dvaName: za?.dvaSite.name ?? "de dienstverlener van uw zorgaanbieder", dvaPhone: za?.dvaSite.phone ?? "het nummer op de website van uw zorgaanbieder",
      providerName: za ? displayName(zorgaanbieder) : "uw zorgaanbieder",
      pgoName: pgo.displayName, traceId: traceId ?? incomingIds(request).traceId,
      sessionId: session ? sha256(session).slice(0, 16) : null };
  };
  const returnUrlFor = (zorgaanbieder: string, taskId: string) =>
    `${pgo.site.origin}/launch_callback?zorgaanbieder=${encodeURIComponent(zorgaanbieder)}&taak=${encodeURIComponent(taskId)}`;

  /** The trace of each launch, so that the return from the module (SD 3.8) joins it. */
  const launchTraces = new Map<string, string>();

  /** SD 3.4: launch code, step-up → a new authorization code flow that resumes this task. */
  async function start(request: Request, accountId: string, provider: Provider, taskId: string, traceId: string, allowStepUp: boolean): Promise<Response> {
    const connection = store.connectionOf(accountId, provider.name);
    const token = connection ? await freshToken(connection, provider, pgo.clientId, store, http, traceId) : null;
    const reauthorize = () => {
      const state = oauth.generateRandomState();
      store.saveState(state, accountId, provider.name, traceId, Date.now(), allowStepUp ? taskId : null);
      return new Response(null, { status: 303, headers: { Location: authorizationUrl(provider, pgo.clientId, redirectUri, state, traceId) } });
    };
    if (!token) return reauthorize();
    const outcome = await launchTask({ http, trace: { traceId, sessionId: null }, provider, clientId: pgo.clientId, accessToken: token, taskId,
      returnUrl: returnUrlFor(provider.name, taskId) });
    switch (outcome.kind) {
      case "launch":
        launchTraces.set(`${accountId} ${provider.name} ${taskId}`, traceId);
        ctx.chain.write({ type: "send_smart_launch_request", location: pgo.clientId, traceId,
          request: { id: newId(), method: "get", uri: outcome.url.split("?")[0], client_id: pgo.clientId, server_id: new URL(outcome.url).hostname } });
        return new Response(null, { status: 303, headers: { Location: outcome.url } });
      case "step-up":
        if (allowStepUp) return reauthorize();
        return htmlResponse(TechnicalFailure({ ...problemProps(request, provider.name, traceId), detail: "de DVA vraagt opnieuw om her-identificatie" }), { status: 502 });
      case "dva-unreachable":
        return htmlResponse(Unavailable({ ...problemProps(request, provider.name, traceId), what: "dva" }), { status: 503 });
      case "module-unreachable":
        return htmlResponse(Unavailable({ ...problemProps(request, provider.name, traceId), what: "module" }), { status: 503 });
      case "refused":
        return htmlResponse(TechnicalFailure({ ...problemProps(request, provider.name, traceId), detail: `${outcome.error}: ${outcome.description}` }), { status: 502 });
    }
  }

  const expired = (request: Request) => htmlResponse(ErrorPage({ theme, heading: "Formulier verlopen", traceId: incomingIds(request).traceId,
    message: "Het formulier is verlopen of niet van deze pagina afkomstig. Probeer het opnieuw.", back: { href: "/", label: "Naar de startpagina" } }), { status: 403 });

  return createActorApp(`pgo:${pgo.clientId}`, theme)
    .get("/", ({ request }) => new Response(null, { status: 303, headers: { Location: accountOf(request) ? "/taken" : "/login" } }))
    // The cockpit's one-click "Start als Tom" (SPEC §9): a signed single-use ticket for one persona.
    .get("/persona-login", ({ request }) => {
      const username = ctx.tickets.redeem(personaLoginPurpose(pgo.clientId), new URL(request.url).searchParams.get("ticket"));
      const account = username ? store.findAccount(pgo.clientId, username) : null;
      if (!account) {
        return failure(request, "Startlink verlopen", "Deze startlink uit de cockpit is verlopen of al gebruikt. Start opnieuw vanuit de cockpit, of log in met gebruikersnaam en wachtwoord.", 400);
      }
      return new Response(null, { status: 303, headers: { Location: "/taken", "Set-Cookie": startSession(account.id) } });
    })
    // "Taken van zorgaanbieders" (SD 4.2.2): the central overview.
    .get("/taken", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      // A page view collects when the copy is older than 5 minutes; the periodic htmx refresh every minute.
      await syncAll(account.id, url.searchParams.has("auto") ? 55_000 : 5 * 60_000);
      const dateParam = (name: string) => { const v = url.searchParams.get(name) ?? ""; return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : ""; };
      const from = dateParam("van");
      const to = dateParam("tot");
      const groupParam = url.searchParams.get("groep");
      const group: TaskGroup = groupParam === "klaar" || groupParam === "gestopt" ? groupParam : "te-doen";
      const providerFilter = url.searchParams.get("zorgaanbieder");
      const all: TaskRow[] = store.tasksOf(account.id).map((t) => ({ zorgaanbieder: t.zorgaanbieder, providerName: displayName(t.zorgaanbieder), view: t.view }));
      if (url.searchParams.get("weergave") === "week") {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(WeekView({ theme, csrfToken: csrf.token, ...weekOf(url.searchParams.get("week"), all) }), { setCookies: [csrf.setCookie] });
      }
      // Period filter: tasks whose executionPeriod overlaps [van, tot].
      const overlaps = (r: TaskRow) => (!from || !r.view.end || r.view.end.slice(0, 10) >= from) && (!to || !r.view.start || r.view.start.slice(0, 10) <= to);
      const visible = all.filter((r) => (!providerFilter || r.zorgaanbieder === providerFilter) && overlaps(r));
      const counts = { "te-doen": 0, klaar: 0, gestopt: 0 } as Record<TaskGroup, number>;
      for (const r of visible) counts[groupOf(r.view.status)]++;
      // Open tasks earliest first; done and stopped most recent first (issue 5 item 3). Another
      // order (SPEC §7: provider, status, title) keeps that date order within equal values.
      const sortParam = url.searchParams.get("sorteer");
      const sort: TaskSort = TASK_SORTS.some(([v]) => v === sortParam) ? sortParam as TaskSort : "datum";
      const key = (r: TaskRow) => (group === "te-doen" ? r.view.start ?? "" : r.view.lastModified ?? r.view.end ?? "");
      const byDate = (a: TaskRow, b: TaskRow) => (group === "te-doen" ? 1 : -1) * key(a).localeCompare(key(b));
      const first = (r: TaskRow) => sort === "zorgaanbieder" ? r.providerName : sort === "status" ? STATUS_LABELS[r.view.status] ?? r.view.status : sort === "titel" ? r.view.title : "";
      const rows = visible.filter((r) => groupOf(r.view.status) === group).sort((a, b) => first(a).localeCompare(first(b), "nl") || byDate(a, b));
      const providers: ProviderState[] = store.connectionsOf(account.id).map((c) => {
        const state = store.syncState(account.id, c.zorgaanbieder);
        const result = lastResults.get(`${account.id} ${c.zorgaanbieder}`);
        return { name: c.zorgaanbieder, displayName: displayName(c.zorgaanbieder), dvaName: dvaNameOf(c.zorgaanbieder),
          syncedAt: state ? clockTime(new Date(state.syncedAt)) : null,
          problem: result?.status === "failed" ? result.message : null, reconsent: result?.status === "reconsent" };
      });
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(TaskOverview({ theme, pgoName: pgo.displayName, csrfToken: csrf.token, userName: account.displayName, group, providerFilter,
        providers, rows, counts, highlight: url.searchParams.get("gemarkeerd"), from, to, sort,
        selfUrl: `/taken?${new URLSearchParams([...url.searchParams].filter(([k]) => k !== "auto" && k !== "verbonden")).toString()}`,
        justConnected: url.searchParams.get("verbonden") ? displayName(url.searchParams.get("verbonden")!) : null }), { setCookies: [csrf.setCookie] });
    })
    .post("/taken/verversen", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      await syncAll(account.id, 0);
      return redirectAfterPost(request, "/taken");
    })
    .get("/taken/:zorgaanbieder/:id", ({ request, params }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const row = store.tasksOf(account.id).find((t) => t.zorgaanbieder === params.zorgaanbieder && t.view.id === params.id);
      if (!row) return failure(request, "Taak niet gevonden", "Deze taak staat niet (meer) in uw overzicht.", 404);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(TaskDetail({ theme, csrfToken: csrf.token, dvaName: dvaNameOf(row.zorgaanbieder),
        row: { zorgaanbieder: row.zorgaanbieder, providerName: displayName(row.zorgaanbieder), view: row.view } }), { setCookies: [csrf.setCookie] });
    })
    .post("/taken/:zorgaanbieder/:id/starten", async ({ request, params }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const row = store.tasksOf(account.id).find((t) => t.zorgaanbieder === params.zorgaanbieder && t.view.id === params.id);
      if (!row) return failure(request, "Taak niet gevonden", "Deze taak staat niet (meer) in uw overzicht.", 404);
      const refused = notStartable(row.view.status);
      if (refused) return failure(request, "Deze taak kan niet gestart worden", refused, 409);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === row.zorgaanbieder);
      if (!provider) return htmlResponse(Unavailable({ ...problemProps(request, row.zorgaanbieder), what: "dva" }), { status: 503 });
      return start(request, account.id, provider, row.view.id, newId(), true);
    })
    // SD 3.8: back from the module, with or without error.
    .get("/launch_callback", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      const zorgaanbieder = url.searchParams.get("zorgaanbieder") ?? "";
      const taskId = url.searchParams.get("taak") ?? "";
      const error = url.searchParams.get("error");
      const { requestId, traceId: fresh } = incomingIds(request, url);
      const traceId = launchTraces.get(`${account.id} ${zorgaanbieder} ${taskId}`) ?? fresh;
      ctx.chain.write({ type: "receive_redirect_to_pgo_request", location: pgo.clientId, traceId,
        request: { id: requestId, method: "get", uri: `${url.origin}${url.pathname}`, ...(error ? { error } : {}) } });
      if (error) {
        return htmlResponse(LaunchFailed({ ...problemProps(request, zorgaanbieder, traceId), error: error.slice(0, 100) }), { status: 200 });
      }
      if (zorgaanbieder) await syncAll(account.id, 0, zorgaanbieder);
      const row = store.tasksOf(account.id).find((t) => t.zorgaanbieder === zorgaanbieder && t.view.id === taskId);
      const group = row ? groupOf(row.view.status) : "te-doen";
      return new Response(null, { status: 303, headers: { Location: `/taken?groep=${group}&gemarkeerd=${encodeURIComponent(taskId)}` } });
    })
    .get("/verbindingen", ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const when = (ms: number) => localDateTime(new Date(ms)).slice(0, 16).replace("T", " ");
      const rows = store.connectionsOf(account.id).map((c) => ({ name: c.zorgaanbieder, displayName: displayName(c.zorgaanbieder), longTerm: c.refreshToken !== null,
        connectedAt: when(c.connectedAt), expiresAt: c.refreshToken ? when(c.connectedAt + 182 * 86_400_000) : when(c.accessExpiresAt) }));
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConnectionsPage({ theme, csrfToken: csrf.token, rows, removed: new URL(request.url).searchParams.has("ontkoppeld") }), { setCookies: [csrf.setCookie] });
    })
    // Disconnect: revoke at the DVA (RFC 7009; a refresh token ends its whole grant), then forget.
    .post("/verbindingen/ontkoppelen", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const connection = store.connectionOf(account.id, form.zorgaanbieder ?? "");
      if (!connection) return redirectAfterPost(request, "/verbindingen");
      const provider = (await directory.providers().catch(() => [] as Provider[])).find((p) => p.name === connection.zorgaanbieder);
      if (provider) {
        const revocation = `${new URL(provider.tokenEndpoint).origin}/connect/revocation`;
        for (const token of [connection.refreshToken, connection.accessToken]) {
          if (!token) continue;
          await http.send(revocation, { method: "POST", trace: { traceId: newId(), sessionId: null },
            headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token, client_id: pgo.clientId }) }).catch(() => null);
        }
      }
      store.removeConnection(account.id, connection.zorgaanbieder);
      return redirectAfterPost(request, "/verbindingen?ontkoppeld");
    })
    .get("/zorgaanbieders", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const q = (new URL(request.url).searchParams.get("q") ?? "").trim().toLowerCase().slice(0, 100);
      const list = rows(providers, account.id).filter((p) => !q || p.displayName.toLowerCase().includes(q) || p.name.includes(q));
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ProvidersPage({ theme, csrfToken: csrf.token, providers: list, q }), { setCookies: [csrf.setCookie] });
    })
    // The invitation link / QR code (AM-FE-014/017): survives login or account creation via `next`.
    .get("/verbind", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const name = new URL(request.url).searchParams.get("zorgaanbieder") ?? "";
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = rows(providers, account.id).find((p) => p.name === name);
      if (!provider) return failure(request, "Onbekende zorgaanbieder", "Deze uitnodiging verwijst naar een zorgaanbieder die (nog) geen taken via een PGO aanbiedt. Kies zelf uw zorgaanbieder.", 404);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConnectPage({ theme, csrfToken: csrf.token, provider }), { setCookies: [csrf.setCookie] });
    })
    .post("/verbind", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === form.zorgaanbieder);
      if (!provider) return failure(request, "Onbekende zorgaanbieder", "Deze zorgaanbieder biedt geen taken via een PGO aan.", 404);
      const state = oauth.generateRandomState();
      const traceId = newId();
      store.saveState(state, account.id, provider.name, traceId, Date.now());
      ctx.chain.write({ type: "send_authorization_request", location: pgo.clientId, traceId, request: { id: newId(), method: "get", uri: provider.authorizationEndpoint, client_id: pgo.clientId, server_id: new URL(provider.authorizationEndpoint).hostname } });
      const target = authorizationUrl(provider, pgo.clientId, redirectUri, state, traceId);
      if (isHtmx(request)) return new Response(null, { status: 204, headers: { "HX-Redirect": target } });
      return new Response(null, { status: 303, headers: { Location: target } });
    })
    // Back from the DVA (SD 3.3): state, then the code for tokens.
    .get("/auth_callback", async ({ request }) => {
      const account = accountOf(request);
      if (!account) return toLogin(request);
      const url = new URL(request.url);
      const pending = store.takeState(url.searchParams.get("state") ?? "", account.id, Date.now());
      if (!pending) return failure(request, "Verbinden mislukt", "Deze terugkeer van de zorgaanbieder hoort niet bij een verzoek van u, of het verzoek is verlopen. Probeer opnieuw te verbinden.", 400);
      const providers = await providersOr(request);
      if (providers instanceof Response) return providers;
      const provider = providers.find((p) => p.name === pending.zorgaanbieder);
      if (!provider) return failure(request, "Verbinden mislukt", "De zorgaanbieder staat niet meer in het register.", 400);
      try {
        const tokens = await redeemCode(provider, pgo.clientId, redirectUri, url, url.searchParams.get("state")!, http, { traceId: pending.traceId, sessionId: null });
        const now = Date.now();
        const connection = { accountId: account.id, zorgaanbieder: provider.name, accessToken: tokens.access_token,
          accessExpiresAt: now + (tokens.expires_in ?? 900) * 1000, refreshToken: tokens.refresh_token ?? null, scope: String(tokens.scope ?? provider.scope),
          patient: typeof tokens.patient === "string" ? tokens.patient : null, connectedAt: now };
        store.saveConnection(connection);
        // Step-up (SD 3.4): after the new authorization, start the task again, once.
        if (pending.resumeTask) return start(request, account.id, provider, pending.resumeTask, pending.traceId, false);
        await syncConnection(account.id, connection, provider);
        return new Response(null, { status: 303, headers: { Location: `/taken?verbonden=${encodeURIComponent(provider.name)}` } });
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        if (e.kind === "denied") return htmlResponse(NoConsentPage({ theme, provider: displayName(provider.name) }));
        return failure(request, "Verbinden mislukt", `Het verbinden met ${displayName(provider.name)} is niet gelukt (${e.message}). Probeer het later nog eens.`, 502);
      }
    })
    .use(accountRoutes({ ctx, pgo, theme, store, expired, startSession }));
}
