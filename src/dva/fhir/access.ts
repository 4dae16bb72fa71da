/**
 * Who may see what at the FHIR server (SPEC §6, AM-NFE-011). A bearer JWT from this DVA only,
 * verified with the DVA's key, active (not revoked). The patient comes from the token, never from
 * search parameters (MedMij resource interface).
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import { forbidden, unauthorized } from "../../shared/operation-outcome.ts";
import { AGB_SYSTEM } from "../../shared/fhir-profiles.ts";
import type { ResolvedDva, ResolvedNetwork } from "../../shared/resolved-network.ts";
import type { DvaAuthStore } from "../auth/store.ts";
import { indexEntries, type Resource } from "./search-index.ts";
import type { FhirStore } from "./store.ts";

export type Access =
  /** A PGO's collect token: read the patient's Tasks and their linked resources. */
  | { kind: "pgo"; clientId: string; patient: string | null }
  /** A module's SMART token: patient/*.read, write only the launched Task and the patient's QuestionnaireResponses. */
  | { kind: "module"; clientId: string; patient: string; task: string; scopes: string[] }
  /** A zorgaanbieder system (client_credentials): its own organisation's resources at this DVA. */
  | { kind: "system"; clientId: string; zorgaanbieder: string; scopes: string[]; owns: (resource: Resource) => boolean;
      /** The same decision from a resource's organisations (organisationsOf). */
      ownsOrgs: (orgs: string[]) => boolean };

/** Resources every reader of this DVA may see: the catalogue, not about one person. */
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
const verified = new Map<string, Map<string, { payload: JWTPayload; exp: number }>>();
const MAX_CACHED = 5000;

/**
 * Where references come from when deciding ownership: for one resource its own index entries
 * (and the token index for the resources it points at), for a large search the token index of
 * the whole DVA. One rule (organisationsOf) serves both.
 */
export interface RefSource { refs(type: string, id: string, param: string): string[] }

/**
 * Which Organizations a resource belongs to: direct Organization references, and the
 * organization of a referenced PractitionerRole (Task/ServiceRequest owner or requester). Patients
 * and the catalogue belong to the DVA as a whole.
 */
export function organisationsOf(type: string, id: string, src: RefSource): string[] {
  const viaRole = (ref: string): string[] => ref.startsWith("Organization/") ? [ref]
    : ref.startsWith("PractitionerRole/") ? src.refs("PractitionerRole", ref.slice("PractitionerRole/".length), "organization").filter((o) => o.startsWith("Organization/"))
    : [];
  switch (type) {
    case "Organization": return [`Organization/${id}`];
    case "Endpoint":
    case "PractitionerRole": return src.refs(type, id, "organization").filter((o) => o.startsWith("Organization/"));
    case "Task": return [...src.refs(type, id, "owner"), ...src.refs(type, id, "requester")].flatMap(viaRole);
    case "ServiceRequest": return src.refs(type, id, "requester").flatMap(viaRole);
    case "QuestionnaireResponse": {
      const task = src.refs(type, id, "task")[0];
      return task?.startsWith("Task/") ? organisationsOf("Task", task.slice("Task/".length), src) : [];
    }
    default: return [];
  }
}

/** One resource's references from its own entries (it may not be stored yet); others' from the index. */
function resourceRefs(resource: Resource, fhir: FhirStore, dva: string): RefSource {
  const own = indexEntries(resource).tokens;
  return {
    refs: (type, id, param) => (type === resource.resourceType && id === (resource.id ?? "") ? own : fhir.tokensOf(dva, type, id))
      .filter((t) => t.param === param).map((t) => t.value),
  };
}

