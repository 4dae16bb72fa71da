/**
 * Who may see what at the FHIR server (SPEC §6, AM-NFE-011). A bearer JWT from this DVA only,
 * verified with the DVA's key, active (not revoked). The patient comes from the token, never from
 * search parameters (MedMij resource interface).
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import { forbidden, unauthorized, unprocessable } from "../../shared/operation-outcome.ts";
import { permits, scopeWords, type Interaction } from "../../shared/smart-scopes.ts";
import { AGB_SYSTEM, EXT_QR_TASK } from "../../shared/fhir-profiles.ts";
import type { ResolvedDva, ResolvedNetwork } from "../../shared/resolved-network.ts";
import type { DvaAuthStore } from "../auth/store.ts";
import { extensionReference, indexEntries, normalizeReference, normalizeText, type Resource, type TokenEntry } from "./search-index.ts";
import { organizationsGeneration, rowsOf, typeRowsOf, type FhirStore } from "./store.ts";

/** What every token kind carries: its client, scopes, and the zorgaanbieder whose data it may see. */
interface AccessBase {
  clientId: string;
  /** The token's scope words (SMART resource scopes for modules and systems; the MedMij scope for PGOs). */
  scopes: string[];
  /** The zorgaanbieder (zorgaanbiedernaam) the token was issued for. */
  zorgaanbieder: string;
  rule: OrgRule;
  fhir: FhirStore;
  dva: string;
  /** The access token's id (its revocation is looked up again before a grouped write runs). */
  jti?: string;
}

export type Access =
  /** A PGO's collect token: read the patient's resources of its zorgaanbieder. */
  | AccessBase & { kind: "pgo"; patient: string | null }
  /** A module's SMART token, launched from a PGO token: its scopes, its patient, its launched Task. */
  | AccessBase & { kind: "module"; patient: string; task: string }
  /** A zorgaanbieder system (client_credentials): its own organisation's resources at this DVA. */
  | AccessBase & { kind: "system" };

/** Resources that are not about one person (catalogue and people): no patient compartment. */
const SHARED = new Set(["ActivityDefinition", "Endpoint", "Questionnaire", "Organization", "Practitioner", "PractitionerRole"]);

export function isShared(type: string): boolean {
  return SHARED.has(type);
}

/** The DVA's verification key set, read once from its store (keys survive resets and restarts). */
const keySets = new WeakMap<DvaAuthStore, ReturnType<typeof createLocalJWKSet>>();
function keySetOf(store: DvaAuthStore): ReturnType<typeof createLocalJWKSet> | null {
  const cached = keySets.get(store);
  if (cached) return cached;
  const key = store.currentKey();
  if (!key) return null;
  const set = createLocalJWKSet({ keys: [key.publicJwk] });
  keySets.set(store, set);
  return set;
}

/**
 * Verified tokens by their text, until they expire: an ES256 verification costs ~100 µs, a large
 * part of a FHIR read. Revocation is still checked on every request.
 */
const verified = new Map<string, Map<string, { payload: JWTPayload; exp: number; claims: Claims }>>();

/** What a verified token says about its holder, read once per token (the read hot path). */
interface Claims { kind: Access["kind"]; clientId: string; scopes: string[]; zorgaanbieder: string; patient: string | null; task: string }

function claimsOf(payload: JWTPayload): Claims {
  const scopes = scopeWords(String(payload.scope ?? ""));
  const patient = typeof payload.patient === "string" ? payload.patient : null;
  const module = typeof payload.resource === "string" && patient !== null;
  return {
    kind: module ? "module" : scopes.some((s) => s.startsWith("system/")) ? "system" : "pgo",
    clientId: String(payload.client_id ?? ""), scopes,
    // A token without a zorgaanbieder (older module tokens) owns nothing: it sees only data no zorgaanbieder owns.
    zorgaanbieder: typeof payload.zorgaanbieder === "string" ? payload.zorgaanbieder : "",
    patient, task: module ? payload.resource as string : "",
  };
}
const MAX_CACHED = 5000;

/**
 * Where references come from when deciding ownership: for one resource its own index entries
 * (it may be a version or not stored yet) and the index for the resources it points at; for a
 * search the index rows of its candidates, read in one query. One rule (organisationsOf) serves all.
 */
