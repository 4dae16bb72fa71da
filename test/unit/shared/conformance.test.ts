/**
 * The MedMij-check's verdicts (issue 14 §3) as units: what a team's DVA answered the sandbox's PGO
 * (_lastUpdated honoured, WWW-Authenticate, the SMART configuration), counts and the last failure,
 * starting over, and nothing inspected without a team actor.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { loadNetwork } from "../../../src/network-loader.ts";
import { withActors } from "../../../src/shared/actor-registry.ts";
import { Conformance, RULES, rulesOf } from "../../../src/shared/conformance.ts";
import { migrate } from "../../../src/shared/db.ts";
import { MIGRATIONS } from "../../../src/shared/migrations.ts";
import { resolveNetwork } from "../../../src/shared/resolved-network.ts";

const base = await loadNetwork(null);
const team = { id: "teamdva", kind: "dva" as const, entry: { id: "teamdva", name: "Team DVA", phone: "niet opgegeven", authHost: "http://team-d.localhost:5000", fhirHost: "http://team-d.localhost:5001",
  zorgaanbieders: [{ name: "teamzorg@medmij", displayName: "Team", agb: "12345678", dataServices: ["99"], systemClient: { clientId: "t", clientSecret: "t-secret-123" } }] } };

function setup(withTeam = true) {
  const db = new Database(":memory:");
  migrate(db, MIGRATIONS);
  const network = resolveNetwork(withActors(base, withTeam ? [team] : []), "localhost", 8080);
  return { db, checks: new Conformance(db, () => network) };
}
const answer = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const settle = () => Bun.sleep(5);
const statusOf = (checks: Conformance, rule: string) => checks.report("teamdva", "dva").find((r) => r.id === rule)!;

describe("the MedMij-check", () => {
  test("every rule has an id, a role, a Dutch title and a source; ids are unique", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.source.length).toBeGreaterThan(3);
    expect(rulesOf("system")).toEqual([]);
  });

  test("nothing is inspected without a team actor", () => {
    expect(setup(false).checks.active()).toBe(false);
    expect(setup(true).checks.active()).toBe(true);
  });

  test("_lastUpdated: only newer resources pass; an older one fails with the count", async () => {
    const { checks } = setup();
    const url = new URL("http://team-d.localhost:5001/fhir/Task?_lastUpdated=gt2026-12-01T10:00:00Z");
    checks.outgoing({ url, method: "GET", traceId: "t1", response: answer({ resourceType: "Bundle", entry: [{ resource: { meta: { lastUpdated: "2026-12-01T11:00:00Z" } }, search: { mode: "match" } }] }) });
    await settle();
    expect(statusOf(checks, "dva-lastupdated").status).toBe("pass");
    checks.outgoing({ url, method: "GET", traceId: "t2", response: answer({ resourceType: "Bundle", entry: [{ resource: { meta: { lastUpdated: "2026-11-01T11:00:00Z" } }, search: { mode: "match" } }] }) });
    await settle();
    const r = statusOf(checks, "dva-lastupdated");
    expect(r).toMatchObject({ status: "fail", passes: 1, fails: 1, traceId: "t2" });
    expect(r.evidence).toContain("1 resource(s) van voor dat moment");
  });

  test("401 without WWW-Authenticate fails; a SMART configuration without S256 fails naming what is missing; a pass keeps the last failure", async () => {
    const { checks } = setup();
    checks.outgoing({ url: new URL("http://team-d.localhost:5001/fhir/Task"), method: "GET", traceId: "a", response: answer({}, 401) });
    checks.outgoing({ url: new URL("http://team-d.localhost:5001/fhir/.well-known/smart-configuration"), method: "GET", traceId: "b",
      response: answer({ authorization_endpoint: "x", token_endpoint: "y", revocation_endpoint: "z", capabilities: ["launch-ehr"] }) });
    await settle();
    expect(statusOf(checks, "dva-www-authenticate").status).toBe("fail");
    expect(statusOf(checks, "dva-smart-config").evidence).toContain("code_challenge_methods_supported met S256");
    checks.outgoing({ url: new URL("http://team-d.localhost:5001/fhir/Task"), method: "GET", traceId: "c", response: answer({}, 401, { "WWW-Authenticate": "Bearer" }) });
    await settle();
    const r = statusOf(checks, "dva-www-authenticate");
    expect(r.status).toBe("pass");
    expect(r.lastFailure?.evidence).toContain("zonder WWW-Authenticate");
    // Another host's answers are not the team DVA's.
    checks.outgoing({ url: new URL("http://fhir.zorgnet.localhost:8080/fhir/Task"), method: "GET", traceId: "d", response: answer({}, 401) });
    await settle();
    expect(statusOf(checks, "dva-www-authenticate").fails).toBe(1);
    checks.reset("teamdva");
    expect(checks.report("teamdva", "dva").every((x) => x.status === "unseen")).toBe(true);
  });
});
