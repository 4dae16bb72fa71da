/**
 * The MedMij-check (issue 14 §3): the network judges a team's actor against the MedMij rules of
 * its role, from what the sandbox's own actors see on the wire when they talk to it — nothing is
 * asked of the team but traffic. `RULES` is the table (id, role, title, source); the inspector
 * looks at every request to a sandbox host that comes from a registered actor (its client_id, its
 * token's client_id, its Beheer login, its origin) and at every answer a registered DVA gives the
 * sandbox's PGO and module, and records per rule pass or fail with the evidence. A rule's status
 * is its latest verdict ("unseen" before any); the report also counts both and keeps the last
 * failure's evidence, so a team that fixed a bug sees it pass and still sees what went wrong.
 *
 * Cost: nothing when no team registered an actor (`active()` is one check of the network).
 */
import type { Database } from "bun:sqlite";
import type { ActorKind } from "./actor-registry.ts";
import type { ResolvedNetwork } from "./resolved-network.ts";
import { SANDBOX_USER_AGENT } from "./http-client.ts";
import { incomingIds } from "./trace.ts";

export type Verdict = "pass" | "fail";
export type RuleStatus = Verdict | "unseen";

export interface Rule { id: string; role: ActorKind; title: string; source: string }

const rule = (id: string, role: ActorKind, title: string, source: string): Rule => ({ id, role, title, source });

export const RULES: readonly Rule[] = [
  rule("pgo-lists", "pgo", "Leest de MedMij-lijsten (Zorgaanbiederslijst) voor het verbinden", "SD 3.2; Afsprakenstelsel, Stelselnode"),
  rule("pgo-redirect-uri", "pgo", "client_id is de eigen host name en redirect_uri is exact een geregistreerde", "SD 3.3; RFC 6749 §3.1.2.3; RFC 9700 §2.1"),
  rule("pgo-state", "pgo", "Elk autorisatieverzoek heeft een state", "RFC 6749 §10.12; SD 3.3"),
  rule("pgo-pkce", "pgo", "PKCE S256 bij het autorisatieverzoek (aanbevolen)", "RFC 7636; RFC 9700 §2.1.1"),
  rule("pgo-request-ids", "pgo", "MedMij-Request-ID en X-Correlation-ID op elk back-channel-verzoek", "SD 4.5.1; Afsprakenstelsel, Logging"),
  rule("pgo-request-id-unique", "pgo", "Een nieuwe MedMij-Request-ID per verzoek", "SD 4.5.1"),
  rule("pgo-refresh", "pgo", "Ververst met het refresh token onder langdurige toestemming (geen nieuwe login)", "SD 3.3.4; AM-FE-019, AM-FE-041; RFC 6749 §6"),
  rule("pgo-incremental", "pgo", "Verzamelt incrementeel: _lastUpdated of If-None-Match na de eerste keer", "SD 3.3.4; FHIR R4 search §_lastUpdated, http §cread"),
  rule("pgo-tag", "pgo", "Filtert Task op de gegevensdienst (_tag)", "SD 3.3.4"),
  rule("pgo-exchange", "pgo", "Token exchange met de parameters van SD 3.4", "SD 3.4; RFC 8693 §2.1"),
  rule("pgo-return-url", "pgo", "return_url ligt op de eigen host", "SD 3.4, SD 3.8"),
  rule("pgo-step-up", "pgo", "Na een step-up eerst opnieuw autoriseren, dan één keer opnieuw", "SD 3.4 stap 3"),
  rule("pgo-revoke", "pgo", "Trekt tokens in bij ontkoppelen", "RFC 7009; SD 3.3"),
  rule("pgo-beheer", "pgo", "Levert SD 4.5-logregels aan bij MedMij Beheer (technisch OK)", "SD 4.5.1; Afsprakenstelsel, Logging interface"),
  rule("module-discovery", "module", "Vindt de endpoints via iss (smart-configuration) voor het autoriseren", "SMART App Launch 2.x, Discovery; SD 3.5"),
  rule("module-pkce", "module", "PKCE S256 bij /connect/authorize", "SMART App Launch 2.x; RFC 7636"),
  rule("module-aud", "module", "aud is de FHIR-base van de DVA", "SMART App Launch 2.x, Authorization; SD 3.5"),
  rule("module-launch", "module", "Gebruikt de launch-code die het kreeg (geldig, één keer)", "SD 3.5; SMART App Launch, EHR launch"),
  rule("module-read-task", "module", "Leest de taak uit de launch-context (resource)", "SD 3.5, SD 3.6"),
  rule("module-if-match", "module", "PATCH/PUT van de Task met If-Match", "FHIR R4 http §concurrency; SD 3.6"),
  rule("module-transition", "module", "Alleen geldige statusovergangen van de Task", "SD 3.6; ProviderTasks, Task status"),
  rule("module-revoke", "module", "Trekt het token in voor de terugkeer naar de PGO", "SD 3.8; RFC 7009"),
  rule("module-return", "module", "Keert terug naar de PGO (return_url)", "SD 3.8"),
  rule("dva-lists", "dva", "De MedMij-lijsten noemen de DVA en haar zorgaanbieders correct", "Afsprakenstelsel, Stelselnode; SD 3.2"),
  rule("dva-error-redirect", "dva", "Stuurt een fout nooit naar een niet-geregistreerde redirect_uri", "RFC 6749 §4.1.2.1; RFC 9700 §4.11; SD 4.2.1"),
  rule("dva-token-no-store", "dva", "Tokenantwoorden met Cache-Control: no-store", "RFC 6749 §5.1"),
  rule("dva-token-scope", "dva", "Tokenantwoorden noemen de scope", "RFC 6749 §5.1; SD 3.3"),
  rule("dva-refresh", "dva", "refresh_token onder langdurige toestemming", "SD 3.3; AM-FE-019"),
  rule("dva-www-authenticate", "dva", "WWW-Authenticate bij 401 en 403", "RFC 6750 §3"),
  rule("dva-etag", "dva", "ETag op FHIR-antwoorden, 304 bij een ongewijzigde If-None-Match", "FHIR R4 http §versioning; SD 3.3.4"),
  rule("dva-lastupdated", "dva", "_lastUpdated geeft alleen wat sindsdien veranderde", "FHIR R4 search §_lastUpdated; SD 3.3.4"),
  rule("dva-smart-config", "dva", "smart-configuration zoals SD 3.5", "SD 3.5; SMART App Launch 2.x, Conformance"),
  rule("dva-beheer", "dva", "Levert SD 4.5-logregels aan bij MedMij Beheer (technisch OK)", "SD 4.5.1; Afsprakenstelsel, Logging interface"),
];

