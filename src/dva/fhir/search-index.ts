/**
 * What the store indexes of each resource: token/reference search parameters, names (string
 * search), dates, and the patient compartment. Pure functions, so the FHIR server's search and
 * the seed agree. Raise INDEX_VERSION[type] when what a type indexes changes: the store then
 * re-indexes that type's stored resources once at start (FhirStore.reindexOutdated).
 *
 * Accepts the older MedMij/KoppelMij generations on input (SPEC §3), so published test material
 * is searchable unchanged.
 */
import { DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS, EXT_QR_TASK } from "../../shared/fhir-profiles.ts";

/** Per type, the version of what indexEntries() writes for it (default 1). */
export const INDEX_VERSION: Record<string, number> = { Patient: 3, Practitioner: 2, Organization: 2, ActivityDefinition: 2, Questionnaire: 2 };

export type Resource = { resourceType: string; id?: string; meta?: Meta; [key: string]: unknown };
interface Meta { versionId?: string; lastUpdated?: string; tag?: Coding[]; profile?: string[]; [key: string]: unknown }
interface Coding { system?: string; code?: string; display?: string }
interface Reference { reference?: string; display?: string; type?: string }

export interface TokenEntry { param: string; system: string | null; value: string }
export interface DateEntry { param: string; start: string | null; end: string | null }
export interface IndexEntries { patient: string | null; tokens: TokenEntry[]; dates: DateEntry[] }

/** "Patient/1", "http://host/fhir/Patient/1/_history/2" → "Patient/1"; contained and odd refs → null. */
export function normalizeReference(ref: unknown): string | null {
  if (typeof ref !== "string" || !ref || ref.startsWith("#")) return null;
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return match ? `${match[1]}/${match[2]}` : null;
}

/** The object elements of a list (or of a single value): stored JSON may hold anything. */
function objects<T>(value: unknown): T[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.filter((v): v is T => typeof v === "object" && v !== null && !Array.isArray(v));
}

/** The normalized references in a Reference or a list of them (anything else is skipped). */
export function refs(value: unknown): string[] {
  return objects<Reference>(value).map((r) => normalizeReference(typeof r.reference === "string" ? r.reference : undefined)).filter((r): r is string => r !== null);
}

export function extensionReference(resource: Resource, urls: readonly string[]): string | null {
  const extensions = objects<{ url?: string; valueReference?: Reference; valueCanonical?: string }>(resource.extension);
  for (const url of urls) {
    const ext = extensions.find((e) => e?.url === url);
    if (!ext) continue;
    const reference = ext.valueReference?.reference;
    const ref = normalizeReference(typeof reference === "string" ? reference : undefined) ?? (typeof ext.valueCanonical === "string" ? ext.valueCanonical : null);
    if (ref) return ref;
  }
  return null;
}

function codings(value: unknown): Coding[] {
  return objects<{ coding?: unknown }>(value).flatMap((concept) => objects<Coding>(concept.coding));
}

function toUtc(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * FHIR string search compares case- and accent-insensitively (search.html#string): names are
 * indexed and searched in this form.
 */
export function normalizeText(value: string): string {
  return value.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

/** HumanName parts a `name` search matches: text, family, given, prefix, and the full name. */
function nameValues(value: unknown): string[] {
  const out = new Set<string>();
  for (const n of objects<{ text?: unknown; family?: unknown; given?: unknown; prefix?: unknown }>(value)) {
    const parts = [n.text, n.family, ...(Array.isArray(n.given) ? n.given : []), ...(Array.isArray(n.prefix) ? n.prefix : [])];
    for (const part of parts) if (typeof part === "string" && part.trim()) out.add(normalizeText(part));
    const given = Array.isArray(n.given) ? n.given.filter((g): g is string => typeof g === "string") : [];
    if (typeof n.family === "string") out.add(normalizeText([...given, n.family].join(" ")));
  }
  return [...out];
}

export function indexEntries(resource: Resource): IndexEntries {
  const tokens: TokenEntry[] = [];
  const dates: DateEntry[] = [];
  const token = (param: string, system: string | null | undefined, value: unknown) => {
    if (typeof value === "string" && value !== "") tokens.push({ param, system: typeof system === "string" ? system : null, value });
  };
  const reference = (param: string, value: unknown) => { for (const r of refs(value)) token(param, null, r); };

  const meta = objects<Meta>(resource.meta)[0];
  for (const tag of objects<Coding>(meta?.tag)) token("_tag", typeof tag.system === "string" ? tag.system : null, tag.code);
  for (const profile of Array.isArray(meta?.profile) ? meta.profile : []) token("_profile", null, profile);
  for (const id of objects<{ system?: unknown; value?: unknown }>(resource.identifier)) {
    token("identifier", typeof id.system === "string" ? id.system : null, id.value);
  }
  token("status", null, resource.status);

  let patient: string | null = null;
  const firstPatient = (value: unknown) => refs(value).find((r) => r.startsWith("Patient/")) ?? null;

  switch (resource.resourceType) {
    case "Patient":
      patient = resource.id ? `Patient/${resource.id}` : null;
      for (const value of nameValues(resource.name)) token("name", null, value);
      // The organisations the person is a patient of (access.ts organisationsOf).
      reference("organization", resource.managingOrganization);
      reference("general-practitioner", resource.generalPractitioner);
      break;
    case "Organization":
      if (typeof resource.name === "string" && resource.name.trim()) token("name", null, normalizeText(resource.name));
      break;
    case "Practitioner":
      for (const value of nameValues(resource.name)) token("name", null, value);
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
      if (typeof resource.publisher === "string" && resource.publisher.trim()) token("publisher", null, normalizeText(resource.publisher));
      const endpoint = extensionReference(resource, ENDPOINT_EXTENSIONS);
      if (endpoint) token("endpoint", null, endpoint);
      break;
    }
    case "Questionnaire":
      token("url", null, resource.url);
      if (typeof resource.publisher === "string" && resource.publisher.trim()) token("publisher", null, normalizeText(resource.publisher));
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
