/**
 * The browser that starts a login is the browser that finishes it (issue 10; RFC 9700 §4.5, §4.7).
 * A DigiD callback or consent screen replayed in another browser is refused without consuming
 * the pending request; a DigiD assertion logs in once; cockpit tickets stay used across restarts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, throughDva, loginAtDigid as digidLogin } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");
const FORM = { "content-type": "application/x-www-form-urlencoded" };
/** A browser that opens a DVA URL needing DigiD and logs in there (test/helpers/dva.ts). */
async function loginAtDigid(start: string, bsn = "999991012", dvaCookies = "") {
  const login = await digidLogin(sandbox, start, bsn, dvaCookies);
  expect(login.status).toBe(303);
  return login;
}

function collectUrl(state = "state-binding"): string {
  const url = new URL(`${auth()}/auth`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: "pgo.localhost", redirect_uri: `${sandbox.url("pgo")}/auth_callback`, scope: "delinde", state })) {
    url.searchParams.set(k, v);
  }
  return url.href;
}


/** Another browser with a DVA browser id of its own (it visited the DVA before). */
async function otherBrowser(): Promise<string> {
  return cookiesOf(await get(collectUrl("other-browser")));
}

async function refused(res: Response, detail: RegExp) {
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain("Technische storing");
  expect(html).toMatch(detail);
  expect(html).not.toContain("Toestemming geven");
  expect(res.headers.getSetCookie().some((c) => c.startsWith("dva_session="))).toBe(false);
}

describe("the DVA's browser id", () => {
  test("/auth sets dva_browser: random, HttpOnly, SameSite=Lax, long-lived; a browser that has one keeps it", async () => {
    const first = await get(collectUrl());
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith("dva_browser="))!;
    expect(cookie).toMatch(/^dva_browser=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=(\d+)$/);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeGreaterThanOrEqual(365 * 86_400);
    const again = await get(collectUrl(), { headers: { cookie: cookiesOf(first) } });
    expect(again.headers.getSetCookie().filter((c) => c.startsWith("dva_browser="))).toEqual([]);
    expect(cookiesOf(await get(collectUrl()))).not.toBe(cookiesOf(first));
  });

  test("two tabs of one browser both finish their login", async () => {
    const tab1 = await loginAtDigid(collectUrl("tab-1"), "999991012");
    const tab2 = await loginAtDigid(collectUrl("tab-2"), "999991012", tab1.cookies);
    expect(tab2.cookies).toBe(tab1.cookies);
    for (const tab of [tab2, tab1]) expect((await get(tab.callback, { headers: { cookie: tab.cookies } })).status).toBe(303);
  });
});

describe("a DigiD callback replayed in another browser (account takeover)", () => {
  test("is refused with the SD 4.2.1 page; the victim's own browser still finishes and gets the code", async () => {
    const victim = await loginAtDigid(collectUrl("victim"), "999991012");
    // The attacker has the victim's callback URL (from a log, a Referer, a shoulder) within the assertion's 120 s.
    await refused(await get(victim.callback), /andere browser/);
    await refused(await get(victim.callback, { headers: { cookie: await otherBrowser() } }), /andere browser/);

    const callback = await get(victim.callback, { headers: { cookie: victim.cookies } });
    expect(callback.status).toBe(303);
    const jar = cookiesOf(callback, victim.cookies);
    const consentUrl = new URL(callback.headers.get("location")!, auth()).href;
    const consent = await get(consentUrl, { headers: { cookie: jar } });
    expect(consent.status).toBe(200);
    const html = await consent.text();
    const decision = await get(`${auth()}/consent`, { method: "POST", headers: { cookie: cookiesOf(consent, jar), ...FORM },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), request: hiddenInput(html, "request"), kind: "once", action: "grant" }) });
    expect(decision.status).toBe(303);
    const redirect = new URL(decision.headers.get("location")!);
    expect(redirect.searchParams.get("state")).toBe("victim");
    expect(redirect.searchParams.get("code")).toBeString();
  });

  test("a DigiD cancel replayed elsewhere does not end the victim's request", async () => {
    const victim = await loginAtDigid(collectUrl("cancel-elsewhere"), "999991012");
    const cancelled = new URL(victim.callback);
    cancelled.searchParams.delete("assertion");
    cancelled.searchParams.set("error", "cancelled");
    await refused(await get(cancelled.href, { headers: { cookie: await otherBrowser() } }), /andere browser/);
    expect((await get(victim.callback, { headers: { cookie: victim.cookies } })).status).toBe(303);
  });

  test("the consent screen, even with the victim's session cookie, is refused in another browser and stays for the victim", async () => {
    const victim = await loginAtDigid(collectUrl("consent-elsewhere"), "999991012");
    const callback = await get(victim.callback, { headers: { cookie: victim.cookies } });
    const jar = cookiesOf(callback, victim.cookies);
    const consentUrl = new URL(callback.headers.get("location")!, auth()).href;
    const session = jar.split("; ").find((c) => c.startsWith("dva_session="))!;
    const attacker = `${await otherBrowser()}; ${session}`;
    await refused(await get(consentUrl, { headers: { cookie: attacker } }), /andere browser/);

    const page = await get(consentUrl, { headers: { cookie: jar } });
    const html = await page.text();
    const body = new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), request: hiddenInput(html, "request"), kind: "long", action: "grant" });
    // The attacker's POST with the victim's CSRF pair and session, but its own browser id.
    const csrfCookie = cookiesOf(page).split("; ").filter((c) => !c.startsWith("dva_")).join("; ");
    await refused(await get(`${auth()}/consent`, { method: "POST", headers: { cookie: `${attacker}; ${csrfCookie}`, ...FORM }, body }), /andere browser/);
    const decision = await get(`${auth()}/consent`, { method: "POST", headers: { cookie: cookiesOf(page, jar), ...FORM }, body });
    expect(decision.status).toBe(303);
    expect(new URL(decision.headers.get("location")!).searchParams.get("code")).toBeString();
  });
});

