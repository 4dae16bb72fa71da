/**
 * create, update and history (FHIR R4 http.html#create, #update, #history) with the validation of
 * SPEC §6: resourceType matches the URL, id rules, required elements of SPEC §3, JSON only, and
 * the FHIR R4 structure definitions (schema.ts).
 * Unresolvable references are accepted with a warning: the official MedMij example sets refer to
 * resources that are not published (shared/medmij-examples/README.md) and must load unchanged.
 */
import { AGB_SYSTEM, BSN_SYSTEM, DATA_SERVICE_TAG, EXT_QR_TASK, OTHER_PROVIDER_TASK_TAGS } from "../../shared/fhir-profiles.ts";
import { OperationOutcomeError, badRequest, forbidden, malformed, notFound, preconditionFailed, unprocessable, type Issue } from "../../shared/operation-outcome.ts";
import { answersLaunch, canRead, mayRefer, organisationsOfResource, requireScope, storedOrganisations, writable, type Access } from "./access.ts";
import { allowedTransition, checkType, conditionalMatches, type FhirContext, type FhirResult } from "./rest.ts";
import { matches } from "./search.ts";
import { parseSearch } from "./search-params.ts";
import { checkSchema } from "./schema.ts";
import { normalizeReference, type Resource } from "./search-index.ts";
import { ID_PATTERN, VersionConflictError, type StoredResource } from "./store.ts";

const TASK_STATUSES = ["draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress", "on-hold", "failed", "completed", "entered-in-error"];

/** SPEC §3 required elements, with the FHIRPath of the element for the OperationOutcome. */
function requiredElements(r: Resource): [string, unknown][] {
  switch (r.resourceType) {
    case "Task": return [["Task.status", r.status], ["Task.intent", r.intent], ["Task.for", r.for]];
    case "ActivityDefinition": return [["ActivityDefinition.status", r.status]];
    case "Endpoint": return [["Endpoint.status", r.status], ["Endpoint.address", r.address], ["Endpoint.connectionType", r.connectionType], ["Endpoint.payloadType", r.payloadType]];
    case "QuestionnaireResponse": return [["QuestionnaireResponse.status", r.status]];
    case "ServiceRequest": return [["ServiceRequest.status", r.status], ["ServiceRequest.intent", r.intent], ["ServiceRequest.subject", r.subject]];
    default: return [];
  }
}

/** Deeper than any FHIR resource the sandbox serves nests (a Questionnaire with nested groups is ~20). */
export const MAX_DEPTH = 64;

/**
 * Well-formed JSON of bounded depth, without nulls (FHIR JSON has none, except inside the `_x`
 * arrays that align primitive extensions), checked without recursion; or 400 structure.
 */
export function parseJsonBody(text: string): unknown {
  let body: unknown;
  try { body = JSON.parse(text); } catch { throw malformed("de body is geen geldige JSON"); }
  const stack: [unknown, number, string][] = [[body, 0, ""]];
  while (stack.length) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_DEPTH) throw malformed(`de body is dieper genest dan ${MAX_DEPTH} niveaus`);
    const list = Array.isArray(value);
    const alignment = list && /(^|\.)_[A-Za-z]\w*$/.test(path);
    for (const [key, child] of Object.entries(value)) {
      const at = list ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (child === null && !alignment) throw malformed(`null is geen geldige FHIR-waarde (${at})`, at);
      stack.push([child, depth + 1, list ? path : at]);
    }
  }
  return body;
}

export function parseResourceBody(text: string): Resource {
  const body = parseJsonBody(text);
  if (typeof body !== "object" || body === null || Array.isArray(body) || typeof (body as Resource).resourceType !== "string") {
    throw badRequest("de body is geen FHIR-resource (resourceType ontbreekt)");
  }
  const meta = (body as Resource).meta as unknown;
  if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta))) throw badRequest("meta moet een object zijn", "meta");
  for (const list of ["tag", "profile", "security"] as const) {
    const value = (meta as Record<string, unknown> | undefined)?.[list];
    if (value !== undefined && !Array.isArray(value)) throw badRequest(`meta.${list} moet een lijst zijn`, `meta.${list}`);
  }
  return body as Resource;
}

