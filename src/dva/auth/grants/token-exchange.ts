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
import type { GrantHandler } from "./context.ts";
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
}

export const handleTokenExchange: GrantHandler = async (ctx, client, form) => {
  if (client.kind !== "pgo") throw new OAuthError("unauthorized_client", "alleen een PGO vraagt een launch-code aan");
  // SD 3.4 step 2: which person, which task, which PGO (and module) — logged as far as checked, on a refusal too.
  const context: Record<string, string> = { pgo: client.clientId };
  ctx.detail.launch_context = context;
  if (ctx.faults.tokenExchangeError) throw new OAuthError(ctx.faults.tokenExchangeError, "sandbox-storing tokenExchangeError staat aan");

  const requested = form.get("requested_token_type");
  if (!requested || !(LAUNCH_CODE_TYPES as readonly string[]).includes(requested)) {
    throw new OAuthError("invalid_request", `requested_token_type moet ${LAUNCH_CODE_TYPES[0]} zijn (stap: launch-code aanvragen)`);
  }
  if (form.get("subject_token_type") !== ACCESS_TOKEN_TYPE) throw new OAuthError("invalid_request", `subject_token_type moet ${ACCESS_TOKEN_TYPE} zijn`);
  const subjectToken = form.get("subject_token");
  if (!subjectToken) throw new OAuthError("invalid_request", "subject_token ontbreekt");
  // RFC 8693 §2.2.2: an invalid subject_token is invalid_request.
  const subject = await verifyAccessToken(subjectToken, { key: await ctx.signingKey(), issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, store: ctx.store, now: ctx.now });
  if (!subject) throw new OAuthError("invalid_request", "subject_token is ongeldig, verlopen, ingetrokken of niet van deze DVA");
  if (subject.client_id !== client.clientId) throw new OAuthError("invalid_request", "subject_token is aan een andere client uitgegeven");
  const consent = ctx.store.consentOfAccessToken(subject.jti);
  if (!consent || consent.withdrawnAt !== null || !subject.patient) throw new OAuthError("invalid_request", "subject_token hoort niet bij een toestemming voor een bekende patiënt");
  context.person = `Patient/${subject.patient}`;

  const scope = form.get("scope");
  if (!scope) throw new OAuthError("invalid_scope", "scope ontbreekt: gebruik dezelfde scope als bij Verzamelen");
  if (scope !== subject.scope) throw new OAuthError("invalid_scope", `scope ${scope} komt niet overeen met de toestemming (${subject.scope})`);

  let launch: { resource?: unknown; intent?: unknown; return_url?: unknown };
  try { launch = JSON.parse(form.get("smart_launch_context") ?? ""); } catch { throw new OAuthError("invalid_request", "smart_launch_context ontbreekt of is geen JSON"); }
  if (typeof launch !== "object" || launch === null) throw new OAuthError("invalid_request", "smart_launch_context moet een JSON-object zijn");
  const resource = typeof launch.resource === "string" ? /^Task\/([A-Za-z0-9.-]{1,64})$/i.exec(launch.resource) : null;
  if (!resource) throw new OAuthError("invalid_request", "smart_launch_context.resource moet Task/<id> zijn");
  context.task = `Task/${resource[1]}`;
  if (launch.intent !== "startmodule") throw new OAuthError("invalid_request", "smart_launch_context.intent moet startmodule zijn");
  let returnUrl: string | null = null;
  if (launch.return_url !== undefined) {
    // No open redirect: the return URL must be on the requesting PGO's own host.
    let url: URL | null = null;
    try { url = typeof launch.return_url === "string" ? new URL(launch.return_url) : null; } catch { url = null; }
    if (!url || url.origin !== client.pgo.site.origin || url.username || url.password) {
      throw new OAuthError("invalid_request", `return_url moet op ${client.pgo.site.origin} liggen`);
    }
    returnUrl = url.href;
  }

  const task = ctx.fhir.read(ctx.dva.id, "Task", resource[1]!)?.resource;
  const forPatient = (task?.for as { reference?: string } | undefined)?.reference;
  if (!task || forPatient?.replace(/^.*\/(Patient\/)/, "$1") !== `Patient/${subject.patient}`) {
    throw new OAuthError("invalid_request", `Task/${resource[1]} bestaat niet voor deze patiënt`);
  }
  // Consent is per zorgaanbieder, also when several share this DVA: the same organisation rule as the FHIR server.
  const rule = orgRule(ctx.fhir, ctx.network, ctx.dva.id, consent.zorgaanbieder);
  if (!allows(rule, "Task", storedOrganisations({ fhir: ctx.fhir, dva: ctx.dva.id, rule }, "Task", resource[1]!))) {
    const name = ctx.network.zorgaanbieders.find((z) => z.name === consent.zorgaanbieder)?.displayName ?? consent.zorgaanbieder;
    throw new OAuthError("invalid_request", `Task/${resource[1]} is een taak van een andere zorgaanbieder dan ${name}, waarvoor de toestemming van dit subject_token geldt`);
  }
  const status = String(task.status);
  if (!LAUNCHABLE.has(status)) throw new OAuthError("invalid_request", `de taak heeft status ${status} en kan niet gestart worden`);
  const period = task.executionPeriod as { start?: string; end?: string } | undefined;
  if (OPEN.has(status) && ((period?.start && Date.parse(period.start) > ctx.now) || (period?.end && Date.parse(period.end) < ctx.now))) {
    throw new OAuthError("invalid_request", "de taak valt buiten de uitvoeringsperiode (executionPeriod)");
  }

  const audience = form.get("audience");
  if (!audience) throw new OAuthError("invalid_request", "audience ontbreekt: geef de client_id van de module (Endpoint ClientID)");
  context.module = audience;
  const module = moduleOfTask(ctx.fhir, ctx.dva.id, task);
  const networkModule = ctx.network.modules.find((m) => m.clients.some((c) => c.dva === ctx.dva.id && c.clientId === audience));
  // RFC 8693 §2.2.2: an unacceptable audience is invalid_target.
  if (!module || module.clientId !== audience || !networkModule) throw new OAuthError("invalid_target", `audience ${audience} is niet de module van deze taak`);

  if (networkModule.reIdentify || ctx.stepUpSince !== null) {
    const last = ctx.store.lastDigidLogin(consent.bsn);
    if (last === null || ctx.now - last > STEP_UP_WINDOW_MS || (ctx.stepUpSince !== null && last < ctx.stepUpSince)) {
      throw new OAuthError("invalid_grant", "Step up: pas eerst gewone authorization code flow toe (opnieuw inloggen met DigiD)");
    }
  }

  const ttl = ctx.faults.launchCodeTtlSeconds ?? LAUNCH_CODE_TTL_SECONDS;
  const code = randomToken();
  const data: LaunchContext = { bsn: consent.bsn, patient: subject.patient, task: `Task/${resource[1]}`, intent: "startmodule", returnUrl,
    audience, moduleId: networkModule.id, pgo: client.clientId, scope, zorgaanbieder: consent.zorgaanbieder, traceId: ctx.traceId };
  ctx.store.saveGrant(code, { kind: "launch", clientId: audience, consentId: consent.id, createdAt: ctx.now, expiresAt: ctx.now + ttl * 1000, data: { ...data } });
  return { access_token: code, expires_in: ttl, token_type: "NA", issued_token_type: requested, scope };
};
