/**
 * Every error the DVA FHIR server can give (SPEC §6, README "DVA FHIR server"), as one table over
 * HTTP against the real sandbox: status, `Content-Type: application/fhir+json`, an
 * OperationOutcome with the exact `issue[0].code`, the headers the spec asks for (WWW-Authenticate,
 * Allow, Retry-After), no stack trace in the body, and — for writes — the stored resource unchanged
 * afterwards (same versionId / ETag, or the same count for a refused create).
 */
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, moduleToken } from "../helpers/dva.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;

/** Tokens, obtained once (beforeAll). */
const tokens = {
  /** his-delinde, client_credentials, system/*.* */
  system: "",
  /** his-delinde, client_credentials, system/*.read */
  systemRead: "",
  /** his-delinde, revoked through /connect/revocation */
  systemRevoked: "",
  /** Tom's PGO token (collect flow) */
  tom: "",
  /** Another PGO token of Tom, revoked through /connect/revocation */
  tomRevoked: "",
  /** Koos's PGO token from the other DVA (ggzconnect) */
  koosGgz: "",
  /** ZorgModules launched on Tom's intake Task, SMART scopes incl. patient/Task.* */
  module: "",
  /** ZorgModules launched on Tom's intake Task with read scopes only */
  moduleRead: "",
};

const INTAKE = "/Task/task-tom-delinde-intake";
const MRC2 = "/Task/task-tom-delinde-mrc-2";
const PHQ9 = "/Task/task-tom-delinde-phq-9";
const KOOS_STRESS = "/Task/task-koos-delinde-stress";
const TOM = "/Patient/patient-tom";
/** Refused creates: the number of resources (and the bundle ETag, which covers every version) stays the same. */
const TASKS = "/Task?_summary=count";
const PATIENTS = "/Patient?_summary=count";
const ENDPOINTS = "/Endpoint?_summary=count";
const SERVICE_REQUESTS = "/ServiceRequest?_summary=count";
const QUESTIONNAIRE_RESPONSES = "/QuestionnaireResponse?_summary=count";

type Body = Record<string, unknown>;
/** Tom's intake Task (version 1) and mrc-2 after one update (version 2), as read in beforeAll. */
let intake: Body;
let mrc2: Body;

const FHIR_JSON = "application/fhir+json";
const JSON_PATCH = "application/json-patch+json";
const FORM = "application/x-www-form-urlencoded";
const BIG = "x".repeat(1_100_000); // over 1 MiB once inside any JSON body

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

interface CallOptions {
  /** Bearer token; null sends no Authorization header. Default: the system token. */
  token?: string | null;
  /** A string is sent as is, anything else as JSON. */
  body?: unknown;
  /** Content-Type of the body (default application/fhir+json). */
  type?: string;
  headers?: Record<string, string>;
  dva?: string;
}

/** One request to the FHIR server; `path` is relative to `/fhir`. */
function call(method: string, path: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...o.headers };
  const token = o.token === undefined ? tokens.system : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    headers["content-type"] = o.type ?? FHIR_JSON;
  }
  return get(`${sandbox.url(`fhir.${o.dva ?? "zorgnet"}`)}/fhir${path}`, { method, headers, body });
}

const patch = (path: string, ops: unknown, o: CallOptions = {}) => call("PATCH", path, { type: JSON_PATCH, ...o, body: ops });
const setStatus = (value: string) => [{ op: "replace", path: "/status", value }];
const newTask = { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/patient-tom" } };

/** What identifies the stored state behind a path: versionId and ETag of a resource, or total and ETag of a count. */
async function snapshot(path: string) {
  const res = await call("GET", path);
  const body = await res.json() as { meta?: { versionId?: string }; total?: number };
  return { path, status: res.status, etag: res.headers.get("etag"), versionId: body.meta?.versionId ?? null, total: body.total ?? null };
}

/** A module's SMART token with the given scopes (test/helpers/dva.ts moduleToken always asks for the write scopes). */
async function smartToken(task: string, scope: string): Promise<string> {
  const auth = sandbox.url("auth.zorgnet");
  const clientId = "zorgmodules-zorgnet";
  const pgo = await collectTokens(sandbox);
  const form = (fields: Record<string, string>, authorization?: string) => ({
    method: "POST", body: new URLSearchParams(fields), headers: { "content-type": FORM, ...(authorization ? { authorization } : {}) },
  });
  const exchange = await (await fetch(`${auth}/token`, form({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgo.access_token,
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
    audience: clientId, scope: "delinde", smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule" }),
  }))).json() as { access_token: string };
  const verifier = "v".repeat(43) + crypto.randomUUID().replace(/-/g, "");
  const redirectUri = sandbox.ctx.network.modules.flatMap((m) => m.clients).find((c) => c.clientId === clientId)!.redirectUris[0]!;
  const authorize = new URL(`${auth}/connect/authorize`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: redirectUri, launch: exchange.access_token,
    aud: `${sandbox.url("fhir.zorgnet")}/fhir`, state: "s", scope, code_challenge: new Bun.CryptoHasher("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256" })) authorize.searchParams.set(k, v);
  const back = await get(authorize.href, { headers: { cookie: pgo.cookies } });
  const code = new URL(back.headers.get("location")!).searchParams.get("code")!;
  const token = await (await fetch(`${auth}/connect/token`, form({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier },
    basic(clientId, `${clientId}-secret`)))).json() as { access_token: string; scope: string };
  expect(token.scope).toBe(scope);
  return token.access_token;
}