/** Check a resource before it is written; returns warnings (unresolved references). */
export function validate(ctx: FhirContext, type: string, r: Resource, previous?: Resource): Issue[] {
  if (r.resourceType !== type) throw badRequest(`resourceType ${r.resourceType} past niet bij ${type} in de URL`, "resourceType");
  if (r.id !== undefined && (typeof r.id !== "string" || !ID_PATTERN.test(r.id))) throw badRequest("id mag alleen A-Z, a-z, 0-9, '-' en '.' bevatten (max. 64)", `${type}.id`);
  for (const [path, value] of requiredElements(r)) {
    if (value === undefined || value === null || value === "") throw unprocessable(`${path} is verplicht (SPEC §3)`, path);
  }
  if (type === "Task" && typeof r.status === "string" && !TASK_STATUSES.includes(r.status)) throw unprocessable(`Task.status ${r.status} is geen FHIR-taakstatus`, "Task.status");
  // FHIR R4 structure (types, lists, formats, unknown elements): 400 naming every problem.
  checkSchema(type, r);
  const warnings: Issue[] = [];
  // Cancelling needs a reason (AM-FE-007/030). A Task that arrives already cancelled (published
  // example material does) is accepted with a warning.
  if (type === "Task" && r.status === "cancelled" && !(r.statusReason as { text?: string } | undefined)?.text) {
    if (previous && previous.status !== "cancelled") throw unprocessable("annuleren vraagt een reden in statusReason.text", "Task.statusReason");
    warnings.push({ severity: "warning", code: "required", diagnostics: "een geannuleerde taak hoort een reden in statusReason.text te hebben", expression: ["Task.statusReason"] });
  }
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "reference" && typeof x === "string") {
          const ref = normalizeReference(x);
          if (ref && x.includes("://") && !x.startsWith(`${ctx.fhirBase}/`)) {
            // Search, includes, the patient compartment and ownership read references by type and id.
            warnings.push({ severity: "warning", code: "value", diagnostics: `verwijzing ${x} wijst naar een andere server; de sandbox leest hem als ${ref} bij deze DVA`, expression: [path] });
          } else if (ref && !x.includes("://") && !ctx.store.compartmentOf(ctx.dva, ref.split("/")[0]!, ref.split("/")[1]!) && ref !== `${type}/${r.id}`) {
            warnings.push({ severity: "warning", code: "not-found", diagnostics: `verwijzing ${ref} bestaat (nog) niet bij deze DVA`, expression: [path] });
          }
        } else walk(x, `${path}.${k}`);
      }
    }
  };
  walk(r, type);
  if (type === "Task") warnings.push(...dataServiceTagWarnings(r));
  return warnings;
}

const tagText = (t: { system: string; code: string }) => `${t.system}|${t.code}`;

/**
 * A PGO collects only the Tasks that carry the data service's tag (SPEC §3; Task?_tag=…): a Task
 * without it is stored but shown in no PGO, and one with an older generation's tag only in PGOs
 * that also ask for that one (the sandbox PGO does). Said as a warning, so a writer that built its
 * Task from the SD 3.1 example (which has no tag) finds out at once.
 */
function dataServiceTagWarnings(r: Resource): Issue[] {
  const tags = (Array.isArray(r.meta?.tag) ? r.meta.tag : []) as { system?: unknown; code?: unknown }[];
  const has = (t: { system: string; code: string }) => tags.some((x) => x?.system === t.system && x?.code === t.code);
  if (has(DATA_SERVICE_TAG)) return [];
  const older = OTHER_PROVIDER_TASK_TAGS.find(has);
  if (older) {
    return [{ severity: "warning", code: "value", expression: ["Task.meta.tag"], diagnostics: `de Task heeft meta.tag ${tagText(older)} van een andere generatie, `
      + `niet ${tagText(DATA_SERVICE_TAG)} (SPEC §3): de sandbox-PGO verzamelt hem, een PGO die alleen op die tag zoekt niet; voeg de tag ${tagText(DATA_SERVICE_TAG)} toe` }];
  }
  return [{ severity: "warning", code: "required", expression: ["Task.meta.tag"], diagnostics: `de Task heeft geen meta.tag ${tagText(DATA_SERVICE_TAG)} (SPEC §3): `
    + `PGO's verzamelen alleen Tasks met die tag (Task?_tag=...), dus geen PGO toont deze taak; voeg de tag toe` }];
}

function written(saved: { resource: Resource; versionId: number; lastUpdated: string }, status: number, fhirBase: string, warnings: Issue[]): FhirResult {
  return {
    status, body: saved.resource, etag: `W/"${saved.versionId}"`, lastModified: new Date(saved.lastUpdated).toUTCString(),
    location: `${fhirBase}/${saved.resource.resourceType}/${saved.resource.id}/_history/${saved.versionId}`, warnings,
  };
}

