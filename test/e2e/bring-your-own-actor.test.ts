/**
 * Bring your own actor (issue 14 "Done when"): a team's PGO (test/actors/team-pgo.ts) and a team's
 * DVA (test/actors/team-dva.ts) are registered over the API in a running sandbox, used in a
 * journey without restart, judged by the MedMij-check — each breaks one rule on purpose, which
 * shows as failed with its evidence — and removed. (The team's module on fhirclient is
 * test/browser/public-module.browser.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTeamDva, type TeamDva } from "../actors/team-dva.ts";
import { startTeamPgo, type TeamPgo } from "../actors/team-pgo.ts";
import { throughDva } from "../helpers/dva.ts";
import type { Json } from "../helpers/fhir.ts";
import { pgoLogin, pgoStartConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";
import { actorApi } from "../helpers/actors.ts";

let sandbox: Sandbox;
let teamPgo: TeamPgo;
let teamDva: TeamDva;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  teamPgo = startTeamPgo({ cockpit: sandbox.url(), pkce: false });
  teamDva = startTeamDva({ noStore: false });
});
afterAll(async () => { teamPgo.stop(); teamDva.stop(); await sandbox.stop(); });

const api = (path: string, method = "GET", body?: unknown) => actorApi(sandbox.url(), path, method, body);
/** The check runs after each answer went out: wait until it saw what the test expects. */
async function checkOf(id: string, until: (rules: Map<string, Json>) => boolean): Promise<Map<string, Json>> {
  for (let i = 0; i < 50; i++) {
    const rules = new Map(((await api(`/api/actors/${id}/check`)).json.rules as Json[]).map((r) => [r.id, r]));
    if (until(rules)) return rules;
    await Bun.sleep(20);
  }
  return new Map(((await api(`/api/actors/${id}/check`)).json.rules as Json[]).map((r) => [r.id, r]));
}

describe("a team's PGO", () => {
  const id = "pgo-team-p-localhost";

  test("registered while the sandbox runs, it collects Tom's tasks at De Linde and gets a launch code", async () => {
    expect((await api("/api/actors", "POST", { kind: "pgo", host: teamPgo.origin, displayName: "Team PGO", redirectUris: ["/callback"] })).status).toBe(201);
    const start = await get(`${teamPgo.origin}/start?za=delinde@medmij`);
    expect(start.status).toBe(302);
    const { redirect } = await throughDva(sandbox, start.headers.get("location")!, { bsn: "999991012", kind: "long" });
    expect(redirect.origin).toBe(teamPgo.origin);
    const collected = await (await fetch(redirect.href)).json() as { tasks: string[] };
    expect(collected.tasks).toContain("task-tom-delinde-intake");
    const exchange = await fetch(`${teamPgo.origin}/exchange?task=task-tom-delinde-intake&audience=zorgmodules-zorgnet`);
    expect(exchange.status).toBe(200);
    expect((await exchange.json() as Json).access_token).toBeString();
    expect((await fetch(`${teamPgo.origin}/disconnect`)).status).toBe(200);
  });

  test("the MedMij-check: what it did right passes; the PKCE it left out on purpose fails, with the request as evidence", async () => {
    const rules = await checkOf(id, (r) => r.get("pgo-revoke")?.status === "pass");
    const status = Object.fromEntries([...rules].map(([k, r]) => [k, r.status]));
    expect(status).toEqual({
      "pgo-lists": "pass", "pgo-redirect-uri": "pass", "pgo-state": "pass", "pgo-pkce": "fail", "pgo-request-ids": "pass", "pgo-request-id-unique": "pass",
      "pgo-refresh": "pass", "pgo-incremental": "pass", "pgo-tag": "pass", "pgo-exchange": "pass", "pgo-return-url": "pass",
      "pgo-step-up": "unseen", "pgo-revoke": "pass", "pgo-beheer": "unseen",
    });
    const pkce = rules.get("pgo-pkce")!;
    expect(pkce.evidence).toContain("GET /auth zonder PKCE S256");
    expect(pkce.source).toContain("RFC 7636");
    expect(pkce.trace).toStartWith(`${sandbox.url()}/logs?trace_id=`);
    expect(pkce.fails).toBe(1);
  });

  test("the check page, its Markdown download, and starting over", async () => {
    const page = await (await get(`${sandbox.url()}/actors/${id}/check`)).text();
    expect(page).toContain("MedMij-check: Team PGO");
    expect(page).toContain("GET /auth zonder PKCE S256");
    const md = await get(`${sandbox.url()}/actors/${id}/check.md`);
    expect(md.headers.get("content-type")).toContain("text/markdown");
    expect(await md.text()).toContain("| PKCE S256 bij het autorisatieverzoek (aanbevolen) (`pgo-pkce`) | RFC 7636; RFC 9700 §2.1.1 | voldoet niet |");
    const reset = await api(`/api/actors/${id}/check`, "DELETE");
    expect((reset.json.rules as Json[]).every((r) => r.status === "unseen")).toBe(true);
    expect((await api("/api/actors/onbekend/check")).status).toBe(404);
  });

  test("removed: off the lists at once, and the DVA no longer knows the client", async () => {
    expect((await api(`/api/actors/${id}`, "DELETE")).status).toBe(200);
    expect(await (await fetch(`${sandbox.url("register")}/MedMij_OAuthclientlist.xml`)).text()).not.toContain("team-p.localhost");
    const auth = await get(`${sandbox.url("auth.zorgnet")}/auth?${new URLSearchParams({ response_type: "code", client_id: "team-p.localhost",
      redirect_uri: `${teamPgo.origin}/callback`, scope: "delinde", state: "s" })}`);
    expect(auth.status).toBe(400);
  });
});

