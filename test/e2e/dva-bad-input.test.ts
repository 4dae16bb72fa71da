import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { consentFlow } from "../helpers/dva.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");
const form = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${auth()}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });

describe("hostile input at the DVA authorization server: the exact OAuth error, never a 500", () => {
  test("an oversized token request", async () => {
    const res = await form("/token", `grant_type=authorization_code&client_id=pgo.localhost&code=${"x".repeat(70_000)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("te groot") });
  });

  test("parameters in the query string are refused", async () => {
    const res = await form("/token?grant_type=authorization_code", "client_id=pgo.localhost");
    expect((await res.json()).error).toBe("invalid_request");
  });

  test("an expired access token cannot be exchanged (frozen clock)", async () => {
    const { redirect } = await consentFlow(sandbox, { kind: "long" });
    const tokens = await (await form("/token", new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!,
      redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" }).toString())).json();
    setSystemTime(new Date(Date.now() + 16 * 60_000));
    try {
      const res = await form("/token", new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: tokens.access_token,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
        audience: "zorgmodules-zorgnet", scope: "delinde", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule" }),
      }).toString());
      expect(await res.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("verlopen") });
    } finally {
      setSystemTime();
    }
  });

  test("garbage everywhere: every endpoint answers 2xx/3xx/4xx, never 5xx, never a stack trace", async () => {
    const junk = ["", "%", "%%%", "a=%E0%A4%A", "grant_type=%00", "client_id[]=x", "\u0000\u0001", "{\"json\":true}", "grant_type=authorization_code&code=%ZZ"];
    const targets: [string, string][] = [["POST", "/token"], ["POST", "/connect/token"], ["POST", "/connect/introspect"], ["POST", "/connect/revocation"],
      ["POST", "/consent"], ["POST", "/toestemmingen/intrekken"], ["GET", "/auth"], ["GET", "/connect/authorize"], ["GET", "/digid/callback"], ["GET", "/consent"]];
    for (const [method, path] of targets) {
      for (const body of junk) {
        const url = method === "GET" ? `${auth()}${path}?${body}` : `${auth()}${path}`;
        const res = await get(url, method === "GET" ? {} : { method, body, headers: { "content-type": "application/x-www-form-urlencoded" } });
        expect(res.status).toBeLessThan(500);
        const text = await res.text();
        expect(text).not.toMatch(/\bat .+\.ts:\d+/);
      }
    }
    const basicGarbage = await form("/token", "grant_type=client_credentials", { authorization: "Basic !!!" });
    expect(basicGarbage.status).toBe(401);
  });
});
