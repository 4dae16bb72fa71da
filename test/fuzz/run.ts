/**
 * `bun run fuzz [-- --requests N --seed S]`: send N random requests (default 20 000) to every route
 * of every host of a real sandbox (port 0, :memory:) and check SPEC §11 "every bad input gets a
 * clear error, never a 500 or a stack trace":
 *   - no answer is 5xx (the sandbox's own 503 faults are off),
 *   - no body shows a stack trace or an internal path (source files, node_modules, the checkout),
 *   - the process keeps answering (every host's /health is 200 at the end, and a journey still works).
 * Requests mix known routes with random paths, methods, parameters (missing, repeated, huge,
 * odd characters), bodies (bad JSON, wrong content types, forms with random fields) and headers
 * (garbage and real tokens of the network's clients, HX-Request, cookies). Deterministic per seed.
 * It reports and exits 1 on a finding (so CI could gate on it); it is not part of `bun test`.
 */
import { collectTokens, moduleToken } from "../helpers/dva.ts";
import { systemToken } from "../helpers/fhir.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const args = Bun.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
};
const REQUESTS = option("--requests", 20_000);
let seed = option("--seed", 20261201) >>> 0 || 1;
/** xorshift32: the same seed sends the same requests. */
const random = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 0x1_0000_0000; };
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const chance = (p: number) => random() < p;

