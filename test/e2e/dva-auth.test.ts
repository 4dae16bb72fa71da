import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import type { Sandbox } from "../../src/sandbox.ts";
import { consentFlow } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: "pgo.localhost" };
const insecure = { [oauth.allowInsecureRequests]: true } as const;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const auth = sandbox.url("auth.zorgnet");
  const meta = await fetch(`${auth}/.well-known/oauth-authorization-server`);
  as = await oauth.processDiscoveryResponse(new URL(auth), meta);
});
afterAll(() => sandbox.stop());

const redirectUri = () => `${sandbox.url("pgo")}/auth_callback`;

async function codeGrant(redirect: URL, state = "state-123") {
  const params = oauth.validateAuthResponse(as, client, redirect.searchParams, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), oauth.nopkce, insecure);
  return response;
}

async function oauthError(response: Response) {
  return { status: response.status, body: await response.json() as { error: string; error_description: string } };
}

function tokenRequest(body: Record<string, string> | string, headers: Record<string, string> = {}) {
  return fetch(`${sandbox.url("auth.zorgnet")}/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: typeof body === "string" ? body : new URLSearchParams(body),
  });
}

describe("metadata and keys", () => {
  test("issuer is the auth origin without trailing slash; JWKS has an ES256 key", async () => {
    expect(as.issuer).toBe(sandbox.url("auth.zorgnet"));
    const jwks = await (await fetch(`${sandbox.url("auth.zorgnet")}/.well-known/openid-configuration/jwks`)).json();
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0].d).toBeUndefined();
  });
});

describe("collect flow (SD 3.3) with oauth4webapi", () => {
  test("authorization code → access token (JWT) + refresh token under long-term consent → rotation", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "long" });
    expect(redirect.origin + redirect.pathname).toBe(redirectUri());
    expect(redirect.searchParams.get("iss")).toBe(as.issuer);
    const response = await codeGrant(redirect);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: 900, scope: "delinde", patient: "patient-tom" });
    expect(tokens.refresh_token).toBeString();

    const jwks = createRemoteJWKSet(new URL(`${as.issuer}/.well-known/openid-configuration/jwks`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: as.issuer, audience: `${sandbox.url("fhir.zorgnet")}/fhir` });
    expect(payload).toMatchObject({ patient: "patient-tom", zorgaanbieder: "delinde@medmij", client_id: "pgo.localhost", scope: "delinde" });
    expect(payload.sub).not.toBe("999991012");
    expect(payload.jti).toBeString();

    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.scope).toBe("delinde");

    // A used refresh token is refused, and its reuse revokes the lineage (the newest one too).
    const reused = await oauthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "pgo.localhost" }));
    expect(reused).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("al gebruikt") } });
    const newest = await oauthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: refreshed.refresh_token!, client_id: "pgo.localhost" }));
    expect(newest.body).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("ingetrokken") });
  });

  test("once: no refresh token; refresh grant is refused", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "once" });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await codeGrant(redirect));
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe("delinde");
  });

  test("a replayed code is refused (invalid_grant)", async () => {
    const { redirect } = await consentFlow(sandbox);
    const code = redirect.searchParams.get("code")!;
    const body = { grant_type: "authorization_code", code, redirect_uri: redirectUri(), client_id: "pgo.localhost" };
    expect((await tokenRequest(body)).status).toBe(200);
    const again = await oauthError(await tokenRequest(body));
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("al gebruikt") } });
  });

  test("Annuleren on the consent screen → access_denied with state", async () => {
    const { redirect } = await consentFlow(sandbox, { action: "deny", state: "s-deny" });
    expect(redirect.searchParams.get("error")).toBe("access_denied");
    expect(redirect.searchParams.get("state")).toBe("s-deny");
  });

  test("Koos at GGZ Oostland via the second DVA", async () => {
    const { redirect } = await consentFlow(sandbox, { dva: "ggzconnect", scope: "ggzoostland", bsn: "999991024" });
    const res = await fetch(`${sandbox.url("auth.ggzconnect")}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: redirectUri(), client_id: "pgo.localhost" }),
    });
    expect(await res.json()).toMatchObject({ patient: "patient-koos", scope: "ggzoostland" });
  });
});

