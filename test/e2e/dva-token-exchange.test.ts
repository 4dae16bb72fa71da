import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import * as oauth from "oauth4webapi";
import type { Sandbox } from "../../src/sandbox.ts";
import { consentFlow } from "../helpers/dva.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: "pgo.localhost" };
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const auth = sandbox.url("auth.zorgnet");
  as = await oauth.processDiscoveryResponse(new URL(auth), await fetch(`${auth}/.well-known/oauth-authorization-server`));
});
afterAll(() => sandbox.stop());

async function collectTokens(o: { bsn?: string; dva?: string; scope?: string } = {}) {
  const { redirect } = await consentFlow(sandbox, { kind: "long", ...o });
  const res = await fetch(`${sandbox.url(`auth.${o.dva ?? "zorgnet"}`)}/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" }),
  });
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const returnUrl = () => `${sandbox.url("pgo")}/launch_callback`;

function exchangeParams(accessToken: string, change: Record<string, string | null> = {}): Record<string, string> {
  const params: Record<string, string | null> = {
    subject_token: accessToken,
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    requested_token_type: "medmij:token-type:one-time-code",
    audience: "zorgmodules-zorgnet",
    scope: "delinde",
    smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule", return_url: returnUrl() }),
    ...change,
  };
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null)) as Record<string, string>;
}

async function exchange(accessToken: string, change: Record<string, string | null> = {}, dva = "zorgnet") {
  const res = await fetch(`${sandbox.url(`auth.${dva}`)}/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "X-Correlation-ID": "trace-exchange" },
    body: new URLSearchParams({ grant_type: EXCHANGE, client_id: "pgo.localhost", ...exchangeParams(accessToken, change) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe("token exchange for a launch code (SD 3.4)", () => {
  test("oauth4webapi: launch code, token_type NA, 60 s, the requested token type", async () => {
    const { access_token } = await collectTokens();
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), EXCHANGE, exchangeParams(access_token), insecure);
    const result = await oauth.processGenericTokenEndpointResponse(as, client, response, { recognizedTokenTypes: { na: () => {} } });
    expect(result).toMatchObject({ token_type: "na", expires_in: 60, issued_token_type: "medmij:token-type:one-time-code", scope: "delinde" });
    expect(result.access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  test("the alternative token type name is accepted; the chain log names it", async () => {
    const { access_token } = await collectTokens();
    const r = await exchange(access_token, { requested_token_type: "urn:medmij:token-type:launch-code" });
    expect(r.status).toBe(200);
    expect(r.body.issued_token_type).toBe("urn:medmij:token-type:launch-code");
    const lines = sandbox.ctx.chain.query({ traceId: "trace-exchange" });
    expect(lines.at(-2)).toMatchObject({ event: { type: "receive_token_request" }, request: { grant_type: EXCHANGE, request_token_type: "urn:medmij:token-type:launch-code" } });
    expect(lines.at(-1)!.event.type).toBe("send_token_response");
  });

  test("a completed task may be launched again to view its answers (SD 4.6 step 17)", async () => {
    const { access_token } = await collectTokens();
    const r = await exchange(access_token, { smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-mrc-1", intent: "startmodule", return_url: returnUrl() }) });
    expect(r.status).toBe(200);
  });

  test.each([
    ["wrong requested_token_type", { requested_token_type: "urn:ietf:params:oauth:token-type:access_token" }, "invalid_request", "requested_token_type"],
    ["wrong subject_token_type", { subject_token_type: "urn:ietf:params:oauth:token-type:jwt" }, "invalid_request", "subject_token_type"],
    ["no subject_token", { subject_token: null }, "invalid_request", "subject_token ontbreekt"],
    ["garbage subject_token", { subject_token: "not.a.jwt" }, "invalid_request", "ongeldig"],
    ["no scope", { scope: null }, "invalid_scope", "scope ontbreekt"],
    ["another scope", { scope: "ggzoostland" }, "invalid_scope", "komt niet overeen"],
    ["launch context not JSON", { smart_launch_context: "{nope" }, "invalid_request", "geen JSON"],
    ["resource not a Task", { smart_launch_context: JSON.stringify({ resource: "Patient/patient-tom", intent: "startmodule" }) }, "invalid_request", "Task/<id>"],
    ["wrong intent", { smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "plan" }) }, "invalid_request", "intent"],
    ["return_url on another host", { smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule", return_url: "http://evil.localhost/cb" }) }, "invalid_request", "return_url"],
    ["another patient's task", { smart_launch_context: JSON.stringify({ resource: "Task/task-koos-delinde-stress", intent: "startmodule" }) }, "invalid_request", "bestaat niet voor deze patiënt"],
    ["unknown task", { smart_launch_context: JSON.stringify({ resource: "Task/nope", intent: "startmodule" }) }, "invalid_request", "bestaat niet"],
    ["cancelled task", { smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-phq-9", intent: "startmodule" }) }, "invalid_request", "cancelled"],
    ["task outside its period", { smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-mrc-2", intent: "startmodule" }) }, "invalid_request", "executionPeriod"],
    ["audience of another module", { audience: "medicatiecheck-zorgnet" }, "invalid_target", "audience"],
    ["no audience", { audience: null }, "invalid_request", "audience ontbreekt"],
  ] as [string, Record<string, string | null>, string, string][])("%s → %s", async (_name, change, error, text) => {
    const { access_token } = await collectTokens();
    const r = await exchange(access_token, change);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
    expect(r.body.error_description).toContain(text);
  });

  test("another DVA's token is useless here", async () => {
    const koos = await collectTokens({ dva: "ggzconnect", scope: "ggzoostland", bsn: "999991024" });
    const r = await exchange(koos.access_token, { scope: "ggzoostland" });
    expect(r.body).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("niet van deze DVA") });
  });

  test("a module may not ask for a launch code (unauthorized_client)", async () => {
    const { access_token } = await collectTokens();
    const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: EXCHANGE, client_id: "zorgmodules-zorgnet", client_secret: "zorgmodules-zorgnet-secret", ...exchangeParams(access_token) }),
    });
    expect((await res.json()).error).toBe("unauthorized_client");
  });

  test("fault tokenExchangeError makes every exchange fail with that code", async () => {
    const { access_token } = await collectTokens();
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tokenExchangeError: "unauthorized_client" }) });
    try {
      expect((await exchange(access_token)).body.error).toBe("unauthorized_client");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
    expect((await exchange(access_token)).status).toBe(200);
  });

  test("fault launchCodeTtlSeconds sets expires_in", async () => {
    const { access_token } = await collectTokens();
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ launchCodeTtlSeconds: 0 }) });
    try {
      expect((await exchange(access_token)).body.expires_in).toBe(0 as never);
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });
});