const ROUTES: Record<string, string[]> = {
  "": ["/", "/faults", "/logs", "/mailbox", "/mailbox/x", "/partials/health", "/partials/trace", "/api/faults", "/api/logs", "/api/mail", "/api/network",
    "/api/reset", "/clinicians/start", "/personas/start", "/reset"],
  register: ["/", "/MedMij_Zorgaanbiederslijst.xml", "/MedMij_OAuthclientlist.xml", "/MedMij_Whitelist.xml", "/MedMij_Gegevensdienstnamenlijst.xml",
    "/MedMij_Zorgaanbiederskoppellijst.xml", "/MedMij_Zorgaanbiederslijst"],
  digid: ["/", "/authenticate", "/.well-known/jwks.json"],
  "auth.zorgnet": ["/", "/auth", "/token", "/consent", "/digid/callback", "/connect/authorize", "/connect/token", "/connect/introspect", "/connect/revocation",
    "/toestemmingen", "/toestemmingen/intrekken", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration/jwks"],
  "fhir.zorgnet": ["/", "/fhir/metadata", "/fhir/.well-known/smart-configuration", "/fhir/Task", "/fhir/Task/task-tom-delinde-intake", "/fhir/Task/_search",
    "/fhir/Task/task-tom-delinde-intake/_history", "/fhir/Task/task-tom-delinde-intake/_history/1", "/fhir/Patient", "/fhir/Patient/patient-tom",
    "/fhir/QuestionnaireResponse", "/fhir/ActivityDefinition", "/fhir/Questionnaire/gad-7", "/fhir/Endpoint", "/fhir/Organization", "/fhir/ServiceRequest",
    "/fhir/PractitionerRole", "/fhir/Practitioner", "/fhir/Observation", "/fhir/Task/../Patient"],
  "auth.ggzconnect": ["/auth", "/token", "/connect/authorize", "/connect/token"],
  "fhir.ggzconnect": ["/fhir/Task", "/fhir/Task/task-koos-ggzoostland-gad-7-1"],
  pgo: ["/", "/login", "/logout", "/account", "/zorgaanbieders", "/verbind", "/verbindingen", "/verbindingen/ontkoppelen", "/auth_callback", "/taken",
    "/taken/verversen", "/taken/delinde%40medmij/task-tom-delinde-intake", "/taken/delinde%40medmij/task-tom-delinde-intake/starten", "/launch_callback", "/persona-login"],
  module: ["/", "/launch", "/secure/launch", "/callback", "/secure/callback", "/taak", "/taak/opslaan", "/taak/gelezen", "/terug"],
  xis: ["/", "/login", "/logout", "/patienten", "/patienten/lijst", "/patienten/patient-tom", "/patienten/patient-tom/taken", "/patienten/patient-tom/uitnodiging",
    "/taken/task-tom-delinde-intake/annuleren", "/taken/task-tom-delinde-mrc-1/resultaat", "/persona-login"],
};
const METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const PARAMS = ["client_id", "redirect_uri", "state", "scope", "response_type", "code", "grant_type", "launch", "iss", "aud", "code_challenge",
  "code_challenge_method", "code_verifier", "refresh_token", "token", "assertion", "request", "zorgaanbieder", "taak", "error", "next", "ticket", "q",
  "stap", "groep", "sorteer", "week", "weergave", "van", "tot", "_count", "_offset", "_sort", "_include", "_lastUpdated", "_summary", "status", "status:not",
  "_tag", "patient", "for", "owner", "requester", "identifier", "name", "name:contains", "url", "_id", "trace_id", "since", "limit", "to", "subject_token",
  "smart_launch_context", "audience", "requested_token_type", "subject_token_type", "action", "kind", "consent", "persona", "bsn", "return_url", "_csrf",
  "username", "password", "module", "start", "eind", "aantal", "herhalen", "reden", "voornaam", "achternaam", "geboortedatum", "MedMij-Request-ID"];
const ODD = ["", " ", "%", "%zz", "\u0000", "null", "undefined", "-1", "0", "1e309", "2.5", "99999999999999999999", "[]", "{}", "{\"a\":", "Task/x", "Patient/../../x",
  "http://evil.localhost/x", "javascript:alert(1)", "//evil", "<script>x</script>", "'\"><", "ge2026-13-45", "eq", "le", "gt", "🤖", "é", "a|b|c", ",,,",
  "Task:based-on", "Task:nope", "-_lastUpdated", "period", "S256", "plain", "urn:ietf:params:oauth:grant-type:token-exchange", "authorization_code",
  "refresh_token", "client_credentials", "medmij:token-type:one-time-code", "delinde", "delinde@medmij", "999991012", "true", "long", "grant", "finish",
  "autosave", "next", "prev"];
const value = (): string => chance(0.03) ? "x".repeat(pick([1000, 10_000, 100_000])) : chance(0.5) ? pick(ODD) : random().toString(36).slice(2, 2 + Math.floor(random() * 12));
/** Parameters a host family reads, so that requests reach its handlers rather than only its 404s. */
const FHIR_PARAMS = ["_id", "_count", "_offset", "_sort", "_include", "_lastUpdated", "_summary", "_tag", "_profile", "status", "status:not", "patient", "subject",
  "for", "owner", "requester", "based-on", "focus", "digital-activity", "identifier", "name", "name:contains", "name:exact", "url", "questionnaire", "task",
  "organization", "_format", "code", "part-of", "endpoint", "publisher"];
const paramsFor = (host: string) => host.startsWith("fhir.") && chance(0.8) ? FHIR_PARAMS : PARAMS;
const CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "application/fhir+json", "application/json-patch+json", "text/plain",
  "multipart/form-data; boundary=x", "application/xml", "", "application/x-www-form-urlencoded; charset=latin1"];