async function systemToken(scope: string): Promise<string> {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST",
    headers: { "content-type": FORM, authorization: basic("his-delinde", "his-delinde-secret") }, body: new URLSearchParams({ grant_type: "client_credentials", scope }) });
  expect(res.status).toBe(200);
  return (await res.json() as { access_token: string }).access_token;
}

/** RFC 7009 at the DVA's authorization server; the client authenticates like at its token endpoint. */
async function revoke(token: string, client: { form?: Record<string, string>; authorization?: string }) {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/connect/revocation`, { method: "POST",
    headers: { "content-type": FORM, ...(client.authorization ? { authorization: client.authorization } : {}) },
    body: new URLSearchParams({ token, ...client.form }) });
  expect(res.status).toBe(200);
}

const setFaults = async (faults: object) => {
  const res = await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(faults) });
  expect(res.ok).toBe(true);
};
const clearFaults = () => fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tokens.system = await systemToken("system/*.*");
  tokens.systemRead = await systemToken("system/*.read");
  tokens.systemRevoked = await systemToken("system/*.*");
  tokens.tom = (await collectTokens(sandbox)).access_token;
  tokens.tomRevoked = (await collectTokens(sandbox)).access_token;
  tokens.koosGgz = (await collectTokens(sandbox, { dva: "ggzconnect", scope: "ggzoostland", bsn: "999991024" })).access_token;
  tokens.module = (await moduleToken(sandbox, { task: "task-tom-delinde-intake" })).module.access_token;
  tokens.moduleRead = await smartToken("task-tom-delinde-intake", "launch fhirUser patient/*.read");

  // The revoked tokens worked before they were revoked, so their 401 is the revocation's doing.
  expect((await call("GET", INTAKE, { token: tokens.tomRevoked })).status).toBe(200);
  expect((await call("GET", INTAKE, { token: tokens.systemRevoked })).status).toBe(200);
  await revoke(tokens.tomRevoked, { form: { client_id: "pgo.localhost" } });
  await revoke(tokens.systemRevoked, { authorization: basic("his-delinde", "his-delinde-secret") });

  intake = await (await call("GET", INTAKE)).json() as Body;
  // mrc-2 gets a second version, so that W/"1" is a really stale ETag for it.
  expect((await patch(MRC2, [{ op: "add", path: "/description", value: "Herhaalmeting (bijgewerkt)" }], { headers: { "If-Match": 'W/"1"' } })).status).toBe(200);
  const current = await call("GET", MRC2);
  expect(current.headers.get("etag")).toBe('W/"2"');
  mrc2 = await current.json() as Body;
});
afterAll(async () => {
  await clearFaults();
  await sandbox.stop();
});

interface ErrorCase {
  name: string;
  request: () => Promise<Response>;
  status: number;
  /** issue[0].code */
  code: string;
  /** Headers the spec asks for: exact value or pattern. */
  header?: Record<string, string | RegExp>;
  /** issue[0].expression, where the server names the element. */
  expression?: string;
  /** Paths (read with the system token) whose stored state must be the same after the request. */
  unchanged?: string[];
}

const bearer = (error: string) => new RegExp(`^Bearer error="${error}", error_description="[^"]+"$`);

