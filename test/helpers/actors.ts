/**
 * The sandbox API as a team's script calls it (issue 14): JSON in and out; the owner token a
 * registration answers is kept per actor id and sent as a Bearer token on PUT and DELETE of it.
 */
export type Json = Record<string, any>;
const owners = new Map<string, string>();

export async function actorApi(origin: string, path: string, method = "GET", body?: unknown, o: { owner?: string | null } = {}): Promise<{ status: number; json: Json }> {
  const id = /^\/api\/actors\/([^/]+)/.exec(path)?.[1];
  const owner = o.owner !== undefined ? o.owner : id ? owners.get(decodeURIComponent(id)) ?? null : null;
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
  if (owner && method !== "GET") headers.authorization = `Bearer ${owner}`;
  const res = await fetch(`${origin}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const json = await res.json().catch(() => ({})) as Json;
  if (method === "POST" && path === "/api/actors" && res.status === 201 && typeof json.owner_token === "string") owners.set(json.id, json.owner_token);
  return { status: res.status, json };
}