/**
 * @see https://hl7.org/fhir/R4/http.html#create — the server assigns the id.
 * @see https://hl7.org/fhir/R4/http.html#ccreate — with If-None-Exist, a single match is answered
 * 200 with that resource and nothing is written; several matches are 412. A zorgaanbieder that
 * registers a person the DVA already knows (If-None-Exist on the BSN) is linked to that Patient.
 */
export function create(ctx: FhirContext, type: string, text: string, ifNoneExist: string | null = null): FhirResult {
  checkType(type);
  requireScope(ctx.access, type, "c");
  const r = parseResourceBody(text);
  const warnings = validate(ctx, type, r);
  if (ifNoneExist !== null) {
    const params = new URLSearchParams(ifNoneExist.replace(/^\?/, ""));
    const found = conditionalMatches(ctx, type, params);
    if (found.length > 1) throw preconditionFailed(`If-None-Exist vindt ${found.length} ${type}-resources; maak de criteria specifieker`);
    if (found.length === 1) return written(found[0]!, 200, ctx.fhirBase, warnings);
    const known = type === "Patient" && ctx.access.kind === "system" ? holderOfBsn(ctx, r) : null;
    if (known && matches(known, parseSearch(type, params))) {
      const organisation = ownOrganisation(ctx.access);
      if (organisation) ctx.store.register(ctx.dva, "Patient", known.resource.id!, organisation, ctx.now());
      return written(known, 200, ctx.fhirBase, [...warnings, { severity: "information", code: "informational",
        diagnostics: `deze persoon is al bekend bij de DVA als Patient/${known.resource.id}; uw organisatie is eraan gekoppeld` }]);
    }
  }
  mayWrite(ctx, r, null);
  const { id: _ignored, ...rest } = r;
  // Task.lastModified: the writer's value is kept (the official examples round-trip unchanged); a Task without one gets the time of its creation.
  const saved = ctx.store.save(ctx.dva, { ...rest, resourceType: type, ...(type === "Task" && rest.lastModified === undefined ? { lastModified: ctx.now().toISOString() } : {}) } as Resource,
    { now: ctx.now(), registeredBy: ownOrganisation(ctx.access), relates: relationOf(ctx.access, type) });
  // http.html#create: the server ignores an id in the body. References to that id would point nowhere, so the writer is told.
  if (r.id !== undefined) {
    warnings.push({ severity: "warning", code: "value", expression: [`${type}.id`],
      diagnostics: `id genegeerd; gebruik PUT om zelf een id te kiezen (${type}/${String(r.id)} is opgeslagen als ${type}/${saved.resource.id})` });
  }
  return written(saved, 201, ctx.fhirBase, warnings);
}

/** @see https://hl7.org/fhir/R4/http.html#update — create-on-update allowed for system tokens. */
export function update(ctx: FhirContext, type: string, id: string, text: string, ifMatch: string | null): FhirResult {
  checkType(type);
  const current = ctx.store.read(ctx.dva, type, id);
  // Another's resource reads as absent: it is neither updated nor created over (404).
  if (current && !canRead(ctx.access, current.resource)) {
    requireScope(ctx.access, type, "u");
    throw notFound(`${type}/${id} bestaat niet`);
  }
  requireScope(ctx.access, type, current ? "u" : "c");
  const r = parseResourceBody(text);
  if (r.id !== id) throw badRequest(`id in de body (${String(r.id)}) moet gelijk zijn aan die in de URL (${id})`, `${type}.id`);
  const warnings = validate(ctx, type, r, current?.resource);
  // SPEC §6 status rules hold for a whole-resource update as for a patch.
  if (type === "Task" && current && !allowedTransition(String(current.resource.status), String(r.status))) {
    throw unprocessable(`statusovergang ${String(current.resource.status)} → ${String(r.status)} is niet toegestaan`, "Task.status");
  }
  if (ctx.access.kind !== "system" && !current) throw notFound(`${type}/${id} bestaat niet`);
  mayWrite(ctx, r, current);
  const expected = ifMatch ? /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim())?.[1] : undefined;
  if (ifMatch && !expected) throw badRequest("If-Match moet een ETag zijn zoals W/\"3\"");
  // Task.lastModified as on create: kept when the body carries it, else the time of this write.
  const toSave = type === "Task" && r.lastModified === undefined ? { ...r, lastModified: ctx.now().toISOString() } : r;
  try {
    const saved = ctx.store.save(ctx.dva, toSave, { ...(expected ? { ifMatch: Number(expected) } : {}), now: ctx.now(),
      registeredBy: current && type !== "Patient" ? undefined : ownOrganisation(ctx.access), relates: relationOf(ctx.access, type) });
    return written(saved, current ? 200 : 201, ctx.fhirBase, warnings);
  } catch (e) {
    if (e instanceof VersionConflictError) throw preconditionFailed(`versie ${expected} is niet de huidige (${e.actual ?? "geen"})`);
    throw e;
  }
}

