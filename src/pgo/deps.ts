/**
 * What the PGO's routes share (STYLE habit 7: apps are factories): its store, the HTTP client,
 * the provider directory from the register, sessions, task collection (SD 3.3.4) and starting a
 * task (SD 3.4: token exchange, step-up, launch), and the error pages.
 */
import type { SandboxContext } from "../shared/context.ts";
import { readCookie, serializeCookie } from "../shared/cookies.ts";
import { sha256 } from "../shared/crypto.ts";
import { htmlResponse } from "../shared/html.ts";
import { createHttpClient } from "../shared/http-client.ts";
import type { ResolvedPgo } from "../shared/resolved-network.ts";
import { Sealer } from "../shared/sealed.ts";
import { incomingIds, logRef, newId, sessionIdOf } from "../shared/trace.ts";
import { ErrorPage } from "../../views/error-page.tsx";
import type { ProviderRow } from "../../views/pgo/connect.tsx";
import { LaunchFailed, TechnicalFailure, Unavailable } from "../../views/pgo/problems.tsx";
import { themes } from "../../views/theme.ts";
import { PGO_SESSION_COOKIE, PGO_SESSION_TTL_MS } from "./account-routes.ts";
import { authorizationRequest, tokenFailure } from "./connect.ts";
import { exchangeLaunchAuthorization, flavourOfProvider, launchTask, type LaunchOutcome, type PendingLaunchAuthorization } from "./launch.ts";
import { RegisterUnavailableError, createProviderDirectory, type Provider } from "./register.ts";
import { PgoStore, type Connection } from "./store.ts";
import type { Flavour } from "../shared/network.ts";
import { freshToken, readTask, syncProvider, type SyncResult } from "./sync.ts";

/** How old a connection's last full collection may be before the next collection is full again. */
export const FULL_COLLECTION_MS = 60 * 60_000;