/** System actors have no rules of their own yet: their calls are the DVA's FHIR rules seen from the other side. */
export function rulesOf(kind: ActorKind): Rule[] {
  return RULES.filter((r) => r.role === kind);
}

export interface RuleResult extends Rule {
  status: RuleStatus;
  /** What decided the status: the request or response, in a line. */
  evidence: string | null;
  traceId: string | null;
  passes: number;
  fails: number;
  lastFailure: { evidence: string; traceId: string | null; at: string } | null;
  at: string | null;
}

interface Row { rule_id: string; passes: number; fails: number; last_verdict: Verdict; last_evidence: string; last_trace: string | null; last_at: string;
  fail_evidence: string | null; fail_trace: string | null; fail_at: string | null }

/** The registered actors the inspector tells apart, per network object (rebuilt when the network is replaced). */
interface Index {
  any: boolean;
  pgoByClientId: Map<string, { id: string; redirectUris: string[]; origin: string }>;
  moduleByClientId: Map<string, { id: string; origin: string }>;
  moduleByOrigin: Map<string, string>;
  dvaByOrigin: Map<string, { id: string; fhirBase: string }>;
  beheerUser: Map<string, string>;
  fhirBaseOfHost: Map<string, string>;
}

function indexOf(n: ResolvedNetwork): Index {
  const ix: Index = { any: false, pgoByClientId: new Map(), moduleByClientId: new Map(), moduleByOrigin: new Map(), dvaByOrigin: new Map(), beheerUser: new Map(), fhirBaseOfHost: new Map() };
  for (const g of n.pgos) if (g.registered) { ix.pgoByClientId.set(g.clientId, { id: g.registered, redirectUris: g.redirectUris, origin: g.site.origin }); ix.beheerUser.set(g.beheer.username, g.registered); }
  for (const m of n.modules) if (m.registered) { ix.moduleByOrigin.set(m.site.origin, m.registered); for (const c of m.clients) ix.moduleByClientId.set(`${c.dva} ${c.clientId}`, { id: m.registered, origin: m.site.origin }); }
  for (const d of n.dvas) {
    ix.fhirBaseOfHost.set(d.fhir.hostname, d.fhirBase);
    if (d.registered) { ix.dvaByOrigin.set(d.auth.origin, { id: d.registered, fhirBase: d.fhirBase }); ix.dvaByOrigin.set(d.fhir.origin, { id: d.registered, fhirBase: d.fhirBase }); ix.beheerUser.set(d.beheer.username, d.registered); }
  }
  ix.any = ix.pgoByClientId.size + ix.moduleByClientId.size + ix.dvaByOrigin.size > 0;
  return ix;
}