describe("a team's DVA", () => {
  test("registered while the sandbox runs, Tom connects its zorgaanbieder in the sandbox's PGO and sees its task", async () => {
    const res = await api("/api/actors", "POST", { kind: "dva", id: "teamdva", name: "Team DVA", authHost: teamDva.authOrigin, fhirHost: teamDva.fhirOrigin,
      zorgaanbieders: [{ name: "teamzorg@medmij", displayName: "Praktijk Team D", agb: "12345678" }] });
    expect(res.status).toBe(201);
    const tom = await pgoLogin(sandbox, "tom");
    const toDva = await pgoStartConnect(sandbox, tom, "teamzorg@medmij");
    expect(toDva).toStartWith(`${teamDva.authOrigin}/auth?`);
    const back = await get(toDva);
    const callback = await get(back.headers.get("location")!, { headers: { cookie: tom } });
    expect(callback.status).toBe(303);
    const tasks = await (await get(`${sandbox.url("pgo")}/taken`, { headers: { cookie: cookiesOf(callback, tom) } })).text();
    expect(tasks).toContain("Vragenlijst van het team");
    expect(teamDva.tokenRequests).toBeGreaterThan(0);
  });

  test("the MedMij-check: the missing Cache-Control: no-store fails with the response as evidence; the rest it showed passes", async () => {
    const rules = await checkOf("teamdva", (r) => r.get("dva-etag")?.status === "pass" && r.get("dva-error-redirect")?.status !== "unseen");
    expect(rules.get("dva-token-no-store")).toMatchObject({ status: "fail", evidence: expect.stringContaining(`POST ${teamDva.authOrigin}/token: Cache-Control null`) });
    expect(rules.get("dva-token-scope")!.status).toBe("pass");
    expect(rules.get("dva-refresh")!.status).toBe("pass");
    expect(rules.get("dva-etag")!.status).toBe("pass");
    expect(rules.get("dva-lists")).toMatchObject({ status: "pass", evidence: expect.stringContaining("teamzorg@medmij") });
    expect(rules.get("dva-smart-config")!.status).toBe("unseen");
    // The probe at registration: an unregistered redirect_uri gets no redirect.
    expect(rules.get("dva-error-redirect")).toMatchObject({ status: "pass", evidence: expect.stringContaining("niet doorgestuurd") });
  });

  test("the cockpit's Eigen actor page lists it; removing it there takes it off the Zorgaanbiederslijst", async () => {
    const page = await get(`${sandbox.url()}/actors`);
    const html = await page.text();
    expect(html).toContain("Team DVA");
    const out = await get(`${sandbox.url()}/actors/teamdva/afmelden`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf") }) });
    expect(out.status).toBe(303);
    expect(await (await fetch(`${sandbox.url("register")}/MedMij_Zorgaanbiederslijst.xml`)).text()).not.toContain("teamzorg@medmij");
    expect((await api("/api/actors")).json.actors).toEqual([]);
  });

  test("the form refuses bad JSON and a bad actor with every problem, and stores nothing", async () => {
    const page = await get(`${sandbox.url()}/actors?soort=module`);
    const html = await page.text();
    expect(html).toContain("&quot;kind&quot;: &quot;module&quot;");
    const post = (json: string) => get(`${sandbox.url()}/actors`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), json }) });
    const bad = await post("{nope");
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("geen geldige JSON");
    const wrong = await post(JSON.stringify({ kind: "module", name: "<b>x</b>", host: "http://x.localhost:1", clients: [{ dva: "nergens" }] }));
    expect(wrong.status).toBe(422);
    const text = await wrong.text();
    expect(text).toContain("clients[0].dva");
    expect(text).not.toContain("<b>x</b>");
    expect((await api("/api/actors")).json.actors).toEqual([]);
  });
});