describe("login CSRF: the attacker's callback link in the victim's browser", () => {
  test("does not log the victim in as the attacker", async () => {
    // The attacker starts a login in their own browser and logs in at DigiD as themselves (Koos)...
    const attacker = await loginAtDigid(collectUrl("attacker"), "999991024");
    // ...and lures the victim, who has used this DVA before, to the callback link.
    const victimBrowser = (await throughDva(sandbox, collectUrl("victim-earlier"), { kind: "once" })).cookies;
    await refused(await get(attacker.callback, { headers: { cookie: victimBrowser } }), /andere browser/);
    await refused(await get(attacker.callback), /andere browser/);
  });

  test("the consent overview's login is bound the same way", async () => {
    const victim = await loginAtDigid(`${auth()}/toestemmingen`, "999991012");
    await refused(await get(victim.callback, { headers: { cookie: await otherBrowser() } }), /andere browser/);
    const ok = await get(victim.callback, { headers: { cookie: victim.cookies } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/toestemmingen");
  });
});

describe("a module launch that needs a DigiD login (SMART)", () => {
  test("its callback is bound to the browser too", async () => {
    const pgo = await collectTokens(sandbox, { kind: "long" });
    const exchange = await (await fetch(`${auth()}/token`, { method: "POST", headers: FORM, body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgo.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience: "zorgmodules-zorgnet", scope: "delinde", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule" }),
    }) })).json();
    const authorize = new URL(`${auth()}/connect/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: "zorgmodules-zorgnet", redirect_uri: `${sandbox.url("module")}/callback`,
      launch: exchange.access_token, aud: `${sandbox.url("fhir.zorgnet")}/fhir`, state: "m", scope: "launch patient/*.read",
      code_challenge: "a".repeat(43), code_challenge_method: "S256" })) authorize.searchParams.set(k, v);
    // A browser without a DVA session (the module opened in another one) logs in at DigiD.
    const login = await loginAtDigid(authorize.href, "999991012");
    await refused(await get(login.callback, { headers: { cookie: await otherBrowser() } }), /andere browser/);
    const ok = await get(login.callback, { headers: { cookie: login.cookies } });
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.get("location")!).searchParams.get("code")).toBeString();
  });
});

describe("a DigiD assertion logs in once", () => {
  test("the same callback a second time, in the same browser, is refused", async () => {
    const login = await loginAtDigid(collectUrl("assertion-once"), "999991012");
    expect((await get(login.callback, { headers: { cookie: login.cookies } })).status).toBe(303);
    await refused(await get(login.callback, { headers: { cookie: login.cookies } }), /al gebruikt/);
    const jti = JSON.parse(Buffer.from(new URL(login.callback).searchParams.get("assertion")!.split(".")[1]!, "base64url").toString()).jti;
    const row = sandbox.ctx.db.query<{ expires_at: number }, [string]>("SELECT expires_at FROM dva_used_assertion WHERE dva = 'zorgnet' AND jti = ?").get(jti);
    expect(row!.expires_at).toBeGreaterThan(Date.now());
  });
});

describe("cockpit tickets across a restart", () => {
  test("a ticket redeemed just before a restart is refused after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medmij-tickets-"));
    try {
      const dataPath = join(dir, "sandbox.db");
      const first = await startTestSandbox({ dataPath });
      const home = await get(`${first.url()}/`);
      const started = await get(`${first.url()}/personas/start`, { method: "POST", headers: { cookie: cookiesOf(home), ...FORM },
        body: new URLSearchParams({ _csrf: hiddenInput(await home.text(), "_csrf"), bsn: "999991012" }) });
      const link = new URL(started.headers.get("location")!);
      const path = `${link.pathname}${link.search}`;
      expect((await get(`${first.url("pgo")}${path}`)).status).toBe(303);
      await first.stop();
      const second = await startTestSandbox({ dataPath });
      try {
        const again = await get(`${second.url("pgo")}${path}`);
        expect(again.status).toBe(400);
        expect(await again.text()).toContain("Startlink verlopen");
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
