import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as oauth from "oauth4webapi";
import type { Sandbox } from "../../src/sandbox.ts";
import { consentFlow } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let moduleAs: oauth.AuthorizationServer;
const moduleClient: oauth.Client = { client_id: "zorgmodules-zorgnet" };
const moduleAuth = oauth.ClientSecretBasic("zorgmodules-zorgnet-secret");
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const auth = sandbox.url("auth.zorgnet");
  // .well-known/smart-configuration is not RFC 8414 discovery (PITFALLS.md): the module builds this by hand.
  moduleAs = { issuer: auth, authorization_endpoint: `${auth}/connect/authorize`, token_endpoint: `${auth}/connect/token`,
    introspection_endpoint: `${auth}/connect/introspect`, revocation_endpoint: `${auth}/connect/revocation` };
});
afterAll(() => sandbox.stop());

const fhirBase = () => `${sandbox.url("fhir.zorgnet")}/fhir`;
const moduleCallback = () => `${sandbox.url("module")}/callback`;

/** PGO side: consent (DigiD as Tom), access token, launch code for a task. */
async function launchCode(task = "task-tom-delinde-intake", audience = "zorgmodules-zorgnet") {
  const { redirect, cookies } = await consentFlow(sandbox, { kind: "long" });
  const auth = sandbox.url("auth.zorgnet");
  const post = (body: Record<string, string>) => fetch(`${auth}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
  const tokens = await (await post({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" })).json();
  const exchanged = await (await post({
    grant_type: EXCHANGE, client_id: "pgo.localhost", subject_token: tokens.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    requested_token_type: "medmij:token-type:one-time-code", audience, scope: "delinde",
    smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule", return_url: `${sandbox.url("pgo")}/launch_callback` }),
  })).json();
  return { launch: exchanged.access_token as string, dvaCookies: cookies, pgoToken: tokens.access_token as string };
}

async function authorizeUrl(launch: string, change: Record<string, string | null> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const params: Record<string, string | null> = {
    response_type: "code", client_id: "zorgmodules-zorgnet", redirect_uri: moduleCallback(), launch, aud: fhirBase(), state: "m-state",
    scope: "launch fhirUser patient/*.read patient/Task.*", code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...change,
  };
  const url = new URL(moduleAs.authorization_endpoint!);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  return { url: url.href, verifier };
}

describe("SMART launch for modules (SD 3.5/3.6)", () => {
  test("same person's DVA session: code → token with the launch context → introspect → revoke", async () => {
    const { launch, dvaCookies } = await launchCode();
    const { url, verifier } = await authorizeUrl(launch);
    const res = await get(url, { headers: { cookie: dvaCookies } });
    expect(res.status).toBe(302);
    const redirect = new URL(res.headers.get("location")!);
    expect(redirect.origin + redirect.pathname).toBe(moduleCallback());
    const params = oauth.validateAuthResponse(moduleAs, moduleClient, redirect, "m-state");
    const tokenResponse = await oauth.authorizationCodeGrantRequest(moduleAs, moduleClient, moduleAuth, params, moduleCallback(), verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(moduleAs, moduleClient, tokenResponse);
    expect(tokens).toMatchObject({
      token_type: "bearer", scope: "launch fhirUser patient/*.read patient/Task.*", patient: "patient-tom", fhirUser: "Patient/patient-tom",
      resource: "Task/task-tom-delinde-intake", intent: "startmodule", return_url: `${sandbox.url("pgo")}/launch_callback`,
    });

    const introspect = async () => (await oauth.processIntrospectionResponse(moduleAs, moduleClient,
      await oauth.introspectionRequest(moduleAs, moduleClient, moduleAuth, tokens.access_token, insecure)));
    expect(await introspect()).toMatchObject({ active: true, client_id: "zorgmodules-zorgnet", patient: "patient-tom", resource: "Task/task-tom-delinde-intake" });
    await oauth.processRevocationResponse(await oauth.revocationRequest(moduleAs, moduleClient, moduleAuth, tokens.access_token, insecure));
    expect((await introspect()).active).toBe(false);
    // RFC 7009 §2.2: an unknown token is also 200.
    await oauth.processRevocationResponse(await oauth.revocationRequest(moduleAs, moduleClient, moduleAuth, "nonsense", insecure));
  });

  test("client_secret_post works too; a wrong secret is 401 invalid_client; a wrong verifier is invalid_grant", async () => {
    const { launch, dvaCookies } = await launchCode();
    const { url, verifier } = await authorizeUrl(launch);
    const code = new URL((await get(url, { headers: { cookie: dvaCookies } })).headers.get("location")!).searchParams.get("code")!;
    const post = (body: Record<string, string>) => fetch(moduleAs.token_endpoint!, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    const base = { grant_type: "authorization_code", code, redirect_uri: moduleCallback(), client_id: "zorgmodules-zorgnet" };
    const wrongSecret = await post({ ...base, client_secret: "nope", code_verifier: verifier });
    expect(wrongSecret.status).toBe(401);
    expect((await wrongSecret.json()).error).toBe("invalid_client");
    const wrongVerifier = await post({ ...base, client_secret: "zorgmodules-zorgnet-secret", code_verifier: oauth.generateRandomCodeVerifier() });
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("PKCE") });
  });

  test("no DVA session: DigiD login; another person gets the 'andere persoon' page; the right person gets a code", async () => {
    const first = await launchCode();
    const { url } = await authorizeUrl(first.launch);
    const toDigid = await get(url);
    expect(toDigid.status).toBe(302);
    // The DigiD callback must come from the browser that started the login (its dva_browser cookie).
    const browser = cookiesOf(toDigid);
    const digid = async (bsn: string, target: string) => {
      const page = await get(target);
      const html = await page.text();
      const back = await get(`${sandbox.url("digid")}/authenticate`, {
        method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"), persona: bsn, action: "login" }),
      });
      return get(back.headers.get("location")!, { headers: { cookie: browser } });
    };
    const swapped = await digid("999991024", toDigid.headers.get("location")!);
    expect(swapped.status).toBe(403);
    expect(await swapped.text()).toContain("Andere persoon");

    const second = await launchCode();
    const again = await authorizeUrl(second.launch);
    const ok = await digid("999991012", (await get(again.url, { headers: { cookie: browser } })).headers.get("location")!);
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.get("location")!).searchParams.get("code")).toBeString();
  });

  test.each([
    ["plain PKCE", { code_challenge_method: "plain" }, "invalid_request", "S256"],
    ["no PKCE", { code_challenge: null, code_challenge_method: null }, "invalid_request", "code_challenge"],
    ["wrong aud", { aud: "http://fhir.ggzconnect.localhost/fhir" }, "invalid_request", "aud"],
    ["no launch scope", { scope: "patient/*.read" }, "invalid_scope", "launch"],
    ["unknown launch code", { launch: "nope" }, "invalid_request", "onbekende launch-code"],
  ] as [string, Record<string, string | null>, string, string][])("%s → redirect with error", async (_name, change, error, text) => {
    const { launch, dvaCookies } = await launchCode();
    const { url } = await authorizeUrl(launch, change);
    const res = await get(url, { headers: { cookie: dvaCookies } });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(moduleCallback());
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("error_description")).toContain(text);
    expect(location.searchParams.get("state")).toBe("m-state");
  });

  test("a launch code is single use, and only for its own module", async () => {
    const { launch, dvaCookies } = await launchCode();
    expect((await get((await authorizeUrl(launch)).url, { headers: { cookie: dvaCookies } })).headers.get("location")).toContain("code=");
    const reused = new URL((await get((await authorizeUrl(launch)).url, { headers: { cookie: dvaCookies } })).headers.get("location")!);
    expect(reused.searchParams.get("error_description")).toContain("al gebruikt");

    const other = await launchCode();
    const foreign = await authorizeUrl(other.launch, { client_id: "medicatiecheck-zorgnet", redirect_uri: `${sandbox.url("module")}/secure/callback` });
    const res = new URL((await get(foreign.url, { headers: { cookie: other.dvaCookies } })).headers.get("location")!);
    expect(res.searchParams.get("error_description")).toContain("andere module");
  });

  test("an expired launch code (fault launchCodeTtlSeconds=0)", async () => {
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ launchCodeTtlSeconds: 0 }) });
    try {
      const { launch, dvaCookies } = await launchCode();
      const res = new URL((await get((await authorizeUrl(launch)).url, { headers: { cookie: dvaCookies } })).headers.get("location")!);
      expect(res.searchParams.get("error_description")).toContain("verlopen");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });

  test("unregistered redirect_uri or unknown client → error page, never a redirect", async () => {
    const { launch } = await launchCode();
    for (const change of [{ redirect_uri: "http://evil.localhost/cb" }, { client_id: "pgo.localhost" }] as Record<string, string>[]) {
      const res = await get((await authorizeUrl(launch, change)).url);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("Technische storing");
    }
  });

  test("introspection needs client authentication; another client's token and garbage are inactive (RFC 7662 §2.2)", async () => {
    const { pgoToken } = await launchCode();
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(moduleAs.introspection_endpoint!, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body) });
    expect((await post({ token: pgoToken })).status).toBe(401);
    const basic = { authorization: `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}` };
    expect(await (await post({ token: pgoToken }, basic)).json()).toEqual({ active: false });
    expect(await (await post({ token: "x.y.z" }, basic)).json()).toEqual({ active: false });
  });
});

describe("SMART discovery on the FHIR host (SD 3.5)", () => {
  test("smart-configuration names this DVA's endpoints, S256 only, with CORS; the chain log records it", async () => {
    const res = await fetch(`${fhirBase()}/.well-known/smart-configuration`, { headers: { "X-Correlation-ID": "trace-smart-config", Origin: "http://module.localhost" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const config = await res.json();
    expect(config).toMatchObject({
      issuer: moduleAs.issuer, authorization_endpoint: moduleAs.authorization_endpoint, token_endpoint: moduleAs.token_endpoint,
      introspection_endpoint: moduleAs.introspection_endpoint, revocation_endpoint: moduleAs.revocation_endpoint,
      code_challenge_methods_supported: ["S256"],
    });
    expect(config.capabilities).toEqual(expect.arrayContaining(["launch-ehr", "context-ehr-patient", "client-confidential-symmetric"]));
    const pre = await fetch(`${fhirBase()}/.well-known/smart-configuration`, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(sandbox.ctx.chain.query({ traceId: "trace-smart-config" }).map((l) => l.event.type))
      .toEqual(["receive_smart_configuration_request", "send_smart_configuration_response"]);
  });
});

describe("the whole flow of issue 3 in one go", () => {
  test("code → token → refresh → token exchange → module authorize (PKCE) → token with launch context → introspect → revoke", async () => {
    const pgoClient: oauth.Client = { client_id: "pgo.localhost" };
    const auth = sandbox.url("auth.zorgnet");
    const pgoAs = await oauth.processDiscoveryResponse(new URL(auth), await fetch(`${auth}/.well-known/oauth-authorization-server`));
    const { redirect, cookies } = await consentFlow(sandbox, { kind: "long", state: "flow" });
    const params = oauth.validateAuthResponse(pgoAs, pgoClient, redirect.searchParams, "flow");
    const first = await oauth.processAuthorizationCodeResponse(pgoAs, pgoClient,
      await oauth.authorizationCodeGrantRequest(pgoAs, pgoClient, oauth.None(), params, `${sandbox.url("pgo")}/auth_callback`, oauth.nopkce, insecure));
    const refreshed = await oauth.processRefreshTokenResponse(pgoAs, pgoClient,
      await oauth.refreshTokenGrantRequest(pgoAs, pgoClient, oauth.None(), first.refresh_token!, insecure));
    const launch = await oauth.processGenericTokenEndpointResponse(pgoAs, pgoClient, await oauth.genericTokenEndpointRequest(pgoAs, pgoClient, oauth.None(), EXCHANGE, {
      subject_token: refreshed.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      requested_token_type: "medmij:token-type:one-time-code", audience: "zorgmodules-zorgnet", scope: "delinde",
      smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule", return_url: `${sandbox.url("pgo")}/launch_callback` }),
    }, insecure), { recognizedTokenTypes: { na: () => {} } });

    const { url, verifier } = await authorizeUrl(launch.access_token);
    const back = new URL((await get(url, { headers: { cookie: cookies } })).headers.get("location")!);
    const moduleTokens = await oauth.processAuthorizationCodeResponse(moduleAs, moduleClient, await oauth.authorizationCodeGrantRequest(moduleAs, moduleClient, moduleAuth,
      oauth.validateAuthResponse(moduleAs, moduleClient, back, "m-state"), moduleCallback(), verifier, insecure));
    expect(moduleTokens).toMatchObject({ patient: "patient-tom", resource: "Task/task-tom-delinde-intake", intent: "startmodule" });
    const introspect = async () => oauth.processIntrospectionResponse(moduleAs, moduleClient,
      await oauth.introspectionRequest(moduleAs, moduleClient, moduleAuth, moduleTokens.access_token, insecure));
    expect((await introspect()).active).toBe(true);
    await oauth.processRevocationResponse(await oauth.revocationRequest(moduleAs, moduleClient, moduleAuth, moduleTokens.access_token, insecure));
    expect((await introspect()).active).toBe(false);
  });
});