describe("/auth checks", () => {
  const authUrl = (params: Record<string, string>) => {
    const u = new URL(`${sandbox.url("auth.zorgnet")}/auth`);
    for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    return u.href;
  };
  const base = () => ({ response_type: "code", client_id: "pgo.localhost", redirect_uri: redirectUri(), scope: "delinde", state: "s1" });

  test.each([
    ["unknown client", { client_id: "evil.localhost" }, "staat niet op de OAuthclientlist"],
    ["missing client_id", { client_id: "" }, "client_id ontbreekt"],
    ["unregistered redirect_uri", { redirect_uri: "http://evil.localhost/cb" }, "is niet geregistreerd"],
  ])("%s → error page, never a redirect", async (_name, change, text) => {
    const res = await get(authUrl({ ...base(), ...change }));
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    const html = await res.text();
    expect(html).toContain("Technische storing");
    expect(html).toContain("Zorgnet DVA");
    expect(html).toContain("030 123 45 67");
    expect(html).toContain("Trace ID");
    expect(html).toContain(text);
  });

  test("duplicate redirect_uri → error page", async () => {
    const u = new URL(authUrl(base()));
    u.searchParams.append("redirect_uri", redirectUri());
    expect((await get(u.href)).status).toBe(400);
  });

  test.each([
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["missing state", { state: "" }, "invalid_request"],
    ["scope of another DVA", { scope: "ggzoostland" }, "invalid_scope"],
    ["unknown scope", { scope: "nobody" }, "invalid_scope"],
  ] as [string, Record<string, string>, string][])("%s → redirect with error (RFC 6749 §4.1.2.1)", async (_name, change, error) => {
    const params: Record<string, string> = { ...base(), ...change };
    if (change.state === "") delete params.state;
    const res = await get(authUrl(params));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(redirectUri());
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("error_description")).toBeTruthy();
    expect(location.searchParams.get("iss")).toBe(sandbox.url("auth.zorgnet"));
  });

  test("unknown parameters are ignored; correlation id is logged as the trace", async () => {
    const res = await get(authUrl({ ...base(), foo: "bar", "X-Correlation-ID": "trace-auth-1", "MedMij-Request-ID": "req-auth-1" }));
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).host).toBe(new URL(sandbox.url("digid")).host);
    const lines = sandbox.ctx.chain.query({ traceId: "trace-auth-1" });
    expect(lines[0]).toMatchObject({ event: { type: "receive_authorization_request" }, request: { id: "req-auth-1", client_id: "pgo.localhost" } });
  });

  test("DigiD cancel → access_denied back at the PGO", async () => {
    const toDigid = await get(authUrl({ ...base(), state: "s-cancel" }));
    const page = await get(toDigid.headers.get("location")!);
    const html = await page.text();
    const back = await get(`${sandbox.url("digid")}/authenticate`, {
      method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"), action: "cancel" }),
    });
    expect(back.headers.get("location")).toContain("error=cancelled");
    // The callback comes from the browser that started /auth (its dva_browser cookie).
    const callback = await get(back.headers.get("location")!, { headers: { cookie: cookiesOf(toDigid) } });
    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(redirectUri());
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s-cancel");
  });

  test("a forged DigiD callback is refused", async () => {
    const res = await get(`${sandbox.url("auth.zorgnet")}/digid/callback?state=nope&assertion=x.y.z`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Technische storing");
  });

  test("consent without the DVA session of the login is refused", async () => {
    const res = await get(`${sandbox.url("auth.zorgnet")}/consent?request=whatever`);
    expect(res.status).toBe(400);
  });
});