/** The payload of a JWT, unverified: only to tell whose token a request carries (the FHIR server verifies it). */
function tokenClaims(request: Request): Record<string, unknown> | null {
  const header = request.headers.get("authorization");
  const token = header && /^bearer /i.test(header) ? header.slice(7).trim() : null;
  const part = token?.split(".")[1];
  if (!part) return null;
  try { const v = JSON.parse(Buffer.from(part, "base64url").toString("utf8")); return typeof v === "object" && v !== null ? v : null; } catch { return null; }
}

/** The user of HTTP Basic credentials (RFC 7617; form-urlencoded as RFC 6749 §2.3.1 has them unless `urlencoded` is false), or null. */
function basicUser(request: Request, urlencoded = true): string | null {
  const header = request.headers.get("authorization");
  if (!header || !/^basic /i.test(header)) return null;
  const user = Buffer.from(header.slice(6), "base64").toString("utf8").split(":")[0] ?? "";
  try { return urlencoded ? decodeURIComponent(user.replace(/\+/g, " ")) : user; } catch { return null; }
}

const short = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);
const TAG_SYSTEM = "http://medmij.nl/fhir/CodeSystem/DataService";

export interface Seen {
  request: Request;
  url: URL;
  /** The host's kind (dva-auth, dva-fhir, pgo, beheer, ...). */
  kind: string;
  /** The DVA of a DVA host. */
  dvaId?: string;
  body: string | null;
  response: Response;
  responseBody: string | null;
}

export class Conformance {
  private cached: { network: ResolvedNetwork; index: Index } | null = null;
  /** Short-lived facts that span requests (bounded): seen request ids, searches per token, discoveries, step-ups, tokens and revocations. */
  private readonly requestIds = new Map<string, number>();
  private readonly searchesOf = new Map<string, number>();
  private readonly discoveredAt = new Map<string, number>();
  private readonly stepUp = new Map<string, { at: number; reauthorized: boolean }>();
  private readonly moduleTokenAt = new Map<string, number>();
  private readonly moduleRevokedAt = new Map<string, number>();
  /** When someone outside the sandbox last read a list of the register (its own actors say who they are in User-Agent). */
  private listsReadAt = 0;

  constructor(private readonly db: Database, private readonly network: () => ResolvedNetwork) {}

  private index(): Index {
    const n = this.network();
    if (this.cached?.network !== n) this.cached = { network: n, index: indexOf(n) };
    return this.cached.index;
  }

  /** Whether any team registered an actor: else nothing is inspected. */
  active(): boolean {
    return this.index().any;
  }

  /** Whether the inspector needs the request's body (read from a clone, after the answer). */
  wantsBody(request: Request, url: URL, kind: string): boolean {
    return request.method === "POST" && ((kind === "dva-auth" && /^\/(token|connect\/token|connect\/revocation)$/.test(url.pathname)) || (kind === "beheer" && url.pathname === "/eagleeye/v1/logs"));
  }

  wantsResponseBody(url: URL, kind: string): boolean {
    return kind === "beheer" && url.pathname === "/eagleeye/v1/logs";
  }

  record(actorId: string, ruleId: string, verdict: Verdict, evidence: string, traceId: string | null = null, now = new Date()): void {
    const at = now.toISOString();
    const text = short(evidence);
    this.db.query(`INSERT INTO check_result (actor_id, rule_id, passes, fails, last_verdict, last_evidence, last_trace, last_at, fail_evidence, fail_trace, fail_at)
      VALUES ($a, $r, $p, $f, $v, $e, $t, $at, $fe, $ft, $fa)
      ON CONFLICT (actor_id, rule_id) DO UPDATE SET passes = passes + $p, fails = fails + $f, last_verdict = $v, last_evidence = $e, last_trace = $t, last_at = $at,
        fail_evidence = COALESCE($fe, fail_evidence), fail_trace = CASE WHEN $fe IS NULL THEN fail_trace ELSE $ft END, fail_at = COALESCE($fa, fail_at)`)
      .run({ $a: actorId, $r: ruleId, $p: verdict === "pass" ? 1 : 0, $f: verdict === "fail" ? 1 : 0, $v: verdict, $e: text, $t: traceId, $at: at,
        $fe: verdict === "fail" ? text : null, $ft: verdict === "fail" ? traceId : null, $fa: verdict === "fail" ? at : null });
  }

