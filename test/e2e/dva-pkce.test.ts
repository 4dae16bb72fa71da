/**
 * PKCE on the collect flow (issue 10; RFC 7636, RFC 9700 §2.1.1, §4.5, §4.8): S256 only, a
 * challenge binds the code to its verifier, a verifier without a challenge is refused, a DVA may
 * require PKCE, and the sandbox PGO sends it — so a code from another session cannot be injected.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as oauth from "oauth4webapi";
import { loadNetwork } from "../../src/network-loader.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { sha256 } from "../../src/shared/crypto.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { consentFlow, throughDva } from "../helpers/dva.ts";
import { pgoLogin, pgoStartConnect } from "../helpers/pgo.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");
const callback = () => `${sandbox.url("pgo")}/auth_callback`;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

function authUrl(on: Sandbox, params: Record<string, string>): string {
  const url = new URL(`${on.url("auth.zorgnet")}/auth`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: "pgo.localhost", redirect_uri: `${on.url("pgo")}/auth_callback`, scope: "delinde", state: "s-pkce", ...params })) {
    url.searchParams.set(k, v);
  }
  return url.href;
}

function redeem(code: string, extra: Record<string, string> = {}) {
  return fetch(`${auth()}/token`, { method: "POST", headers: FORM,
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callback(), client_id: "pgo.localhost", ...extra }) });
}

async function codeWithChallenge(challenge: string): Promise<string> {
  const { redirect } = await consentFlow(sandbox, { kind: "once", extraParams: { code_challenge: challenge, code_challenge_method: "S256" } });
  return redirect.searchParams.get("code")!;
}

async function errorRedirect(res: Response, on = sandbox) {
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  expect(location.origin + location.pathname).toBe(`${on.url("pgo")}/auth_callback`);
  return { error: location.searchParams.get("error"), description: location.searchParams.get("error_description"), state: location.searchParams.get("state"),
    iss: location.searchParams.get("iss") };
}

describe("/auth: S256 only (RFC 7636 §4.3), errors redirected to the verified client (RFC 6749 §4.1.2.1)", () => {
  const challenge = () => sha256(oauth.generateRandomCodeVerifier(), "base64url");
  test.each([
    ["plain", () => ({ code_challenge: oauth.generateRandomCodeVerifier(), code_challenge_method: "plain" }), "S256"],
    ["a challenge without a method (means plain)", () => ({ code_challenge: challenge() }), "plain"],
    ["a method without a challenge", () => ({ code_challenge_method: "S256" }), "code_challenge"],
    ["a challenge that is no SHA-256", () => ({ code_challenge: "short", code_challenge_method: "S256" }), "SHA-256"],
    ["two challenges", () => ({}), "meer dan één keer"],
  ] as [string, () => Record<string, string>, string][])("%s → invalid_request", async (name, params, text) => {
    let url = authUrl(sandbox, params());
    if (name === "two challenges") url += `&code_challenge=${challenge()}&code_challenge=${challenge()}&code_challenge_method=S256`;
    const res = await errorRedirect(await get(url));
    expect(res).toMatchObject({ error: "invalid_request", state: "s-pkce", iss: auth() });
    expect(res.description).toContain(text);
  });

  test("an S256 challenge goes on to DigiD", async () => {
    const res = await get(authUrl(sandbox, { code_challenge: challenge(), code_challenge_method: "S256" }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toStartWith(`${sandbox.url("digid")}/authenticate?`);
  });
});

describe("/token: the verifier of the challenge (RFC 7636 §4.6; RFC 9700 §2.1.1)", () => {
  test("the right verifier gets tokens", async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const res = await redeem(await codeWithChallenge(await oauth.calculatePKCECodeChallenge(verifier)), { code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: "Bearer", scope: "delinde" });
  });

  test.each([
    ["no verifier", {}, "ontbreekt"],
    ["a wrong verifier", { code_verifier: oauth.generateRandomCodeVerifier() }, "past niet"],
    ["the challenge itself as verifier (plain)", null, "past niet"],
  ] as [string, Record<string, string> | null, string][])("%s → invalid_grant", async (_name, extra, text) => {
    const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
    const res = await redeem(await codeWithChallenge(challenge), extra ?? { code_verifier: challenge });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining(text) });
  });

  test("a verifier for a code requested without a challenge → invalid_grant (PKCE downgrade, RFC 9700 §4.8.2)", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "once" });
    const res = await redeem(redirect.searchParams.get("code")!, { code_verifier: oauth.generateRandomCodeVerifier() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("geen code_challenge") });
  });

  test("without PKCE on either side the flow still works (optional by default: MedMij does not mandate it)", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "once" });
    expect((await redeem(redirect.searchParams.get("code")!)).status).toBe(200);
  });
});

describe("the sandbox PGO sends PKCE S256 with its state", () => {
  test("the authorization request carries an S256 challenge of the verifier the PGO keeps with the state", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    const url = new URL(await pgoStartConnect(sandbox, tom, "delinde@medmij"));
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    const row = sandbox.ctx.db.query<{ code_verifier: string }, [string]>("SELECT code_verifier FROM pgo_oauth_state WHERE state = ?").get(url.searchParams.get("state")!)!;
    expect(row.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(sha256(row.code_verifier, "base64url")).toBe(url.searchParams.get("code_challenge")!);
  });
});

describe("code injection (RFC 9700 §4.5): Koos's code delivered with Tom's state", () => {
  const tomsConnection = () => sandbox.ctx.db.query<{ patient: string | null }, []>(
    "SELECT c.patient FROM pgo_connection c JOIN pgo_account a ON a.id = c.account_id WHERE a.username = 'tom' AND c.zorgaanbieder = 'delinde@medmij'").get();

  async function inject(code: string): Promise<Response> {
    // Tom presses Verbinden: his PGO stores his state and verifier and sends him to the DVA.
    const tom = await pgoLogin(sandbox, "tom");
    const tomsState = new URL(await pgoStartConnect(sandbox, tom, "delinde@medmij")).searchParams.get("state")!;
    // The attacker gets Tom's browser to the PGO's callback with the attacker's code and Tom's state.
    const injected = new URL(callback());
    injected.searchParams.set("code", code);
    injected.searchParams.set("state", tomsState);
    injected.searchParams.set("iss", auth());
    return get(injected.href, { headers: { cookie: tom } });
  }

  test("a code from the attacker's own PGO session (with its own PKCE) does not connect Tom to Koos's data", async () => {
    const koos = await pgoLogin(sandbox, "koos");
    const { redirect } = await throughDva(sandbox, await pgoStartConnect(sandbox, koos, "delinde@medmij"), { bsn: "999991024", kind: "long" });
    const res = await inject(redirect.searchParams.get("code")!);
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).toContain("Verbinden mislukt");
    expect(html).toContain("invalid_grant");
    expect(tomsConnection()).toBeNull();
  });

  test("a code the attacker obtained at /auth without PKCE does not either (the verifier is refused)", async () => {
    const { redirect } = await consentFlow(sandbox, { bsn: "999991024", kind: "long", state: "attacker" });
    const res = await inject(redirect.searchParams.get("code")!);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("geen code_challenge");
    expect(tomsConnection()).toBeNull();
  });
});

describe('a DVA with pkce: "required"', () => {
  let strict: Sandbox;
  beforeAll(async () => {
    const network = structuredClone(await loadNetwork(null)) as NetworkDefinition;
    network.dvas[0]!.pkce = "required";
    strict = await startTestSandbox({}, network);
  });
  afterAll(() => strict.stop());

  test("refuses /auth without a challenge with invalid_request; accepts S256; the other DVA stays optional", async () => {
    const res = await errorRedirect(await get(authUrl(strict, {})), strict);
    expect(res).toMatchObject({ error: "invalid_request", state: "s-pkce" });
    expect(res.description).toContain("vereist PKCE");
    const ok = await get(authUrl(strict, { code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: "S256" }));
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toStartWith(`${strict.url("digid")}/authenticate?`);
    const other = new URL(authUrl(strict, { scope: "ggzoostland" }).replace(strict.url("auth.zorgnet"), strict.url("auth.ggzconnect")));
    expect((await get(other.href)).headers.get("location")).toStartWith(`${strict.url("digid")}/authenticate?`);
  });

  test("the sandbox PGO connects there (it sends PKCE)", async () => {
    const tom = await pgoLogin(strict, "tom");
    const { redirect } = await throughDva(strict, await pgoStartConnect(strict, tom, "delinde@medmij"), { kind: "once" });
    const back = await get(redirect.href, { headers: { cookie: tom } });
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("/taken?verbonden=delinde%40medmij");
  });

  test("GET /api/network shows each DVA's policy; the metadata keeps S256 only", async () => {
    const network = await (await get(`${strict.url()}/api/network`)).json() as { dvas: { id: string; pkce: string }[] };
    expect(network.dvas.map((d) => [d.id, d.pkce])).toEqual([["zorgnet", "required"], ["ggzconnect", "optional"]]);
    const meta = await (await get(`${strict.url("auth.zorgnet")}/.well-known/oauth-authorization-server`)).json();
    expect(meta.code_challenge_methods_supported).toEqual(["S256"]);
  });
});