/** The whole DVA's references per (type, param), loaded once per search when first asked for. */
export function indexRefs(fhir: FhirStore, dva: string): RefSource {
  const loaded = new Map<string, Map<string, string[]>>();
  return {
    refs(type, id, param) {
      const key = `${type} ${param}`;
      let byId = loaded.get(key);
      if (!byId) {
        byId = new Map();
        for (const row of fhir.tokenRows(dva, type, param)) {
          const list = byId.get(row.id);
          if (list) list.push(row.value); else byId.set(row.id, [row.value]);
        }
        loaded.set(key, byId);
      }
      return byId.get(id) ?? [];
    },
  };
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
  // One cache per DVA: a token verified for one DVA must never pass at another.
  let cache = verified.get(dva.id);
  if (!cache) verified.set(dva.id, cache = new Map());
  const hit = cache.get(token);
  if (hit && hit.exp > now) {
    payload = hit.payload;
  } else {
    try {
      ({ payload } = await jwtVerify(token, keySet, { issuer: dva.auth.origin, audience: dva.fhirBase, algorithms: ["ES256"] }));
    } catch (e) {
      const expired = (e as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw unauthorized(expired ? "het token is verlopen" : "het token is ongeldig of niet van deze DVA");
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    if (typeof payload.exp === "number") cache.set(token, { payload, exp: payload.exp * 1000 });
  }
  if (typeof payload.jti !== "string" || store.isAccessTokenRevoked(payload.jti)) throw unauthorized("het token is ingetrokken");
  const clientId = String(payload.client_id ?? "");
  const scopes = String(payload.scope ?? "").split(" ").filter(Boolean);
  if (typeof payload.resource === "string" && typeof payload.patient === "string") {
    return { kind: "module", clientId, patient: payload.patient, task: payload.resource, scopes };
  }
  if (scopes.some((s) => s.startsWith("system/"))) {
    const zorgaanbieder = String(payload.zorgaanbieder ?? "");
    const orgsOf = (agb: string) => fhir.findByIdentifier(dva.id, "Organization", AGB_SYSTEM, agb).map((o) => `Organization/${o.resource.id}`);
    const own = new Set(network.zorgaanbieders.filter((z) => z.name === zorgaanbieder).flatMap((z) => orgsOf(z.agb)));
    const others = new Set(network.zorgaanbieders.filter((z) => z.dva === dva.id && z.name !== zorgaanbieder).flatMap((z) => orgsOf(z.agb)));
    // Denied only when the resource provably belongs to another zorgaanbieder of this DVA; data of
    // organisations outside the network (published example sets) stays usable.
    const ownsOrgs = (orgs: string[]) => orgs.some((o) => own.has(o)) || !orgs.some((o) => others.has(o));
    const owns = (resource: Resource) => ownsOrgs(organisationsOf(resource.resourceType, resource.id ?? "", resourceRefs(resource, fhir, dva.id)));
    return { kind: "system", clientId, zorgaanbieder, scopes, owns, ownsOrgs };
  }
  return { kind: "pgo", clientId, patient: typeof payload.patient === "string" ? payload.patient : null };
}

/** The patient a token is confined to, or null for system tokens. */
export function patientOf(access: Access): string | null | undefined {
  return access.kind === "system" ? undefined : access.patient;
}

/** May this token read this resource? Another patient's resource reads as absent (404, never 200). */
export function canRead(access: Access, resource: Resource): boolean {
  return mayRead(access, resource.resourceType, indexEntries(resource).patient, () => resource);
}

/**
 * The same rule for a stored row, from its patient-compartment column: the resource is parsed only
 * for system tokens, whose organisation check needs it (the read hot path stays parse-free).
 */
export function mayRead(access: Access, type: string, compartment: string | null, load: () => Resource): boolean {
  if (access.kind === "system") return access.owns(load());
  if (SHARED.has(type)) return true;
  return access.patient !== null && compartment === `Patient/${access.patient}`;
}

/** SMART v1/v2 scope check for a module write (e.g. patient/Task.* or patient/Task.write). */
export function requireWrite(access: Access, type: string): void {
  if (access.kind === "pgo") throw forbidden("een PGO-token mag alleen lezen (Verzamelen)");
  const ok = access.scopes.some((s) => [`patient/${type}.*`, `patient/${type}.write`, `patient/${type}.cu`, `patient/${type}.u`, `patient/*.*`, `patient/*.write`,
    `system/${type}.*`, "system/*.*", "system/*.write", "system/*.cruds"].includes(s));
  if (!ok) throw forbidden(`scope voor schrijven op ${type} ontbreekt`);
}