  report(actorId: string, kind: ActorKind): RuleResult[] {
    const rows = new Map(this.db.query<Row, [string]>("SELECT * FROM check_result WHERE actor_id = ?").all(actorId).map((r) => [r.rule_id, r]));
    return rulesOf(kind).map((r) => {
      const row = rows.get(r.id);
      return { ...r, status: row?.last_verdict ?? "unseen", evidence: row?.last_evidence ?? null, traceId: row?.last_trace ?? null, passes: row?.passes ?? 0, fails: row?.fails ?? 0,
        lastFailure: row?.fail_evidence ? { evidence: row.fail_evidence, traceId: row.fail_trace, at: row.fail_at! } : null, at: row?.last_at ?? null };
    });
  }

  /** "Check opnieuw beginnen": forget every verdict of the actor. */
  reset(actorId: string): void {
    this.db.query("DELETE FROM check_result WHERE actor_id = ?").run(actorId);
    for (const map of [this.moduleTokenAt, this.moduleRevokedAt]) map.delete(actorId);
  }

  private remember<K>(map: Map<K, number>, key: K, value: number, max = 5000): void {
    if (map.size >= max) map.clear();
    map.set(key, value);
  }

  /** A request to one of the sandbox's hosts and its answer. Never throws (a check must not break a request). */
  incoming(seen: Seen): void {
    try { this.judgeIncoming(seen); } catch (e) { console.error("medmij-check: incoming", e); }
  }