export interface RefSource {
  /** The references (or normalized texts) a resource's parameter holds. */
  refs(type: string, id: string, param: string): string[];
  /** Ids of the resources of `type` whose `param` points at `value` (a reverse lookup). */
  referrers(type: string, param: string, value: string): string[];
  /** The organisations that registered a resource (fhir_registration). */
  registrations(type: string, id: string): string[];
  /** The Organizations of the zorgaanbieder of the network whose name this (normalized) publisher is. */
  publishers(name: string): string[];
}

/** Where an ownership decision is made: a DVA's store, and the organisation rule of the one asking. */
export interface OwnershipScope { fhir: FhirStore; dva: string; rule: OrgRule }

const onlyOrgs = (refs: string[]) => refs.filter((r) => r.startsWith("Organization/"));

/**
 * Which Organizations a resource belongs to (issue 10: consent, catalogue and people are per
 * zorgaanbieder, also when several share one DVA): the organisations its references name, and
 * the zorgaanbieder whose system registered (created) it —
 * - Organization itself; Endpoint and PractitionerRole their organization; Practitioner the
 *   organizations of its PractitionerRoles;
 * - Task (owner, requester) and ServiceRequest (requester): an Organization, or a PractitionerRole
 *   or Practitioner of one; a QuestionnaireResponse the Task it answers;
 * - ActivityDefinition: its Endpoint's managingOrganization, or where it has none its
 *   `publisher` (the name of a zorgaanbieder of the network — not any Organization's name, which
 *   anyone may write); Questionnaire: its publisher;
 * - Patient: every organisation that registered the person (a zorgaanbieder's system that created
 *   the Patient, linked to it with If-None-Exist, or wrote a Task or ServiceRequest for it), its
 *   managingOrganization and generalPractitioner.
 */
export function organisationsOf(type: string, id: string, src: RefSource): string[] {
  const roles = (practitioner: string) => src.referrers("PractitionerRole", "practitioner", practitioner).flatMap((role) => organisationsOf("PractitionerRole", role, src));
  const viaRole = (ref: string): string[] => ref.startsWith("Organization/") ? [ref]
    : ref.startsWith("PractitionerRole/") ? onlyOrgs(src.refs("PractitionerRole", ref.slice("PractitionerRole/".length), "organization"))
    : ref.startsWith("Practitioner/") ? roles(ref)
    : [];
  const published = () => src.refs(type, id, "publisher").flatMap((name) => src.publishers(name));
  const named = (): string[] => {
    switch (type) {
      case "Organization": return [`Organization/${id}`];
      case "Endpoint":
      case "PractitionerRole": return onlyOrgs(src.refs(type, id, "organization"));
      case "Practitioner": return roles(`Practitioner/${id}`);
      case "Task": return [...src.refs(type, id, "owner"), ...src.refs(type, id, "requester")].flatMap(viaRole);
      case "ServiceRequest": return src.refs(type, id, "requester").flatMap(viaRole);
      case "QuestionnaireResponse": {
        const task = src.refs(type, id, "task")[0];
        return task?.startsWith("Task/") ? organisationsOf("Task", task.slice("Task/".length), src) : [];
      }
      case "ActivityDefinition": {
        const endpoint = src.refs(type, id, "endpoint").find((e) => e.startsWith("Endpoint/"));
        const viaEndpoint = endpoint ? organisationsOf("Endpoint", endpoint.slice("Endpoint/".length), src) : [];
        return viaEndpoint.length ? viaEndpoint : published();
      }
      case "Questionnaire": return published();
      // Not through its Tasks (a patient may have thousands): a system may write a Task only for a
      // Patient it already has a relation with (refusedReference), so a relation is a registration.
      case "Patient": return [...onlyOrgs(src.refs(type, id, "organization")), ...src.refs(type, id, "general-practitioner").flatMap(viaRole)];
      default: return [];
    }
  };
  return [...new Set([...src.registrations(type, id), ...named()])];
}

/**
 * References from the index, one query per resource (memoised for one decision), each parameter's
 * also kept until the resource's rows change (FhirStore.derivedRefs: a Task write's ownership
 * check reads its requester's PractitionerRole every time, issue 16); `read` collects the rows
 * consulted (DerivedCache dependencies: a resource's rows, or a query over a type).
 */
