/**
 * Launch code by token exchange (SD 3.4, RFC 8693 §2): the PGO trades its access token for a
 * one-time code bound to a Task of the same patient, the module that runs it, and a return URL on
 * the PGO's own host. Step-up (SD 3.4 step 3): modules marked "re-identify" need a DigiD login at
 * this DVA within 15 minutes, else `invalid_grant` "Step up: ...".
 */
import { OAuthError } from "../../../shared/oauth-error.ts";
import { randomToken } from "../../../shared/crypto.ts";

import { allows, orgRule, storedOrganisations } from "../../fhir/access.ts";
import { verifyAccessToken } from "../subject-token.ts";
import { moduleOfTask } from "../task-module.ts";
import type { GrantContext, GrantHandler } from "./context.ts";
import type { TokenClient } from "../client-auth.ts";
import type { Consent } from "../store.ts";
import type { VerifiedAccessToken } from "../subject-token.ts";
import { pkceMatches } from "../smart.ts";
import type { Flavour } from "../../../shared/network.ts";
import { LAUNCHABLE_STATUSES, OPEN_STATUSES } from "../../../shared/task-status.ts";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** SD 3.4; the second form is accepted too (SPEC §5). */
export const LAUNCH_CODE_TYPES = ["medmij:token-type:one-time-code", "urn:medmij:token-type:launch-code"] as const;
export const LAUNCH_CODE_TTL_SECONDS = 60;
export const STEP_UP_WINDOW_MS = 15 * 60_000;
/** Task statuses from which a module may be launched: "Te doen", and completed for viewing answers (SD 4.6 step 17). */
const LAUNCHABLE = new Set(LAUNCHABLE_STATUSES);
const OPEN = new Set([...OPEN_STATUSES, "in-progress"]);

export interface LaunchContext {
  bsn: string;
  patient: string;
  task: string;
  intent: string;
  returnUrl: string | null;
  audience: string;
  moduleId: string;
  pgo: string;
  scope: string;
  /** The zorgaanbieder of the consent: the module token sees that one's data only (issue 10). */
  zorgaanbieder: string;
  traceId?: string;
  /** The DVA's flavour when the code was issued (issue 15): the module's token response follows it. */
  flavour?: Flavour;
}

/** KoppelMij 2026 (issue 15; KoppelMij/koppelmij-designs technical-walkthrough-pgo-launch-voorbereiden.md, 2026-04-16). */
export const KOPPELMIJ = {
  actorTokenType: "urn:medmij:token-type:launch-authorization-code",
  launchCode: "urn:medmij:token-type:launch-code",
  acr: "urn:medmij:oauth2:acr-value:launch-authorization",
  /** "kortlevend (doorgaans 180 s) en éénmalig bruikbaar". */
  launchCodeTtlSeconds: 180,
  /** The older single-exchange variant (koppelmij_option_3a.md): a launch token "5–15 min". */
  accessTokenLaunchTtlSeconds: 300,
} as const;

/** What /par stored and /authorize carried into the launch authorization code (routes in koppelmij-routes.ts). */
export interface LaunchAuthorization {
  pgo: string; redirectUri: string; audience: string; subjectJti: string; consentId: string; state: string;
  codeChallenge: string; scope: string | null; returnUrl: string | null;
}

const taskRef = (value: unknown) => (typeof value === "string" ? /^Task\/([A-Za-z0-9.-]{1,64})$/i.exec(value)?.[1] ?? null : null);

/** The subject token: this DVA's, this PGO's, under a live consent for a known patient (SD 3.4 step 2; RFC 8693 §2.2.2). */
export async function checkSubject(ctx: Pick<GrantContext, "dva" | "store" | "signingKey" | "now">, client: Extract<TokenClient, { kind: "pgo" }>, subjectToken: string | null, subjectTokenType: string | null) {
  if (subjectTokenType !== ACCESS_TOKEN_TYPE) throw new OAuthError("invalid_request", `subject_token_type moet ${ACCESS_TOKEN_TYPE} zijn`);
  if (!subjectToken) throw new OAuthError("invalid_request", "subject_token ontbreekt");
  const subject = await verifyAccessToken(subjectToken, { key: await ctx.signingKey(), issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, store: ctx.store, now: ctx.now });
  if (!subject) throw new OAuthError("invalid_request", "subject_token is ongeldig, verlopen, ingetrokken of niet van deze DVA");
  if (subject.client_id !== client.clientId) throw new OAuthError("invalid_request", "subject_token is aan een andere client uitgegeven");
  const consent = ctx.store.consentOfAccessToken(subject.jti);
  if (!consent || consent.withdrawnAt !== null || !subject.patient) throw new OAuthError("invalid_request", "subject_token hoort niet bij een toestemming voor een bekende patiënt");
  return { subject: subject as VerifiedAccessToken & { patient: string }, consent };
}