const cases: ErrorCase[] = [
  // 400 Bad Request
  { name: "unknown resource type (read)", request: () => call("GET", "/Observation/x", { token: tokens.tom }), status: 400, code: "not-supported" },
  { name: "unknown resource type (search)", request: () => call("GET", "/Observation?code=x", { token: tokens.tom }), status: 400, code: "not-supported" },
  { name: "unknown resource type (create)", request: () => call("POST", "/Observation", { body: { resourceType: "Observation" } }), status: 400, code: "not-supported" },
  { name: "malformed JSON in a POST", request: () => call("POST", "/Task", { body: '{"resourceType": "Task",' }), status: 400, code: "structure", unchanged: [TASKS] },
  { name: "malformed JSON in a PUT", request: () => call("PUT", INTAKE, { body: "{oops" }), status: 400, code: "structure", unchanged: [INTAKE] },
  { name: "malformed JSON in a PATCH", request: () => patch(INTAKE, '[{"op": "replace",'), status: 400, code: "structure", unchanged: [INTAKE] },
  { name: "a JSON array where a resource belongs", request: () => call("POST", "/Task", { body: "[1,2]" }), status: 400, code: "invalid", unchanged: [TASKS] },
  { name: "a JSON Patch that is not an array", request: () => patch(INTAKE, { op: "replace", path: "/status", value: "in-progress" }), status: 400, code: "invalid", unchanged: [INTAKE] },
  { name: "a JSON Patch on a path that does not exist", request: () => patch(INTAKE, [{ op: "replace", path: "/nope/deeper", value: 1 }]), status: 400, code: "invalid", unchanged: [INTAKE] },
  { name: "a JSON Patch that changes the id", request: () => patch(INTAKE, [{ op: "replace", path: "/id", value: "task-other" }]), status: 400, code: "invalid", unchanged: [INTAKE] },
  { name: "a FHIRPath Patch with an unsupported operation", request: () => call("PATCH", INTAKE, { body: { resourceType: "Parameters", parameter: [{ name: "operation",
    part: [{ name: "type", valueCode: "move" }, { name: "path", valueString: "Task.status" }] }] } }), status: 400, code: "not-supported", unchanged: [INTAKE] },
  { name: "resourceType does not match the URL (POST)", request: () => call("POST", "/Task", { body: { resourceType: "Patient" } }), status: 400, code: "invalid", expression: "resourceType", unchanged: [TASKS, PATIENTS] },
  { name: "resourceType does not match the URL (PUT)", request: () => call("PUT", INTAKE, { body: { ...intake, resourceType: "Patient" } }), status: 400, code: "invalid", expression: "resourceType", unchanged: [INTAKE] },
  { name: "id in the body differs from the URL (PUT)", request: () => call("PUT", INTAKE, { body: { ...intake, id: "task-tom-delinde-mrc-2" } }), status: 400, code: "invalid", expression: "Task.id", unchanged: [INTAKE, MRC2] },
  { name: "id with characters outside [A-Za-z0-9.-] (PUT)", request: () => call("PUT", "/Patient/bad%20id", { body: { resourceType: "Patient", id: "bad id" } }), status: 400, code: "invalid", unchanged: [PATIENTS] },
  { name: "If-Match that is not an ETag (PATCH)", request: () => patch(INTAKE, setStatus("in-progress"), { headers: { "If-Match": "version-1" } }), status: 400, code: "invalid", unchanged: [INTAKE] },
  { name: "If-Match that is not an ETag (PUT)", request: () => call("PUT", INTAKE, { body: { ...intake, description: "x" }, headers: { "If-Match": 'W/"one"' } }), status: 400, code: "invalid", unchanged: [INTAKE] },
  { name: "unknown search parameter under Prefer: handling=strict (GET)", request: () => call("GET", "/Task?foo=bar", { token: tokens.tom, headers: { Prefer: "handling=strict" } }), status: 400, code: "invalid", expression: "foo" },
  { name: "unknown search parameter under Prefer: handling=strict (POST _search)", request: () => call("POST", "/Task/_search", { token: tokens.tom, body: "foo=bar", type: FORM, headers: { Prefer: "handling=strict" } }), status: 400, code: "invalid", expression: "foo" },
  { name: "_lastUpdated that is not a date", request: () => call("GET", "/Task?_lastUpdated=gtyesterday", { token: tokens.tom }), status: 400, code: "invalid", expression: "_lastUpdated" },
  { name: "an _include the server does not support", request: () => call("GET", "/Task?_include=Task:nope", { token: tokens.tom }), status: 400, code: "invalid", expression: "_include" },
  { name: "_count that is not a number", request: () => call("GET", "/Task?_count=many", { token: tokens.tom }), status: 400, code: "invalid", expression: "_count" },
  { name: "bad percent-encoding in the path", request: () => call("GET", "/Task/%E0%A4%A", { token: tokens.tom }), status: 400, code: "invalid" },

  // 401 Unauthorized (RFC 6750 §3)
  { name: "no Authorization header", request: () => call("GET", "/Task", { token: null }), status: 401, code: "login", header: { "WWW-Authenticate": bearer("invalid_request") } },
  { name: "Basic instead of Bearer", request: () => call("GET", "/Task", { token: null, headers: { authorization: basic("his-delinde", "his-delinde-secret") } }),
    status: 401, code: "login", header: { "WWW-Authenticate": bearer("invalid_request") } },
  { name: "a garbage Bearer token", request: () => call("GET", "/Task", { token: "garbage" }), status: 401, code: "login", header: { "WWW-Authenticate": bearer("invalid_token") } },
  { name: "a token of the other DVA (ggzconnect)", request: () => call("GET", "/Task", { token: tokens.koosGgz }), status: 401, code: "login", header: { "WWW-Authenticate": bearer("invalid_token") } },
  { name: "a revoked PGO token", request: () => call("GET", INTAKE, { token: tokens.tomRevoked }), status: 401, code: "login", header: { "WWW-Authenticate": bearer("invalid_token") } },
  { name: "a write without a token", request: () => patch(INTAKE, setStatus("in-progress"), { token: null }), status: 401, code: "login",
    header: { "WWW-Authenticate": bearer("invalid_request") }, unchanged: [INTAKE] },
  { name: "a write with a revoked system token", request: () => call("PUT", INTAKE, { token: tokens.systemRevoked, body: { ...intake, description: "x" } }), status: 401, code: "login",
    header: { "WWW-Authenticate": bearer("invalid_token") }, unchanged: [INTAKE] },

  // 403 Forbidden
  { name: "a PGO token creates a Task", request: () => call("POST", "/Task", { token: tokens.tom, body: newTask }), status: 403, code: "forbidden", unchanged: [TASKS] },
  { name: "a PGO token PUTs its own Task", request: () => call("PUT", INTAKE, { token: tokens.tom, body: { ...intake, description: "x" } }), status: 403, code: "forbidden", unchanged: [INTAKE] },
  { name: "a PGO token PATCHes its own Task", request: () => patch(INTAKE, setStatus("in-progress"), { token: tokens.tom }), status: 403, code: "forbidden", unchanged: [INTAKE] },
  { name: "a system token with system/*.read creates a Task", request: () => call("POST", "/Task", { token: tokens.systemRead, body: newTask }), status: 403, code: "forbidden",
    header: { "WWW-Authenticate": bearer("insufficient_scope") }, unchanged: [TASKS] },
  { name: "a system token with system/*.read PATCHes a Task", request: () => patch(INTAKE, setStatus("in-progress"), { token: tokens.systemRead }), status: 403, code: "forbidden",
    header: { "WWW-Authenticate": bearer("insufficient_scope") }, unchanged: [INTAKE] },
  { name: "a module token without a write scope PATCHes its launched Task", request: () => patch(INTAKE, setStatus("in-progress"), { token: tokens.moduleRead }), status: 403,
    code: "forbidden", header: { "WWW-Authenticate": bearer("insufficient_scope") }, unchanged: [INTAKE] },
  { name: "a module token creates a Task", request: () => call("POST", "/Task", { token: tokens.module, body: newTask }), status: 403, code: "forbidden", unchanged: [TASKS] },
  { name: "a module token PUTs its launched Task", request: () => call("PUT", INTAKE, { token: tokens.module, body: { ...intake, status: "in-progress" } }), status: 403, code: "forbidden", unchanged: [INTAKE] },

  // 404 Not Found
  { name: "an unknown Task id", request: () => call("GET", "/Task/does-not-exist", { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "another patient's Task with a PGO token", request: () => call("GET", KOOS_STRESS, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "another patient's Task history with a PGO token", request: () => call("GET", `${KOOS_STRESS}/_history`, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "another patient's Task vread with a PGO token", request: () => call("GET", `${KOOS_STRESS}/_history/1`, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "an unknown vread version", request: () => call("GET", `${INTAKE}/_history/99`, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "a vread version that is not a number", request: () => call("GET", `${INTAKE}/_history/latest`, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "an unknown path under /fhir", request: () => call("GET", `${INTAKE}/x/y/z`, { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "the bare /fhir base", request: () => call("GET", "", { token: tokens.tom }), status: 404, code: "not-found" },
  { name: "PATCH of a Task that does not exist", request: () => patch("/Task/does-not-exist", setStatus("in-progress")), status: 404, code: "not-found", unchanged: [TASKS] },
  { name: "a module PATCHes a Task other than the launched one", request: () => patch(MRC2, setStatus("in-progress"), { token: tokens.module }), status: 404, code: "not-found", unchanged: [MRC2] },
  { name: "a module PATCHes another patient's Task", request: () => patch(KOOS_STRESS, setStatus("in-progress"), { token: tokens.module }), status: 404, code: "not-found", unchanged: [KOOS_STRESS] },

  // 405 Method Not Allowed, with Allow
  { name: "DELETE a Task", request: () => call("DELETE", INTAKE), status: 405, code: "not-supported", header: { Allow: "GET, PUT, PATCH, OPTIONS" }, unchanged: [INTAKE] },
  { name: "DELETE the Task type", request: () => call("DELETE", "/Task"), status: 405, code: "not-supported", header: { Allow: "GET, POST, OPTIONS" }, unchanged: [TASKS] },
  { name: "POST on a vread URL", request: () => call("POST", `${INTAKE}/_history/1`, { body: intake }), status: 405, code: "not-supported", header: { Allow: "GET, OPTIONS" }, unchanged: [INTAKE] },
  // PATCH is a Task interaction only (CapabilityStatement): on another type the method is not allowed there.
  { name: "PATCH on a type other than Task", request: () => patch(TOM, [{ op: "add", path: "/active", value: false }]), status: 405, code: "not-supported",
    header: { Allow: "GET, PUT, OPTIONS" }, unchanged: [TOM] },

  // 406 Not Acceptable (http.html#mime: FHIR JSON only; _format overrides Accept)
  { name: "a read that accepts XML only", request: () => call("GET", INTAKE, { token: tokens.tom, headers: { Accept: "application/fhir+xml" } }), status: 406, code: "not-supported" },
  { name: "a search that accepts application/xml only", request: () => call("GET", "/Task", { token: tokens.tom, headers: { Accept: "application/xml" } }), status: 406, code: "not-supported" },
  { name: "JSON of another FHIR version (fhirVersion=3.0)", request: () => call("GET", INTAKE, { token: tokens.tom, headers: { Accept: "application/fhir+json; fhirVersion=3.0" } }), status: 406, code: "not-supported" },
  { name: "_format=xml on a read", request: () => call("GET", `${INTAKE}?_format=xml`, { token: tokens.tom }), status: 406, code: "not-supported", expression: "_format" },
  { name: "_format=xml in a POST _search form", request: () => call("POST", "/Task/_search", { token: tokens.tom, body: "_format=xml", type: FORM }), status: 406, code: "not-supported", expression: "_format" },
  { name: "a write that accepts XML only (nothing written)", request: () => call("PUT", INTAKE, { body: { ...intake, description: "x" }, headers: { Accept: "application/fhir+xml" } }),
    status: 406, code: "not-supported", unchanged: [INTAKE] },
  { name: "the CapabilityStatement as XML", request: () => call("GET", "/metadata", { token: null, headers: { Accept: "application/fhir+xml" } }), status: 406, code: "not-supported" },

  // 415 Unsupported Media Type (RFC 9110 §15.5.16): the body's format is not one this interaction takes
  { name: "POST with an XML content type", request: () => call("POST", "/Task", { body: "<Task/>", type: "application/fhir+xml" }), status: 415, code: "not-supported", unchanged: [TASKS] },
  { name: "POST without a content type", request: () => call("POST", "/Task", { body: newTask, type: "" }), status: 415, code: "not-supported", unchanged: [TASKS] },
  { name: "PUT with a text/plain content type", request: () => call("PUT", INTAKE, { body: intake, type: "text/plain" }), status: 415, code: "not-supported", unchanged: [INTAKE] },
  { name: "PATCH with application/json (neither JSON Patch nor FHIR)", request: () => patch(INTAKE, setStatus("in-progress"), { type: "application/json" }), status: 415, code: "not-supported",
    header: { "Accept-Patch": "application/json-patch+json, application/fhir+json" }, unchanged: [INTAKE] },
  { name: "POST _search without a form content type", request: () => call("POST", "/Task/_search", { token: tokens.tom, body: "status=requested", type: "application/json" }), status: 415, code: "not-supported" },

  // 412 Precondition Failed (a stale If-Match; the SD's 409 is not used)
  { name: "PATCH with a stale If-Match", request: () => patch(MRC2, setStatus("in-progress"), { headers: { "If-Match": 'W/"1"' } }), status: 412, code: "conflict", unchanged: [MRC2] },
  { name: "PUT with a stale If-Match", request: () => call("PUT", MRC2, { body: { ...mrc2, description: "stale" }, headers: { "If-Match": 'W/"1"' } }), status: 412, code: "conflict", unchanged: [MRC2] },
  { name: "PATCH with an If-Match of a version that never existed", request: () => patch(INTAKE, setStatus("in-progress"), { headers: { "If-Match": 'W/"99"' } }), status: 412, code: "conflict", unchanged: [INTAKE] },

  // 413 Payload Too Large (over 1 MiB)
  { name: "POST body over 1 MiB", request: () => call("POST", "/Patient", { body: { resourceType: "Patient", name: [{ text: BIG }] } }), status: 413, code: "too-costly", unchanged: [PATIENTS] },
  { name: "PUT body over 1 MiB", request: () => call("PUT", INTAKE, { body: { ...intake, description: BIG } }), status: 413, code: "too-costly", unchanged: [INTAKE] },
  { name: "PATCH body over 1 MiB", request: () => patch(INTAKE, [{ op: "add", path: "/description", value: BIG }]), status: 413, code: "too-costly", unchanged: [INTAKE] },
  { name: "POST _search form over 1 MiB", request: () => call("POST", "/Task/_search", { token: tokens.tom, body: `status=${BIG}`, type: FORM }), status: 413, code: "too-costly" },

  // 422 Unprocessable Entity (business rules, required elements of SPEC §3)
  { name: "PATCH requested → completed (not an allowed transition)", request: () => patch(INTAKE, setStatus("completed")), status: 422, code: "business-rule", expression: "Task.status", unchanged: [INTAKE] },
  { name: "PATCH cancelled → in-progress (not an allowed transition)", request: () => patch(PHQ9, setStatus("in-progress")), status: 422, code: "business-rule", expression: "Task.status", unchanged: [PHQ9] },
  { name: "PATCH cancel without statusReason.text", request: () => patch(INTAKE, setStatus("cancelled")), status: 422, code: "business-rule", expression: "Task.statusReason", unchanged: [INTAKE] },
  { name: "PUT cancel without statusReason.text", request: () => call("PUT", INTAKE, { body: { ...intake, status: "cancelled" } }), status: 422, code: "business-rule", expression: "Task.statusReason", unchanged: [INTAKE] },
  { name: "create a Task without for", request: () => call("POST", "/Task", { body: { ...newTask, for: undefined } }), status: 422, code: "business-rule", expression: "Task.for", unchanged: [TASKS] },
  { name: "create a Task without intent", request: () => call("POST", "/Task", { body: { ...newTask, intent: undefined } }), status: 422, code: "business-rule", expression: "Task.intent", unchanged: [TASKS] },
  { name: "create a Task with a status that is no FHIR task status", request: () => call("POST", "/Task", { body: { ...newTask, status: "done" } }), status: 422, code: "business-rule", expression: "Task.status", unchanged: [TASKS] },
  { name: "PUT a Task without status", request: () => call("PUT", INTAKE, { body: { ...intake, status: undefined } }), status: 422, code: "business-rule", expression: "Task.status", unchanged: [INTAKE] },
  { name: "create an Endpoint without address", request: () => call("POST", "/Endpoint", { body: { resourceType: "Endpoint", status: "active", connectionType: { code: "hl7-fhir-rest" }, payloadType: [{ text: "any" }] } }),
    status: 422, code: "business-rule", expression: "Endpoint.address", unchanged: [ENDPOINTS] },
  { name: "create a ServiceRequest without subject", request: () => call("POST", "/ServiceRequest", { body: { resourceType: "ServiceRequest", status: "active", intent: "plan" } }),
    status: 422, code: "business-rule", expression: "ServiceRequest.subject", unchanged: [SERVICE_REQUESTS] },
  { name: "create a QuestionnaireResponse without status", request: () => call("POST", "/QuestionnaireResponse", { body: { resourceType: "QuestionnaireResponse", subject: { reference: "Patient/patient-tom" } } }),
    status: 422, code: "business-rule", expression: "QuestionnaireResponse.status", unchanged: [QUESTIONNAIRE_RESPONSES] },
  { name: "a module PATCHes an element other than status/output", request: () => patch(INTAKE, [{ op: "replace", path: "/description", value: "x" }], { token: tokens.module }),
    status: 422, code: "business-rule", expression: "Task.description", unchanged: [INTAKE] },
  { name: "a module creates a QuestionnaireResponse for another patient", request: () => call("POST", "/QuestionnaireResponse", { token: tokens.module,
    body: { resourceType: "QuestionnaireResponse", status: "in-progress", subject: { reference: "Patient/patient-koos" } } }),
    status: 422, code: "business-rule", expression: "QuestionnaireResponse.subject", unchanged: [QUESTIONNAIRE_RESPONSES] },
];

interface Outcome { resourceType: string; issue: { severity: string; code: string; diagnostics?: string; expression?: string[] }[] }

/** The shape every failure shares: the status, FHIR JSON, an OperationOutcome with this code, no stack trace. */
async function expectOutcome(res: Response, status: number, code: string): Promise<Outcome> {
  const text = await res.text();
  expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers.get("content-type")).toBe(FHIR_JSON);
  expect(text).not.toContain("    at ");
  expect(text).not.toMatch(/\bat .*\.tsx?:\d+/);
  const body = JSON.parse(text) as Outcome;
  expect(body.resourceType).toBe("OperationOutcome");
  expect(body.issue[0]!.code).toBe(code);
  expect(["error", "fatal"]).toContain(body.issue[0]!.severity);
  expect(body.issue[0]!.diagnostics).toBeString();
  expect(body.issue[0]!.diagnostics!.length).toBeGreaterThan(0);
  return body;
}

describe("every FHIR error is an OperationOutcome with the right status, code and headers", () => {
  for (const c of cases) {
    test(`${c.status} ${c.code}: ${c.name}`, async () => {
      const before = await Promise.all((c.unchanged ?? []).map(snapshot));
      for (const s of before) expect(s.status).toBe(200);
      const res = await c.request();
      const body = await expectOutcome(res, c.status, c.code);
      for (const [name, value] of Object.entries(c.header ?? {})) {
        if (typeof value === "string") expect(res.headers.get(name)).toBe(value);
        else expect(res.headers.get(name) ?? "").toMatch(value);
      }
      if (c.expression) expect(body.issue[0]!.expression).toEqual([c.expression]);
      // CORS on every answer, errors included (browser-based modules must be able to read them).
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(await Promise.all((c.unchanged ?? []).map(snapshot))).toEqual(before);
    });
  }

  test("the table covers every error status of the FHIR server", () => {
    expect([...new Set(cases.map((c) => c.status))].sort()).toEqual([400, 401, 403, 404, 405, 406, 412, 413, 415, 422]);
  });
});

describe("errors under sandbox faults", () => {
  test("fhirTokenExpired: 401 invalid_token for a valid token, reads and writes; nothing written", async () => {
    const before = await snapshot(INTAKE);
    await setFaults({ fhirTokenExpired: true });
    try {
      for (const res of [await call("GET", INTAKE, { token: tokens.tom }), await patch(INTAKE, setStatus("in-progress"))]) {
        await expectOutcome(res, 401, "login");
        expect(res.headers.get("www-authenticate") ?? "").toMatch(bearer("invalid_token"));
      }
    } finally {
      await clearFaults();
    }
    expect(await snapshot(INTAKE)).toEqual(before);
    expect((await call("GET", INTAKE, { token: tokens.tom })).status).toBe(200);
  });

  test("dvaDown: 503 transient with Retry-After for reads and writes; the other DVA still answers; nothing written", async () => {
    const before = await snapshot(INTAKE);
    await setFaults({ dvaDown: "zorgnet" });
    try {
      for (const res of [await call("GET", INTAKE, { token: tokens.tom }), await patch(INTAKE, setStatus("in-progress")), await call("GET", "/Task", { token: null })]) {
        await expectOutcome(res, 503, "transient");
        expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      }
      expect((await call("GET", "/Task", { dva: "ggzconnect", token: tokens.koosGgz })).status).toBe(200);
    } finally {
      await clearFaults();
    }
    expect(await snapshot(INTAKE)).toEqual(before);
    expect((await call("GET", INTAKE, { token: tokens.tom })).status).toBe(200);
  });
});

describe("after refused writes the resource is still writable", () => {
  test("a PATCH with the current ETag succeeds once the stale ones were refused", async () => {
    const current = await call("GET", MRC2);
    const etag = current.headers.get("etag")!;
    const res = await patch(MRC2, [{ op: "add", path: "/description", value: "na 412" }], { headers: { "If-Match": etag } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`W/"${Number(/\d+/.exec(etag)![0]) + 1}"`);
  });
});

/**
 * Deviations from SPEC §6 found while writing this suite, fixed since; kept as regression tests.
 */
describe("deviations once found (SPEC §6), now regression tests", () => {
  // SPEC §6: "Every response that fails carries an OperationOutcome". These bodies are valid JSON
  // with an unexpected shape; they once threw a TypeError/RangeError and got the HTML 500 page.
  const oddShapes: [string, string, string, unknown][] = [
    ["meta.tag is an object", "POST", "/Patient", { resourceType: "Patient", meta: { tag: {} } }],
    ["meta.profile is a number", "POST", "/Patient", { resourceType: "Patient", meta: { profile: 5 } }],
    ["Task.code.coding holds null", "POST", "/Task", { ...newTask, code: { coding: [null] } }],
    ["a FHIRPath Patch parameter is null", "PATCH", INTAKE, { resourceType: "Parameters", parameter: [null] }],
    ["a FHIRPath Patch part is null", "PATCH", INTAKE, { resourceType: "Parameters", parameter: [{ name: "operation", part: [null] }] }],
    ["JSON nested 100 000 deep (well under 1 MiB)", "POST", "/Patient", `{"resourceType":"Patient","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
  ];
  for (const [name, method, path, body] of oddShapes) {
    test(`${name} → 400/422 OperationOutcome, not a 500 HTML page`, async () => {
      const quiet = spyOn(console, "error").mockImplementation(() => {}); // the server logs the unhandled error with its stack
      let res: Response;
      try { res = await call(method, path, { body }); } finally { quiet.mockRestore(); }
      expect(res.headers.get("content-type")).toBe(FHIR_JSON);
      expect([400, 422]).toContain(res.status);
    });
  }

  // SPEC §6 / README: Task status rules hold for every write; a PATCH enforces them, a PUT does not.
  test("PUT completed → requested is 422 like the same PATCH", async () => {
    const mrc1 = "/Task/task-tom-delinde-mrc-1";
    const task = await (await call("GET", mrc1)).json() as Body;
    expect(task.status).toBe("completed");
    expect((await patch(mrc1, setStatus("requested"))).status).toBe(422);
    const before = await snapshot(mrc1);
    const res = await call("PUT", mrc1, { body: { ...task, status: "requested" } });
    expect(await snapshot(mrc1)).toEqual(before);
    await expectOutcome(res, 422, "business-rule");
  });

  // SPEC §6: "401/403 responses carry WWW-Authenticate: Bearer error=..., error_description=..." (RFC 6750 §3).
  // forbidden() sets it; forbidden() (PGO writes, module creating a Task) does not.
  test("a PGO token's refused write carries WWW-Authenticate: Bearer error=\"insufficient_scope\"", async () => {
    const res = await patch(INTAKE, setStatus("in-progress"), { token: tokens.tom });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer error="[a-z_]+", error_description="[^"]+"$/);
  });
  test("a module token's refused create carries WWW-Authenticate", async () => {
    const res = await call("POST", "/Task", { token: tokens.module, body: newTask });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer error="[a-z_]+", error_description="[^"]+"$/);
  });

  // SPEC §6 "bodies over 1 MiB → 413": without Content-Length the limit counts UTF-16 code units
  // (text.length), so 600 000 two-byte characters (1.2 MB) are accepted.
  test("a chunked body over 1 MiB of multibyte characters is 413", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ resourceType: "Patient", name: [{ text: "é".repeat(600_000) }] }));
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < bytes.length; i += 65_536) c.enqueue(bytes.slice(i, i + 65_536)); c.close(); } });
    const before = await snapshot(PATIENTS);
    const res = await get(`${sandbox.url("fhir.zorgnet")}/fhir/Patient`, { method: "POST", body,
      headers: { authorization: `Bearer ${tokens.system}`, "content-type": FHIR_JSON } });
    await expectOutcome(res, 413, "too-costly");
    expect(await snapshot(PATIENTS)).toEqual(before);
  });
});
