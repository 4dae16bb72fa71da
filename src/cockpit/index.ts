/**
 * Cockpit (`localhost:8080`, SPEC §9): actors with live health, personas, faults, the chain log
 * viewer and "Reset to seed"; plus the sandbox API for automated tests (SPEC §12). The API takes
 * only `application/json` bodies so that a web page cannot trigger it cross-site.
 */
import { createActorApp } from "../shared/actor-app.ts";
import { actorSites, healthUrl } from "../shared/actor-sites.ts";
import type { SandboxContext } from "../shared/context.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { FAULTS, FaultError, parseFaults } from "../shared/faults.ts";
import { htmlResponse, jsonResponse, readForm, redirectAfterPost } from "../shared/html.ts";
import { ErrorPage } from "../../views/error-page.tsx";
import { CockpitHome, HealthRows, type ActorHealth } from "../../views/cockpit/home.tsx";
import { FaultsPage } from "../../views/cockpit/faults.tsx";
import { LogsPage, TraceLines, type Lane, type LogsFilter, type LogsSearch } from "../../views/cockpit/logs.tsx";
import { actorColor, themes } from "../../views/theme.ts";
import { CLINICIAN_LOGIN, personaLoginPurpose } from "../shared/tickets.ts";
import { incomingIds } from "../shared/trace.ts";
import { parseSince } from "../shared/chain-log.ts";
import { networkJson } from "./network-json.ts";
import { traceExport } from "./trace-export.ts";
import { actorsApi, checkOf } from "./actors-api.ts";
import { tokenInspector } from "./tokens.ts";
import { TokensPage } from "../../views/cockpit/tokens.tsx";
import { LaunchLinkPage, LaunchReturnPage, type GeneratedLink } from "../../views/cockpit/launch-link.tsx";
import { ACTOR_EXAMPLES, ActorsPage, CheckPage, CheckRules, checkMarkdown } from "../../views/cockpit/actors.tsx";
import { ActorError, COCKPIT_OWNER } from "../shared/actor-registry.ts";
import { DvaSettingError } from "../shared/dva-setting-error.ts";
import { Mailbox, parseMail } from "./mailbox.ts";
import { MailPage, MailboxPage } from "../../views/cockpit/mailbox.tsx";

/**
 * The /logs query: `q` a Trace ID or Session ID as pasted — trimmed, without a leading "Trace ID:"
 * or "Session ID:" label (at most 200 characters); `actor` a host name, `type` an event type,
 * `soort` reizen|overige|alle, `voor` a sequence number.
 */
function logsFilter(params: URLSearchParams): LogsFilter {
  const q = (params.get("q") ?? "").trim().replace(/^(trace|session)\s*id\s*:?\s*/i, "").slice(0, 200);
  const soort = params.get("soort");
  const voor = params.get("voor") ?? "";
  return {
    q,
    actor: (params.get("actor") ?? "").slice(0, 253),
    type: (params.get("type") ?? "").slice(0, 100),
    soort: soort === "overige" || soort === "alle" ? soort : "reizen",
    voor: /^\d{1,15}$/.test(voor) ? Number(voor) : null,
  };
}

