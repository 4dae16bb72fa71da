/**
 * MedMij Beheer's logging interface (issue 13), shaped after the real one ("MedMij Logging API"
 * 1.0, `https://api.medmij.nl/eagleeye/v1`): framework-free, so that a delivery's body is read
 * only after its credentials are checked and only up to the limit.
 *
 *   POST /eagleeye/v1/logs                       deliver (JSON array or NDJSON) → 201 {aanlevering, technischOk, regels, ...}
 *   GET  /eagleeye/v1/logs?from&to&count&valid&aanlevering   the sender's lines
 *   GET  /eagleeye/v1/aanleveringen[/{id}]       the sender's deliveries
 *   GET  /eagleeye/v1/swagger, /eagleeye/v1/schema   OpenAPI 3.1, the line's JSON Schema (CHAIN_LINE_SCHEMA; no login)
 */
import { CHAIN_LINE_SCHEMA } from "../shared/chain-events.ts";
import { jsonResponse } from "../shared/html.ts";
import { ReaderStopped } from "../shared/reader.ts";
import type { Participant } from "../shared/participants.ts";
import { REALM, authenticate } from "./auth.ts";
import { MAX_DELIVERY_CHARS, checkDelivery } from "./delivery.ts";
import { openApi } from "./openapi.ts";
import type { BeheerStore, DeliveryRecord, LineFilter, LineRecord } from "./store.ts";

export const API_BASE = "/eagleeye/v1";

const problem = (status: number, error: string, description: string, headers: Record<string, string> = {}) =>
  jsonResponse({ error, error_description: description }, status, headers);
const unauthorized = () => problem(401, "unauthorized", "Log in met HTTP Basic: de gebruikersnaam en het wachtwoord van uw PGO of DVA bij MedMij Beheer (GET /api/network op de cockpit, veld beheer).",
  { "WWW-Authenticate": `Basic realm="${REALM}", charset="UTF-8"` });
const tooLarge = () => problem(413, "payload_too_large", `Een aanlevering is ten hoogste ${MAX_DELIVERY_CHARS.toLocaleString("nl-NL")} tekens (60 MB). Lever in kleinere delen aan.`);
const notAllowed = (allow: string) => problem(405, "method_not_allowed", `Hier kan alleen ${allow}.`, { Allow: allow });

/** The body as text, or null beyond MAX_DELIVERY_CHARS (stops reading there: a 60 MB limit is not a 60 MB buffer per attacker). */
async function readBounded(request: Request): Promise<string | null> {
  const length = Number(request.headers.get("content-length") ?? "");
  // A UTF-8 byte is at most one character; three bytes or more make one (a 4-byte character is 2 UTF-16 units).
  if (Number.isFinite(length) && length > 3 * MAX_DELIVERY_CHARS) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let chars = 0;
  for (;;) {
    const { done, value } = await reader.read();
    const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
    chars += text.length;
    if (chars > MAX_DELIVERY_CHARS) { await reader.cancel().catch(() => {}); return null; }
    parts.push(text);
    if (done) return parts.join("");
  }
}