export function createPgoDeps(ctx: SandboxContext, pgo: ResolvedPgo) {
  const theme = themes.pgo(pgo.displayName, Math.max(0, ctx.network.pgos.indexOf(pgo)));
  const store = new PgoStore(ctx.db, new Sealer(ctx.secret("pgo_token_key")));
  const accountOf = (request: Request) => {
    const id = readCookie(request, PGO_SESSION_COOKIE);
    return id ? store.accountOfSession(pgo.clientId, id, Date.now()) : null;
  };
  const startSession = (accountId: string) =>
    serializeCookie(PGO_SESSION_COOKIE, store.createSession(pgo.clientId, accountId, Date.now(), PGO_SESSION_TTL_MS), { maxAgeSeconds: PGO_SESSION_TTL_MS / 1000 });
  const http = createHttpClient({ location: pgo.clientId, chain: ctx.chain, observer: ctx.checks });
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
  const providerRows = (providers: Provider[], accountId: string): ProviderRow[] => {
    const connected = new Set(store.connectionsOf(accountId).map((c) => c.zorgaanbieder));
    return providers.map((p) => ({ name: p.name, displayName: displayName(p.name), connected: connected.has(p.name) }));
  };

  // What the PGO holds in memory is retained across the host map's rebuilds (a team registering
  // an actor mid-journey must not lose a pending launch): ctx.retained.
  /** The last collection's outcome per account and provider, for the overview's hints. */
  const lastResults = ctx.retained(`pgo:${pgo.clientId}:lastResults`, () => new Map<string, SyncResult>());
  /** When each connection's copy was last replaced by a full collection; in memory, so the first collection after a start is full. */
  const lastFull = ctx.retained(`pgo:${pgo.clientId}:lastFull`, () => new Map<string, number>());
  /** The collection running per connection: the next one waits for it (two tabs, the htmx refresh, a return from a module). */
  const collecting = ctx.retained(`pgo:${pgo.clientId}:collecting`, () => new Map<string, Promise<unknown>>());

  /**
   * Collect one provider's tasks (SD 3.3.4), one collection at a time per connection; a caller
   * that waited re-checks the age, so concurrent page views collect once. A full collection
   * (issue 11 item 7) replaces the copy: on "Verversen", at connecting, and when the last one is
   * older than FULL_COLLECTION_MS — by time rather than every Nth collection, because the number
   * of collections varies from one a minute (an open overview) to one a week.
   */
  async function syncConnection(accountId: string, connection: Connection, provider: Provider,
    o: { maxAgeMs?: number; full?: boolean; sessionId?: string | null } = { full: true }): Promise<void> {
    const key = `${accountId} ${provider.name}`;
    const run = (collecting.get(key) ?? Promise.resolve()).then(async () => {
      const state = store.syncState(accountId, provider.name);
      if (o.maxAgeMs !== undefined && state && Date.now() - state.syncedAt < o.maxAgeMs) return;
      const current = store.connectionOf(accountId, provider.name) ?? connection;
      const full = o.full === true || Date.now() - (lastFull.get(key) ?? 0) >= FULL_COLLECTION_MS;
      const result = await syncProvider({ store, http, clientId: pgo.clientId, accountId, connection: current, provider, full, sessionId: o.sessionId ?? null });
      lastResults.set(key, result);
      if (full && (result.status === "updated" || result.status === "unchanged")) lastFull.set(key, Date.now());
    });
    const settled = run.catch(() => undefined);
    collecting.set(key, settled);
    void settled.then(() => { if (collecting.get(key) === settled) collecting.delete(key); });
    await run;
  }
  /**
   * Collect from the connected providers, all or `only` one, when their copy is older than
   * maxAgeMs; `full` replaces the copy. `sessionId`: the person's session whose page collects.
   */
  async function syncAll(accountId: string, o: { maxAgeMs: number; only?: string; full?: boolean; sessionId: string | null }): Promise<void> {
    let providers: Provider[];
    try { providers = await directory.providers(); } catch { return; }
    await Promise.all(store.connectionsOf(accountId).filter((c) => !o.only || c.zorgaanbieder === o.only).map(async (connection) => {
      const provider = providers.find((p) => p.name === connection.zorgaanbieder);
      if (provider) await syncConnection(accountId, connection, provider, { maxAgeMs: o.maxAgeMs, full: o.full, sessionId: o.sessionId });
    }));
  }
  /**
   * A task's page reads the Task again at the DVA (issue 11 item 7): gone there, it leaves the
   * copy (false); found, its row is brought up to date. When the DVA cannot tell, the copy stands.
   */
  async function checkTask(accountId: string, zorgaanbieder: string, taskId: string, sessionId: string | null): Promise<boolean> {
    const cached = store.tasksOf(accountId).find((t) => t.zorgaanbieder === zorgaanbieder && t.view.id === taskId);
    const connection = store.connectionOf(accountId, zorgaanbieder);
    const provider = connection ? (await directory.providers().catch(() => [] as Provider[])).find((p) => p.name === zorgaanbieder) : undefined;
    if (!cached || !connection || !provider) return true;
    const check = await readTask({ store, http, clientId: pgo.clientId, connection, provider, taskId, moduleName: cached.view.module, sessionId });
    if (check.status === "gone") store.dropTask(accountId, zorgaanbieder, taskId);
    if (check.status === "found") store.saveTasks(accountId, zorgaanbieder, [check.task]);
    return check.status !== "gone";
  }
  const dvaNameOf = (zorgaanbieder: string) => {
    const za = ctx.network.zorgaanbieders.find((z) => z.name === zorgaanbieder);
    return za ? za.dvaSite.name : "de dienstverlener";
  };

  const problemProps = (request: Request, zorgaanbieder: string, traceId?: string) => {
    const za = ctx.network.zorgaanbieders.find((z) => z.name === zorgaanbieder);
    return { theme, dvaName: za?.dvaSite.name ?? "de dienstverlener (DVA) van je zorgaanbieder", dvaPhone: za?.dvaSite.phone ?? "via het nummer op de website van je zorgaanbieder",
      providerName: za ? displayName(zorgaanbieder) : "je zorgaanbieder", providerKnown: za !== undefined,
      pgoName: pgo.displayName, traceId: traceId ?? incomingIds(request).traceId,
      sessionId: sessionIdOf(request, PGO_SESSION_COOKIE) };
  };
  const returnUrlFor = (zorgaanbieder: string, taskId: string) =>
    `${pgo.site.origin}/launch_callback?zorgaanbieder=${encodeURIComponent(zorgaanbieder)}&taak=${encodeURIComponent(taskId)}`;

  /**
   * The modules the network registers at a provider's DVA (issue 10): the launch address must be
   * on a module's origin and that module must hold the Endpoint's client_id at that DVA.
   */
  const isRegisteredModule = (provider: Provider, address: string, clientId: string): boolean => {
    const dva = ctx.network.dvas.find((d) => d.fhirBase === provider.resourceEndpoint);
    let origin: string;
    try { origin = new URL(address).origin; } catch { return false; }
    return !!dva && ctx.network.modules.some((m) => m.site.origin === origin && m.clients.some((c) => c.dva === dva.id && c.clientId === clientId));
  };
  /**
   * Each launch (by account, provider and task), so that the return from the module (SD 3.8)
   * joins its trace and its lines name it (SD 4.5.7.1.1 `smart_on_fhir_launch_code`): the id of
   * its send_smart_launch_request, the launch code's reference, and whether the module's answer
   * (receive_smart_launch_response or _request_error, at the first return) is logged yet.
   */
  const launches = ctx.retained(`pgo:${pgo.clientId}:launches`, () => new Map<string, Launch>());
  /**
   * Each account's latest launch. A module that sends the person back before it has the launch
   * context (an expired launch code) knows no return_url, only the PGO's /launch_callback; the PGO
   * still knows which task it launched (SD 4.2.3 names its provider and DVA).
   */
  /** KoppelMij 2026: launches waiting for the DVA's /callback_stepup, by the PAR's state (retained across rebuilds). */
  const pendingLaunches = ctx.retained(`pgo:${pgo.clientId}:pendingLaunches`, () => new Map<string, PendingLaunchAuthorization & { accountId: string; zorgaanbieder: string; taskId: string;
    traceId: string; launchRequestId: string; at: number }>());
  const lastLaunches = ctx.retained(`pgo:${pgo.clientId}:lastLaunches`, () => new Map<string, { zorgaanbieder: string; taskId: string; traceId: string; at: number }>());
  const lastLaunchOf = (accountId: string, maxAgeMs = 60 * 60_000) => {
    const launch = lastLaunches.get(accountId);
    return launch && Date.now() - launch.at <= maxAgeMs ? launch : null;
  };

  /**
   * SD 3.4 step 4: an exchange that ends without a launch code. Anything oauth4webapi or the
   * HTTP client throws (tokenFailure) becomes an outcome: a refusal or a non-conform answer is SD
   * 4.2.1, no answer or `temporarily_unavailable` is risk Rc04. Only an unrelated error is rethrown.
   */
  async function launchOutcome(o: Parameters<typeof launchTask>[0]): Promise<LaunchOutcome> {
    let outcome: LaunchOutcome;
    try { outcome = await launchTask(o); } catch (e) {
      const failure = await tokenFailure(e);
      if (!failure) throw e;
      outcome = failure.kind === "refused" ? { kind: "refused", error: failure.error, description: failure.description } : { kind: "dva-unreachable" };
    }
    return outcome.kind === "refused" && outcome.error === "temporarily_unavailable" ? { kind: "dva-unreachable" } : outcome;
  }

  /**
   * The authorization request (SD 3.3 step 1; AS "Logging interface" 1): its state kept, its line
   * written with the MedMij-Request-ID the URL carries, which the DVA logs as its request's id.
   * `resumeTask`: the task a step-up (SD 3.4 step 3) starts again afterwards. Returns the /auth URL.
   */
  async function beginAuthorization(request: Request, accountId: string, provider: Provider, traceId: string, resumeTask: string | null): Promise<string> {
    const authorization = await authorizationRequest(provider, pgo.clientId, redirectUri, traceId);
    store.saveState({ state: authorization.state, accountId, zorgaanbieder: provider.name, traceId, resumeTask, codeVerifier: authorization.codeVerifier }, Date.now());
    const endpoint = new URL(provider.authorizationEndpoint);
    ctx.chain.write({ type: "send_authorization_request", location: pgo.clientId, traceId, sessionId: sessionIdOf(request, PGO_SESSION_COOKIE),
      request: { id: authorization.requestId, method: "get", client_id: pgo.clientId, server_id: endpoint.hostname, uri: `${endpoint.origin}${endpoint.pathname}`, initiated_by: "person" } });
    return authorization.url;
  }

  /** SD 3.4: launch code, step-up → a new authorization code flow that resumes this task. */
  async function start(request: Request, accountId: string, provider: Provider, taskId: string, traceId: string, allowStepUp: boolean): Promise<Response> {
    const connection = store.connectionOf(accountId, provider.name);
    // SD 4.5: the lines of this person's request carry the Session ID its error pages show.
    const sessionId = sessionIdOf(request, PGO_SESSION_COOKIE);
    const trace = { traceId, sessionId };
    const token = connection ? await freshToken(connection, provider, pgo.clientId, store, http, trace) : null;
    const reauthorize = async () =>
      new Response(null, { status: 303, headers: { Location: await beginAuthorization(request, accountId, provider, traceId, allowStepUp ? taskId : null) } });
    if (!token) return reauthorize();
    const launchRequestId = newId();
    const flavour = (await flavoursOf([provider.name])).get(provider.name) ?? "sd-0.2";
    const outcome = await launchOutcome({ http, trace, provider, clientId: pgo.clientId, accessToken: token, taskId, launchRequestId,
      returnUrl: returnUrlFor(provider.name, taskId), isRegisteredModule: (address, clientId) => isRegisteredModule(provider, address, clientId),
      flavour, callbackStepUp: `${pgo.site.origin}/callback_stepup` });
    return launched(request, accountId, provider, taskId, traceId, launchRequestId, outcome, allowStepUp, reauthorize);
  }

  /**
   * KoppelMij 2026 step 3 (issue 15): the DVA's redirect to /callback_stepup with the launch
   * authorization code; the launch this browser's account prepared by `state`, then the launch.
   */
  async function continueLaunch(request: Request, accountId: string, state: string, code: string | null, error: string | null): Promise<Response> {
    const pending = pendingLaunches.get(state);
    pendingLaunches.delete(state);
    if (!pending || pending.accountId !== accountId || Date.now() - pending.at > 5 * 60_000) {
      return failure(request, "Starten mislukt", "Deze terugkeer van de DVA hoort bij geen taak die u net startte. Start de taak opnieuw vanuit het overzicht.", 400);
    }
    const providers = await providersOr(request);
    if (providers instanceof Response) return providers;
    const provider = providers.find((p) => p.name === pending.zorgaanbieder);
    const connection = store.connectionOf(accountId, pending.zorgaanbieder);
    const trace = { traceId: pending.traceId, sessionId: sessionIdOf(request, PGO_SESSION_COOKIE) };
    const token = provider && connection ? await freshToken(connection, provider, pgo.clientId, store, http, trace) : null;
    if (!provider || !token) return failure(request, "Starten mislukt", "De verbinding met deze zorgaanbieder is er niet meer. Verbind opnieuw en start de taak dan nog eens.", 400);
    const outcome = error || !code ? { kind: "refused" as const, error: error ?? "invalid_request", description: "de DVA gaf geen launch authorization code" }
      : await exchangeLaunchAuthorization({ http, trace, provider, clientId: pgo.clientId, accessToken: token, taskId: pending.taskId, code, pending });
    return launched(request, accountId, provider, pending.taskId, pending.traceId, pending.launchRequestId, outcome, false, async () => failure(request, "Starten mislukt", "Probeer het opnieuw.", 400));
  }

  /** What the PGO does with a launch's outcome: the module, the DVA's /authorize first (KoppelMij 2026), or a problem page. */
  async function launched(request: Request, accountId: string, provider: Provider, taskId: string, traceId: string, launchRequestId: string,
    outcome: LaunchOutcome, allowStepUp: boolean, reauthorize: () => Promise<Response>): Promise<Response> {
    const sessionId = sessionIdOf(request, PGO_SESSION_COOKIE);
    switch (outcome.kind) {
      case "authorize":
        if (pendingLaunches.size > 10_000) pendingLaunches.clear();
        pendingLaunches.set(outcome.state, { ...outcome.pending, accountId, zorgaanbieder: provider.name, taskId, traceId, launchRequestId, at: Date.now() });
        return new Response(null, { status: 303, headers: { Location: outcome.url } });
      case "launch": {
        // SD 4.5.4.1.1: the browser goes to the module; the launch code appears by reference only (trace.ts logRef).
        const launchCode = logRef(outcome.launchCode);
        launches.set(`${accountId} ${provider.name} ${taskId}`, { traceId, requestId: launchRequestId, launchCode, answered: false });
        lastLaunches.set(accountId, { zorgaanbieder: provider.name, taskId, traceId, at: Date.now() });
        const target = new URL(outcome.url);
        ctx.chain.write({ type: "send_smart_launch_request", location: pgo.clientId, traceId, sessionId,
          request: { id: launchRequestId, method: "get", client_id: pgo.clientId, server_id: target.hostname, uri: `${target.origin}${target.pathname}`,
            initiated_by: "person", smart_on_fhir_launch_code: launchCode } });
        return new Response(null, { status: 303, headers: { Location: outcome.url } });
      }
      case "step-up":
        if (allowStepUp) return reauthorize();
        return htmlResponse(TechnicalFailure({ ...problemProps(request, provider.name, traceId), detail: "de DVA vraagt opnieuw om her-identificatie" }), { status: 502 });
      // The HTTP client logged the call that found the DVA or the module down (receive_availability_check_error, SD 4.5.3.1.7, 4.5.4.1.4).
      case "dva-unreachable":
        return htmlResponse(Unavailable({ ...problemProps(request, provider.name, traceId), what: "dva" }), { status: 503 });
      case "module-unreachable":
        return htmlResponse(Unavailable({ ...problemProps(request, provider.name, traceId), what: "module" }), { status: 503 });
      case "unregistered-module": {
        const reason = `het adres ${outcome.address} is geen module die in het netwerk bij ${dvaNameOf(provider.name)} is geregistreerd voor client_id ${outcome.clientId}`;
        // The PGO launches nothing: the error of the launch it did not send (its id), as SD 4.5.4.1.3 words a refusal.
        ctx.chain.write({ type: "receive_smart_launch_request_error", location: pgo.clientId, traceId, sessionId,
          error: { request_id: launchRequestId, code: "unauthorized_client", description: `niet gestart: ${reason}`, status: 400 } });
        return htmlResponse(LaunchFailed({ ...problemProps(request, provider.name, traceId), error: "unauthorized_client", reason }), { status: 502 });
      }
      case "refused":
        return htmlResponse(TechnicalFailure({ ...problemProps(request, provider.name, traceId), detail: `${outcome.error}: ${outcome.description}` }), { status: 502 });
    }
  }

  /** Each provider's DVA flavour (issue 15), from its authorization server metadata, cached a minute per DVA. */
  const flavourCache = new Map<string, { at: number; flavour: Flavour }>();
  async function flavoursOf(zorgaanbieders: string[]): Promise<Map<string, Flavour>> {
    const out = new Map<string, Flavour>();
    if (zorgaanbieders.length === 0) return out;
    let providers: Provider[];
    try { providers = await directory.providers(); } catch { return out; }
    await Promise.all(zorgaanbieders.map(async (name) => {
      const provider = providers.find((p) => p.name === name);
      if (!provider) return;
      const key = new URL(provider.tokenEndpoint).origin;
      let hit = flavourCache.get(key);
      if (!hit || Date.now() - hit.at > 60_000) flavourCache.set(key, hit = { at: Date.now(), flavour: await flavourOfProvider(http, provider, { traceId: newId(), sessionId: null }) });
      out.set(name, hit.flavour);
    }));
    return out;
  }

  const expired = (request: Request) => htmlResponse(ErrorPage({ theme, heading: "Formulier verlopen", traceId: incomingIds(request).traceId,
    message: "Het formulier is verlopen of niet van deze pagina afkomstig. Probeer het opnieuw.", back: { href: "/", label: "Naar de startpagina" } }), { status: 403 });

  return { ctx, pgo, theme, store, http, directory, redirectUri, accountOf, startSession, displayName, failure, expired, providersOr, providerRows,
    lastResults, syncConnection, syncAll, checkTask, dvaNameOf, problemProps, launches, lastLaunchOf, beginAuthorization, start, continueLaunch, flavoursOf };
}

export type PgoDeps = ReturnType<typeof createPgoDeps>;

/** A launch the PGO sent (see `launches`). */
export interface Launch { traceId: string; requestId: string; launchCode: string; answered: boolean }
