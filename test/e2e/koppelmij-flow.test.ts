/**
 * The KoppelMij 2026 flow at a DVA of that flavour (issue 15; KoppelMij/koppelmij-designs
 * technical-walkthrough-pgo-launch-voorbereiden.md and -module-launch-ontvangen.md, 2026-04-16),
 * over HTTP as the PGO and the module would call it: PAR → /authorize → token exchange with the
 * launch authorization code as actor_token → the module's SMART launch with the module cookie →
 * revocation at /revoke. And what each flavour refuses of the other.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import type { Json } from "../helpers/fhir.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  const res = await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ flavour: "koppelmij-2026" }) });
  expect(res.status).toBe(200);
});
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");
const fhirBase = () => `${sandbox.url("fhir.zorgnet")}/fhir`;
const form = (body: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const x of [v].flat()) p.append(k, x);
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: p };
};
const pkce = () => {
  const verifier = `${crypto.randomUUID()}${crypto.randomUUID()}`;
  return { verifier, challenge: new Bun.CryptoHasher("sha256").update(verifier).digest("base64url") };
};

/** PAR and /authorize as the PGO does them: the launch authorization code and the browser's cookies. */
async function launchAuthorization(subjectToken: string, o: { audience?: string; returnUrl?: string } = {}) {
  const { verifier, challenge } = pkce();
  const par = await fetch(`${auth()}/par`, form({ response_type: "code", client_id: "pgo.localhost", redirect_uri: `${sandbox.url("pgo")}/callback_stepup`,
    audience: o.audience ?? "zorgmodules-zorgnet", subject_token: subjectToken, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    acr_values: "urn:medmij:oauth2:acr-value:launch-authorization", state: "st-1", scope: "launch openid fhirUser patient/*.read",
    code_challenge: challenge, code_challenge_method: "S256", ...(o.returnUrl ? { return_url: o.returnUrl } : {}) }));
  expect(par.status).toBe(201);
  const { request_uri, expires_in } = await par.json() as { request_uri: string; expires_in: number };
  expect(request_uri).toStartWith("urn:ietf:params:oauth:request_uri:");
  expect(expires_in).toBe(90);
  const authorize = await get(`${auth()}/authorize?${new URLSearchParams({ client_id: "pgo.localhost", request_uri, state: "st-1" })}`);
  expect(authorize.status).toBe(302);
  const back = new URL(authorize.headers.get("location")!);
  expect(`${back.origin}${back.pathname}`).toBe(`${sandbox.url("pgo")}/callback_stepup`);
  expect(back.searchParams.get("state")).toBe("st-1");
  expect(authorize.headers.get("set-cookie")).toContain("dva_module_auth=");
  return { code: back.searchParams.get("code")!, verifier, requestUri: request_uri, cookies: cookiesOf(authorize) };
}

function exchange(subjectToken: string, code: string, verifier: string, extra: Record<string, string | string[]> = {}) {
  return fetch(`${auth()}/token`, form({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost",
    subject_token: subjectToken, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    actor_token: code, actor_token_type: "urn:medmij:token-type:launch-authorization-code", requested_token_type: "urn:medmij:token-type:launch-code",
    audience: "zorgmodules-zorgnet", code_verifier: verifier, resource: ["Task/task-tom-delinde-intake", "Patient/patient-tom"], ...extra }));
}