describe("step-up (SD 3.4)", () => {
  const medicatie = { audience: "medicatiecheck-zorgnet" };

  test("a re-identify module passes right after a DigiD login, and asks for step-up after 15 minutes", async () => {
    const ctx = JSON.stringify({ resource: "Task/task-tom-delinde-medicatiecheck", intent: "startmodule" });
    const tokens = await collectTokens();
    expect((await exchange(tokens.access_token, { ...medicatie, smart_launch_context: ctx })).status).toBe(200);

    setSystemTime(new Date(Date.now() + 16 * 60_000));
    try {
      // Long-term consent: a fresh access token without DigiD, but the DigiD login is now too old.
      const refreshed = await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "pgo.localhost" }),
      })).json();
      const stepUp = await exchange(refreshed.access_token, { ...medicatie, smart_launch_context: ctx });
      expect(stepUp).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringMatching(/^Step up: /) } });
      // A module without re-identification still starts.
      expect((await exchange(refreshed.access_token)).status).toBe(200);
      // After a new authorization code flow (DigiD) the exchange succeeds.
      const fresh = await collectTokens();
      expect((await exchange(fresh.access_token, { ...medicatie, smart_launch_context: ctx })).status).toBe(200);
    } finally {
      setSystemTime();
    }
  });

  test("fault stepUpAlways: step-up until a DigiD login after the switch", async () => {
    // Koos at the second DVA: the previous test moved the clock for Tom's logins at zorgnet.
    const koos = { bsn: "999991024", dva: "ggzconnect", scope: "ggzoostland" };
    const change = { scope: "ggzoostland", audience: "zorgmodules-ggzconnect",
      smart_launch_context: JSON.stringify({ resource: "Task/task-koos-ggzoostland-gad-7-1", intent: "startmodule" }) };
    const before = await collectTokens(koos);
    expect((await exchange(before.access_token, change, "ggzconnect")).status).toBe(200);
    await Bun.sleep(5);
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stepUpAlways: true }) });
    try {
      expect((await exchange(before.access_token, change, "ggzconnect")).body.error).toBe("invalid_grant");
      await Bun.sleep(5);
      const after = await collectTokens(koos);
      expect((await exchange(after.access_token, change, "ggzconnect")).status).toBe(200);
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });
});