  private judgeIncoming({ request, url, kind, dvaId, body, response, responseBody }: Seen): void {
    const ix = this.index();
    const { traceId } = incomingIds(request, url);
    const method = request.method;
    const form = body !== null && kind === "dva-auth" ? new URLSearchParams(body) : null;
    const where = `${method} ${url.origin}${url.pathname}`;
    const pgoOf = (clientId: string | null) => (clientId ? ix.pgoByClientId.get(clientId) : undefined);
    if (kind === "register") {
      if (/^\/MedMij_/.test(url.pathname) && response.status === 200 && !(request.headers.get("user-agent") ?? "").startsWith(SANDBOX_USER_AGENT)) this.listsReadAt = Date.now();
      return;
    }
    const moduleOf = (clientId: string | null) => (clientId && dvaId ? ix.moduleByClientId.get(`${dvaId} ${clientId}`) : undefined);
    const backChannel = (actorId: string) => {
      const rid = request.headers.get("medmij-request-id");
      const cid = request.headers.get("x-correlation-id");
      const missing = [rid ? null : "MedMij-Request-ID", cid ? null : "X-Correlation-ID"].filter(Boolean);
      this.record(actorId, "pgo-request-ids", missing.length ? "fail" : "pass", missing.length ? `${where} zonder ${missing.join(" en ")}` : `${where} met MedMij-Request-ID en X-Correlation-ID`, traceId);
      if (rid) {
        const key = `${actorId} ${rid}`;
        if (this.requestIds.has(key)) this.record(actorId, "pgo-request-id-unique", "fail", `${where}: MedMij-Request-ID ${rid} werd al eerder gebruikt`, traceId);
        else { this.remember(this.requestIds, key, Date.now()); this.record(actorId, "pgo-request-id-unique", "pass", `${where}: nieuwe MedMij-Request-ID ${rid}`, traceId); }
      }
    };

    if (kind === "dva-auth" && url.pathname === "/auth" && method === "GET") {
      const p = url.searchParams;
      const pgo = pgoOf(p.get("client_id"));
      if (!pgo) return;
      const redirect = p.get("redirect_uri") ?? "";
      this.record(pgo.id, "pgo-redirect-uri", pgo.redirectUris.includes(redirect) ? "pass" : "fail",
        pgo.redirectUris.includes(redirect) ? `GET /auth met redirect_uri ${redirect}` : `GET /auth met redirect_uri ${JSON.stringify(redirect)}; geregistreerd: ${pgo.redirectUris.join(", ")}`, traceId);
      this.record(pgo.id, "pgo-state", p.get("state") ? "pass" : "fail", p.get("state") ? "GET /auth met state" : "GET /auth zonder state", traceId);
      const s256 = p.get("code_challenge") && p.get("code_challenge_method") === "S256";
      this.record(pgo.id, "pgo-pkce", s256 ? "pass" : "fail", s256 ? "GET /auth met code_challenge (S256)" : `GET /auth zonder PKCE S256 (code_challenge_method ${JSON.stringify(p.get("code_challenge_method"))})`, traceId);
      const step = this.stepUp.get(pgo.id);
      if (step) step.reauthorized = true;
      // The register cannot tell who reads it: a read from outside the sandbox in the hour before counts.
      const read = Date.now() - this.listsReadAt < 60 * 60_000;
      this.record(pgo.id, "pgo-lists", read ? "pass" : "fail", read ? "een MedMij-lijst werd van buiten de sandbox gelezen voor dit autorisatieverzoek" : "GET /auth zonder dat in het uur ervoor een MedMij-lijst van buiten de sandbox werd gelezen", traceId);
      return;
    }

    if (kind === "dva-auth" && form && url.pathname === "/token") {
      const pgo = pgoOf(form.get("client_id") ?? basicUser(request));
      if (!pgo) return;
      backChannel(pgo.id);
      const grant = form.get("grant_type");
      const ok = response.status >= 200 && response.status < 300;
      if (grant === "refresh_token" && ok) this.record(pgo.id, "pgo-refresh", "pass", "POST /token grant_type=refresh_token: nieuwe tokens zonder nieuwe login", traceId);
      if (grant === "authorization_code" && ok) { const step = this.stepUp.get(pgo.id); if (step) step.reauthorized = true; }
      if (grant === "urn:ietf:params:oauth:grant-type:token-exchange") this.judgeExchange(pgo, form, response, traceId);
      return;
    }

    if (kind === "dva-auth" && url.pathname === "/connect/revocation" && form) {
      const id = form.get("client_id") ?? basicUser(request);
      const pgo = pgoOf(id);
      if (pgo && response.status < 300) this.record(pgo.id, "pgo-revoke", "pass", "POST /connect/revocation: token ingetrokken", traceId);
      const module = moduleOf(id);
      if (module && response.status < 300) { this.remember(this.moduleRevokedAt, module.id, Date.now()); this.record(module.id, "module-revoke", "pass", "POST /connect/revocation voor de terugkeer", traceId); }
      return;
    }

    if (kind === "dva-auth" && url.pathname === "/connect/authorize" && method === "GET") {
      const p = url.searchParams;
      const module = moduleOf(p.get("client_id"));
      if (!module) return;
      const s256 = p.get("code_challenge") && p.get("code_challenge_method") === "S256";
      this.record(module.id, "module-pkce", s256 ? "pass" : "fail", s256 ? "GET /connect/authorize met code_challenge (S256)" : "GET /connect/authorize zonder PKCE S256", traceId);
      const fhirBase = [...this.network().dvas].find((d) => d.id === dvaId)?.fhirBase ?? "";
      const aud = p.get("aud") ?? "";
      this.record(module.id, "module-aud", aud === fhirBase ? "pass" : "fail", aud === fhirBase ? `aud ${aud}` : `aud ${JSON.stringify(aud)}, verwacht ${fhirBase}`, traceId);
      const discovered = this.discoveredAt.get(dvaId ?? "") ?? 0;
      this.record(module.id, "module-discovery", Date.now() - discovered < 5 * 60_000 ? "pass" : "fail",
        Date.now() - discovered < 5 * 60_000 ? "smart-configuration van de DVA opgehaald voor /connect/authorize" : "/connect/authorize zonder dat de smart-configuration (of /metadata) van deze DVA in de 5 minuten ervoor werd opgehaald", traceId);
      const location = response.headers.get("location");
      const back = location ? URL.parse(location) : null;
      if (back?.searchParams.get("code")) this.record(module.id, "module-launch", "pass", "de launch-code werd aanvaard", traceId);
      else if (p.get("launch") === null) this.record(module.id, "module-launch", "fail", "GET /connect/authorize zonder launch", traceId);
      else if (back?.searchParams.get("error") || response.status >= 400) {
        const error = back?.searchParams.get("error_description") ?? back?.searchParams.get("error") ?? `HTTP ${response.status}`;
        if (/launch/i.test(error) || response.status >= 400) this.record(module.id, "module-launch", "fail", `/connect/authorize geweigerd: ${error}`, traceId);
      }
      return;
    }

    if (kind === "dva-auth" && url.pathname === "/connect/token" && form) {
      const id = form.get("client_id") ?? basicUser(request);
      const module = moduleOf(id);
      if (module && response.status < 300) this.remember(this.moduleTokenAt, module.id, Date.now());
      return;
    }

    if (kind === "dva-fhir") {
      if (/\/\.well-known\/smart-configuration$|\/metadata$/.test(url.pathname)) { this.remember(this.discoveredAt, dvaId ?? "", Date.now(), 100); return; }
      const claims = tokenClaims(request);
      const clientId = typeof claims?.client_id === "string" ? claims.client_id : null;
      const pgo = pgoOf(clientId);
      const path = url.pathname.replace(/^\/fhir\/?/, "");
      if (pgo) {
        backChannel(pgo.id);
        if (method === "GET" && path === "Task") {
          const tag = url.searchParams.getAll("_tag").some((t) => t.startsWith(`${TAG_SYSTEM}|`));
          this.record(pgo.id, "pgo-tag", tag ? "pass" : "fail", tag ? `GET Task met _tag=${TAG_SYSTEM}|…` : `GET Task?${url.search.slice(1)} zonder _tag van de gegevensdienst`, traceId);
          const key = `${pgo.id} ${String(claims?.jti ?? "")}`;
          const earlier = this.searchesOf.get(key) ?? 0;
          this.remember(this.searchesOf, key, earlier + 1);
          const incremental = url.searchParams.has("_lastUpdated") || request.headers.has("if-none-match");
          if (earlier > 0) this.record(pgo.id, "pgo-incremental", incremental ? "pass" : "fail",
            incremental ? "herhaalde verzameling met _lastUpdated of If-None-Match" : `verzameling nr. ${earlier + 1} met hetzelfde token zonder _lastUpdated of If-None-Match`, traceId);
        }
        return;
      }
      const module = moduleOf(clientId);
      if (!module) return;
      const ok = response.status >= 200 && response.status < 300;
      const resource = typeof claims?.resource === "string" ? claims.resource : null;
      if (method === "GET" && /^Task\/[^/]+$/.test(path) && ok) {
        this.record(module.id, "module-read-task", !resource || resource === path ? "pass" : "fail", !resource || resource === path ? `GET ${path}` : `GET ${path}, de launch-context noemt ${resource}`, traceId);
      }
      if ((method === "PATCH" || method === "PUT") && /^Task\/[^/]+$/.test(path)) {
        const ifMatch = request.headers.has("if-match");
        this.record(module.id, "module-if-match", ifMatch ? "pass" : "fail", ifMatch ? `${method} ${path} met If-Match` : `${method} ${path} zonder If-Match`, traceId);
        if (ok) this.record(module.id, "module-transition", "pass", `${method} ${path}: ${response.status}`, traceId);
        else if (response.status === 400 || response.status === 409 || response.status === 422) {
          this.record(module.id, "module-transition", "fail", `${method} ${path}: HTTP ${response.status}`, traceId);
        }
      }
      return;
    }

    if (kind === "pgo") {
      const referer = request.headers.get("referer");
      const origin = referer ? URL.parse(referer)?.origin : null;
      const module = origin ? ix.moduleByOrigin.get(origin) : undefined;
      if (!module || request.method !== "GET") return;
      this.record(module, "module-return", "pass", `terug bij de PGO: ${url.pathname}${url.searchParams.has("error") ? ` met error=${url.searchParams.get("error")}` : ""}`, traceId);
      const token = this.moduleTokenAt.get(module) ?? 0;
      const revoked = this.moduleRevokedAt.get(module) ?? 0;
      if (token) this.record(module, "module-revoke", revoked >= token ? "pass" : "fail",
        revoked >= token ? "token ingetrokken voor de terugkeer" : "terug bij de PGO zonder het token eerst in te trekken (POST /connect/revocation)", traceId);
      return;
    }

    if (kind === "beheer" && url.pathname === "/eagleeye/v1/logs" && method === "POST") {
      const actor = ix.beheerUser.get(basicUser(request, false) ?? "");
      if (!actor) return;
      const rule = ix.dvaByOrigin.size && [...ix.dvaByOrigin.values()].some((d) => d.id === actor) ? "dva-beheer" : "pgo-beheer";
      let said: { aanlevering?: unknown; technischOk?: unknown; regels?: { index: number; problemen: string[] }[] } = {};
      try { said = JSON.parse(responseBody ?? "{}"); } catch { /* not JSON */ }
      if (response.status === 201 && said.technischOk === true) this.record(actor, rule, "pass", `aanlevering ${String(said.aanlevering)}: technisch OK`, traceId);
      else if (response.status === 201) this.record(actor, rule, "fail", `aanlevering ${String(said.aanlevering)}: technisch niet OK — regel ${said.regels?.[0]?.index}: ${said.regels?.[0]?.problemen?.join("; ") ?? ""}`, traceId);
      else if (response.status !== 401) this.record(actor, rule, "fail", `POST /eagleeye/v1/logs: HTTP ${response.status}`, traceId);
    }
  }

