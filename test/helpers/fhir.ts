/** Call a sandbox DVA's FHIR server as a client would: a zorgaanbieder's system token, and JSON requests. */
import type { SandboxUrls } from "./dva.ts";

/** client_credentials for a zorgaanbieder's system (the default network's secrets are `<id>-secret`). */
export async function systemToken(sandbox: SandboxUrls, clientId: string, dva = "zorgnet", scope = "system/*.*"): Promise<string> {
  const res = await fetch(`${sandbox.url(`auth.${dva}`)}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString("base64")}` }, body: new URLSearchParams({ grant_type: "client_credentials", scope }) });
  const body = await res.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`no system token for ${clientId}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export type Json = Record<string, any>;

/** One FHIR interaction; `path` is relative to the DVA's FHIR base. */
export async function fhir(sandbox: SandboxUrls, token: string, method: string, path: string, o: { body?: unknown; dva?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${sandbox.url(`fhir.${o.dva ?? "zorgnet"}`)}/fhir/${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(o.body !== undefined ? { "content-type": o.headers?.["content-type"] ?? "application/fhir+json" } : {}), ...o.headers },
    ...(o.body !== undefined ? { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let json: Json | null = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json: json as Json, headers: res.headers };
}

/** The ids of a search bundle's matches, sorted. */
export const matchIds = (bundle: Json): string[] =>
  ((bundle.entry ?? []) as Json[]).filter((e) => e.search?.mode === "match").map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