export function createCockpit(ctx: SandboxContext) {
  const actors = () => actorSites(ctx.network);
  const mailbox = new Mailbox(ctx.db);
  /** The timeline's columns: every actor by host name, in the cockpit's order, with its colour. */
  const lanes = (): Lane[] => actors().map((a) => ({ host: a.site.hostname, title: a.title, color: actorColor(a.kind, a.dvaIndex, a.pgoIndex) }));

  async function health(): Promise<ActorHealth[]> {
    return Promise.all(actors().map(async (a) => {
      const started = performance.now();
      try {
        const res = await fetch(healthUrl(a), { signal: AbortSignal.timeout(1500) });
        return { title: a.title, origin: a.site.origin, internal: a.site.internal, status: res.status, ms: Math.round(performance.now() - started) };
      } catch {
        return { title: a.title, origin: a.site.origin, internal: a.site.internal, status: 0, ms: Math.round(performance.now() - started) };
      }
    }));
  }

  const forbidden = (request: Request) => htmlResponse(ErrorPage({
    theme: themes.cockpit, heading: "Formulier verlopen", traceId: incomingIds(request).traceId,
    message: "Het formulier is verlopen of niet van deze pagina afkomstig. Laad de pagina opnieuw en probeer het nog eens.",
    back: { href: "/", label: "Naar de cockpit" },
  }), { status: 403 });

  /** SPEC §12: JSON bodies only (a cross-site form cannot send application/json without CORS). */
  async function jsonBody(request: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
    const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      return { ok: false, response: jsonResponse({ error: "unsupported_media_type", error_description: "Send Content-Type: application/json" }, 415) };
    }
    const text = await request.text();
    if (text.trim() === "") return { ok: true, body: {} };
    try { return { ok: true, body: JSON.parse(text) }; } catch {
      return { ok: false, response: jsonResponse({ error: "invalid_json", error_description: "The body is not valid JSON" }, 400) };
    }
  }

  const unknownActor = (request: Request) => htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "Actor niet gevonden", traceId: incomingIds(request).traceId,
    message: "Deze actor is niet (meer) aangemeld.", back: { href: "/actors", label: "Naar Eigen actor" } }), { status: 404 });
  const faultsJson = () => ({ faults: ctx.faults.get(), available: FAULTS.map((f) => f.key) });
  const actorApi = actorsApi(ctx);
  const tokens = tokenInspector(ctx);
  /** An owner token registered from the page, until the check page has shown it once. */
  const shownOnce = ctx.retained("cockpit:ownerTokens", () => new Map<string, string>());
  const launchPage = async (request: Request, extra: { values?: Record<string, string>; link?: GeneratedLink; error?: string }, status = 200) => {
    const csrf = ctx.csrf.grant(request);
    const tasks = (await tokens.tasks()).map((t) => ({ value: `${t.dva}|${t.id}`, label: `${t.title} (${t.status})`, group: `${t.person} — ${t.dvaName}` }));
    const clients = ctx.network.modules.flatMap((m) => m.clients.filter((c) => ctx.network.dvas.some((d) => d.id === c.dva && d.auth.internal))
      .map((c) => ({ value: c.clientId, label: `${m.name}: ${c.clientId} (${c.dva})` })));
    return htmlResponse(LaunchLinkPage({ csrfToken: csrf.token, tasks, clients, values: extra.values ?? {}, link: extra.link, error: extra.error }), { status, setCookies: [csrf.setCookie] });
  };
  const tokensPage = async (request: Request, extra: { token?: string; inspection?: Parameters<typeof TokensPage>[0]["inspection"] } = {}) => {
    const url = new URL(request.url);
    const filter = { bsn: (url.searchParams.get("bsn") ?? "").slice(0, 20), client: (url.searchParams.get("client") ?? "").slice(0, 200) };
    const live = url.searchParams.has("bsn") || url.searchParams.has("client") ? await tokens.live(filter) : null;
    const csrf = ctx.csrf.grant(request);
    return htmlResponse(TokensPage({ csrfToken: csrf.token, ...extra, personas: ctx.network.patients.map((p) => ({ bsn: p.bsn, name: p.fullName })),
      clients: tokens.clients(), filter, live }), { setCookies: [csrf.setCookie] });
  };

  return createActorApp("cockpit", themes.cockpit)
    .get("/", ({ request }) => {
      const csrf = ctx.csrf.grant(request);
      const reset = new URL(request.url).searchParams.has("reset");
      const saved = new URL(request.url).searchParams.get("dva");
      return htmlResponse(CockpitHome({ network: ctx.network, actors: actors(), csrfToken: csrf.token, faults: ctx.faults.get(), reset, savedDva: saved }),
        { setCookies: [csrf.setCookie] });
    })
    .get("/partials/health", async () => htmlResponse(HealthRows({ rows: await health() })))
    // One-click "Start als Tom" (SPEC §9): a signed single-use ticket that the PGO redeems for a session.
    .post("/personas/start", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const persona = ctx.network.patients.find((p) => p.bsn === form.bsn);
      // The persona's own PGO, served here: a team's PGO has no /persona-login (the page shows its URL and the BSN instead).
      const pgo = ctx.network.pgos.find((g) => g.host === persona?.pgo?.host && g.site.internal);
      if (!persona?.pgo || !pgo) return redirectAfterPost(request, "/#personas");
      const ticket = ctx.tickets.issue(personaLoginPurpose(pgo.clientId), persona.pgo.username);
      return redirectAfterPost(request, `${pgo.site.origin}/persona-login?ticket=${encodeURIComponent(ticket)}`);
    })
    // The same for a clinician: "Start als Anna" lands in the clinician portal logged in.
    .post("/clinicians/start", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const clinician = ctx.network.clinicians.find((c) => c.id === form.clinician);
      if (!clinician) return redirectAfterPost(request, "/#personas");
      const ticket = ctx.tickets.issue(CLINICIAN_LOGIN, clinician.id);
      return redirectAfterPost(request, `${ctx.network.xis.origin}/persona-login?ticket=${encodeURIComponent(ticket)}`);
    })
    .post("/dvas/:id", async ({ params, request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      try { ctx.setDvaFlavour(params.id ?? "", { flavour: form.flavour, koppeltaal: form.koppeltaal === "true" }); } catch (e) {
        if (!(e instanceof DvaSettingError)) throw e;
        return redirectAfterPost(request, "/#dvas");
      }
      return redirectAfterPost(request, `/?dva=${encodeURIComponent(params.id ?? "")}#dvas`);
    })
    .post("/reset", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      if (form.confirm !== "yes") return redirectAfterPost(request, "/#reset");
      await ctx.reset();
      return redirectAfterPost(request, "/?reset=1");
    })
    .get("/faults", ({ request }) => {
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(FaultsPage({ faults: ctx.faults.get(), dvas: ctx.network.dvas.map((d) => ({ id: d.id, name: d.name })), csrfToken: csrf.token,
        saved: new URL(request.url).searchParams.has("opgeslagen") }), { setCookies: [csrf.setCookie] });
    })
    .post("/faults", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      if (form.clear === "all") { ctx.faults.clearAll(); return redirectAfterPost(request, "/faults?opgeslagen"); }
      // Unchecked checkboxes are absent from a form: every switch not sent is cleared.
      const input = Object.fromEntries(FAULTS.map((f) => [f.key, form[f.key] ?? null]));
      try {
        ctx.faults.apply(parseFaults(input, ctx.network.dvas.map((d) => d.id)));
      } catch (e) {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(FaultsPage({ faults: ctx.faults.get(), dvas: ctx.network.dvas.map((d) => ({ id: d.id, name: d.name })), csrfToken: csrf.token,
          error: e instanceof FaultError ? e.message : "Ongeldige waarde" }), { status: 422 });
      }
      return redirectAfterPost(request, "/faults?opgeslagen");
    })
    // The chain log as people look for it (issue 12 §4): a pasted Trace ID or Session ID, filters, journeys first, pages.
    .get("/logs", async ({ request }) => {
      const url = new URL(request.url);
      const filter = logsFilter(url.searchParams);
      const traceId = url.searchParams.get("trace_id") || undefined;
      let search: LogsSearch | null = null;
      if (filter.q) {
        // A Trace ID opens its trace (a link to share); else a Session ID lists its traces.
        if (ctx.chain.hasTrace(filter.q)) return new Response(null, { status: 303, headers: { Location: `/logs?trace_id=${encodeURIComponent(filter.q)}` } });
        const traces = await ctx.chain.tracesOfSession(filter.q);
        search = traces.length ? { kind: "session", sessionId: filter.q, traces } : { kind: "none", value: filter.q };
      }
      // Each part is one bounded read; the other requests run between them (issue 16).
      const kind = filter.soort === "reizen" ? "journeys" : filter.soort === "overige" ? "other" : "all";
      const plain = filter.soort === "reizen" && !filter.actor && !filter.type && filter.voor === null;
      const [list, singles] = await Promise.all([ctx.chain.traces({ kind, location: filter.actor || undefined, type: filter.type || undefined, before: filter.voor ?? undefined }),
        plain ? ctx.chain.traces({ kind: "other", limit: 10 }).then((p) => p.traces) : null]);
      const [facets, stats] = await Promise.all([ctx.chain.recentFacets(), ctx.chain.stats()]);
      return htmlResponse(LogsPage({ traceId, lines: traceId ? ctx.chain.query({ traceId }) : [], lanes: lanes(), stats,
        filter, facets, list, singles, search }));
    })
    .get("/partials/trace", ({ request }) => {
      const url = new URL(request.url);
      const traceId = url.searchParams.get("trace_id") ?? "";
      return htmlResponse(TraceLines({ traceId, lines: ctx.chain.query({ traceId }), lanes: lanes() }));
    })

    // The token inspector (issue 14 §4).
    .get("/tokens", ({ request }) => tokensPage(request))
    .post("/tokens", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const token = String(form.token ?? "").trim().slice(0, 8000);
      return tokensPage(request, token ? { token, inspection: await tokens.inspect(token) } : {});
    })
    // The launch link generator (issue 14 §4).
    .get("/launch-link", ({ request }) => launchPage(request, {}))
    .post("/launch-link", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const values = { task: String(form.task ?? ""), client: String(form.client ?? ""), launchUrl: String(form.launchUrl ?? "").trim(), simulate: String(form.simulate ?? ""),
        kind: form.kind === "hti" ? "hti" : "code" };
      const [dva = "", task = ""] = values.task.split("|");
      let own: URL | null = null;
      if (values.launchUrl) {
        own = URL.parse(values.launchUrl);
        if (!own || !/^https?:$/.test(own.protocol)) return launchPage(request, { values, error: "De eigen launch-URL is geen http(s)-URL." }, 422);
      }
      const returnUrl = `${ctx.network.cockpit.origin}/launch-link/terug${values.simulate === "return-unavailable" ? "?simulate=return-unavailable" : ""}`;
      const made = await tokens.launch(dva, { task, kind: values.kind, ...(values.client ? { client_id: values.client } : {}), ...(values.simulate && values.kind === "code" ? { simulate: values.simulate } : {}), return_url: returnUrl });
      if (!made.ok) return launchPage(request, { values, error: made.error }, 422);
      const url = new URL(own?.href ?? String(made.body.launch_url));
      url.searchParams.set("iss", String(made.body.iss));
      url.searchParams.set("launch", String(made.body.launch));
      const link: GeneratedLink = { url: url.href, launch: String(made.body.launch), iss: String(made.body.iss), clientId: String(made.body.client_id),
        expiresAt: String(made.body.expires_at), simulate: made.body.simulate ?? null };
      return launchPage(request, { values, link });
    })
    .get("/launch-link/terug", ({ request }) => {
      const url = new URL(request.url);
      if (url.searchParams.get("simulate") === "return-unavailable") {
        return jsonResponse({ error: "temporarily_unavailable", error_description: "gesimuleerde storing bij de terugkeer (launch link generator)" }, 503, { "Retry-After": "5" });
      }
      return htmlResponse(LaunchReturnPage({ params: [...url.searchParams].slice(0, 20).map(([k, v]) => [k.slice(0, 100), v.slice(0, 500)]) }));
    })
    // "Eigen actor" (issue 14): register a team's actor from a form, and its MedMij-check.
    .get("/actors", ({ request }) => {
      const url = new URL(request.url);
      const kind = url.searchParams.get("soort") ?? "pgo";
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ActorsPage({ actors: ctx.actors.list(), csrfToken: csrf.token, kind: ACTOR_EXAMPLES[kind] ? kind : "pgo",
        json: JSON.stringify(ACTOR_EXAMPLES[kind] ?? ACTOR_EXAMPLES.pgo, null, 2), removed: url.searchParams.get("afgemeld") }), { setCookies: [csrf.setCookie] });
    })
    .post("/actors", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const json = String(form.json ?? "").slice(0, 100_000);
      let problems: { path: string; message: string }[];
      try {
        const actor = ctx.actors.register(JSON.parse(json));
        // Shown once on the check page that follows (the page's operator registered it; the token is for scripts).
        shownOnce.set(actor.id, actor.ownerToken);
        return redirectAfterPost(request, `/actors/${encodeURIComponent(actor.id)}/check?aangemeld`);
      } catch (e) {
        problems = e instanceof SyntaxError ? [{ path: "(json)", message: `geen geldige JSON: ${e.message}` }]
          : e instanceof ActorError ? e.problems : (() => { throw e; })();
      }
      const csrf = ctx.csrf.grant(request);
      let kind = "pgo";
      try { kind = String((JSON.parse(json) as { kind?: unknown }).kind ?? "pgo"); } catch { /* keep */ }
      return htmlResponse(ActorsPage({ actors: ctx.actors.list(), csrfToken: csrf.token, kind, json, problems }), { status: 422, setCookies: [csrf.setCookie] });
    })
    .post("/actors/:id/afmelden", async ({ params, request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const actor = ctx.actors.get(params.id ?? "");
      if (!actor) return redirectAfterPost(request, "/actors");
      try { ctx.actors.remove(actor.id, COCKPIT_OWNER); } catch (e) {
        if (!(e instanceof ActorError)) throw e;
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(ActorsPage({ actors: ctx.actors.list(), csrfToken: csrf.token, kind: "pgo", json: JSON.stringify(ACTOR_EXAMPLES.pgo, null, 2), problems: e.problems }),
          { status: 409, setCookies: [csrf.setCookie] });
      }
      return redirectAfterPost(request, `/actors?afgemeld=${encodeURIComponent(actor.id)}`);
    })
    .get("/actors/:id/check", ({ params, request }) => {
      const actor = ctx.actors.get(params.id ?? "");
      if (!actor) return unknownActor(request);
      const csrf = ctx.csrf.grant(request);
      const ownerToken = shownOnce.get(actor.id) ?? null;
      shownOnce.delete(actor.id);
      return htmlResponse(CheckPage({ check: checkOf(ctx, actor), csrfToken: csrf.token, cleared: new URL(request.url).searchParams.has("opnieuw"), ownerToken }), { setCookies: [csrf.setCookie] });
    })
    .get("/actors/:id/check/rules", ({ params, request }) => {
      const actor = ctx.actors.get(params.id ?? "");
      return actor ? htmlResponse(CheckRules({ check: checkOf(ctx, actor) })) : unknownActor(request);
    })
    .get("/actors/:id/check.md", ({ params, request }) => {
      const actor = ctx.actors.get(params.id ?? "");
      if (!actor) return unknownActor(request);
      return new Response(checkMarkdown(checkOf(ctx, actor), ctx.network.cockpit.origin), { headers: { "Content-Type": "text/markdown; charset=utf-8",
        "Content-Disposition": `attachment; filename="medmij-check-${actor.id}.md"` } });
    })
    .post("/actors/:id/check/opnieuw", async ({ params, request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return forbidden(request);
      const actor = ctx.actors.get(params.id ?? "");
      if (!actor) return unknownActor(request);
      ctx.checks.reset(actor.id);
      // Starting over probes a team's DVA again (the probe is no traffic of the team's).
      ctx.checks.probe(actor.id);
      return redirectAfterPost(request, `/actors/${encodeURIComponent(actor.id)}/check?opnieuw`);
    })

    .get("/mailbox", () => htmlResponse(MailboxPage({ mails: mailbox.list() })))
    .get("/mailbox/:id", ({ params, request }) => {
      const mail = mailbox.get(params.id);
      if (!mail) {
        return htmlResponse(ErrorPage({ theme: themes.cockpit, heading: "E-mail niet gevonden", traceId: incomingIds(request).traceId,
          message: "Deze e-mail staat niet (meer) in het postvak; na een reset is het postvak leeg.", back: { href: "/mailbox", label: "Naar het postvak" } }), { status: 404 });
      }
      return htmlResponse(MailPage({ mail }));
    })

    // Sandbox API (SPEC §12)
    .get("/api/mail", ({ request }) => jsonResponse({ mails: mailbox.list(100, (new URL(request.url).searchParams.get("to") ?? "").slice(0, 200)) }))
    .post("/api/mail", async ({ request }) => {
      const body = await jsonBody(request);
      if (!body.ok) return body.response;
      try {
        const mail = mailbox.add(parseMail(body.body));
        return jsonResponse({ id: mail.id, url: `${ctx.network.cockpit.origin}/mailbox/${mail.id}` }, 201);
      } catch (e) {
        return jsonResponse({ error: "invalid_request", error_description: e instanceof Error ? e.message : String(e) }, 400);
      }
    })
    .get("/api/network", () => jsonResponse(networkJson(ctx.network)))
    // A team's own actors, registered while the sandbox runs (issue 14 §1).
    .get("/api/actors", () => actorApi.list())
    .post("/api/actors", async ({ request }) => {
      const body = await jsonBody(request);
      return body.ok ? actorApi.create(body.body) : body.response;
    })
    .get("/api/actors/:id", ({ params }) => actorApi.get(params.id))
    .get("/api/actors/:id/check", ({ params }) => actorApi.check(params.id))
    .delete("/api/actors/:id/check", ({ params, request }) => actorApi.resetCheck(params.id, request))
    .put("/api/actors/:id", async ({ params, request }) => {
      const body = await jsonBody(request);
      return body.ok ? actorApi.replace(params.id, body.body, request) : body.response;
    })
    .delete("/api/actors/:id", ({ params, request }) => actorApi.remove(params.id, request))
    // A DVA's flavour (issue 15): which design it follows for the token exchange and launch, switched without restart.
    .patch("/api/dvas/:id", async ({ params, request }) => {
      const body = await jsonBody(request);
      if (!body.ok) return body.response;
      if (typeof body.body !== "object" || body.body === null || Array.isArray(body.body)) {
        return jsonResponse({ error: "invalid_request", error_description: "send a JSON object {\"flavour\", \"koppeltaal\"}" }, 400);
      }
      try {
        const dva = ctx.setDvaFlavour(params.id ?? "", body.body as Record<string, unknown>);
        return jsonResponse(networkJson(ctx.network).dvas.find((d) => d.id === dva.id));
      } catch (e) {
        if (!(e instanceof DvaSettingError)) throw e;
        return jsonResponse({ error: e.status === 404 ? "not_found" : "invalid_request", error_description: e.message, problems: e.problems }, e.status);
      }
    })
    .get("/api/faults", () => jsonResponse(faultsJson()))
    .post("/api/faults", async ({ request }) => {
      const body = await jsonBody(request);
      if (!body.ok) return body.response;
      try {
        ctx.faults.apply(parseFaults(body.body, ctx.network.dvas.map((d) => d.id)));
      } catch (e) {
        return jsonResponse({ error: "invalid_fault", error_description: e instanceof Error ? e.message : String(e) }, 400);
      }
      return jsonResponse(faultsJson());
    })
    .delete("/api/faults", () => { ctx.faults.clearAll(); return jsonResponse(faultsJson()); })
    .post("/api/reset", async ({ request }) => {
      const body = await jsonBody(request);
      if (!body.ok) return body.response;
      await ctx.reset();
      return jsonResponse({ status: "reset" });
    })
    // One trace as a file for triage (issue 13 §3): its SD 4.5 lines, or its HTTP exchanges as HAR 1.2.
    .get("/api/traces/:file", ({ params }) => traceExport(ctx, params.file))
    .get("/api/logs", ({ request }) => {
      const url = new URL(request.url);
      const sinceRaw = url.searchParams.get("since");
      const limitRaw = url.searchParams.get("limit");
      let since: string | undefined;
      try { since = sinceRaw ? parseSince(sinceRaw) : undefined; } catch (e) {
        return jsonResponse({ error: "invalid_request", error_description: (e as Error).message }, 400);
      }
      if (limitRaw && !/^\d{1,5}$/.test(limitRaw)) return jsonResponse({ error: "invalid_request", error_description: "limit must be a whole number" }, 400);
      // The stored text is the line's JSON: served as is (issue 16: 10 000 lines parsed and serialised again held everyone up).
      const lines = ctx.chain.queryText({ traceId: url.searchParams.get("trace_id") || undefined, since, limit: limitRaw ? Number(limitRaw) : undefined });
      const last = lines.at(-1)?.seq;
      return new Response(lines.map((l) => l.line).join("\n") + (lines.length ? "\n" : ""), {
        headers: { "Content-Type": "application/x-ndjson", ...(last ? { "X-Last-Seq": String(last) } : {}) },
      });
    });
}