/** xs:dateTime with offset (as SD 4.5 writes it), "+" possibly arriving as a space; epoch ms or null. */
function dateTime(raw: string): number | null {
  const value = raw.trim().replace(/ (\d\d:\d\d)$/, "+$1");
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const deliveryJson = (d: DeliveryRecord) => ({
  aanlevering: d.id, ontvangen: d.ontvangen, technischOk: d.technischOk, aantalRegels: d.regels, regelsMetProblemen: d.regelsMetProblemen, functioneleFouten: d.functioneleFouten,
});

function lineJson(l: LineRecord) {
  let regel: unknown = l.line;
  try { regel = JSON.parse(l.line); } catch { /* not JSON: delivered as a string */ }
  return { aanlevering: l.aanlevering, index: l.index, valid: !l.functioneleFout, problemen: l.problemen, regel };
}

export function createLoggingApi(store: BeheerStore, participants: readonly Participant[], origin: string) {
  const result = (d: DeliveryRecord) => ({ ...deliveryJson(d), problemen: d.problemen, regels: store.problemsOf(d) });

  async function deliver(request: Request, p: Participant): Promise<Response> {
    const body = await readBounded(request);
    if (body === null) return tooLarge();
    const d = store.saveDelivery(p.username, checkDelivery(body, p));
    // Stored: a prune cut off because the sandbox stops must not turn it into a 503 (a retry would store it twice).
    await store.pruneDue(2 * d.regels).catch((e: unknown) => { if (!(e instanceof ReaderStopped)) throw e; });
    return jsonResponse(result(d), 201, { Location: `${API_BASE}/aanleveringen/${d.id}` });
  }

  function lines(url: URL, p: Participant): Response {
    const q = url.searchParams;
    const f: LineFilter = { count: 100 };
    for (const key of ["from", "to"] as const) {
      const raw = q.get(key);
      if (raw === null || raw === "") continue;
      const ms = dateTime(raw);
      if (ms === null) return problem(400, "invalid_request", `${key} moet een datum-tijd met tijdzone zijn, bijvoorbeeld 2025-09-22T14:35:12.789+02:00`);
      if (key === "from") f.fromMs = ms; else f.toMs = ms;
    }
    const count = q.get("count");
    if (count !== null && count !== "") {
      if (!/^\d{1,5}$/.test(count) || Number(count) < 1 || Number(count) > 10_000) return problem(400, "invalid_request", "count moet een geheel getal van 1 tot en met 10000 zijn");
      f.count = Number(count);
    }
    const valid = q.get("valid");
    if (valid !== null && valid !== "") {
      if (valid !== "true" && valid !== "false") return problem(400, "invalid_request", "valid moet true of false zijn");
      f.valid = valid === "true";
    }
    const id = q.get("aanlevering");
    if (id) {
      const d = store.delivery(id.slice(0, 100));
      if (!d || d.deelnemer !== p.username) return problem(404, "not_found", "Geen aanlevering van u met dit id.");
      f.delivery = d;
    }
    const found = store.linesOf(p.username, f);
    return jsonResponse({ aantal: found.length, regels: found.map(lineJson) });
  }

  return async function handle(request: Request, url: URL): Promise<Response> {
    const path = url.pathname.replace(/\/+$/, "");
    const method = request.method;
    if (path === `${API_BASE}/swagger`) return method === "GET" || method === "HEAD" ? jsonResponse(openApi(`${origin}${API_BASE}`)) : notAllowed("GET");
    if (path === `${API_BASE}/schema`) return method === "GET" || method === "HEAD" ? jsonResponse(CHAIN_LINE_SCHEMA, 200, { "Content-Type": "application/schema+json" }) : notAllowed("GET");
    const known = path === `${API_BASE}/logs` || path === `${API_BASE}/aanleveringen` || path.startsWith(`${API_BASE}/aanleveringen/`);
    if (!known) return problem(404, "not_found", `Op de logging interface bestaat ${url.pathname} niet; zie ${API_BASE}/swagger.`);
    const allow = path === `${API_BASE}/logs` ? "GET, POST" : "GET";
    if (!allow.split(", ").includes(method) && method !== "HEAD") return notAllowed(allow);
    const p = authenticate(request, participants);
    if (!p) return unauthorized();
    if (path === `${API_BASE}/logs`) return method === "POST" ? deliver(request, p) : lines(url, p);
    if (path === `${API_BASE}/aanleveringen`) {
      const count = url.searchParams.get("count") ?? "100";
      if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > 1000) return problem(400, "invalid_request", "count moet een geheel getal van 1 tot en met 1000 zijn");
      return jsonResponse({ aanleveringen: store.deliveriesOf(p.username, Number(count)).map(deliveryJson) });
    }
    let id = path.slice(`${API_BASE}/aanleveringen/`.length);
    try { id = decodeURIComponent(id); } catch { /* not percent-encoded text: no such id */ }
    const d = store.delivery(id.slice(0, 100));
    if (!d || d.deelnemer !== p.username) return problem(404, "not_found", "Geen aanlevering van u met dit id.");
    return jsonResponse(result(d));
  };
}