/** The Organization a system token's writes are registered to (its zorgaanbieder's), if the DVA has it. */
function ownOrganisation(access: Access): string | undefined {
  return access.kind === "system" ? [...access.rule.own][0] : undefined;
}

/** A zorgaanbieder's system that writes a Task or ServiceRequest for a person has a relation with that person. */
export function relationOf(access: Access, type: string): string | undefined {
  return type === "Task" || type === "ServiceRequest" ? ownOrganisation(access) : undefined;
}

/** Every write's ownership and content rules, per kind of token (issue 10). */
function mayWrite(ctx: FhirContext, r: Resource, current: StoredResource | null): void {
  if (r.resourceType === "Patient") uniqueBsn(ctx, r, current?.resource ?? null);
  if (ctx.access.kind === "module") moduleMayWriteResponse(ctx, ctx.access, r, current?.resource ?? null);
  if (ctx.access.kind === "system") systemMayWrite(ctx, ctx.access, r, current);
  mayRefer(ctx.access, r, current?.resource ?? null);
}


/**
 * A zorgaanbieder's system writes only what is its own: nothing that names another
 * zorgaanbieder of this DVA (a Task's or ServiceRequest's requester and owner, an
 * ActivityDefinition's Endpoint or publisher, an Organization's AGB), and nothing the DVA's
 * zorgaanbieders share that nobody owns (the seeded instruments). A Patient it may change when
 * it has a relation with the person (canRead), and registering one links it.
 */
function systemMayWrite(ctx: FhirContext, access: Extract<Access, { kind: "system" }>, r: Resource, current: StoredResource | null): void {
  if (r.resourceType === "Patient") return;
  const orgs = organisationsOfResource(access, r);
  if (!writable(access.rule, orgs)) {
    throw forbidden(`deze ${r.resourceType} hoort bij een andere zorgaanbieder (${orgs.filter((o) => access.rule.others.has(o)).join(", ")}); u schrijft alleen voor uw eigen organisatie`);
  }
  if (r.resourceType === "Organization") {
    const agbs = (Array.isArray(r.identifier) ? r.identifier : []).filter((i: { system?: unknown }) => i?.system === AGB_SYSTEM).map((i: { value?: unknown }) => String(i.value));
    const taken = ctx.networkAgbs.filter((z) => z.zorgaanbieder !== access.zorgaanbieder && agbs.includes(z.agb));
    if (taken.length) throw forbidden(`AGB ${taken[0]!.agb} is van ${taken[0]!.zorgaanbieder}; een Organization met die AGB kan alleen die zorgaanbieder schrijven`);
  }
  // What exists changes only by its owner: not what the DVA's zorgaanbieders share (the seeded
  // instruments), nor data of organisations outside the network that another system loaded.
  if (current && !storedOrganisations(access, r.resourceType, r.id!).some((o) => access.rule.own.has(o))) {
    throw forbidden(`${r.resourceType}/${r.id} is niet van uw organisatie (de DVA deelt hem, of een ander systeem registreerde hem); alleen de eigenaar wijzigt hem`);
  }
}

/**
 * One person, one Patient (issue 10): a Patient carries at most one BSN, no second Patient may
 * carry a BSN the DVA knows (409, naming the one that holds it), and a Patient's BSN does not
 * change once set — the token of whoever logs in with it is bound to that Patient.
 */