function storedRefs({ fhir, dva, rule }: OwnershipScope, read?: Set<string>): RefSource {
  const tokens = new Map<string, TokenEntry[]>();
  return {
    publishers: (name) => { read?.add(typeRowsOf(dva, "Organization")); return rule.publishers.get(name) ?? []; },
    refs(type, id, param) {
      const key = `${type}/${id}`;
      const rows = rowsOf(dva, type, id);
      read?.add(rows);
      const kept = fhir.derivedRefs.get(`${rows} ${param}`);
      if (kept) return [...kept];
      let list = tokens.get(key);
      if (!list) tokens.set(key, list = fhir.tokensOf(dva, type, id));
      const values = list.filter((t) => t.param === param).map((t) => t.value);
      fhir.derivedRefs.set(`${rows} ${param}`, values, [rows]);
      return [...values];
    },
    referrers: (type, param, value) => { read?.add(typeRowsOf(dva, type)); return fhir.referrers(dva, type, param, value); },
    registrations: (type, id) => { read?.add(rowsOf(dva, type, id)); return fhir.registrations(dva, type, id); },
  };
}

/** One resource's references from its own entries (a version, or not stored yet); others' from the index. */
function resourceRefs(resource: Resource, scope: OwnershipScope): RefSource {
  return prefetchedRefs(scope, resource.resourceType, new Map([[resource.id ?? "", indexEntries(resource).tokens]]), new Map());
}

/** The references (and registrations) of these resources as given — read in one query each for a search; others' from the index. */
export function prefetchedRefs(scope: OwnershipScope, type: string, tokens: ReadonlyMap<string, TokenEntry[]>, registered: ReadonlyMap<string, string[]>): RefSource {
  const stored = storedRefs(scope);
  return {
    ...stored,
    refs: (t, id, param) => {
      const own = t === type ? tokens.get(id) : undefined;
      return own ? own.filter((e) => e.param === param).map((e) => e.value) : stored.refs(t, id, param);
    },
    registrations: (t, id) => (t === type ? registered.get(id) : undefined) ?? stored.registrations(t, id),
  };
}

/**
 * The organisation rule of one zorgaanbieder at one DVA: its own Organizations and those of the
 * other zorgaanbieders there (found by AGB).
 */
export interface OrgRule {
  own: ReadonlySet<string>;
  others: ReadonlySet<string>;
  /** Each zorgaanbieder of this DVA by its name as a publisher (normalized) → its Organizations. */
  publishers: ReadonlyMap<string, string[]>;
  /** The organizationsGeneration it was read in (a rule of before an Organization write is stale). */
  generation?: number;
}

/**
 * May a token of this zorgaanbieder see a resource that belongs to these organisations? Yes
 * when one is its own; otherwise only when none is another zorgaanbieder's of this DVA (data of
 * organisations outside the network — the published MedMij example sets — stays usable). A
 * Patient needs a relation with the zorgaanbieder itself.
 */
export function allows(rule: OrgRule, type: string, orgs: readonly string[]): boolean {
  if (orgs.some((o) => rule.own.has(o))) return true;
  return type !== "Patient" && !orgs.some((o) => rule.others.has(o));
}

/** May a system of this zorgaanbieder write a version that belongs to these organisations? Not if one is another's. */
export function writable(rule: OrgRule, orgs: readonly string[]): boolean {
  return !orgs.some((o) => rule.others.has(o));
}

/**
 * Derived from stored resources: a zorgaanbieder's Organizations, valid while no Organization is
 * written (organizationsGeneration). (The organisations of each resource: FhirStore.derived.)
 */
const derived = { orgGeneration: -1, rules: new Map<string, OrgRule>() };
function fresh(): typeof derived {
  const orgGeneration = organizationsGeneration();
  if (derived.orgGeneration !== orgGeneration) {
    derived.orgGeneration = orgGeneration;
    derived.rules.clear();
  }
  return derived;
}

export function orgRule(fhir: FhirStore, network: ResolvedNetwork, dva: string, zorgaanbieder: string): OrgRule {
  const cache = fresh();
  const key = `${dva} ${zorgaanbieder}`;
  let rule = cache.rules.get(key);
  if (!rule) {
    const orgsOf = (agb: string) => fhir.findByIdentifier(dva, "Organization", AGB_SYSTEM, agb).map((o) => `Organization/${o.resource.id}`);
    const here = network.zorgaanbieders.filter((z) => z.dva === dva);
    rule = {
      generation: organizationsGeneration(),
      own: new Set(network.zorgaanbieders.filter((z) => z.name === zorgaanbieder).flatMap((z) => orgsOf(z.agb))),
      others: new Set(here.filter((z) => z.name !== zorgaanbieder).flatMap((z) => orgsOf(z.agb))),
      publishers: new Map(here.map((z) => [normalizeText(z.displayName), orgsOf(z.agb)])),
    };
    if (!fhir.inTransaction) cache.rules.set(key, rule);
  }
  return rule;
}

