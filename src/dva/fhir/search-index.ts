/**
 * What the store indexes of each resource: token/reference search parameters, dates, and the
 * patient compartment. Pure functions, so the FHIR server's search and the seed agree.
 *
 * Accepts the older MedMij/KoppelMij generations on input (SPEC §3), so published test material
 * is searchable unchanged.
 */
import { DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS, EXT_QR_TASK } from "../../shared/fhir-profiles.ts";

export type Resource = { resourceType: string; id?: string; meta?: Meta; [key: string]: unknown };
interface Meta { versionId?: string; lastUpdated?: string; tag?: Coding[]; profile?: string[]; [key: string]: unknown }
interface Coding { system?: string; code?: string; display?: string }
interface Reference { reference?: string; display?: string; type?: string }

export interface TokenEntry { param: string; system: string | null; value: string }
export interface DateEntry { param: string; start: string | null; end: string | null }
export interface IndexEntries { patient: string | null; tokens: TokenEntry[]; dates: DateEntry[] }

/** "Patient/1", "http://host/fhir/Patient/1/_history/2" → "Patient/1"; contained and odd refs → null. */
export function normalizeReference(ref: string | undefined): string | null {
  if (!ref || ref.startsWith("#")) return null;
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return match ? `${match[1]}/${match[2]}` : null;
}

function refs(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.map((r) => normalizeReference((r as Reference)?.reference)).filter((r): r is string => r !== null);
}

export function extensionReference(resource: Resource, urls: readonly string[]): string | null {
  const extensions = Array.isArray(resource.extension) ? (resource.extension as { url?: string; valueReference?: Reference; valueCanonical?: string }[]) : [];
  for (const url of urls) {
    const ext = extensions.find((e) => e?.url === url);
    if (!ext) continue;
    const ref = normalizeReference(ext.valueReference?.reference) ?? ext.valueCanonical ?? null;
    if (ref) return ref;
  }
  return null;
}

function codings(value: unknown): Coding[] {
  const concept = value as { coding?: Coding[] } | undefined;
  return Array.isArray(concept?.coding) ? concept!.coding : [];
}

function toUtc(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function indexEntries(resource: Resource): IndexEntries {
  const tokens: TokenEntry[] = [];
  const dates: DateEntry[] = [];
  const token = (param: string, system: string | null | undefined, value: unknown) => {
    if (typeof value === "string" && value !== "") tokens.push({ param, system: system ?? null, value });
  };
  const reference = (param: string, value: unknown) => { for (const r of refs(value)) token(param, null, r); };

  for (const tag of resource.meta?.tag ?? []) token("_tag", tag.system, tag.code);
  for (const profile of resource.meta?.profile ?? []) token("_profile", null, profile);
  for (const id of (Array.isArray(resource.identifier) ? resource.identifier : []) as { system?: string; value?: string }[]) {
    token("identifier", id?.system, id?.value);
  }
  token("status", null, resource.status);

  let patient: string | null = null;
  const firstPatient = (value: unknown) => refs(value).find((r) => r.startsWith("Patient/")) ?? null;

  switch (resource.resourceType) {
    case "Patient":
      patient = resource.id ? `Patient/${resource.id}` : null;
      break;
    case "Task": {
      for (const c of codings(resource.code)) token("code", c.system, c.code);
      reference("owner", resource.owner);
      reference("requester", resource.requester);
      reference("based-on", resource.basedOn);
      reference("focus", resource.focus);
      reference("patient", resource.for);
      reference("part-of", resource.partOf);
      const activity = extensionReference(resource, DIGITAL_ACTIVITY_EXTENSIONS);
      if (activity) token("digital-activity", null, activity);
      const period = resource.executionPeriod as { start?: string; end?: string } | undefined;
      dates.push({ param: "period", start: toUtc(period?.start), end: toUtc(period?.end) });
      patient = firstPatient(resource.for) ?? firstPatient(resource.owner);
      break;
    }
    case "ServiceRequest":
      reference("patient", resource.subject);
      reference("based-on", resource.basedOn);
      reference("requester", resource.requester);
      patient = firstPatient(resource.subject);
      break;
    case "QuestionnaireResponse":
      reference("patient", resource.subject);
      reference("based-on", resource.basedOn);
      reference("part-of", resource.partOf);
      token("questionnaire", null, resource.questionnaire);
      { const t = extensionReference(resource, [EXT_QR_TASK]); if (t) token("task", null, t); }
      patient = firstPatient(resource.subject);
      break;
    case "ActivityDefinition": {
      token("url", null, resource.url);
      const endpoint = extensionReference(resource, ENDPOINT_EXTENSIONS);
      if (endpoint) token("endpoint", null, endpoint);
      break;
    }
    case "Questionnaire":
      token("url", null, resource.url);
      break;
    case "PractitionerRole":
      reference("practitioner", resource.practitioner);
      reference("organization", resource.organization);
      break;
    case "Endpoint":
      reference("organization", resource.managingOrganization);
      break;
  }
  return { patient, tokens, dates };
}
