/**
 * A launch that does not come from a PGO's token exchange (issue 14 §4, issue 15 §3): the
 * cockpit's launch link generator and a Koppeltaal 2.0 HTI launch token. Either way the DVA checks
 * the Task (its patient with a BSN, its zorgaanbieder here, the module) and mints a launch grant as
 * the token exchange would, with a once-consent of the person whose client is the launcher.
 */
import { jwtVerify, createLocalJWKSet } from "jose";
import { signJwt } from "../../shared/keys.ts";
import { randomToken } from "../../shared/crypto.ts";
import { BSN_SYSTEM } from "../../shared/fhir-profiles.ts";
import { OAuthError } from "../../shared/oauth-error.ts";
import { allows, orgRule, storedOrganisations } from "../fhir/access.ts";
import type { AuthDeps } from "./deps.ts";
import type { LaunchContext } from "./grants/token-exchange.ts";
import { moduleOfTask } from "./task-module.ts";

export const LAUNCH_SIMULATIONS = ["expired", "wrong-audience", "step-up", "dva-down", "return-unavailable"] as const;
export type LaunchSimulation = (typeof LAUNCH_SIMULATIONS)[number];
const DIRECT_LAUNCH_TTL_MS = 10 * 60_000;
/** HTI 2.0: "exp MUST be limited to 5 minutes". */
export const HTI_TTL_SECONDS = 300;
/** Koppeltaal's Endpoint connection type for modules launched with HTI (vzvznl/Koppeltaal-2.0-FHIR KoppeltaalEndpointConnectionType.fsh). */
export const HTI_CONNECTION_TYPE = { system: "http://vzvz.nl/fhir/CodeSystem/koppeltaal-endpoint-connection-type", code: "hti-smart-on-fhir" } as const;

export interface LaunchTarget { bsn: string; patient: string; taskId: string; zorgaanbieder: { name: string; scope: string }; clientId: string; moduleId: string; launchUrl: string; definition: string | null }