  private judgeExchange(pgo: { id: string; origin: string }, form: URLSearchParams, response: Response, traceId: string): void {
    const ok = response.status >= 200 && response.status < 300;
    let launch: { return_url?: unknown } = {};
    try { launch = JSON.parse(form.get("smart_launch_context") ?? "{}"); } catch { /* judged by the DVA */ }
    const returnUrl = typeof launch?.return_url === "string" ? URL.parse(launch.return_url) : null;
    if (launch?.return_url === undefined) this.record(pgo.id, "pgo-return-url", "fail", "smart_launch_context zonder return_url: de module weet niet waarheen terug", traceId);
    else this.record(pgo.id, "pgo-return-url", returnUrl?.origin === pgo.origin ? "pass" : "fail",
      returnUrl?.origin === pgo.origin ? `return_url ${String(launch.return_url)}` : `return_url ${JSON.stringify(launch.return_url)} ligt niet op ${pgo.origin}`, traceId);
    const step = this.stepUp.get(pgo.id);
    void response.clone().json().then((body: { error?: string; error_description?: string }) => {
      const stepUp = !ok && body.error === "invalid_grant" && /step.?up/i.test(body.error_description ?? "");
      if (ok) {
        this.record(pgo.id, "pgo-exchange", "pass", "token exchange: launch-code ontvangen", traceId);
        if (step) { this.record(pgo.id, "pgo-step-up", step.reauthorized ? "pass" : "fail", step.reauthorized ? "na de step-up opnieuw geautoriseerd en één keer opnieuw gevraagd" : "opnieuw gevraagd zonder nieuwe autorisatie", traceId); this.stepUp.delete(pgo.id); }
      } else if (stepUp) {
        if (step && !step.reauthorized) this.record(pgo.id, "pgo-step-up", "fail", "na een step-up opnieuw een token exchange zonder eerst opnieuw te autoriseren", traceId);
        this.stepUp.set(pgo.id, { at: Date.now(), reauthorized: false });
      } else if (response.status === 400) {
        this.record(pgo.id, "pgo-exchange", "fail", `token exchange geweigerd: ${body.error ?? ""} ${body.error_description ?? ""}`.trim(), traceId);
      }
    }).catch(() => {});
  }

