/**
 * The clinician portal's way to its zorgaanbieder's DVA (SPEC §5, §9): a client_credentials
 * token of the zorgaanbieder's system client, fetched over HTTP and kept until shortly before it
 * expires, and FHIR calls with it. Every call is logged in the chain log under the portal's host
 * (the portal is the zorgaanbieder's own system; SD 3.1 leaves this hop outside MedMij).
 */
import type { HttpClient } from "../shared/http-client.ts";
import type { ResolvedDva, ResolvedZorgaanbieder } from "../shared/resolved-network.ts";
import type { Trace } from "../shared/trace.ts";

export type Resource = { resourceType: string; id?: string; meta?: { versionId?: string }; [key: string]: unknown };
export interface Bundle { resourceType: "Bundle"; total?: number; entry?: { resource: Resource; search?: { mode?: string } }[] }

/** The DVA answered something the portal cannot use; the page shows the message and the trace. */
export class DvaError extends Error {
  override name = "DvaError";
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

const EARLY_MS = 30_000;
/** FHIR R4 id (http.html#id): what the portal puts in its own URLs. */
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/;

export function createDvaClient(http: HttpClient, za: ResolvedZorgaanbieder, dva: ResolvedDva) {
  let token: { value: string; expiresAt: number } | null = null;

  async function accessToken(trace: Trace, fresh = false): Promise<string> {
    if (!fresh && token && token.expiresAt - EARLY_MS > Date.now()) return token.value;
    const res = await http.send(`${dva.auth.origin}/token`, {
      method: "POST", trace,
      headers: { "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `Basic ${Buffer.from(`${za.systemClient.clientId}:${za.systemClient.clientSecret}`).toString("base64")}` },
      body: new URLSearchParams({ grant_type: "client_credentials", scope: "system/*.*" }),
    });
    const body = await res.json().catch(() => ({})) as { access_token?: string; expires_in?: number; error_description?: string };
    if (!res.ok || !body.access_token) throw new DvaError(`De DVA gaf geen token (${res.status}${body.error_description ? `: ${body.error_description}` : ""}).`, res.status);
    token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 300) * 1000 };
    return token.value;
  }

  /** One FHIR call; a 401 (expired or revoked token) gets one retry with a new token. */
  async function call(path: string, trace: Trace, init: RequestInit = {}): Promise<Response> {
    const send = async (fresh: boolean) => http.send(`${dva.fhirBase}/${path}`, {
      ...init, trace,
      headers: { Accept: "application/fhir+json", ...(init.body ? { "Content-Type": "application/fhir+json" } : {}),
        ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${await accessToken(trace, fresh)}` },
    });
    const first = await send(false);
    return first.status === 401 ? send(true) : first;
  }

  /**
   * The body of a FHIR answer as JSON of the expected `resourceType`; anything else — an error
   * status (with the OperationOutcome's text), no JSON, another resource, an unusable id — is a
   * DvaError, which the page shows with the trace (issue 11 item 4: an external DVA can send anything).
   */
  async function json<T extends Resource>(res: Response, what: string, resourceType: string): Promise<T> {
    const body = await res.text().then((text) => JSON.parse(text) as unknown).catch(() => undefined);
    if (!res.ok) {
      const diagnostics = (body as { issue?: { diagnostics?: unknown }[] } | undefined)?.issue?.[0]?.diagnostics;
      throw new DvaError(`${what}: ${typeof diagnostics === "string" && diagnostics ? diagnostics.slice(0, 500) : `HTTP ${res.status}`}`, res.status);
    }
    if (body === undefined) throw new DvaError(`${what}: de DVA stuurde geen geldige FHIR JSON (HTTP ${res.status})`, 502);
    const resource = body as Partial<Resource> | null;
    if (typeof resource !== "object" || resource === null || resource.resourceType !== resourceType) {
      throw new DvaError(`${what}: de DVA stuurde geen ${resourceType} (HTTP ${res.status})`, 502);
    }
    if (resourceType !== "Bundle" && !(typeof resource.id === "string" && FHIR_ID.test(resource.id))) {
      throw new DvaError(`${what}: de DVA stuurde een ${resourceType} zonder geldig id (HTTP ${res.status})`, 502);
    }
    return resource as T;
  }

  return {
    async search(type: string, query: Record<string, string | string[]>, trace: Trace): Promise<Bundle> {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const value of [v].flat()) params.append(k, value);
      return json<Resource & Bundle>(await call(`${type}?${params}`, trace), `zoeken in ${type}`, "Bundle");
    },
    async read(type: string, id: string, trace: Trace): Promise<Resource | null> {
      const res = await call(`${type}/${encodeURIComponent(id)}`, trace);
      if (res.status === 404) return null;
      return json<Resource>(res, `${type}/${id} lezen`, type);
    },
    /** POST; with `ifNoneExist` (http.html#ccreate) a resource that already matches is returned instead (`created` false). */
    async create(resource: Resource, trace: Trace, ifNoneExist?: string): Promise<{ resource: Resource; created: boolean }> {
      const res = await call(resource.resourceType, trace, { method: "POST", body: JSON.stringify(resource),
        ...(ifNoneExist ? { headers: { "If-None-Exist": ifNoneExist } } : {}) });
      return { resource: await json<Resource>(res, `${resource.resourceType} aanmaken`, resource.resourceType), created: res.status === 201 };
    },
    /** JSON Patch with If-Match (the Task changes only when nobody changed it in between). */
    async patch(type: string, id: string, operations: unknown[], version: string | undefined, trace: Trace): Promise<Resource> {
      return json<Resource>(await call(`${type}/${encodeURIComponent(id)}`, trace, {
        method: "PATCH", body: JSON.stringify(operations),
        headers: { "Content-Type": "application/json-patch+json", ...(version ? { "If-Match": `W/"${version}"` } : {}) },
      }), `${type}/${id} wijzigen`, type);
    },
  };
}

export type DvaClient = ReturnType<typeof createDvaClient>;

/** The resources of a search bundle by mode. */
export function entries(bundle: Bundle, mode: "match" | "include" = "match"): Resource[] {
  const all: unknown[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  return all.filter((e): e is { resource: Resource; search?: { mode?: string } } =>
    typeof e === "object" && e !== null && typeof (e as { resource?: unknown }).resource === "object" && (e as { resource?: unknown }).resource !== null)
    .filter((e) => (e.search?.mode ?? "match") === mode).map((e) => e.resource);
}