/** The Task's person, zorgaanbieder and module at this DVA (`clientId` another module's if given); OAuthError `invalid_request` otherwise. */
export function launchTarget(d: AuthDeps, taskId: unknown, clientId?: unknown): LaunchTarget {
  const { dva } = d;
  const task = typeof taskId === "string" ? d.fhir.read(dva.id, "Task", taskId)?.resource : undefined;
  if (!task) throw new OAuthError("invalid_request", `Task ${String(taskId)} bestaat niet bij ${dva.name}`);
  const patientRef = String((task.for as { reference?: string } | undefined)?.reference ?? "").replace(/^.*\/(Patient\/)/, "$1");
  const patient = patientRef ? d.fhir.read(dva.id, "Patient", patientRef.replace(/^Patient\//, ""))?.resource : undefined;
  const bsn = ((patient?.identifier ?? []) as { system?: string; value?: string }[]).find((i) => i.system === BSN_SYSTEM)?.value;
  if (!patient || !bsn) throw new OAuthError("invalid_request", "de taak hoort bij geen patiënt met een BSN");
  const za = d.ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id)
    .find((z) => { const rule = orgRule(d.fhir, d.ctx.network, dva.id, z.name); return allows(rule, "Task", storedOrganisations({ fhir: d.fhir, dva: dva.id, rule }, "Task", String(task.id))); });
  if (!za) throw new OAuthError("invalid_request", "de taak hoort bij geen zorgaanbieder van deze DVA");
  const module = moduleOfTask(d.fhir, dva.id, task);
  const audience = typeof clientId === "string" && clientId ? clientId : module?.clientId;
  const networkModule = d.ctx.network.modules.find((m) => m.clients.some((c) => c.dva === dva.id && c.clientId === audience));
  if (!audience || !networkModule) throw new OAuthError("invalid_request", `${String(audience)} is geen module bij ${dva.name}`);
  return { bsn, patient: String(patient.id), taskId: String(task.id), zorgaanbieder: { name: za.name, scope: za.scope }, clientId: audience, moduleId: networkModule.id,
    launchUrl: networkModule.launchUrl, definition: typeof module?.activityDefinition.url === "string" ? module.activityDefinition.url : null };
}

/** A launch grant for `t`, issued by `launcher` (the cockpit, Koppeltaal); `simulate` marks it for the launch link generator. */
export function mintLaunch(d: AuthDeps, t: LaunchTarget, o: { launcher: string; returnUrl: string | null; simulate?: LaunchSimulation | null; traceId?: string }): string {
  const now = Date.now();
  const consent = d.store.createConsent({ bsn: t.bsn, clientId: o.launcher, zorgaanbieder: t.zorgaanbieder.name, kind: "once", createdAt: now, expiresAt: now + DIRECT_LAUNCH_TTL_MS });
  // "wrong-audience": the code is issued to another module than the one that will present it.
  const other = d.ctx.network.modules.flatMap((m) => m.clients).find((c) => c.dva === d.dva.id && c.clientId !== t.clientId)?.clientId ?? `niet-${t.clientId}`;
  const code = randomToken();
  const data: LaunchContext & { simulate?: LaunchSimulation } = { bsn: t.bsn, patient: t.patient, task: `Task/${t.taskId}`, intent: "startmodule", returnUrl: o.returnUrl,
    audience: t.clientId, moduleId: t.moduleId, pgo: o.launcher, scope: t.zorgaanbieder.scope, zorgaanbieder: t.zorgaanbieder.name, flavour: d.dva.flavour,
    ...(o.traceId ? { traceId: o.traceId } : {}), ...(o.simulate ? { simulate: o.simulate } : {}) };
  d.store.saveGrant(code, { kind: "launch", clientId: o.simulate === "wrong-audience" ? other : t.clientId, consentId: consent.id, createdAt: now,
    expiresAt: o.simulate === "expired" ? now - 1000 : now + DIRECT_LAUNCH_TTL_MS, data: { ...data } });
  return code;
}

/**
 * A standalone launch (KoppelMij 2026 `launch-standalone`, `context-standalone-patient`): after
 * DigiD the person is known; the patient context is their Patient here, at the first zorgaanbieder
 * of this DVA (network order) that knows them and offers this module (an Endpoint with its
 * client_id); a once-consent with the module as its client. No Task: the token reads, it writes no Task.
 */
export function standaloneLaunch(d: AuthDeps, bsn: string, clientId: string): LaunchContext {
  const { dva } = d;
  const { patient, module, za } = standaloneTarget(d, bsn, clientId);
  const now = Date.now();
  const consent = d.store.createConsent({ bsn, clientId, zorgaanbieder: za.name, kind: "once", createdAt: now, expiresAt: now + DIRECT_LAUNCH_TTL_MS });
  return { bsn, patient, task: "", intent: "", returnUrl: null, audience: clientId, moduleId: module.id, pgo: "standalone",
    scope: za.scope, zorgaanbieder: za.name, flavour: dva.flavour, consentId: consent.id } as LaunchContext & { consentId: string };
}

/** Whose data a standalone launch would read (for its confirmation page and the launch); OAuthError access_denied when none fits. */
export function standaloneTarget(d: AuthDeps, bsn: string, clientId: string) {
  const { dva } = d;
  const patient = d.fhir.findByIdentifier(dva.id, "Patient", BSN_SYSTEM, bsn)[0]?.resource;
  const module = d.ctx.network.modules.find((m) => m.clients.some((c) => c.dva === dva.id && c.clientId === clientId));
  if (!patient || !module) throw new OAuthError("access_denied", `deze persoon is bij ${dva.name} niet bekend`);
  const offered = new Set(d.fhir.all(dva.id, "Endpoint").filter((e) => e.resource.status === "active" && ((e.resource.extension ?? []) as { valueString?: string }[]).some((x) => x.valueString === clientId))
    .map((e) => String((e.resource.managingOrganization as { reference?: string } | undefined)?.reference ?? "")));
  const za = d.ctx.network.zorgaanbieders.filter((z) => z.dva === dva.id).find((z) => {
    const rule = orgRule(d.fhir, d.ctx.network, dva.id, z.name);
    return allows(rule, "Patient", storedOrganisations({ fhir: d.fhir, dva: dva.id, rule }, "Patient", String(patient.id))) && [...offered].some((o) => rule.own.has(o));
  });
  if (!za) throw new OAuthError("access_denied", `geen zorgaanbieder bij ${dva.name} kent deze persoon en biedt deze module aan`);
  return { patient: String(patient.id), module, za, moduleName: module.name, zorgaanbiederName: za.displayName };
}

/**
 * An HTI 2.0 launch token as a Koppeltaal platform issues it (GIDS-HTI-Protocol HTI_2.0.md;
 * Koppeltaal kop-kt-007): `resource` the Task, `definition` its ActivityDefinition, `sub` the
 * launching person (here the patient), `patient`, `intent`, `hti-version` 2.0, `aud` the module
 * (its client_id here; Koppeltaal names a Device), `iss` this DVA (which plays the launching
 * platform in the sandbox), `jti`, `iat`, `exp` after 5 minutes; ES256 with the DVA's `kid`.
 */
export async function issueHtiToken(d: AuthDeps, t: LaunchTarget): Promise<string> {
  const key = await d.signingKey();
  const iat = Math.floor(Date.now() / 1000);
  return signJwt(key, "JWT", { resource: `Task/${t.taskId}`, ...(t.definition ? { definition: t.definition } : {}), patient: `Patient/${t.patient}`, intent: "plan", "hti-version": "2.0",
    iss: d.dva.auth.origin, aud: t.clientId, sub: `Patient/${t.patient}`, jti: crypto.randomUUID(), iat, exp: iat + HTI_TTL_SECONDS });
}

/**
 * An HTI token of this DVA for `clientId` (its `aud`: the client_id, or `Device/<client_id>` as
 * Koppeltaal names the module), at most 5 minutes old: its claims; OAuthError with why not. The
 * `jti` is not consumed here (introspection may look first; the launch takes it).
 */
export async function verifyHti(d: AuthDeps, token: string, clientId: string | null): Promise<Record<string, unknown>> {
  const key = await d.signingKey();
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), { issuer: d.dva.auth.origin,
      audience: clientId ? [clientId, `Device/${clientId}`] : [], algorithms: ["ES256"], maxTokenAge: HTI_TTL_SECONDS });
    // Only an HTI token: the DVA signs other JWTs with the same key (access and id tokens), none with these claims.
    if (payload["hti-version"] !== "2.0" || typeof payload.resource !== "string") throw new Error("geen HTI 2.0-token (hti-version 2.0 en resource verplicht)");
    return payload as Record<string, unknown>;
  } catch (e) {
    throw new OAuthError("invalid_request", `het HTI-launchtoken is ongeldig: ${(e as Error).message}`);
  }
}

/**
 * A Koppeltaal launch at /connect/authorize (issue 15 §3, a DVA with `koppeltaal: true`): the HTI
 * token verified (this DVA's key, `aud` the module presenting it, at most 5 minutes, `jti` once),
 * then a launch grant as for any launch. Returns its code; OAuthError `invalid_request` with why not.
 */
export async function launchFromHti(d: AuthDeps, token: string, clientId: string | null): Promise<string> {
  const claims = await verifyHti(d, token, clientId);
  const resource = typeof claims.resource === "string" ? /^Task\/([A-Za-z0-9.-]{1,64})$/.exec(claims.resource)?.[1] : undefined;
  if (!resource) throw new OAuthError("invalid_request", "het HTI-launchtoken noemt geen Task als resource");
  if (typeof claims.jti !== "string" || !d.store.useAssertion(`hti:${claims.jti}`, Number(claims.exp) * 1000, Date.now())) throw new OAuthError("invalid_request", "het HTI-launchtoken is al gebruikt (jti)");
  const target = launchTarget(d, resource, clientId);
  return mintLaunch(d, target, { launcher: "koppeltaal", returnUrl: null });
}
