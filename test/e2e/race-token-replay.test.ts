/**
 * A code or refresh token redeemed several times at once (issue 11 item 3): exactly one request
 * gets tokens, and because the others are replays, those tokens are revoked — in every trial, as
 * for a sequential replay (RFC 6749 §4.1.2, RFC 9700 §4.14.2). Without the fix the losers ran
 * their revocation before the winner had recorded its tokens, which then survived.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, consentFlow } from "../helpers/dva.ts";
import { fhir } from "../helpers/fhir.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const TRIALS = 12;
const CONCURRENT = 5;

function tokenRequest(path: "/token" | "/connect/token", body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${sandbox.url("auth.zorgnet")}${path}`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body),
  });
}

/** Fire the same request N times at once; the statuses and the bodies of the 200s. */
async function together(send: () => Promise<Response>) {
  const answers = await Promise.all(Array.from({ length: CONCURRENT }, async () => {
    const res = await send();
    return { status: res.status, body: await res.json() as Record<string, string> };
  }));
  return { winners: answers.filter((a) => a.status === 200), losers: answers.filter((a) => a.status !== 200) };
}

async function expectRevoked(accessToken: string) {
  const read = await fhir(sandbox, accessToken, "GET", "Task?_count=1");
  expect(read.status).toBe(401);
}

describe("concurrent redemption of one grant", () => {
  test("an authorization code: one 200, the rest invalid_grant, and the winner's tokens are revoked", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { redirect } = await consentFlow(sandbox, { kind: "long" });
      const body = { grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" };
      const { winners, losers } = await together(() => tokenRequest("/token", body));
      expect(winners).toHaveLength(1);
      for (const l of losers) expect(l).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
      await expectRevoked(winners[0]!.body.access_token!);
      const refresh = await tokenRequest("/token", { grant_type: "refresh_token", refresh_token: winners[0]!.body.refresh_token!, client_id: "pgo.localhost" });
      expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
    }
  });

  test("a refresh token: one 200, the rest invalid_grant, and the new pair is revoked with the lineage", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const first = await collectTokens(sandbox);
      const body = { grant_type: "refresh_token", refresh_token: first.refresh_token!, client_id: "pgo.localhost" };
      const { winners, losers } = await together(() => tokenRequest("/token", body));
      expect(winners).toHaveLength(1);
      for (const l of losers) expect(l).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
      await expectRevoked(winners[0]!.body.access_token!);
      await expectRevoked(first.access_token);
      const next = await tokenRequest("/token", { grant_type: "refresh_token", refresh_token: winners[0]!.body.refresh_token!, client_id: "pgo.localhost" });
      expect(await next.json()).toMatchObject({ error: "invalid_grant" });
    }
  });

  test("a module's SMART code at /connect/token: one 200, and its token is revoked", async () => {
    const clientId = "zorgmodules-zorgnet";
    const redirectUri = sandbox.ctx.network.modules.flatMap((m) => m.clients).find((c) => c.clientId === clientId)!.redirectUris[0]!;
    const basic = { authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString("base64")}` };
    for (let trial = 0; trial < TRIALS; trial++) {
      const pgo = await collectTokens(sandbox);
      const exchange = await (await tokenRequest("/token", {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgo.access_token,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
        audience: clientId, scope: "delinde", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule" }),
      })).json() as { access_token: string };
      const verifier = "v".repeat(43) + crypto.randomUUID().replace(/-/g, "");
      const authorize = new URL(`${sandbox.url("auth.zorgnet")}/connect/authorize`);
      for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: redirectUri, launch: exchange.access_token,
        aud: `${sandbox.url("fhir.zorgnet")}/fhir`, state: "s", scope: "launch fhirUser patient/*.read patient/Task.*",
        code_challenge: new Bun.CryptoHasher("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256" })) authorize.searchParams.set(k, v);
      const back = await get(authorize.href, { headers: { cookie: pgo.cookies } });
      const code = new URL(back.headers.get("location")!).searchParams.get("code")!;
      const { winners, losers } = await together(() => tokenRequest("/connect/token",
        { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }, basic));
      expect(winners).toHaveLength(1);
      for (const l of losers) expect(l).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
      await expectRevoked(winners[0]!.body.access_token!);
    }
  });
});