/** A return URL on the requesting PGO's own host (no open redirect), or null when none is given. */
export function pgoReturnUrl(client: Extract<TokenClient, { kind: "pgo" }>, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  let url: URL | null = null;
  try { url = typeof value === "string" ? new URL(value) : null; } catch { url = null; }
  if (!url || url.origin !== client.pgo.site.origin || url.username || url.password) throw new OAuthError("invalid_request", `return_url moet op ${client.pgo.site.origin} liggen`);
  return url.href;
}

export const handleTokenExchange: GrantHandler = async (ctx, client, form) => {
  if (client.kind !== "pgo") throw new OAuthError("unauthorized_client", "alleen een PGO vraagt een launch-code aan");
  // SD 3.4 step 2: which person, which task, which PGO (and module) — logged as far as checked, on a refusal too.
  const context: Record<string, string> = { pgo: client.clientId };
  ctx.detail.launch_context = context;
  if (ctx.faults.tokenExchangeError) throw new OAuthError(ctx.faults.tokenExchangeError, "sandbox-storing tokenExchangeError staat aan");
  return ctx.dva.flavour === "koppelmij-2026" ? koppelmijExchange(ctx, client, form, context) : sd02Exchange(ctx, client, form, context);
};

/** SD v0.2 (seed 004 §3.4): `smart_launch_context` with the Task and return_url, scope, one-time-code; step-up by `invalid_grant`. */
async function sd02Exchange(ctx: GrantContext, client: Extract<TokenClient, { kind: "pgo" }>, form: URLSearchParams, context: Record<string, string>) {
  const requested = form.get("requested_token_type");
  if (!requested || !(LAUNCH_CODE_TYPES as readonly string[]).includes(requested)) {
    throw new OAuthError("invalid_request", `requested_token_type moet ${LAUNCH_CODE_TYPES[0]} zijn (stap: launch-code aanvragen)`);
  }
  const { subject, consent } = await checkSubject(ctx, client, form.get("subject_token"), form.get("subject_token_type"));
  context.person = `Patient/${subject.patient}`;

  const scope = form.get("scope");
  if (!scope) throw new OAuthError("invalid_scope", "scope ontbreekt: gebruik dezelfde scope als bij Verzamelen");
  if (scope !== subject.scope) throw new OAuthError("invalid_scope", `scope ${scope} komt niet overeen met de toestemming (${subject.scope})`);

  let launch: { resource?: unknown; intent?: unknown; return_url?: unknown };
  try { launch = JSON.parse(form.get("smart_launch_context") ?? ""); } catch { throw new OAuthError("invalid_request", "smart_launch_context ontbreekt of is geen JSON"); }
  if (typeof launch !== "object" || launch === null) throw new OAuthError("invalid_request", "smart_launch_context moet een JSON-object zijn");
  const taskId = taskRef(launch.resource);
  if (!taskId) throw new OAuthError("invalid_request", "smart_launch_context.resource moet Task/<id> zijn");
  context.task = `Task/${taskId}`;
  if (launch.intent !== "startmodule") throw new OAuthError("invalid_request", "smart_launch_context.intent moet startmodule zijn");
  const returnUrl = pgoReturnUrl(client, launch.return_url);

  const audience = form.get("audience");
  if (!audience) throw new OAuthError("invalid_request", "audience ontbreekt: geef de client_id van de module (Endpoint ClientID)");
  const networkModule = checkLaunch(ctx, subject.patient, consent, taskId, audience, context);

  if (networkModule.reIdentify || ctx.stepUpSince !== null) {
    const last = ctx.store.lastDigidLogin(consent.bsn);
    if (last === null || ctx.now - last > STEP_UP_WINDOW_MS || (ctx.stepUpSince !== null && last < ctx.stepUpSince)) {
      throw new OAuthError("invalid_grant", "Step up: pas eerst gewone authorization code flow toe (opnieuw inloggen met DigiD)");
    }
  }
  const ttl = ctx.faults.launchCodeTtlSeconds ?? LAUNCH_CODE_TTL_SECONDS;
  const code = issueLaunch(ctx, client, { subject, consent, taskId, audience, moduleId: networkModule.id, returnUrl, scope }, ttl);
  return { access_token: code, expires_in: ttl, token_type: "NA", issued_token_type: requested, scope };
}