describe("KoppelMij 2026: PAR, launch authorization code, launch code, module launch", () => {
  test("the whole flow; the module needs no DigiD thanks to the cookie; its token response follows the flavour", async () => {
    const tom = await collectTokens(sandbox, { bsn: "999991012" });
    const { code, verifier, cookies } = await launchAuthorization(tom.access_token, { returnUrl: `${sandbox.url("pgo")}/launch_callback?task_id=task-tom-delinde-intake` });
    const res = await exchange(tom.access_token, code, verifier);
    expect(res.status).toBe(200);
    const launch = await res.json() as Json;
    expect(launch).toMatchObject({ token_type: "N_A", issued_token_type: "urn:medmij:token-type:launch-code", expires_in: 180 });
    expect(launch.scope).toBeUndefined();

    // The module: EHR launch with the code; the module DVA authentication cookie stands in for DigiD.
    const { verifier: mv, challenge: mc } = pkce();
    const authorize = await get(`${auth()}/connect/authorize?${new URLSearchParams({ response_type: "code", client_id: "zorgmodules-zorgnet",
      redirect_uri: `${sandbox.url("module")}/callback`, scope: "launch openid fhirUser patient/*.read patient/Task.*", state: "m1", aud: fhirBase(),
      launch: launch.access_token, code_challenge: mc, code_challenge_method: "S256" })}`, { headers: { cookie: cookies } });
    const back = new URL(authorize.headers.get("location")!);
    expect(back.origin).toBe(sandbox.url("module"));
    const token = await (await fetch(`${auth()}/connect/token`, { ...form({ grant_type: "authorization_code", code: back.searchParams.get("code")!,
      redirect_uri: `${sandbox.url("module")}/callback`, code_verifier: mv }), headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}` } })).json() as Json;
    expect(token.patient).toBe("Patient/patient-tom");
    expect(token.fhirUser).toBe("Patient/patient-tom");
    expect(token.resource).toBe("Task/task-tom-delinde-intake");
    expect(token.return_url).toBeUndefined();
    expect(token.authorization_details).toEqual([{ type: "fhir_context", locations: [fhirBase()], patient: "Patient/patient-tom", resource: "Task/task-tom-delinde-intake",
      return_url: `${sandbox.url("pgo")}/launch_callback?task_id=task-tom-delinde-intake` }]);
    expect(JSON.parse(Buffer.from(token.id_token.split(".")[1], "base64url").toString()).fhirUser).toBe("Patient/patient-tom");
    expect((await fetch(`${fhirBase()}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(200);

    // The module keeps its session with rotating refresh tokens (900 s access tokens, at most 3 hours).
    expect(token.expires_in).toBe(900);
    expect(token.refresh_token).toBeString();
    const moduleAuth = `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}`;
    const refresh = (rt: string) => fetch(`${auth()}/connect/token`, { ...form({ grant_type: "refresh_token", refresh_token: rt }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: moduleAuth } });
    const renewed = await (await refresh(token.refresh_token)).json() as Json;
    expect(renewed).toMatchObject({ token_type: "Bearer", patient: "Patient/patient-tom", resource: "Task/task-tom-delinde-intake" });
    expect(renewed.refresh_token).not.toBe(token.refresh_token);
    expect((await fetch(`${fhirBase()}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${renewed.access_token}` } })).status).toBe(200);
    // A used refresh token again: refused, and what its lineage issued is revoked (RFC 9700 §4.14.2).
    expect(await (await refresh(token.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    expect((await fetch(`${fhirBase()}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${renewed.access_token}` } })).status).toBe(401);

    // Revocation at the walkthrough's /revoke; the token is dead at once.
    const revoked = await fetch(`${auth()}/revoke`, { ...form({ token: token.access_token, token_type_hint: "access_token" }), headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}` } });
    expect(revoked.status).toBe(200);
    expect((await fetch(`${fhirBase()}/Task/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(401);
  });

  test("single use and bound: request_uri and actor_token once, the PKCE verifier, the audience of /par, the subject", async () => {
    const tom = await collectTokens(sandbox, { bsn: "999991012" });
    const a = await launchAuthorization(tom.access_token);
    expect((await get(`${auth()}/authorize?${new URLSearchParams({ client_id: "pgo.localhost", request_uri: a.requestUri })}`)).status).toBe(400);
    const wrongVerifier = await exchange(tom.access_token, a.code, "x".repeat(64));
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant" });
    // The code was taken by that attempt: a second try with the right verifier finds none.
    expect(await (await exchange(tom.access_token, a.code, a.verifier)).json()).toMatchObject({ error: "invalid_grant" });

    const b = await launchAuthorization(tom.access_token);
    const otherModule = await exchange(tom.access_token, b.code, b.verifier, { audience: "medicatiecheck-zorgnet" });
    expect(await otherModule.json()).toMatchObject({ error: "invalid_target" });

    const c = await launchAuthorization(tom.access_token);
    const other = await collectTokens(sandbox, { bsn: "999991012" });
    expect(await (await exchange(other.access_token, c.code, c.verifier)).json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("ander subject_token") });

    // A PAR for a module this DVA does not have, a redirect_uri the PGO did not register, no PKCE: refused.
    const bad = (extra: Record<string, string>) => fetch(`${auth()}/par`, form({ response_type: "code", client_id: "pgo.localhost", redirect_uri: `${sandbox.url("pgo")}/callback_stepup`,
      audience: "zorgmodules-zorgnet", subject_token: tom.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      acr_values: "urn:medmij:oauth2:acr-value:launch-authorization", state: "s", code_challenge: pkce().challenge, code_challenge_method: "S256", ...extra }));
    expect(await (await bad({ audience: "nergens" })).json()).toMatchObject({ error: "invalid_target" });
    expect((await (await bad({ redirect_uri: "http://elders.example/cb" })).json() as Json).error_description).toContain("niet geregistreerd");
    expect((await (await bad({ code_challenge_method: "plain" })).json() as Json).error_description).toContain("PKCE S256");
    expect((await (await bad({ acr_values: "" })).json() as Json).error_description).toContain("acr_values");
    expect((await (await bad({ return_url: "http://elders.example/terug" })).json() as Json).error_description).toContain("return_url");
  });

  test("no step-up at the exchange; a re-identify module gets DigiD at its own authorize, the cookie does not count", async () => {
    const tom = await collectTokens(sandbox, { bsn: "999991012" });
    const { code, verifier, cookies } = await launchAuthorization(tom.access_token, { audience: "medicatiecheck-zorgnet" });
    const res = await exchange(tom.access_token, code, verifier, { audience: "medicatiecheck-zorgnet", resource: "Task/task-tom-delinde-medicatiecheck" });
    expect(res.status).toBe(200);
    const launch = (await res.json() as Json).access_token;
    const { challenge } = pkce();
    const authorize = await get(`${auth()}/connect/authorize?${new URLSearchParams({ response_type: "code", client_id: "medicatiecheck-zorgnet",
      redirect_uri: `${sandbox.url("module")}/secure/callback`, scope: "launch patient/*.read", state: "m2", aud: fhirBase(), launch,
      code_challenge: challenge, code_challenge_method: "S256" })}`, { headers: { cookie: cookies } });
    expect(authorize.headers.get("location")).toStartWith(sandbox.url("digid"));
  });

  test("launch-standalone with context-standalone-patient: the person's session decides the patient; one zorgaanbieder's data, no Task to write", async () => {
    const config = await (await fetch(`${fhirBase()}/.well-known/smart-configuration`)).json() as Json;
    expect(config.capabilities).toEqual(expect.arrayContaining(["launch-standalone", "context-standalone-patient"]));
    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const { verifier, challenge } = pkce();
    const standalone = (cookie: string, extra: Record<string, string> = {}) => get(`${auth()}/connect/authorize?${new URLSearchParams({ response_type: "code",
      client_id: "zorgmodules-zorgnet", redirect_uri: `${sandbox.url("module")}/callback`, scope: "launch/patient openid fhirUser patient/*.read", state: "sa", aud: fhirBase(),
      code_challenge: challenge, code_challenge_method: "S256", ...extra })}`, { headers: { cookie } });
    // No session: DigiD first.
    expect((await standalone("")).headers.get("location")).toStartWith(sandbox.url("digid"));
    // Logged in: no code yet — the person confirms first (a link alone gives a module nothing).
    const asked = await standalone(cookies);
    expect(asked.status).toBe(303);
    expect(asked.headers.get("location")).toStartWith("/connect/standalone?request=");
    const jar = cookiesOf(asked, cookies);
    const confirm = await get(`${auth()}${asked.headers.get("location")}`, { headers: { cookie: jar } });
    const page = await confirm.text();
    expect(page).toContain("De module <strong>ZorgModules</strong> vraagt om uw gegevens bij <strong>Huisartsenpraktijk De Linde</strong> te lezen");
    const answer = (action: string, cookie = cookiesOf(confirm, jar)) => get(`${auth()}/connect/standalone`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf"), request: hiddenInput(page, "request"), action }) });
    // Another browser (no dva_browser of this one) cannot answer for it.
    expect((await answer("grant", cookiesOf(confirm, cookies.split("; ").filter((c) => !c.startsWith("dva_browser=")).join("; ")))).status).toBe(400);
    const yes = await answer("grant");
    const back = new URL(yes.headers.get("location")!);
    expect(back.origin).toBe(sandbox.url("module"));
    // Once: the same confirmation again is unknown.
    expect((await answer("grant")).status).toBe(400);
    const token = await (await fetch(`${auth()}/connect/token`, { ...form({ grant_type: "authorization_code", code: back.searchParams.get("code")!,
      redirect_uri: `${sandbox.url("module")}/callback`, code_verifier: verifier }), headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("zorgmodules-zorgnet:zorgmodules-zorgnet-secret").toString("base64")}` } })).json() as Json;
    expect(token).toMatchObject({ patient: "Patient/patient-tom", fhirUser: "Patient/patient-tom" });
    expect(token.resource).toBeUndefined();
    expect(token.scope).toContain("launch/patient");
    const read = (path: string) => fetch(`${fhirBase()}/${path}`, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect((await read("Patient/patient-tom")).status).toBe(200);
    expect((await read("Task/task-tom-delinde-intake")).status).toBe(200);
    // De Linde's context (the first zorgaanbieder here that knows Tom and offers the module): De Berk's task is not visible.
    const berk = await (await fetch(`${auth()}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("epd-deberk:epd-deberk-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json() as Json;
    expect((await fetch(`${fhirBase()}/Task/task-tom-fysiodeberk-ademhaling`, { headers: { authorization: `Bearer ${berk.access_token}` } })).status).toBe(200);
    expect((await read("Task/task-tom-fysiodeberk-ademhaling")).status).toBe(404);
    const patch = await fetch(`${fhirBase()}/Task/task-tom-delinde-intake`, { method: "PATCH", headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json-patch+json" },
      body: JSON.stringify([{ op: "replace", path: "/status", value: "in-progress" }]) });
    expect(patch.status).toBeGreaterThanOrEqual(400);
    // A DVA of the other flavour wants a launch.
    const v02 = await get(`${sandbox.url("auth.ggzconnect")}/connect/authorize?${new URLSearchParams({ response_type: "code", client_id: "zorgmodules-ggzconnect",
      redirect_uri: `${sandbox.url("module")}/callback`, scope: "launch/patient patient/*.read", state: "sb", aud: `${sandbox.url("fhir.ggzconnect")}/fhir`,
      code_challenge: challenge, code_challenge_method: "S256" })}`);
    expect(new URL(v02.headers.get("location")!).searchParams.get("error_description")).toContain("launch ontbreekt");
  });

  test("the older variant: audience = the FHIR base, requested_token_type access_token, resource=Task/…", async () => {
    const tom = await collectTokens(sandbox, { bsn: "999991012" });
    const res = await fetch(`${auth()}/token`, form({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost",
      subject_token: tom.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token", audience: fhirBase(), resource: "Task/task-tom-delinde-intake" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: "N_A", issued_token_type: "urn:ietf:params:oauth:token-type:access_token", expires_in: 300 });
  });

  test("each flavour explains itself to a client of the other", async () => {
    const tom = await collectTokens(sandbox, { bsn: "999991012" });
    const v02 = await fetch(`${auth()}/token`, form({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost",
      subject_token: tom.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience: "zorgmodules-zorgnet", scope: "delinde", smart_launch_context: JSON.stringify({ resource: "Task/task-tom-delinde-intake", intent: "startmodule" }) }));
    expect((await v02.json() as Json).error_description).toContain("volgt KoppelMij 2026");
    const meta = await (await fetch(`${auth()}/.well-known/oauth-authorization-server`)).json() as Json;
    expect(meta.pushed_authorization_request_endpoint).toBe(`${auth()}/par`);
    const ggz = await fetch(`${sandbox.url("auth.ggzconnect")}/par`, form({ client_id: "pgo.localhost" }));
    expect(ggz.status).toBe(400);
    expect((await ggz.json() as Json).error_description).toContain("volgt het oplossingsontwerp v0.2");
    expect((await (await fetch(`${sandbox.url("auth.ggzconnect")}/.well-known/oauth-authorization-server`)).json() as Json).pushed_authorization_request_endpoint).toBeUndefined();
  });
});
