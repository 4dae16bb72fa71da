/**
 * The floor (issue 16): the least a FHIR read can cost on this stack — Bun.serve and bun:sqlite
 * reading one stored resource by its primary key from the same database file, its JSON text as is,
 * with the read's headers. No authentication, no access rule, no log. Run as a child of the bench:
 * `bun bench/peers/floor-server.ts <port> <database file>`; GET /<dva>/<type>/<id>, any host.
 */
import { Database } from "bun:sqlite";

const port = Number(Bun.argv[2] ?? 0);
const db = new Database(Bun.argv[3] ?? ":memory:", { readonly: true });
const read = db.query<{ json: string; version_id: number; last_updated: string }, [string, string, string]>(
  "SELECT json, version_id, last_updated FROM fhir_resource WHERE dva = ? AND type = ? AND id = ? AND deleted = 0");

Bun.serve({
  port,
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/health") return new Response("ok");
    const [, dva, type, id] = path.split("/");
    const row = dva && type && id ? read.get(dva, type, id) : null;
    if (!row) return new Response("not found", { status: 404 });
    return new Response(row.json, { headers: { "Content-Type": "application/fhir+json", ETag: `W/"${row.version_id}"`, "Last-Modified": new Date(row.last_updated).toUTCString() } });
  },
});
