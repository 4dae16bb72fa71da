/**
 * create, update and history (FHIR R4 http.html#create, #update, #history) with the validation of
 * SPEC §6: resourceType matches the URL, id rules, required elements of SPEC §3, JSON only.
 * Unresolvable references are accepted with a warning: the official MedMij example sets refer to
 * resources that are not published (shared/medmij-examples/README.md) and must load unchanged.
 */
import { badRequest, forbidden, malformed, notFound, preconditionFailed, unprocessable, type Issue } from "../../shared/operation-outcome.ts";
import { canRead, requireWrite } from "./access.ts";
import { allowedTransition, checkType, conditionalMatches, type FhirContext, type FhirResult } from "./rest.ts";
import { normalizeReference, type Resource } from "./search-index.ts";
import { ID_PATTERN, VersionConflictError } from "./store.ts";

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
  if (type === "Task" && !TASK_STATUSES.includes(String(r.status))) throw unprocessable(`Task.status ${String(r.status)} is geen FHIR-taakstatus`, "Task.status");
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
          } else if (ref && !x.includes("://") && !ctx.store.read(ctx.dva, ref.split("/")[0]!, ref.split("/")[1]!) && ref !== `${type}/${r.id}`) {
            warnings.push({ severity: "warning", code: "not-found", diagnostics: `verwijzing ${ref} bestaat (nog) niet bij deze DVA`, expression: [path] });
          }
        } else walk(x, `${path}.${k}`);
      }
    }
  };
  walk(r, type);
  return warnings;
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
 * 200 with that resource and nothing is written; several matches are 412.
 */
export function create(ctx: FhirContext, type: string, text: string, ifNoneExist: string | null = null): FhirResult {
  checkType(type);
  // SPEC §5: a module token may create its patient's QuestionnaireResponse (moduleMayCreate checks which).
  if (!(ctx.access.kind === "module" && type === "QuestionnaireResponse")) requireWrite(ctx.access, type);
  const r = parseResourceBody(text);
  const warnings = validate(ctx, type, r);
  if (ifNoneExist !== null) {
    const found = conditionalMatches(ctx, type, new URLSearchParams(ifNoneExist.replace(/^\?/, "")));
    if (found.length > 1) throw preconditionFailed(`If-None-Exist vindt ${found.length} ${type}-resources; maak de criteria specifieker`);
    if (found.length === 1) return written(found[0]!, 200, ctx.fhirBase, warnings);
  }
  if (ctx.access.kind === "module") moduleMayCreate(ctx, r);
  systemMayWrite(ctx, r);
  const { id: _ignored, ...rest } = r;
  const saved = ctx.store.save(ctx.dva, { ...rest, resourceType: type, ...(type === "Task" ? { lastModified: ctx.now().toISOString() } : {}) } as Resource, { now: ctx.now() });
  return written(saved, 201, ctx.fhirBase, warnings);
}

/** @see https://hl7.org/fhir/R4/http.html#update — create-on-update allowed for system tokens. */
export function update(ctx: FhirContext, type: string, id: string, text: string, ifMatch: string | null): FhirResult {
  checkType(type);
  if (!(ctx.access.kind === "module" && type === "QuestionnaireResponse")) requireWrite(ctx.access, type);
  const r = parseResourceBody(text);
  if (r.id !== id) throw badRequest(`id in de body (${String(r.id)}) moet gelijk zijn aan die in de URL (${id})`, `${type}.id`);
  const current = ctx.store.read(ctx.dva, type, id);
  const warnings = validate(ctx, type, r, current?.resource);
  // SPEC §6 status rules hold for a whole-resource update as for a patch.
  if (type === "Task" && current && !allowedTransition(String(current.resource.status), String(r.status))) {
    throw unprocessable(`statusovergang ${String(current.resource.status)} → ${String(r.status)} is niet toegestaan`, "Task.status");
  }
  if (ctx.access.kind !== "system") {
    if (!current || !canRead(ctx.access, current.resource)) throw notFound(`${type}/${id} bestaat niet`);
    if (ctx.access.kind === "module") moduleMayCreate(ctx, r);
  } else {
    if (current && !canRead(ctx.access, current.resource)) throw notFound(`${type}/${id} bestaat niet`);
    systemMayWrite(ctx, r);
  }
  const expected = ifMatch ? /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim())?.[1] : undefined;
  if (ifMatch && !expected) throw badRequest("If-Match moet een ETag zijn zoals W/\"3\"");
  try {
    const saved = ctx.store.save(ctx.dva, r, { ...(expected ? { ifMatch: Number(expected) } : {}), now: ctx.now() });
    return written(saved, current ? 200 : 201, ctx.fhirBase, warnings);
  } catch (e) {
    if (e instanceof VersionConflictError) throw preconditionFailed(`versie ${expected} is niet de huidige (${e.actual ?? "geen"})`);
    throw e;
  }
}

/** A zorgaanbieder's system writes only resources of its own organisation. */
function systemMayWrite(ctx: FhirContext, r: Resource): void {
  if (ctx.access.kind === "system" && !ctx.access.owns(r)) throw forbidden(`deze ${r.resourceType} hoort bij een andere zorgaanbieder`);
}

/** A module may write only its patient's QuestionnaireResponses (SPEC §5). */
function moduleMayCreate(ctx: FhirContext, r: Resource): void {
  if (ctx.access.kind !== "module") return;
  if (r.resourceType !== "QuestionnaireResponse") throw forbidden("een module maakt alleen QuestionnaireResponses aan (en wijzigt alleen de gestarte Task)");
  const subject = normalizeReference((r.subject as { reference?: string } | undefined)?.reference);
  if (subject !== `Patient/${ctx.access.patient}`) throw unprocessable("subject moet de patiënt van de launch zijn", "QuestionnaireResponse.subject");
}

/** @see https://hl7.org/fhir/R4/http.html#history */
export function history(ctx: FhirContext, type: string, id: string, selfUrl: string): FhirResult {
  checkType(type);
  const current = ctx.store.read(ctx.dva, type, id);
  if (!current || !canRead(ctx.access, current.resource)) throw notFound(`${type}/${id} bestaat niet`);
  const versions = ctx.store.history(ctx.dva, type, id);
  return { status: 200, body: { resourceType: "Bundle", type: "history", total: versions.length, link: [{ relation: "self", url: selfUrl }],
    entry: versions.map((v) => ({ fullUrl: `${ctx.fhirBase}/${type}/${id}`, resource: v.resource,
      request: { method: v.versionId === 1 ? "POST" : "PUT", url: `${type}/${id}` }, response: { status: v.versionId === 1 ? "201" : "200", etag: `W/"${v.versionId}"` } })) } };
}
