/**
 * Introspection (issue 10; RFC 7662 §2.1, §2.2): real client authentication with a secret, and a
 * caller sees only its own tokens; any other token is `{"active": false}`. Revocation (RFC 7009)
 * stays as it was: a PGO without a secret revokes its own tokens, nobody else's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadNetwork } from "../../src/network-loader.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { collectTokens, moduleToken } from "../helpers/dva.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });

function post(on: Sandbox, path: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${on.url("auth.zorgnet")}${path}`, { method: "POST", headers: { ...FORM, ...headers }, body: new URLSearchParams(body) });
}

describe("the default network: PGOs have no secret", () => {
  let sandbox: Sandbox;
  let tokens: Awaited<ReturnType<typeof moduleToken>>;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    tokens = await moduleToken(sandbox, { task: "task-tom-delinde-intake" });
  });
  afterAll(() => sandbox.stop());
  const introspect = (token: string, headers: Record<string, string> = {}, body: Record<string, string> = {}) => post(sandbox, "/connect/introspect", { token, ...body }, headers);

  test.each([
    ["client_id only", {}, { client_id: "pgo.localhost" }, "geen client secret"],
    ["Basic with any password", basic("pgo.localhost", "anything"), {}, "geen client secret"],
    ["nothing at all", {}, {}, "client_id ontbreekt"],
  ] as [string, Record<string, string>, Record<string, string>, string][])("a PGO cannot introspect, even its own token (%s): 401 invalid_client with WWW-Authenticate", async (_name, headers, body, text) => {
    const res = await introspect(tokens.pgo.access_token, headers, body);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Basic");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toMatchObject({ error: "invalid_client", error_description: expect.stringContaining(text) });
  });

  test("a module sees its own token; another module, a zorgaanbieder system or a wrong secret does not", async () => {
    const own = await introspect(tokens.module.access_token, basic("zorgmodules-zorgnet", "zorgmodules-zorgnet-secret"));
    expect(await own.json()).toMatchObject({ active: true, client_id: "zorgmodules-zorgnet", patient: tokens.module.patient });
    expect(await (await introspect(tokens.module.access_token, basic("medicatiecheck-zorgnet", "medicatiecheck-zorgnet-secret"))).json()).toEqual({ active: false });
    expect(await (await introspect(tokens.module.access_token, basic("his-delinde", "his-delinde-secret"))).json()).toEqual({ active: false });
    const wrong = await introspect(tokens.module.access_token, basic("zorgmodules-zorgnet", "wrong-secret"));
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toBe("invalid_client");
  });

  test("a module introspecting a PGO's token learns nothing about it", async () => {
    const res = await introspect(tokens.pgo.access_token, basic("zorgmodules-zorgnet", "zorgmodules-zorgnet-secret"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
  });

  test("revocation is unchanged: a PGO without a secret revokes its own token; a module cannot revoke it", async () => {
    const pgo = await collectTokens(sandbox, { kind: "once" });
    const read = () => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?_count=1`, { headers: { authorization: `Bearer ${pgo.access_token}` } });
    expect((await post(sandbox, "/connect/revocation", { token: pgo.access_token }, basic("zorgmodules-zorgnet", "zorgmodules-zorgnet-secret"))).status).toBe(200);
    expect((await read()).status).toBe(200);
    expect((await post(sandbox, "/connect/revocation", { token: pgo.access_token, client_id: "pgo.localhost" })).status).toBe(200);
    expect((await read()).status).toBe(401);
  });
});

describe("a PGO that the network gives a secret", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    const network = structuredClone(await loadNetwork(null)) as NetworkDefinition;
    network.pgos[0]!.clientSecret = "pgo-secret-for-introspection";
    sandbox = await startTestSandbox({}, network);
  });
  afterAll(() => sandbox.stop());

  test("introspects its own token with that secret (Basic or post), not without it, and not a module's token", async () => {
    const { module, pgo } = await moduleToken(sandbox, { task: "task-tom-delinde-intake" });
    const withBasic = await post(sandbox, "/connect/introspect", { token: pgo.access_token }, basic("pgo.localhost", "pgo-secret-for-introspection"));
    expect(await withBasic.json()).toMatchObject({ active: true, client_id: "pgo.localhost", scope: "delinde" });
    const withPost = await post(sandbox, "/connect/introspect", { token: pgo.access_token, client_id: "pgo.localhost", client_secret: "pgo-secret-for-introspection" });
    expect((await withPost.json()).active).toBe(true);
    const without = await post(sandbox, "/connect/introspect", { token: pgo.access_token, client_id: "pgo.localhost" });
    expect(without.status).toBe(401);
    expect(await without.json()).toMatchObject({ error: "invalid_client", error_description: expect.stringContaining("client secret ontbreekt") });
    expect(without.headers.get("www-authenticate")).toStartWith("Basic");
    const foreign = await post(sandbox, "/connect/introspect", { token: module.access_token }, basic("pgo.localhost", "pgo-secret-for-introspection"));
    expect(await foreign.json()).toEqual({ active: false });
  });
});