  /**
   * A probe of a team's DVA (at registration and when its check starts over): an authorization
   * request with a redirect_uri no PGO registered must not be answered with a redirect there,
   * sent as the sandbox's own PGO. Nothing for an actor that is no team DVA.
   */
  probe(actorId: string): void {
    const n = this.network();
    const dva = n.dvas.find((d) => d.registered === actorId);
    const pgo = n.pgos.find((g) => g.site.internal) ?? n.pgos[0];
    if (dva && pgo) void this.probeDva(actorId, dva.auth.origin, pgo.clientId);
  }

  private async probeDva(actorId: string, authOrigin: string, clientId: string): Promise<void> {
    const trap = "http://niet-geregistreerd.invalid/callback";
    const url = `${authOrigin}/auth?${new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: trap, scope: "probe", state: "medmij-check" })}`;
    try {
      const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(3000), headers: { "User-Agent": `${SANDBOX_USER_AGENT} (medmij-check)` } });
      const location = res.headers.get("location") ?? "";
      this.record(actorId, "dva-error-redirect", location.startsWith(trap) ? "fail" : "pass",
        location.startsWith(trap) ? `GET /auth met redirect_uri ${trap}: doorgestuurd naar ${location.slice(0, 120)}` : `GET /auth met een niet-geregistreerde redirect_uri: HTTP ${res.status}, niet doorgestuurd`);
    } catch { /* not reachable yet: stays as it was */ }
  }

  /** An answer a registered DVA gave the sandbox's PGO or module. Never throws. */
  outgoing(x: { url: URL; method: string; response: Response; traceId: string }): void {
    try {
      const dva = this.index().dvaByOrigin.get(x.url.origin);
      if (!dva) return;
      void this.judgeOutgoing(dva.id, x).catch(() => {});
    } catch { /* never break a call */ }
  }

  private async judgeOutgoing(actorId: string, { url, method, response, traceId }: { url: URL; method: string; response: Response; traceId: string }): Promise<void> {
    const where = `${method} ${url.origin}${url.pathname}`;
    if (/\/(token|connect\/token)$/.test(url.pathname) && method === "POST" && response.status === 200) {
      const noStore = /no-store/i.test(response.headers.get("cache-control") ?? "");
      this.record(actorId, "dva-token-no-store", noStore ? "pass" : "fail", noStore ? `${where}: Cache-Control: no-store` : `${where}: Cache-Control ${JSON.stringify(response.headers.get("cache-control"))}`, traceId);
      const body = await response.clone().json().catch(() => ({})) as { scope?: unknown; refresh_token?: unknown; issued_token_type?: unknown };
      if (body.issued_token_type === undefined) {
        this.record(actorId, "dva-token-scope", typeof body.scope === "string" ? "pass" : "fail", typeof body.scope === "string" ? `${where}: scope ${body.scope}` : `${where}: tokenantwoord zonder scope`, traceId);
        if (typeof body.refresh_token === "string" && url.pathname.endsWith("/token")) this.record(actorId, "dva-refresh", "pass", `${where}: refresh_token uitgegeven`, traceId);
      }
      return;
    }
    if (response.status === 401 || response.status === 403) {
      const has = response.headers.has("www-authenticate");
      this.record(actorId, "dva-www-authenticate", has ? "pass" : "fail", has ? `${where}: ${response.status} met WWW-Authenticate` : `${where}: ${response.status} zonder WWW-Authenticate`, traceId);
      return;
    }
    if (url.pathname.endsWith("/.well-known/smart-configuration") && response.status === 200) {
      const c = await response.clone().json().catch(() => ({})) as Record<string, unknown>;
      const missing = ["authorization_endpoint", "token_endpoint", "revocation_endpoint"].filter((k) => typeof c[k] !== "string");
      if (!(Array.isArray(c.code_challenge_methods_supported) && c.code_challenge_methods_supported.includes("S256"))) missing.push("code_challenge_methods_supported met S256");
      if (!(Array.isArray(c.capabilities) && c.capabilities.includes("launch-ehr"))) missing.push("capabilities met launch-ehr");
      this.record(actorId, "dva-smart-config", missing.length ? "fail" : "pass", missing.length ? `${where}: ontbreekt ${missing.join(", ")}` : `${where}: volledig`, traceId);
      return;
    }
    const since = url.searchParams.get("_lastUpdated");
    if (method === "GET" && since && /^gt/.test(since) && response.status === 200) {
      const bundle = await response.clone().json().catch(() => null) as { entry?: { resource?: { meta?: { lastUpdated?: string } }; search?: { mode?: string } }[] } | null;
      const after = Date.parse(since.slice(2));
      const older = (bundle?.entry ?? []).filter((e) => e.search?.mode !== "include" && Date.parse(e.resource?.meta?.lastUpdated ?? "") <= after);
      if (bundle && Number.isFinite(after)) this.record(actorId, "dva-lastupdated", older.length ? "fail" : "pass",
        older.length ? `${where}?_lastUpdated=${since}: ${older.length} resource(s) van voor dat moment` : `${where}?_lastUpdated=${since}: alleen nieuwere resources`, traceId);
    }
    if (method === "GET" && /\/fhir\//.test(url.pathname) && (response.status === 200 || response.status === 304)) {
      const etag = response.headers.get("etag");
      this.record(actorId, "dva-etag", response.status === 304 || etag ? "pass" : "fail", response.status === 304 ? `${where}: 304 Not Modified` : etag ? `${where}: ETag ${etag}` : `${where}: 200 zonder ETag`, traceId);
    }
  }
}