const JSON_BODIES = ["{", "[]", "null", "1", "\"x\"", "{\"resourceType\":\"Task\"}", "{\"resourceType\":\"Task\",\"status\":{},\"intent\":1,\"for\":{\"reference\":2}}",
  "[{\"op\":\"remove\",\"path\":\"\"}]", "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":null}]", "[{\"op\":\"move\",\"from\":\"/status\",\"path\":\"/x\"}]",
  "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"operation\",\"part\":[{\"name\":\"type\",\"valueCode\":\"delete\"},{\"name\":\"path\",\"valueString\":\"Task\"}]}]}",
  "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"subject\":{\"reference\":5}}", "{\"resourceType\":\"Patient\",\"identifier\":{\"value\":1}}",
  "{\"dvaDown\":\"x\"}", "{\"latencyMs\":-1}", "{\"tokenExchangeError\":{}}", "{\"from\":1,\"to\":[],\"subject\":null,\"body\":\"\",\"link\":\"http://x\"}",
  `{"link":"http://pgo.localhost/${"x".repeat(4000)}","from":"a","to":"b","subject":"c","body":"d"}`, "{\"a\":".repeat(2000), "{\"resourceType\":\"Task\",\"id\":\"../x\"}"];

/** Valid values per FHIR search parameter, so that mutations start from requests the server accepts. */
const FHIR_VALID: Record<string, string> = {
  _id: "task-tom-delinde-intake", _count: "5", _offset: "2", _sort: "-_lastUpdated", _include: "Task:based-on", _lastUpdated: "gt2020-01-01",
  _summary: "count", _tag: "http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7", _profile: "http://medmij.nl/fhir/StructureDefinition/pt-Task",
  status: "requested", "status:not": "completed", patient: "Patient/patient-tom", subject: "Patient/patient-tom", for: "Patient/patient-tom",
  owner: "PractitionerRole/role-dehaard", requester: "PractitionerRole/role-dehaard", "based-on": "ServiceRequest/plan-tom-delinde-copd",
  focus: "Task/task-tom-delinde-intake", "digital-activity": "ActivityDefinition/ad-delinde-copd-intake", identifier: "http://fhir.nl/fhir/NamingSystem/bsn|999991012",
  name: "tom", "name:contains": "uin", "name:exact": "Tom van Duinen", url: "https://medmij-sandbox.example/fhir/Questionnaire/gad-7", task: "Task/task-tom-delinde-mrc-1",
  questionnaire: "https://medmij-sandbox.example/fhir/Questionnaire/mrc-dyspnoe", organization: "Organization/org-delinde", code: "x|y", "part-of": "Task/x",
  endpoint: "Endpoint/endpoint-zorgmodules-delinde", publisher: "de linde",
};
const FHIR_TYPES = ["Task", "Patient", "QuestionnaireResponse", "ActivityDefinition", "Questionnaire", "Endpoint", "Organization", "ServiceRequest", "PractitionerRole", "Practitioner"];

/** A value, or a mutation of it: empty, odd, garbage around it, huge, a wrong prefix. */
function mutateValue(valid: string): string {
  switch (Math.floor(random() * 7)) {
    case 0: return "";
    case 1: return pick(ODD);
    case 2: return `${valid}${pick(ODD)}`;
    case 3: return `${pick(["eq", "ne", "gt", "lt", "sa", "xx", "|", ":"])}${valid}`;
    case 4: return valid.slice(0, Math.floor(random() * valid.length));
    default: return valid;
  }
}

/** The same JSON with one leaf (or branch) replaced by a value of another type. */
function mutateJson(doc: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(copy, []);
  const path = pick(paths.filter((p) => p.length > 0));
  if (!path) return copy;
  let parent: any = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const last = path.at(-1)!;
  const replacement = pick<unknown>([{}, [], 5, -1.5, "", true, "x".repeat(5000), { reference: 7 }, [{}], "2026-13-45", "Patient/patient-koos", { a: { b: { c: [] } } }]);
  if (chance(0.15) && !Array.isArray(parent)) delete parent[last]; else parent[last] = replacement;
  if (chance(0.1)) copy[pick(["unknownElement", "_status", "contained", "modifierExtension"])] = pick<unknown>([1, {}, [{ url: 5 }]]);
  return copy;
}

/** A valid JSON Patch or FHIRPath Patch for a Task, then mutated. */
function patchBody(): unknown {
  const ops = [
    [{ op: "replace", path: "/status", value: "in-progress" }],
    [{ op: "add", path: "/businessStatus", value: { text: "x" } }],
    [{ op: pick(["remove", "move", "copy", "test", "replace", "add"]), path: pick(["", "/", "/status", "/meta", "/meta/tag/0", "/for/reference", "/output/-", "/id", "/x/y"]),
      from: "/status", value: pick<unknown>([null, "", {}, [], "completed", 5]) }],
    { resourceType: "Parameters", parameter: [{ name: "operation", part: [{ name: "type", valueCode: pick(["add", "replace", "delete", "insert", "move"]) },
      { name: "path", valueString: pick(["Task", "Task.status", "Task.output", "Task.meta", "", "Task.for.reference", "Patient.name"]) },
      { name: "name", valueString: pick(["output", "note", ""]) }, { name: "value", valueCode: "completed" }] }] },
  ];
  const body = pick(ops);
  return chance(0.4) ? mutateJson(body) : body;
}

/** A mutated form: fields dropped, emptied, repeated or made odd. */
function mutateForm(valid: Record<string, string>): URLSearchParams {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(valid)) {
    if (chance(0.15)) continue;
    form.append(k, chance(0.3) ? mutateValue(v) : v);
    if (chance(0.05)) form.append(k, mutateValue(v));
  }
  if (chance(0.2)) form.append(pick(PARAMS), value());
  return form;
}

