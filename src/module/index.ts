/**
 * The provider module (SPEC §8) at `module.localhost`, a SMART on FHIR app that serves every module
 * of the network on this host (each its own launch path and client_ids): the launch (SD 3.5/3.6),
 * setting the Task in progress with If-Match (SD 3.7), questionnaires (questionnaire.ts,
 * responses.ts), information modules with "Gelezen", and "Terug naar PGO" with token revocation
 * (SD 3.8). Every call after the token carries the journey's X-Correlation-ID (SD 3.7), which the
 * DVA's token response names, so one journey is one trace in the chain log.
 */
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import { readCookie, serializeCookie } from "../shared/cookies.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { fhirList, fhirObject, fhirText } from "../shared/fhir-text.ts";
import { DIGITAL_ACTIVITY_EXTENSIONS, EXT_MODULE_TYPE, EXT_QR_TASK, EXT_QUESTIONNAIRE } from "../shared/fhir-profiles.ts";
import { htmlResponse, readForm, redirectAfterPost } from "../shared/html.ts";
import { createHttpClient } from "../shared/http-client.ts";
import type { ResolvedModule } from "../shared/resolved-network.ts";
import { incomingIds, newId } from "../shared/trace.ts";
import { ModuleError, ModuleHome, ModuleTask } from "../../views/module/pages.tsx";
import { QuestionnaireAnswers, QuestionnaireForm } from "../../views/module/questionnaire.tsx";
import { enabledItems, flatten, fromResponseItems, score, stepOf, stepsOf, toResponseItems, validate, validateStep, valuesOf, visibleInStep, type Answers, type Questionnaire } from "./questionnaire.ts";
import { completeTask, isFinished, saveResponse } from "./responses.ts";
import { themes } from "../../views/theme.ts";
import { LaunchError, authorizationRequest, discover, redeem } from "./smart-client.ts";
import { ModuleStore, type ModuleSession } from "./store.ts";

/**
 * `stap` as a 0-based page: a whole number from 1 (a huge one is the last page, see `page`);
 * anything else — `2.5`, `-1`, `abc` — is the first page rather than an error (issue 11 item 4).
 */
function stepIndex(value: string | null | undefined): number {
  return value && /^\d+$/.test(value) ? Math.max(0, Number(value) - 1) : 0;
}

/** The page of a (possibly step-by-step) questionnaire: its items, and the other pages' answers as hidden fields. */
function page(q: Questionnaire, answers: Answers, step: number) {
  const steps = stepsOf(q);
  const current = Math.min(Math.max(Math.trunc(step) || 0, 0), steps.length - 1);
  const here = new Set(flatten(steps[current]).map((i) => i.linkId));
  return { items: visibleInStep(steps[current]!, answers, flatten(q.item)), step: current, steps: steps.length,
    hidden: Object.keys(answers).filter((k) => !here.has(k)).flatMap((k) => valuesOf(answers, k).map((v): [string, string] => [k, v])) };
}

/** How many of the questions that count now have an answer (the progress indicator). */
function progressOf(q: Questionnaire, answers: Answers) {
  const questions = enabledItems(q.item, answers).filter((i) => i.type !== "group" && i.type !== "display");
  return { answered: questions.filter((i) => valuesOf(answers, i.linkId).length > 0).length, total: questions.length };
}

/** The clinician's instruction (AM-FE-011): the texts of Task.note, read defensively. */
const noteOf = (task: Record<string, unknown>): string | null =>
  fhirList(task.note).map((n) => fhirText(fhirObject(n).text).trim()).filter(Boolean).join(" ") || null;

/**
 * The questionnaire form as posted: one value per field, a list where a name comes more than once
 * (checkboxes of an item that repeats, an open-choice's "Anders, namelijk").
 */
async function readAnswerForm(request: Request): Promise<Record<string, string | string[]>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data")) return {};
  const data = await request.formData().catch(() => null);
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(data?.keys() ?? [])) {
    const values = data!.getAll(key).filter((v): v is string => typeof v === "string");
    if (values.length) out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}
/** A form field that must be one value (CSRF token, action, step): the first, if several came. */
const single = (v: string | string[] | undefined): string | undefined => Array.isArray(v) ? v[0] : v;

export const MODULE_COOKIE = "module_session";
const SESSION_TTL_MS = 2 * 60 * 60_000;
type Res = Record<string, any>;