/** The organisations of a stored resource (its current version), kept until a row they were read from changes (DerivedCache). */
export function storedOrganisations(scope: OwnershipScope, type: string, id: string): string[] {
  const cache = scope.fhir.derived;
  const key = rowsOf(scope.dva, type, id);
  let orgs = cache.get(key);
  if (!orgs) {
    const read = new Set<string>();
    orgs = organisationsOf(type, id, storedRefs(scope, read));
    // Not from a rule of before an Organization write (a request that waited, a walk that yielded): its publishers may be gone.
    if (scope.rule.generation === undefined || scope.rule.generation === organizationsGeneration()) cache.set(key, orgs, read);
  }
  return orgs;
}

/** The organisations of a resource as given (a version, or a write not yet stored). */
export function organisationsOfResource(scope: OwnershipScope, resource: Resource): string[] {
  return organisationsOf(resource.resourceType, resource.id ?? "", resourceRefs(resource, scope));
}

export async function authenticate(request: Request, dva: ResolvedDva, store: DvaAuthStore, fhir: FhirStore, network: ResolvedNetwork): Promise<Access> {
  const header = request.headers.get("authorization");
  if (!header) throw unauthorized("Authorization: Bearer <token> ontbreekt", "invalid_request");
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match) throw unauthorized("alleen Bearer-tokens worden geaccepteerd", "invalid_request");
  const keySet = keySetOf(store);
  if (!keySet) throw unauthorized("het token is niet van deze DVA");
  const token = match[1]!;
  const now = Date.now();
  let payload: JWTPayload;
  let claims: Claims;
  // One cache per DVA: a token verified for one DVA must never pass at another.
  let cache = verified.get(dva.id);
  if (!cache) verified.set(dva.id, cache = new Map());
  const hit = cache.get(token);
  if (hit && hit.exp > now) {
    payload = hit.payload;
    claims = hit.claims;
  } else {
    try {
      ({ payload } = await jwtVerify(token, keySet, { issuer: dva.auth.origin, audience: dva.fhirBase, algorithms: ["ES256"] }));
    } catch (e) {
      const expired = (e as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw unauthorized(expired ? "het token is verlopen" : "het token is ongeldig of niet van deze DVA");
    }
    claims = claimsOf(payload);
    if (cache.size >= MAX_CACHED) cache.clear();
    if (typeof payload.exp === "number") cache.set(token, { payload, exp: payload.exp * 1000, claims });
  }
  if (typeof payload.jti !== "string" || store.isAccessTokenRevoked(payload.jti)) throw unauthorized("het token is ingetrokken");
  const { kind, clientId, scopes, zorgaanbieder, patient, task } = claims;
  const rule = orgRule(fhir, network, dva.id, zorgaanbieder);
  const jti = payload.jti;
  if (kind === "module") return { kind, clientId, scopes, zorgaanbieder, rule, fhir, dva: dva.id, jti, patient: patient!, task };
  if (kind === "system") return { kind, clientId, scopes, zorgaanbieder, rule, fhir, dva: dva.id, jti };
  return { kind, clientId, scopes, zorgaanbieder, rule, fhir, dva: dva.id, jti, patient };
}

/**
 * The same access, confirmed again when a write runs after its request waited (FhirStore.grouped
 * runs it at the end of the turn): a token revoked meanwhile — by /revoke, a withdrawn consent,
 * a reset — is 401, and the organisation rule is read again if an Organization was written.
 */
export function reconfirmed(access: Access, store: DvaAuthStore, network: ResolvedNetwork): Access {
  if (access.jti !== undefined && store.isAccessTokenRevoked(access.jti)) throw unauthorized("het token is ingetrokken");
  if (access.rule.generation === organizationsGeneration()) return access;
  return { ...access, rule: orgRule(access.fhir, network, access.dva, access.zorgaanbieder) };
}

/** The patient a token is confined to, or null for system tokens. */
export function patientOf(access: Access): string | null | undefined {
  return access.kind === "system" ? undefined : access.patient;
}

/** Patient tokens see their own Patient, and other resources only in their patient compartment or the catalogue. */
function inCompartment(access: Access, type: string, compartment: string | null): boolean {
  if (access.kind === "system") return true;
  if (access.patient === null) return SHARED.has(type);
  if (type === "Patient") return compartment === `Patient/${access.patient}`;
  return SHARED.has(type) || compartment === `Patient/${access.patient}`;
}