/** Valid-ish forms of the OAuth endpoints. */
const OAUTH_FORMS: [string, Record<string, string>][] = [
  ["/token", { grant_type: "authorization_code", code: "x", redirect_uri: "http://pgo.localhost/auth_callback", client_id: "pgo.localhost", code_verifier: "v".repeat(43) }],
  ["/token", { grant_type: "refresh_token", refresh_token: "x", client_id: "pgo.localhost" }],
  ["/token", { grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: "TOKEN",
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code", audience: "zorgmodules-zorgnet",
    scope: "delinde", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule", return_url: "http://pgo.localhost/launch_callback" }) }],
  ["/token", { grant_type: "client_credentials", scope: "system/*.*", client_id: "his-delinde", client_secret: "his-delinde-secret" }],
  ["/connect/token", { grant_type: "authorization_code", code: "x", redirect_uri: "http://module.localhost/callback", code_verifier: "v".repeat(43),
    client_id: "zorgmodules-zorgnet", client_secret: "zorgmodules-zorgnet-secret" }],
  ["/connect/introspect", { token: "TOKEN", client_id: "zorgmodules-zorgnet", client_secret: "zorgmodules-zorgnet-secret" }],
  ["/connect/revocation", { token: "TOKEN", client_id: "zorgmodules-zorgnet", client_secret: "zorgmodules-zorgnet-secret" }],
];
const AUTHORIZE_QUERIES: [string, Record<string, string>][] = [
  ["/auth", { response_type: "code", client_id: "pgo.localhost", redirect_uri: "PGO/auth_callback", scope: "delinde", state: "s", code_challenge: "a".repeat(43), code_challenge_method: "S256" }],
  ["/connect/authorize", { response_type: "code", client_id: "zorgmodules-zorgnet", redirect_uri: "MODULE/callback", launch: "x", aud: "FHIR", state: "s", scope: "launch patient/*.read",
    code_challenge: "a".repeat(43), code_challenge_method: "S256" }],
];

interface Finding { request: string; status: number; why: string; body: string }

async function main(): Promise<void> {
  const sandbox = await startTestSandbox();
  const started = performance.now();
  try {
    // Real credentials, so that requests get past authentication into the handlers.
    const tokens: string[] = [];
    tokens.push((await collectTokens(sandbox, { bsn: "999991012" })).access_token);
    tokens.push(await systemToken(sandbox, "his-delinde"));
    tokens.push((await moduleToken(sandbox, { task: "task-tom-delinde-intake" })).module.access_token);
    const pgoCookies = await pgoSession(sandbox, "tom");
    // Real resources, to mutate one element at a time.
    const resources: { resourceType: string; id: string; [k: string]: unknown }[] = [];
    for (const path of ["Task/task-tom-delinde-intake", "Task/task-tom-delinde-mrc-1", "Patient/patient-tom", "QuestionnaireResponse/qr-tom-delinde-mrc-1",
      "ActivityDefinition/ad-delinde-copd-intake", "Endpoint/endpoint-zorgmodules-delinde", "ServiceRequest/plan-tom-delinde-copd", "Organization/org-delinde",
      "PractitionerRole/role-dehaard", "Questionnaire/mrc-dyspnoe"]) {
      const res = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${path}`, { headers: { authorization: `Bearer ${tokens[1]}` } });
      if (res.ok) { const r = await res.json() as { resourceType: string; id: string; meta?: unknown }; delete r.meta; resources.push(r); }
    }
    const authorizations = [...tokens.map((t) => `Bearer ${t}`), "Bearer x.y.z", "Bearer", "Basic " + btoa("his-delinde:his-delinde-secret"),
      "Basic " + btoa("zorgmodules-zorgnet:zorgmodules-zorgnet-secret"), "Basic !!!", "Basic " + btoa("a%ZZ:b"), "Digest x"];
    const cookies = [pgoCookies, "dva_session=x", "dva_browser=" + "a".repeat(43), "csrf=x; _csrf=y", "x=%ZZ", ""];
    const hosts = Object.keys(ROUTES);
    const findings: Finding[] = [];
    const statuses = new Map<number, number>();
    for (let n = 0; n < REQUESTS; n++) {
      let host = pick(hosts);
      let path = chance(0.9) ? pick(ROUTES[host]!) : `/${value()}/${value()}`;
      if (chance(0.1)) path += `/${encodeURIComponent(value())}`;
      let query = new URLSearchParams();
      const params = paramsFor(host);
      for (let i = Math.floor(random() * 6); i > 0; i--) query.append(pick(params), value());
      if (chance(0.1)) { const p = pick(params); query.append(p, value()); query.append(p, value()); }
      let method = pick(METHODS);
      const headers: Record<string, string> = {};
      if (chance(0.5)) headers.authorization = pick(authorizations);
      if (chance(0.4)) headers.cookie = pick(cookies);
      if (chance(0.2)) headers["hx-request"] = "true";
      if (chance(0.1)) headers["if-match"] = pick(["W/\"1\"", "x", "\"", "W/\"99999999999999999999\""]);
      if (chance(0.1)) headers["if-none-exist"] = pick(["identifier=x", "", "a=b&c", "_id=task-tom-delinde-intake", "identifier=http://fhir.nl/fhir/NamingSystem/bsn|"]);
      if (chance(0.1)) headers.prefer = pick(["return=OperationOutcome", "handling=strict", "return=minimal"]);
      if (chance(0.2)) headers.accept = pick(["text/html", "application/fhir+json", "*/*"]);
      let body: string | undefined;
      if (method !== "GET" && method !== "HEAD" && chance(0.85)) {
        headers["content-type"] = pick(CONTENT_TYPES);
        if (headers["content-type"].includes("json")) body = pick(JSON_BODIES);
        else {
          const form = new URLSearchParams();
          for (let i = Math.floor(random() * 8); i > 0; i--) form.append(pick(PARAMS), value());
          body = chance(0.1) ? "%%%&&&==" : form.toString();
        }
      }
      // Most requests start from a valid one and change one thing (mutation), to reach deep into the handlers.
      const scenario = random();
      if (scenario < 0.25) {
        host = pick(["fhir.zorgnet", "fhir.zorgnet", "fhir.ggzconnect"]);
        method = chance(0.2) ? "POST" : "GET";
        const type = pick(FHIR_TYPES);
        path = method === "POST" ? `/fhir/${type}/_search` : `/fhir/${type}`;
        query = new URLSearchParams();
        for (let i = 1 + Math.floor(random() * 4); i > 0; i--) { const p = pick(Object.keys(FHIR_VALID)); query.append(p, mutateValue(FHIR_VALID[p]!)); }
        headers.authorization = `Bearer ${pick(tokens)}`;
        body = undefined;
        if (method === "POST") { headers["content-type"] = "application/x-www-form-urlencoded"; body = query.toString(); query = new URLSearchParams(); }
      } else if (scenario < 0.45) {
        host = "fhir.zorgnet";
        const resource = pick(resources);
        method = pick(["POST", "PUT", "PUT"]);
        path = method === "POST" ? `/fhir/${resource.resourceType}` : `/fhir/${resource.resourceType}/${resource.id}`;
        query = new URLSearchParams();
        headers.authorization = `Bearer ${pick(tokens)}`;
        headers["content-type"] = "application/fhir+json";
        body = JSON.stringify(mutateJson(resource));
      } else if (scenario < 0.55) {
        host = "fhir.zorgnet";
        method = "PATCH";
        path = `/fhir/Task/${pick(["task-tom-delinde-intake", "task-tom-delinde-leven-met-copd", "task-tom-delinde-mrc-1", "nope"])}`;
        query = new URLSearchParams();
        headers.authorization = `Bearer ${pick(tokens)}`;
        const patch = patchBody();
        headers["content-type"] = Array.isArray(patch) ? "application/json-patch+json" : "application/fhir+json";
        body = JSON.stringify(patch);
      } else if (scenario < 0.65) {
        host = pick(["auth.zorgnet", "auth.ggzconnect"]);
        const [endpoint, form] = pick(OAUTH_FORMS);
        method = "POST";
        path = endpoint;
        query = new URLSearchParams();
        const filled = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v === "TOKEN" ? pick(tokens) : v]));
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = mutateForm(filled).toString();
        if (chance(0.3)) headers.authorization = pick(authorizations);
      } else if (scenario < 0.72) {
        host = pick(["auth.zorgnet", "auth.ggzconnect"]);
        const [endpoint, q] = pick(AUTHORIZE_QUERIES);
        method = "GET";
        path = endpoint;
        const filled = Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.replace("PGO", sandbox.url("pgo")).replace("MODULE", sandbox.url("module")).replace("FHIR", `${sandbox.url("fhir.zorgnet")}/fhir`)]));
        query = mutateForm(filled);
        body = undefined;
        delete headers["content-type"];
      }
      const url = `${sandbox.url(host)}${path}${query.size ? `?${query}` : ""}`;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(10_000) });
      } catch (e) {
        findings.push({ request: `${method} ${url.slice(0, 200)}`, status: 0, why: `no answer: ${(e as Error).message}`, body: "" });
        continue;
      }
      const text = method === "HEAD" ? "" : await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const why = res.status >= 500 ? `HTTP ${res.status}`
        : /\bat .+\.(ts|js):\d+/.test(text) ? "stack trace in the body"
        : /\/(src|node_modules|work)\/|\.ts:\d+/.test(text) ? "internal path in the body" : null;
      if (why) findings.push({ request: `${method} ${url.slice(0, 200)} ${JSON.stringify({ ...headers, authorization: headers.authorization?.slice(0, 20) })} ${body?.slice(0, 120) ?? ""}`,
        status: res.status, why, body: text.slice(0, 300) });
    }

    // Still up: every host answers, and a whole journey works.
    const down: string[] = [];
    for (const host of hosts) {
      const health = await fetch(`${sandbox.url(host)}/health`).catch(() => null);
      if (health?.status !== 200) down.push(host || "cockpit");
    }
    await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    await fetch(`${sandbox.url()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const journey = await runJourney(sandbox, { pgo: await pgoSession(sandbox, "tom"), zorgaanbieder: "delinde@medmij", bsn: "999991012",
      task: "task-tom-delinde-leven-met-copd" }).then((r) => r.back.includes("groep=klaar") ? "ok" : `ended at ${r.back}`, (e: Error) => e.message);

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`fuzz: ${REQUESTS} requests in ${seconds} s (seed ${option("--seed", 20261201)}); statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}×${c}`).join(" ")}`);
    console.log(`fuzz: hosts down afterwards: ${down.length ? down.join(", ") : "none"}; a journey afterwards: ${journey}`);
    const grouped = new Map<string, Finding[]>();
    for (const f of findings) {
      const key = `${f.why} ${f.request.split(" ").slice(0, 2).join(" ").replace(/\?.*/, "")}`;
      grouped.set(key, [...(grouped.get(key) ?? []), f]);
    }
    for (const [key, list] of grouped) console.log(`FINDING ×${list.length}: ${key}\n  e.g. ${list[0]!.request}\n  → ${list[0]!.status} ${list[0]!.body.replace(/\s+/g, " ").slice(0, 200)}`);
    console.log(findings.length === 0 && down.length === 0 && journey === "ok" ? "fuzz: no findings" : `fuzz: ${findings.length} findings`);
    process.exitCode = findings.length === 0 && down.length === 0 && journey === "ok" ? 0 : 1;
  } finally {
    await sandbox.stop();
  }
}

await main();