/**
 * KoppelMij 2026: the launch authorization code from /par + /authorize as `actor_token` with the
 * PKCE verifier, the Task as `resource` (repeatable), no scope; a one-time launch code of 180 s,
 * `token_type` N_A. Also the older variant with `audience` = the FHIR base and
 * `requested_token_type` access_token (koppelmij_option_3a.md), the module taken from the Task.
 * No step-up here: the newest walkthrough dropped it (a re-identify module gets DigiD at its own
 * /connect/authorize instead).
 */
async function koppelmijExchange(ctx: GrantContext, client: Extract<TokenClient, { kind: "pgo" }>, form: URLSearchParams, context: Record<string, string>) {
  const requested = form.get("requested_token_type");
  if (requested !== ACCESS_TOKEN_TYPE && requested !== KOPPELMIJ.launchCode) {
    throw new OAuthError("invalid_request", `deze DVA volgt KoppelMij 2026: requested_token_type ${KOPPELMIJ.launchCode} met een actor_token (launch authorization code van /par en /authorize), of ${ACCESS_TOKEN_TYPE} met audience = de FHIR-base`);
  }
  const { subject, consent } = await checkSubject(ctx, client, form.get("subject_token"), form.get("subject_token_type"));
  context.person = `Patient/${subject.patient}`;
  const resources = form.getAll("resource");
  const taskId = resources.map(taskRef).find((id) => id !== null) ?? null;
  if (!taskId) throw new OAuthError("invalid_request", "resource ontbreekt: geef de taak als resource=Task/<id> (herhaalbaar voor meer resources)");
  context.task = `Task/${taskId}`;
  const audience = form.get("audience");

  if (requested === ACCESS_TOKEN_TYPE) {
    if (audience !== ctx.dva.fhirBase) throw new OAuthError("invalid_target", `audience moet de FHIR-base ${ctx.dva.fhirBase} zijn bij requested_token_type ${ACCESS_TOKEN_TYPE}`);
    const task = ctx.fhir.read(ctx.dva.id, "Task", taskId)?.resource;
    const moduleClient = task ? moduleOfTask(ctx.fhir, ctx.dva.id, task)?.clientId ?? null : null;
    if (!moduleClient) throw new OAuthError("invalid_request", `Task/${taskId} heeft geen module bij deze DVA`);
    const networkModule = checkLaunch(ctx, subject.patient, consent, taskId, moduleClient, context);
    const ttl = ctx.faults.launchCodeTtlSeconds ?? KOPPELMIJ.accessTokenLaunchTtlSeconds;
    const code = issueLaunch(ctx, client, { subject, consent, taskId, audience: moduleClient, moduleId: networkModule.id, returnUrl: defaultReturnUrl(client, taskId), scope: subject.scope as string }, ttl);
    return { access_token: code, expires_in: ttl, token_type: "N_A", issued_token_type: ACCESS_TOKEN_TYPE };
  }
  if (form.get("actor_token_type") !== KOPPELMIJ.actorTokenType) throw new OAuthError("invalid_request", `actor_token_type moet ${KOPPELMIJ.actorTokenType} zijn`);
  const actorToken = form.get("actor_token");
  if (!actorToken) throw new OAuthError("invalid_request", "actor_token ontbreekt: vraag eerst via POST /par en GET /authorize een launch authorization code");
  const taken = ctx.store.takeLaunchAuthorization<LaunchAuthorization>(actorToken, "code", ctx.now, client.clientId);
  if (!taken || taken.clientId !== client.clientId) throw new OAuthError("invalid_grant", "actor_token is onbekend, verlopen, al gebruikt of aan een andere client uitgegeven");
  const auth = taken.data;
  if (auth.subjectJti !== subject.jti) throw new OAuthError("invalid_grant", "actor_token hoort bij een ander subject_token");
  if (!pkceMatches(form.get("code_verifier"), auth.codeChallenge)) throw new OAuthError("invalid_grant", "code_verifier past niet bij de code_challenge van /par (PKCE)");
  if (!audience || audience !== auth.audience) throw new OAuthError("invalid_target", `audience moet ${auth.audience} zijn, de module van /par`);
  const networkModule = checkLaunch(ctx, subject.patient, consent, taskId, audience, context);
  const ttl = ctx.faults.launchCodeTtlSeconds ?? KOPPELMIJ.launchCodeTtlSeconds;
  const code = issueLaunch(ctx, client, { subject, consent, taskId, audience, moduleId: networkModule.id, returnUrl: auth.returnUrl ?? defaultReturnUrl(client, taskId),
    scope: auth.scope ?? (subject.scope as string) }, ttl);
  return { access_token: code, expires_in: ttl, token_type: "N_A", issued_token_type: KOPPELMIJ.launchCode };
}