describe("/token errors (RFC 6749 §5.2)", () => {
  test.each([
    ["wrong content type", "grant_type=authorization_code", { "content-type": "application/json" }, 400, "invalid_request"],
    ["no grant_type", "client_id=pgo.localhost", {}, 400, "invalid_request"],
    ["duplicate parameter", "grant_type=refresh_token&grant_type=refresh_token&client_id=pgo.localhost", {}, 400, "invalid_request"],
    ["unknown client", "grant_type=authorization_code&client_id=evil&code=x&redirect_uri=y", {}, 401, "invalid_client"],
    ["no client", "grant_type=authorization_code&code=x&redirect_uri=y", {}, 401, "invalid_client"],
    ["unknown grant type", "grant_type=password&client_id=pgo.localhost", {}, 400, "unsupported_grant_type"],
    ["unknown code", "grant_type=authorization_code&client_id=pgo.localhost&code=nope&redirect_uri=http://pgo.localhost/auth_callback", {}, 400, "invalid_grant"],
    ["missing code", "grant_type=authorization_code&client_id=pgo.localhost", {}, 400, "invalid_request"],
    ["module with a wrong secret", "grant_type=authorization_code&client_id=zorgmodules-zorgnet&client_secret=wrong", {}, 401, "invalid_client"],
  ] as [string, string, Record<string, string>, number, string][])("%s", async (_name, body, headers, status, error) => {
    const res = await tokenRequest(body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const json = await res.json();
    expect(json.error).toBe(error);
    expect(json.error_description).toBeString();
    if (status === 401) expect(res.headers.get("www-authenticate")).toContain("Basic");
  });

  test("wrong redirect_uri → invalid_grant", async () => {
    const { redirect } = await consentFlow(sandbox);
    const code = redirect.searchParams.get("code")!;
    const wrong = await oauthError(await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: `${redirectUri()}x`, client_id: "pgo.localhost" }));
    expect(wrong).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("redirect_uri") } });
  });

  test("a code older than 10 minutes → invalid_grant (frozen clock)", async () => {
    const { redirect } = await consentFlow(sandbox);
    setSystemTime(new Date(Date.now() + 11 * 60_000));
    try {
      const res = await oauthError(await tokenRequest({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: redirectUri(), client_id: "pgo.localhost" }));
      expect(res).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("verlopen") } });
    } finally {
      setSystemTime();
    }
  });

  test("HTTP Basic for a PGO without a secret is accepted; a mismatching client_id is not", async () => {
    const { redirect } = await consentFlow(sandbox);
    const basic = `Basic ${Buffer.from("pgo.localhost:anything").toString("base64")}`;
    const mismatch = await tokenRequest({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: redirectUri(), client_id: "other" }, { authorization: basic });
    expect((await oauthError(mismatch)).body.error).toBe("invalid_client");
    const ok = await tokenRequest({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: redirectUri() }, { authorization: basic });
    expect(ok.status).toBe(200);
  });

  test("a withdrawn consent's refresh token is refused", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "long" });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await codeGrant(redirect));
    const consent = sandbox.ctx.db.query<{ id: string }, []>("SELECT id FROM dva_consent ORDER BY created_at DESC LIMIT 1").get()!;
    sandbox.ctx.db.query("UPDATE dva_consent SET withdrawn_at = 1 WHERE id = ?").run(consent.id);
    const res = await oauthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "pgo.localhost" }));
    expect(res.body.error).toBe("invalid_grant");
  });
});

describe("client_credentials for the zorgaanbieder's own systems", () => {
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });

  test("a system token for the organisation (client_secret_basic)", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials", scope: "system/*.read system/*.write" }, basic("his-delinde", "his-delinde-secret"));
    const body = await res.json();
    expect(body).toMatchObject({ token_type: "Bearer", scope: "system/*.read system/*.write", expires_in: 900 });
    const jwks = createRemoteJWKSet(new URL(`${as.issuer}/.well-known/openid-configuration/jwks`));
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer: as.issuer });
    expect(payload).toMatchObject({ zorgaanbieder: "delinde@medmij", client_id: "his-delinde" });
    expect(payload.patient).toBeUndefined();
  });

  test("wrong secret, another DVA's system, a PGO, unknown scope", async () => {
    expect((await oauthError(await tokenRequest({ grant_type: "client_credentials" }, basic("his-delinde", "nope")))).body.error).toBe("invalid_client");
    expect((await oauthError(await tokenRequest({ grant_type: "client_credentials", client_id: "ecd-ggzoostland", client_secret: "ecd-ggzoostland-secret" }))).body.error).toBe("invalid_client");
    expect((await oauthError(await tokenRequest({ grant_type: "client_credentials", client_id: "pgo.localhost" }))).body.error).toBe("unauthorized_client");
    expect((await oauthError(await tokenRequest({ grant_type: "client_credentials", scope: "patient/*.read" }, basic("his-delinde", "his-delinde-secret")))).body.error).toBe("invalid_scope");
  });
});