function uniqueBsn(ctx: FhirContext, r: Resource, current: Resource | null): void {
  const bsns = bsnsOf(r);
  if (bsns.length > 1) throw unprocessable(`een Patient heeft één BSN, niet ${bsns.join(" en ")}`, "Patient.identifier");
  const before = current ? bsnsOf(current) : [];
  if (before.length && (bsns.length !== 1 || bsns[0] !== before[0])) {
    throw unprocessable(`het BSN van Patient/${current!.id} (${before[0]}) wijzigt niet; een ander BSN is een andere persoon`, "Patient.identifier");
  }
  const holder = bsns[0] ? ctx.store.findByIdentifier(ctx.dva, "Patient", BSN_SYSTEM, bsns[0]).find((p) => p.resource.id !== r.id) : undefined;
  if (holder) {
    throw new OperationOutcomeError(409, { severity: "error", code: "duplicate", expression: ["Patient.identifier"],
      diagnostics: `BSN ${bsns[0]} is bij deze DVA al geregistreerd als Patient/${holder.resource.id}; één persoon heeft één Patient. `
        + `Registreer met If-None-Exist: identifier=${BSN_SYSTEM}|${bsns[0]} om uw organisatie aan die Patient te koppelen.` });
  }
}

/** The distinct BSNs a resource's identifiers carry. */
const bsnsOf = (r: Resource): string[] => [...new Set((Array.isArray(r.identifier) ? r.identifier : [])
  .filter((i: { system?: unknown; value?: unknown }) => i?.system === BSN_SYSTEM && typeof i.value === "string").map((i: { value: string }) => i.value))];

/** The Patient that holds this resource's BSN, other than itself. */
function holderOfBsn(ctx: FhirContext, r: Resource): StoredResource | null {
  const bsn = bsnsOf(r)[0];
  return bsn ? ctx.store.findByIdentifier(ctx.dva, "Patient", BSN_SYSTEM, bsn).find((p) => p.resource.id !== r.id) ?? null : null;
}

/**
 * A module writes only its patient's QuestionnaireResponses that answer the launched Task, and
 * never changes one that is completed: an amendment is status `amended` (or a new resource),
 * per FHIR QuestionnaireResponse.status.
 */
function moduleMayWriteResponse(ctx: FhirContext, access: Extract<Access, { kind: "module" }>, r: Resource, current: Resource | null): void {
  if (r.resourceType !== "QuestionnaireResponse") throw forbidden("een module maakt alleen QuestionnaireResponses aan (en wijzigt alleen de gestarte Task)");
  if (current && !answersLaunch(access, current)) throw forbidden(`QuestionnaireResponse/${current.id} hoort niet bij de gestarte taak ${access.task}; een module wijzigt alleen die antwoorden`);
  if (normalizeReference((r.subject as { reference?: string } | undefined)?.reference) !== `Patient/${access.patient}`) {
    throw unprocessable(`subject moet de patiënt van de launch zijn (Patient/${access.patient})`, "QuestionnaireResponse.subject");
  }
  if (!answersLaunch(access, r)) {
    throw unprocessable(`een module schrijft alleen antwoorden op de gestarte taak: extensie ${EXT_QR_TASK} moet naar ${access.task} wijzen`, "QuestionnaireResponse.extension");
  }
  // QuestionnaireResponse.status: completed → amended; amended → amended; stopped and entered-in-error are final.
  if (current && current.status !== "in-progress" && !(["completed", "amended"].includes(String(current.status)) && r.status === "amended")) {
    throw unprocessable(`een ${String(current.status)} QuestionnaireResponse gaat niet terug naar ${String(r.status)}; een wijziging van afgeronde antwoorden is status amended (of een nieuwe)`, "QuestionnaireResponse.status");
  }
}


/** @see https://hl7.org/fhir/R4/http.html#history */
export function history(ctx: FhirContext, type: string, id: string, selfUrl: string): FhirResult {
  checkType(type);
  requireScope(ctx.access, type, "r");
  // The read rule holds per version: a resource that moved to another patient shows each only theirs.
  const versions = ctx.store.history(ctx.dva, type, id).filter((v) => canRead(ctx.access, v.resource));
  if (versions.length === 0) throw notFound(`${type}/${id} bestaat niet`);
  return { status: 200, body: { resourceType: "Bundle", type: "history", total: versions.length, link: [{ relation: "self", url: selfUrl }],
    entry: versions.map((v) => ({ fullUrl: `${ctx.fhirBase}/${type}/${id}`, resource: v.resource,
      request: { method: v.versionId === 1 ? "POST" : "PUT", url: `${type}/${id}` }, response: { status: v.versionId === 1 ? "201" : "200", etag: `W/"${v.versionId}"` } })) } };
}