export function createModuleApp(ctx: SandboxContext, modules: ResolvedModule[]) {
  const theme = themes.module(modules[0]!.name === "ZorgModules" ? "ZorgModules" : modules.map((m) => m.name).join(" / "));
  const store = new ModuleStore(ctx.db);
  const http = createHttpClient({ location: modules[0]!.site.hostname, chain: ctx.chain, observer: ctx.checks });
  /**
   * The trace a call belongs to: the journey's, once the DVA's token response named it (SD 3.7:
   * X-Correlation-ID on every call). Before that — SMART discovery at the launch — the module
   * knows only `iss` and `launch` (and an X-Correlation-ID if the PGO put one on the launch URL),
   * so without one that call is a trace of its own.
   */
  const trace = (s?: ModuleSession) => ({ traceId: s?.traceId ?? newId(), sessionId: null });

  const sessionOf = (request: Request) => {
    const id = readCookie(request, MODULE_COOKIE);
    const data = id ? store.read(id, Date.now()) : null;
    return id && data ? { id, data } : null;
  };
  const back = (returnUrl: string | null | undefined, error?: string) => {
    if (!returnUrl) return null;
    const url = new URL(returnUrl);
    if (error) url.searchParams.set("error", error);
    return url.href;
  };
  const fail = (message: string, returnUrl: string | null | undefined, code: string, status = 400) =>
    htmlResponse(ModuleError({ theme, message, back: back(returnUrl, code) }), { status });

  async function fhir(s: ModuleSession, path: string, init: RequestInit = {}): Promise<Response> {
    return http.send(`${s.iss}/${path}`, { ...init, trace: trace(s), headers: { Authorization: `Bearer ${s.accessToken}`, Accept: "application/fhir+json", ...(init.headers as Record<string, string> ?? {}) } });
  }

  /** SD 3.7: JSON Patch on the launched Task with If-Match; on 412 read again and retry once. */
  async function patchTask(s: ModuleSession, ops: unknown[]): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const current = await fhir(s, s.task!);
      if (!current.ok) return false;
      const res = await fhir(s, s.task!, { method: "PATCH", headers: { "Content-Type": "application/json-patch+json", "If-Match": current.headers.get("etag") ?? "" },
        body: JSON.stringify(ops) });
      if (res.ok) return true;
      if (res.status !== 412) return false;
    }
    return false;
  }
  const setStatus = (s: ModuleSession, status: string) => patchTask(s, [{ op: "replace", path: "/status", value: status }]);
  const send = (s: ModuleSession) => (path: string, init?: RequestInit) => fhir(s, path, init);

  /** Task.output of a finished questionnaire: the response, and the score with its band where the instrument has one. */
  const outputsOf = (q: Questionnaire, answers: Answers, responseId: string, flavour?: ModuleSession["flavour"]) => {
    const result = score(q, answers);
    // KoppelMij 2026 (technical-walkthrough-module-task-status-wijzigen.md): type.text "questionnaire-response".
    return [{ type: { text: flavour === "koppelmij-2026" ? "questionnaire-response" : "QuestionnaireResponse" }, valueReference: { reference: `QuestionnaireResponse/${responseId}` } },
      ...(result ? [{ type: { text: result.band ? `Score (${result.band})` : "Score" }, valueInteger: result.total }] : [])];
  };

  /**
   * The response is completed but the Task is still open: the session that completed it has not
   * set the Task yet, or could not. Complete it from the stored answers (If-Match; whoever is
   * second finds it done), so a questionnaire never stays half finished.
   */
  async function settle(s: ModuleSession, loaded: Awaited<ReturnType<typeof load>>): Promise<void> {
    const { task, questionnaire, response } = loaded;
    if (!task || !questionnaire || task.status !== "in-progress" || !isFinished(response) || !response?.id) return;
    await completeTask(send(s), s.task!, task, outputsOf(questionnaire, fromResponseItems(response.item ?? []), String(response.id), s.flavour), String(response.id));
  }

  /** Another session of this launch finished first (issue 11 item 3): write nothing, show the stored answers. */
  async function alreadyCompleted(request: Request, s: ModuleSession): Promise<Response> {
    await settle(s, await load(s));
    return redirectAfterPost(request, "/taak?al-afgerond");
  }

  async function json(s: ModuleSession, path: string): Promise<Res | null> {
    const res = await fhir(s, path);
    return res.ok ? ((await res.json().catch(() => null)) as Res | null) : null;
  }

  /** The Task, its ActivityDefinition, the Questionnaire it names and this Task's QuestionnaireResponse. */
  async function load(s: ModuleSession) {
    const task = await json(s, s.task!);
    const adRef = ((task?.extension ?? []) as Res[]).find((e) => (DIGITAL_ACTIVITY_EXTENSIONS as readonly string[]).includes(e.url))?.valueReference?.reference as string | undefined;
    const ad = adRef ? await json(s, adRef.replace(/^.*\/(ActivityDefinition\/[^/]+)$/, "$1")) : null;
    const canonical = ((ad?.extension ?? []) as Res[]).find((e) => e.url === EXT_QUESTIONNAIRE)?.valueCanonical as string | undefined;
    const found = canonical ? await json(s, `Questionnaire?url=${encodeURIComponent(canonical)}`) : null;
    const questionnaire = (found?.entry?.[0]?.resource ?? null) as Questionnaire | null;
    const responses = questionnaire ? await json(s, `QuestionnaireResponse?task=${encodeURIComponent(s.task!)}&_sort=-_lastUpdated`) : null;
    const response = (responses?.entry?.[0]?.resource ?? null) as Res | null;
    return { task, ad, questionnaire, response };
  }

  // Elysia registers routes on the instance itself; the loop adds each module's launch and callback.
  const app = createActorApp(`module:${modules[0]!.site.hostname}`, theme)
    .get("/", () => htmlResponse(ModuleHome({ theme, modules: modules.map((m) => ({ name: m.name, launchUrl: m.launchUrl })) })));

  for (const m of modules) {
    const launchPath = new URL(m.launchUrl).pathname;
    const callbackPath = new URL(m.clients[0]!.redirectUris[0]!).pathname;

    app
      // SD 3.5: /launch?iss&launch → discovery → authorize (PKCE, state). Koppeltaal 2.0 POSTs the
      // same two as a form, its launch an HTI token (issue 15 §3): both kinds go to the DVA as `launch`.
      .post(launchPath, async ({ request }) => {
        const form = await readForm(request);
        const url = new URL(request.url);
        for (const k of ["iss", "launch"]) if (typeof form[k] === "string") url.searchParams.set(k, String(form[k]));
        return beginLaunch(request, url);
      })
      .get(launchPath, ({ request }) => beginLaunch(request, new URL(request.url)));

    async function beginLaunch(request: Request, url: URL): Promise<Response> {
        const iss = url.searchParams.get("iss") ?? "";
        const launch = url.searchParams.get("launch") ?? "";
        const dva = ctx.network.dvas.find((d) => d.fhirBase === iss);
        const referer = (() => { try { return new URL(request.headers.get("referer") ?? "").origin; } catch { return null; } })();
        const pgoOrigin = ctx.network.pgos.find((g) => g.site.origin === referer)?.site.origin;
        const client = dva && m.clients.find((c) => c.dva === dva.id);
        if (!launch || !client) return fail("De module werd gestart zonder geldige launch of door een onbekende FHIR-server.", null, "invalid_request");
        // A PGO may name the journey's trace on the launch URL, as SD 3.3 does on /auth (X-Correlation-ID query parameter).
        const sent = incomingIds(request, url);
        const launchTrace = sent.fromCaller ? sent.traceId : undefined;
        try {
          const as = await discover(iss, http, { traceId: launchTrace ?? newId(), sessionId: null });
          const request_ = await authorizationRequest(as, { clientId: client.clientId, redirectUri: client.redirectUris[0]!, launch, iss });
          const id = store.create({ moduleId: m.id, iss, clientId: client.clientId, state: request_.state, codeVerifier: request_.codeVerifier,
            revocationEndpoint: (as.revocation_endpoint as string | undefined), pgoOrigin, server: as as unknown as Record<string, unknown>, traceId: launchTrace }, Date.now(), SESSION_TTL_MS);
          return new Response(null, { status: 303, headers: { Location: request_.url,
            "Set-Cookie": serializeCookie(MODULE_COOKIE, id, { maxAgeSeconds: SESSION_TTL_MS / 1000 }) } });
        } catch (e) {
          if (e instanceof LaunchError) return fail(`De module kon niet starten: ${e.message}.`, null, e.code, 502);
          throw e;
        }
    }

    app
      // SD 3.6: code → token with the launch context.
      .get(callbackPath, async ({ request }) => {
        const session = sessionOf(request);
        if (!session || !session.data.state || session.data.moduleId !== m.id) return fail("Deze terugkeer hoort niet bij een start van deze module.", null, "invalid_request");
        const client = m.clients.find((c) => c.clientId === session.data.clientId)!;
        try {
          // The metadata discovered at the launch, minutes ago (the DVA allows caching it: max-age=300).
          const as = (session.data.server as unknown as Awaited<ReturnType<typeof discover>> | undefined) ?? await discover(session.data.iss, http, trace());
          const context = await redeem(as, { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: client.redirectUris[0]!,
            callback: new URL(request.url), state: session.data.state, codeVerifier: session.data.codeVerifier! });
          const data: ModuleSession = { ...session.data, state: undefined, codeVerifier: undefined, server: undefined, accessToken: context.accessToken,
            patient: context.patient, task: context.task, returnUrl: context.returnUrl, flavour: context.flavour, traceId: context.traceId ?? session.data.traceId };
          store.update(session.id, data);
          if (ctx.faults.get().moduleFailAfterLaunch) {
            return new Response(null, { status: 303, headers: { Location: back(context.returnUrl, "temporarily_unavailable") ?? "/" } });
          }
          const task = await (await fhir(data, data.task!)).json() as Res;
          if (["requested", "received", "accepted", "ready"].includes(task.status)) await setStatus(data, "in-progress");
          return new Response(null, { status: 303, headers: { Location: "/taak" } });
        } catch (e) {
          // Before the token there is no return_url; the PGO that sent the browser gets the error (SD 3.8).
          if (e instanceof LaunchError) return fail(`De module kon niet starten: ${e.message}.`, session.data.pgoOrigin ? `${session.data.pgoOrigin}/launch_callback` : null, e.code, 400);
          throw e;
        }
      });
  }

  return app
    .get("/taak", async ({ request }) => {
      const session = sessionOf(request);
      if (!session?.data.accessToken) return fail("Er is geen gestarte taak. Start de taak opnieuw vanuit uw PGO.", null, "invalid_request");
      const s = session.data;
      const { task, ad, questionnaire, response } = await load(s);
      if (!task) return fail("De taak kon niet worden gelezen bij de zorgaanbieder.", s.returnUrl, "temporarily_unavailable", 502);
      const patient = await (await fhir(s, `Patient/${s.patient}`)).json().catch(() => null) as Res | null;
      const firstName = patient?.name?.[0]?.given?.[0] ?? null;
      const csrf = ctx.csrf.grant(request);
      if (questionnaire) {
        const answers = fromResponseItems(response?.item ?? []);
        const url = new URL(request.url);
        // A completed response is read-only even before its Task says so (another tab is finishing it).
        if (task.status === "completed" || isFinished(response)) {
          await settle(s, { task, ad, questionnaire, response });
          return htmlResponse(QuestionnaireAnswers({ theme, csrfToken: csrf.token, questionnaire, answers, score: score(questionnaire, answers),
            overtaken: url.searchParams.has("al-afgerond"), note: noteOf(task) }), { setCookies: [csrf.setCookie] });
        }
        return htmlResponse(QuestionnaireForm({ theme, csrfToken: csrf.token, firstName, questionnaire, answers, errors: {}, note: noteOf(task),
          saved: url.searchParams.has("opgeslagen"), progress: progressOf(questionnaire, answers), ...page(questionnaire, answers, stepIndex(url.searchParams.get("stap"))) }),
          { setCookies: [csrf.setCookie] });
      }
      const kind = ((ad?.extension ?? []) as Res[]).find((e) => e.url === EXT_MODULE_TYPE)?.valueCode === "information" ? "information" : "questionnaire";
      return htmlResponse(ModuleTask({ theme, csrfToken: csrf.token, firstName, title: String(ad?.title ?? "Taak"),
        description: ad?.description ?? null, text: ad?.usage ?? null, video: ad?.relatedArtifact?.[0]?.display ?? null, kind, status: String(task.status),
        done: task.status === "completed", note: noteOf(task) }), { setCookies: [csrf.setCookie] });
    })
    // AM-FE-032/033: autosave and "Tussentijds opslaan" keep an in-progress QuestionnaireResponse at the DVA; "Afronden" completes it.
    .post("/taak/opslaan", async ({ request }) => {
      const session = sessionOf(request);
      const form = await readAnswerForm(request);
      if (!session?.data.accessToken || !ctx.csrf.verify(request, single(form[CSRF_FIELD]))) return fail("Het formulier is verlopen. Start de taak opnieuw vanuit uw PGO.", session?.data.returnUrl, "invalid_request", 403);
      const s = session.data;
      const { task, questionnaire, response } = await load(s);
      if (!task || !questionnaire) return fail("De vragenlijst kon niet worden gelezen bij de zorgaanbieder.", s.returnUrl, "temporarily_unavailable", 502);
      // A stale tab (or one that lost the race) never writes over a finished questionnaire.
      if (task.status === "completed" || isFinished(response)) return alreadyCompleted(request, s);
      const { [CSRF_FIELD]: _csrf, action: actionRaw, stap, ...answers } = form;
      const action = single(actionRaw);
      const step = Math.min(stepIndex(single(stap)), stepsOf(questionnaire).length - 1);
      const finish = action === "finish";
      /** The form again with Dutch messages, on the page that holds the first problem. */
      const invalid = (errors: Record<string, string>) => {
        const csrf = ctx.csrf.grant(request);
        const first = stepOf(stepsOf(questionnaire), Object.keys(errors)[0]!);
        return htmlResponse(QuestionnaireForm({ theme, csrfToken: csrf.token, firstName: null, questionnaire, answers, errors, saved: false, note: noteOf(task),
          progress: progressOf(questionnaire, answers), ...page(questionnaire, answers, first) }), { status: 422, setCookies: [csrf.setCookie] });
      };
      if (finish) {
        const errors = validate(questionnaire, answers);
        if (Object.keys(errors).length) return invalid(errors);
      }
      const qr = {
        resourceType: "QuestionnaireResponse",
        extension: [{ url: EXT_QR_TASK, valueReference: { reference: s.task } }],
        questionnaire: questionnaire.url, status: finish ? "completed" : "in-progress", subject: { reference: `Patient/${s.patient}` },
        authored: new Date().toISOString(), author: { reference: `Patient/${s.patient}` }, item: toResponseItems(questionnaire.item, answers),
      };
      // One response per Task, written with If-None-Exist / If-Match: of two sessions finishing at once, one wins.
      const saved = await saveResponse(send(s), s.task!, qr, response);
      if (saved.kind === "taken") return alreadyCompleted(request, s);
      if (saved.kind === "failed") return fail("Uw antwoorden konden niet worden opgeslagen bij de zorgaanbieder.", s.returnUrl, "temporarily_unavailable", 502);
      if (finish) {
        const id = String(saved.resource.id);
        const done = await completeTask(send(s), s.task!, task, outputsOf(questionnaire, answers, id, s.flavour), id);
        if (done.kind === "taken") return alreadyCompleted(request, s);
        if (done.kind === "failed") return fail("De taak kon niet worden afgerond bij de zorgaanbieder.", s.returnUrl, "temporarily_unavailable", 502);
        return new Response(null, { status: 303, headers: { Location: "/taak" } });
      }
      if (action === "autosave") return new Response(null, { status: 204 });
      // "Volgende" checks this step (its answers are saved either way, like an autosave); "Vorige" never blocks.
      if (action === "next") {
        const errors = validateStep(questionnaire, answers, step);
        if (Object.keys(errors).length) return invalid(errors);
      }
      if (action === "next" || action === "prev") return new Response(null, { status: 303, headers: { Location: `/taak?stap=${step + (action === "next" ? 2 : 0)}` } });
      return new Response(null, { status: 303, headers: { Location: `/taak?opgeslagen&stap=${step + 1}` } });
    })
    // Information module: "Gelezen" completes the Task.
    .post("/taak/gelezen", async ({ request }) => {
      const session = sessionOf(request);
      const form = await readForm(request);
      if (!session?.data.accessToken || !ctx.csrf.verify(request, form[CSRF_FIELD])) return fail("Het formulier is verlopen. Start de taak opnieuw vanuit uw PGO.", session?.data.returnUrl, "invalid_request", 403);
      const ok = await setStatus(session.data, "completed");
      if (!ok) return fail("De taak kon niet worden afgerond bij de zorgaanbieder.", session.data.returnUrl, "temporarily_unavailable", 502);
      return new Response(null, { status: 303, headers: { Location: "/taak" } });
    })
    // SD 3.8: revoke the token (RFC 7009) and return to the PGO.
    .post("/terug", async ({ request }) => {
      const session = sessionOf(request);
      const form = await readForm(request);
      if (!session || !ctx.csrf.verify(request, form[CSRF_FIELD])) return fail("Het formulier is verlopen.", session?.data.returnUrl, "invalid_request", 403);
      const s = session.data;
      const client = modules.flatMap((m) => m.clients).find((c) => c.clientId === s.clientId);
      if (s.accessToken && s.revocationEndpoint && client) {
        // RFC 7009 §2.1: a confidential client authenticates; a public one names itself.
        const auth = client.clientSecret === undefined ? null : `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64")}`;
        await http.send(s.revocationEndpoint, { method: "POST", trace: trace(s), headers: { "Content-Type": "application/x-www-form-urlencoded", ...(auth ? { Authorization: auth } : {}) },
          body: new URLSearchParams({ token: s.accessToken, ...(auth ? {} : { client_id: client.clientId }) }) }).catch(() => null);
      }
      store.end(session.id);
      return new Response(null, { status: 303, headers: { Location: back(s.returnUrl) ?? "/" } });
    });
}