/** The terugkeer walkthrough's return address when the PGO gave none: `<PGO>/launch_callback?task_id=<id>`. */
function defaultReturnUrl(client: Extract<TokenClient, { kind: "pgo" }>, taskId: string): string {
  return `${client.pgo.site.origin}/launch_callback?task_id=${encodeURIComponent(taskId)}`;
}

/** The Task exists for this patient, is the consent's zorgaanbieder's, may start now, and `audience` is the module that runs it. */
function checkLaunch(ctx: GrantContext, patient: string, consent: Consent, taskId: string, audience: string, context: Record<string, string>) {
  const task = ctx.fhir.read(ctx.dva.id, "Task", taskId)?.resource;
  const forPatient = (task?.for as { reference?: string } | undefined)?.reference;
  if (!task || forPatient?.replace(/^.*\/(Patient\/)/, "$1") !== `Patient/${patient}`) {
    throw new OAuthError("invalid_request", `Task/${taskId} bestaat niet voor deze patiënt`);
  }
  // Consent is per zorgaanbieder, also when several share this DVA: the same organisation rule as the FHIR server.
  const rule = orgRule(ctx.fhir, ctx.network, ctx.dva.id, consent.zorgaanbieder);
  if (!allows(rule, "Task", storedOrganisations({ fhir: ctx.fhir, dva: ctx.dva.id, rule }, "Task", taskId))) {
    const name = ctx.network.zorgaanbieders.find((z) => z.name === consent.zorgaanbieder)?.displayName ?? consent.zorgaanbieder;
    throw new OAuthError("invalid_request", `Task/${taskId} is een taak van een andere zorgaanbieder dan ${name}, waarvoor de toestemming van dit subject_token geldt`);
  }
  const status = String(task.status);
  if (!LAUNCHABLE.has(status)) throw new OAuthError("invalid_request", `de taak heeft status ${status} en kan niet gestart worden`);
  const period = task.executionPeriod as { start?: string; end?: string } | undefined;
  if (OPEN.has(status) && ((period?.start && Date.parse(period.start) > ctx.now) || (period?.end && Date.parse(period.end) < ctx.now))) {
    throw new OAuthError("invalid_request", "de taak valt buiten de uitvoeringsperiode (executionPeriod)");
  }
  context.module = audience;
  const module = moduleOfTask(ctx.fhir, ctx.dva.id, task);
  const networkModule = ctx.network.modules.find((m) => m.clients.some((c) => c.dva === ctx.dva.id && c.clientId === audience));
  // RFC 8693 §2.2.2: an unacceptable audience is invalid_target.
  if (!module || module.clientId !== audience || !networkModule) throw new OAuthError("invalid_target", `audience ${audience} is niet de module van deze taak`);
  return networkModule;
}

/** The launch code: single use, bound to the module, the Task, the consent and the return URL. */
function issueLaunch(ctx: GrantContext, client: Extract<TokenClient, { kind: "pgo" }>,
  l: { subject: VerifiedAccessToken & { patient: string }; consent: Consent; taskId: string; audience: string; moduleId: string; returnUrl: string | null; scope: string }, ttl: number): string {
  const code = randomToken();
  const data: LaunchContext = { bsn: l.consent.bsn, patient: l.subject.patient, task: `Task/${l.taskId}`, intent: "startmodule", returnUrl: l.returnUrl,
    audience: l.audience, moduleId: l.moduleId, pgo: client.clientId, scope: l.scope, zorgaanbieder: l.consent.zorgaanbieder, traceId: ctx.traceId,
    flavour: ctx.dva.flavour };
  ctx.store.saveGrant(code, { kind: "launch", clientId: l.audience, consentId: l.consent.id, createdAt: ctx.now, expiresAt: ctx.now + ttl * 1000, data: { ...data } });
  return code;
}
