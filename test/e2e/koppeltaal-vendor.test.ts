/**
 * A Koppeltaal 2.0 module vendor's own code against a sandbox DVA with `koppeltaal: true` (issue
 * 15 §3): registered with its public key (RFC 7523 private_key_jwt, no secret), it receives an
 * HTI launch token by form POST, validates it at the DVA's introspection endpoint, does the SMART
 * launch with it (`aud` may name it as Device/<client_id>), authenticates at the token endpoint
 * with a signed client assertion, and reads its Task. A reused assertion and a wrong key fail.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let privateKey: CryptoKey;
let otherKey: CryptoKey;
const CLIENT = "kt-vendor.localhost";
beforeAll(async () => {
  sandbox = await startTestSandbox();
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey as CryptoKey;
  otherKey = (await generateKeyPair("ES256")).privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "vendor-1", use: "sig", alg: "ES256" };
  const registered = await fetch(`${sandbox.url()}/api/actors`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({
    kind: "module", name: "Koppeltaal Vendor", host: "http://kt-vendor.localhost:7000", launchPath: "/launch",
    clients: [{ dva: "zorgnet", jwks: { keys: [jwk] }, redirectUris: ["/callback"] }], activity: { title: "Koppeltaal-module" } }) });
  expect(registered.status).toBe(201);
  expect(((await registered.json()) as Json).resolved.clients[0]).toMatchObject({ clientId: CLIENT, public: false, tokenEndpointAuthMethod: "private_key_jwt" });
  expect((await fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ koppeltaal: true }) })).status).toBe(200);
});
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");
const assertion = (key: CryptoKey, aud: string, jti: string = crypto.randomUUID()) => new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "vendor-1" })
  .setIssuer(CLIENT).setSubject(CLIENT).setAudience(aud).setJti(jti).setIssuedAt().setExpirationTime("2m").sign(key);
const form = (body: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
const withAssertion = (a: string) => ({ client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: a });

describe("a Koppeltaal 2.0 module vendor", () => {
  test("HTI launch → introspection → SMART launch → private_key_jwt → its Task", async () => {
    // A Task for Tom with the vendor's module, as a clinician's system would write it.
    const his = await systemToken(sandbox, "his-delinde");
    const seeded = (await fhir(sandbox, his, "GET", "Task/task-tom-delinde-intake")).json;
    const task = { ...seeded, id: undefined, meta: { tag: seeded.meta.tag, profile: seeded.meta.profile }, identifier: [{ system: "https://kt.example/task", value: "kt-1" }],
      extension: [{ url: "http://medmij.nl/fhir/StructureDefinition/ext-Task.DigitalActivity", valueReference: { reference: "ActivityDefinition/ad-delinde-module-koppeltaal-vendor", type: "ActivityDefinition" } }],
      status: "requested", output: undefined };
    const created = await fhir(sandbox, his, "POST", "Task", { body: task });
    expect(created.status).toBe(201);
    const taskId = created.json.id as string;
    // Its Endpoint carries Koppeltaal's connection type, and the launch path works with it.
    expect((await fhir(sandbox, his, "GET", "Endpoint/endpoint-koppeltaal-vendor-delinde")).json.connectionType)
      .toEqual({ system: "http://vzvz.nl/fhir/CodeSystem/koppeltaal-endpoint-connection-type", code: "hti-smart-on-fhir" });

    // The launching platform's HTI token (the DVA plays it; the cockpit's endpoint for it).
    const hti = await (await fetch(`${auth()}/_cockpit/launch`, { method: "POST", headers: { "content-type": "application/json",
      authorization: `Basic ${Buffer.from(`sandbox-cockpit:${sandbox.ctx.secret("cockpit_dva_secret")}`).toString("base64")}` },
      body: JSON.stringify({ task: taskId, kind: "hti" }) })).json() as Json;
    expect(hti.kind).toBe("hti");

    // The vendor validates the launch token at the introspection endpoint with a client assertion.
    const introspected = await (await fetch(`${auth()}/connect/introspect`, form({ token: hti.launch, ...withAssertion(await assertion(privateKey, `${auth()}/connect/introspect`)) }))).json() as Json;
    expect(introspected).toMatchObject({ active: true, resource: `Task/${taskId}`, sub: "Patient/patient-tom", "hti-version": "2.0" });

    // SMART launch with the HTI token (Tom has a DVA session), then the token with a client assertion.
    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const verifier = `${crypto.randomUUID()}${crypto.randomUUID()}`;
    const challenge = new Bun.CryptoHasher("sha256").update(verifier).digest("base64url");
    const authorize = await get(`${auth()}/connect/authorize?${new URLSearchParams({ response_type: "code", client_id: CLIENT, redirect_uri: "http://kt-vendor.localhost:7000/callback",
      scope: "launch openid fhirUser patient/Task.read", state: "kt", aud: `${sandbox.url("fhir.zorgnet")}/fhir`, launch: hti.launch, code_challenge: challenge, code_challenge_method: "S256" })}`, { headers: { cookie: cookies } });
    const back = new URL(authorize.headers.get("location")!);
    expect(back.origin).toBe("http://kt-vendor.localhost:7000");
    const code = back.searchParams.get("code")!;
    const tokenAssertion = await assertion(privateKey, `${auth()}/connect/token`);
    const token = await (await fetch(`${auth()}/connect/token`, form({ grant_type: "authorization_code", code, redirect_uri: "http://kt-vendor.localhost:7000/callback",
      code_verifier: verifier, ...withAssertion(tokenAssertion) }))).json() as Json;
    expect(token).toMatchObject({ token_type: "Bearer", resource: `Task/${taskId}`, fhirUser: "Patient/patient-tom" });
    expect(token.id_token).toBeString();
    expect((await fhir(sandbox, token.access_token, "GET", `Task/${taskId}`)).status).toBe(200);

    // The same assertion again, or one signed with another key: invalid_client.
    const again = await (await fetch(`${auth()}/connect/token`, form({ grant_type: "authorization_code", code, redirect_uri: "http://kt-vendor.localhost:7000/callback",
      code_verifier: verifier, ...withAssertion(tokenAssertion) }))).json() as Json;
    expect(again).toMatchObject({ error: "invalid_client", error_description: expect.stringContaining("al gebruikt") });
    const wrongKey = await (await fetch(`${auth()}/connect/token`, form({ grant_type: "authorization_code", code, redirect_uri: "http://kt-vendor.localhost:7000/callback",
      code_verifier: verifier, ...withAssertion(await assertion(otherKey, `${auth()}/connect/token`)) }))).json() as Json;
    expect(wrongKey).toMatchObject({ error: "invalid_client" });
    // And a secret-style request from this client is told how it authenticates.
    const secretStyle = await (await fetch(`${auth()}/connect/token`, form({ grant_type: "authorization_code", code, client_id: CLIENT, client_secret: "whatever" }))).json() as Json;
    expect(secretStyle.error_description).toContain("private_key_jwt");
  });
});