/**
 * May this token read this resource (a version, or one about to be written)? Another patient's,
 * or another zorgaanbieder's, resource reads as absent (404, never 200).
 */
export function canRead(access: Access, resource: Resource): boolean {
  if (!inCompartment(access, resource.resourceType, indexEntries(resource).patient)) return false;
  if (access.kind !== "system" && resource.resourceType === "Patient") return true;
  return allows(access.rule, resource.resourceType, organisationsOfResource(access, resource));
}

/** The same rule for the current version of a stored resource, from its compartment column and the index (no parse). */
export function mayReadStored(access: Access, type: string, id: string, compartment: string | null): boolean {
  if (!inCompartment(access, type, compartment)) return false;
  if (access.kind !== "system" && type === "Patient") return true;
  return allows(access.rule, type, storedOrganisations(access, type, id));
}

/**
 * SMART scopes (v1 and v2) on every interaction of a module or system token; a PGO token reads
 * under its MedMij consent and never writes. 403 insufficient_scope otherwise (RFC 6750 §3.1).
 */
export function requireScope(access: Access, type: string, interaction: Interaction): void {
  if (scopeAllows(access, type, interaction)) return;
  if (access.kind === "pgo") throw forbidden("een PGO-token mag alleen lezen (Verzamelen)");
  const context = access.kind === "module" ? "patient" : "system";
  const what = { c: "aanmaken", r: "lezen", u: "wijzigen", d: "verwijderen", s: "zoeken" }[interaction];
  const v1 = interaction === "r" || interaction === "s" ? "read" : "write";
  throw forbidden(`de scope van dit token staat ${what} van ${type} niet toe; vraag ${context}/${type}.${v1} (v1) of ${context}/${type}.${interaction} (v2) aan`);
}

export function scopeAllows(access: Access, type: string, interaction: Interaction): boolean {
  if (access.kind === "pgo") return interaction === "r" || interaction === "s";
  return permits(access.scopes, access.kind === "module" ? "patient" : "system", type, interaction);
}

/** Does this QuestionnaireResponse belong to the module's launch: its patient and its Task? */
export function answersLaunch(access: Extract<Access, { kind: "module" }>, qr: Resource): boolean {
  const subject = normalizeReference((qr.subject as { reference?: string } | undefined)?.reference);
  return subject === `Patient/${access.patient}` && extensionReference(qr, [EXT_QR_TASK]) === access.task;
}

/** Every reference a resource holds ("Type/id"), with the FHIRPath of where it stands. */
export function referencesIn(resource: Resource): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const ref = k === "reference" ? normalizeReference(x) : null;
        if (ref) out.push({ path, ref });
        else walk(x, `${path}.${k}`);
      }
    }
  };
  walk(resource, resource.resourceType);
  return out;
}

/**
 * A write refers only to what its writer may read (issue 10). Ownership is read from references
 * (a PractitionerRole makes a Practitioner its organisation's, a Task relates a Patient to the
 * Task's organisation), so a reference to another zorgaanbieder's resource, or to another patient,
 * would be a claim on it. References the resource already had are kept; a reference to nothing
 * stored stays allowed (the published example sets refer to resources never published).
 */
export function refusedReference(access: Access, resource: Resource, previous: Resource | null): { path: string; ref: string } | null {
  const before = new Set(previous ? referencesIn(previous).map((r) => r.ref) : []);
  // Each reference once (a Task names its patient in `for` and `owner`); the first place it stands is the one named.
  for (const { path, ref } of referencesIn(resource)) {
    if (before.has(ref) || ref === `${resource.resourceType}/${resource.id}`) continue;
    before.add(ref);
    const [type, id] = ref.split("/") as [string, string];
    const stored = access.fhir.compartmentOf(access.dva, type, id);
    if (stored && !mayReadStored(access, type, id, stored.patient)) return { path, ref };
  }
  return null;
}

/** 422 for a reference the writer may not read (refusedReference). */
export function mayRefer(access: Access, r: Resource, previous: Resource | null): void {
  const refused = refusedReference(access, r, previous);
  if (refused) {
    throw unprocessable(`de verwijzing ${refused.ref} is niet van uw organisatie of van deze patiënt; een schrijfactie verwijst alleen naar wat u mag lezen`, refused.path);
  }
}

