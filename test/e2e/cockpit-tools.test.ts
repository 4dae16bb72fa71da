/**
 * The cockpit's tools for a team (issue 14 §4): the token inspector (a token or code decoded,
 * whether its DVA still takes it and whose it is; live tokens per persona or client) and the
 * launch link generator (a fresh launch code for a Task and module, with simulated errors the DVA
 * acts out). The DVA's side of both is for the cockpit only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/\s+/g, " ");
async function postPage(path: string, fields: Record<string, string>) {
  const page = await get(`${sandbox.url()}${path}`);
  const html = await page.text();
  const res = await get(`${sandbox.url()}${path}`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), ...fields }) });
  return { status: res.status, html: await res.text() };
}

describe("token inspector", () => {
  test("an access token: decoded, active at its DVA, whose; revoked it is not active any more", async () => {
    const tokens = await collectTokens(sandbox, { bsn: "999991012" });
    const page = await postPage("/tokens", { token: tokens.access_token });
    expect(page.status).toBe(200);
    const t = text(page.html);
    expect(t).toContain("access token van Zorgnet DVA: actief");
    expect(t).toContain("Client pgo.localhost · van Tom van Duinen (999991012), Huisartsenpraktijk De Linde");
    expect(t).toContain("ES256");
    expect(t).toContain("client_id");
    await fetch(`${sandbox.url("auth.zorgnet")}/connect/revocation`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.access_token, client_id: "pgo.localhost" }) });
    expect(text((await postPage("/tokens", { token: tokens.access_token })).html)).toContain("niet actief (ingetrokken)");
    // The refresh token (opaque: found by its hash).
    expect(text((await postPage("/tokens", { token: tokens.refresh_token! })).html)).toContain("refresh token van Zorgnet DVA: actief");
    expect(text((await postPage("/tokens", { token: "iets-wat-niemand-kent" })).html)).toContain("Geen DVA van de sandbox kent dit token");
  });

  test("live tokens of a persona and of a client", async () => {
    await collectTokens(sandbox, { bsn: "999991024", scope: "delinde" });
    const koos = text(await (await get(`${sandbox.url()}/tokens?bsn=999991024&client=`)).text());
    expect(koos).toContain("Koos de Groot (999991024)");
    expect(koos).toContain("access token");
    expect(koos).not.toContain("Tom van Duinen (999991012), Huisartsenpraktijk De Linde Zorgnet");
    const none = text(await (await get(`${sandbox.url()}/tokens?bsn=&client=his-delinde`)).text());
    expect(none).toContain("Geen live tokens.");
  });

  test("the form needs its CSRF token; the DVA's cockpit endpoints refuse everyone else", async () => {
    const res = await get(`${sandbox.url()}/tokens`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=x" });
    expect(res.status).toBe(403);
    for (const auth of [null, `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}`, `Basic ${Buffer.from("sandbox-cockpit:raden").toString("base64")}`]) {
      const r = await fetch(`${sandbox.url("auth.zorgnet")}/_cockpit/introspect`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(auth ? { authorization: auth } : {}) }, body: "token=x" });
      expect(r.status).toBe(401);
      expect((await fetch(`${sandbox.url("auth.zorgnet")}/_cockpit/tokens`, { headers: auth ? { authorization: auth } : {} })).status).toBe(401);
      expect((await fetch(`${sandbox.url("auth.zorgnet")}/_cockpit/launch`, { method: "POST", headers: auth ? { authorization: auth } : {}, body: "{}" })).status).toBe(401);
    }
  });
});

describe("launch link generator", () => {
  /** Make a link, open it as the module would be opened, and follow the module to the DVA's /connect/authorize; its answer. */
  async function launch(fields: Record<string, string>, dvaCookies = "") {
    const made = await postPage("/launch-link", fields);
    expect(made.status).toBe(200);
    const href = /id="launch-link"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="launch-link"/.exec(made.html);
    const link = (href?.[1] ?? href?.[2] ?? "").replace(/&amp;/g, "&");
    expect(link).toContain("launch=");
    const atModule = await get(link);
    expect([302, 303]).toContain(atModule.status);
    const authorize = atModule.headers.get("location")!;
    expect(authorize).toStartWith(`${sandbox.url("auth.zorgnet")}/connect/authorize`);
    return { link, made: made.html, answer: await get(authorize, { headers: { cookie: dvaCookies } }) };
  }

  test("lists the personas' tasks; a plain launch runs (with the person's DVA session: straight to the module's callback)", async () => {
    const html = await (await get(`${sandbox.url()}/launch-link`)).text();
    expect(html).toContain('<optgroup label="Tom van Duinen — Zorgnet DVA">');
    expect(html).toContain('<optgroup label="Koos de Groot — GGZ Connect DVA">');
    expect(text(html)).toContain("Intakevragenlijst kortademigheid (requested)");
    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const { link, answer } = await launch({ task: "zorgnet|task-tom-delinde-intake", client: "", simulate: "" }, cookies);
    expect(link).toStartWith(`${sandbox.url("module")}/launch?iss=${encodeURIComponent(`${sandbox.url("fhir.zorgnet")}/fhir`)}&launch=`);
    const back = new URL(answer.headers.get("location")!);
    expect(back.origin).toBe(sandbox.url("module"));
    expect(back.searchParams.get("code")).toBeString();
  });

  test("simulated errors, each acted out where the real one happens", async () => {
    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const errorOf = (r: Response) => new URL(r.headers.get("location")!).searchParams;
    const expired = await launch({ task: "zorgnet|task-tom-delinde-intake", simulate: "expired" }, cookies);
    expect(errorOf(expired.answer).get("error_description")).toContain("verlopen");
    const audience = await launch({ task: "zorgnet|task-tom-delinde-intake", simulate: "wrong-audience" }, cookies);
    expect(errorOf(audience.answer).get("error_description")).toContain("andere module");
    const down = await launch({ task: "zorgnet|task-tom-delinde-intake", simulate: "dva-down" }, cookies);
    expect(errorOf(down.answer).get("error")).toBe("temporarily_unavailable");
    // Step-up: DigiD again, although the browser has Tom's DVA session.
    const stepUp = await launch({ task: "zorgnet|task-tom-delinde-intake", simulate: "step-up" }, cookies);
    expect(stepUp.answer.headers.get("location")).toStartWith(sandbox.url("digid"));
    const ret = await get(`${sandbox.url()}/launch-link/terug?simulate=return-unavailable`);
    expect(ret.status).toBe(503);
    expect((await ret.json() as { error: string }).error).toBe("temporarily_unavailable");
    expect(text(await (await get(`${sandbox.url()}/launch-link/terug?error=access_denied`)).text())).toContain("access_denied");
  });

  test("an own launch URL and another module's client; wrong input is a 422 with the reason", async () => {
    const made = await postPage("/launch-link", { task: "zorgnet|task-tom-delinde-intake", client: "medicatiecheck-zorgnet", launchUrl: "http://mijnteam.localhost:4000/start", simulate: "" });
    expect(made.html).toContain("http://mijnteam.localhost:4000/start?iss=");
    expect(text(made.html)).toContain("client_id medicatiecheck-zorgnet");
    expect((await postPage("/launch-link", { task: "zorgnet|bestaat-niet" })).status).toBe(422);
    const wrongUrl = await postPage("/launch-link", { task: "zorgnet|task-tom-delinde-intake", launchUrl: "javascript:alert(1)" });
    expect(wrongUrl.status).toBe(422);
    expect(wrongUrl.html).not.toContain('href="javascript:');
    expect((await postPage("/launch-link", { task: "zorgnet|task-tom-delinde-intake", simulate: "ontploffen" })).status).toBe(422);
  });
});
