/**
 * A team's own actors registered while the sandbox runs (issue 14 §1): `POST/GET/PUT/DELETE
 * /api/actors` for a PGO, a module, a DVA and a zorgaanbieder system — no restart, no reset, no
 * data lost; the register lists change (Volgnummer rises, still valid against the MedMij XSDs);
 * a module is in the portal's catalogue at once; the registrations survive Reset and a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Sandbox } from "../../src/sandbox.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { actorApi } from "../helpers/actors.ts";

const api = (s: Sandbox, path: string, method = "GET", body?: unknown, o: { owner?: string | null } = {}) => actorApi(s.url(), path, method, body, o);
const list = async (s: Sandbox, name: string) => (await fetch(`${s.url("register")}/${name}.xml`)).text();
const volgnummer = (xml: string) => Number(/<Volgnummer>(\d+)<\/Volgnummer>/.exec(xml)?.[1]);

const TEAM_PGO = { kind: "pgo", host: "http://team-a.localhost:3000", displayName: "Team A PGO", redirectUris: ["/callback"] };
const TEAM_MODULE = { kind: "module", name: "Team Vragen", host: "http://team-m.localhost:4000", launchPath: "/launch",
  clients: [{ dva: "zorgnet", redirectUris: ["/callback"] }], activity: { title: "Vragenlijst van team M", questionnaire: "phq-9" } };
const TEAM_DVA = { kind: "dva", id: "teamdva", name: "Team DVA", authHost: "http://team-d.localhost:5000", fhirHost: "http://team-d.localhost:5001",
  zorgaanbieders: [{ name: "teamzorg@medmij", displayName: "Praktijk Team D", agb: "12345678" }] };

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "medmij-actors-"));
  sandbox = await startTestSandbox({ dataPath: join(dir, "sandbox.db") });
});
afterAll(async () => { await sandbox.stop(); rmSync(dir, { recursive: true, force: true }); });

describe("registering a team's actor", () => {
  test("a PGO: 201 with its client_id, on the OAuthclientlist and Whitelist at once, the Volgnummer risen; in /api/network", async () => {
    const before = volgnummer(await list(sandbox, "MedMij_OAuthclientlist"));
    const res = await api(sandbox, "/api/actors", "POST", TEAM_PGO);
    expect(res.status).toBe(201);
    expect(res.json.id).toBe("pgo-team-a-localhost");
    expect(res.json.resolved.clientId).toBe("team-a.localhost");
    expect(res.json.resolved.redirectUris).toEqual(["http://team-a.localhost:3000/callback"]);
    expect(res.json.check).toBe(`${sandbox.url()}/actors/pgo-team-a-localhost/check`);
    const ocl = await list(sandbox, "MedMij_OAuthclientlist");
    expect(ocl).toContain("<Hostname>team-a.localhost</Hostname>");
    expect(ocl).toContain("Team A PGO");
    expect(volgnummer(ocl)).toBe(before + 1);
    expect(await list(sandbox, "MedMij_Whitelist")).toContain("team-a.localhost");
    const n = (await api(sandbox, "/api/network")).json;
    expect(n.pgos.find((g: Json) => g.clientId === "team-a.localhost")).toMatchObject({ registered: "pgo-team-a-localhost", base: "http://team-a.localhost:3000" });
    // The DVA takes it as a client at once (no 60 s cache of the old list): its /auth answers with DigiD, not "unknown client".
    const auth = await fetch(`${sandbox.url("auth.zorgnet")}/auth?${new URLSearchParams({ response_type: "code", client_id: "team-a.localhost",
      redirect_uri: "http://team-a.localhost:3000/callback", scope: "delinde", state: "s1" })}`, { redirect: "manual" });
    expect([302, 303]).toContain(auth.status);
    expect(auth.headers.get("location")).toContain(sandbox.url("digid"));
  });

  test("a second team's PGO on the same host name, another port: refused, saying why and what to do", async () => {
    const res = await api(sandbox, "/api/actors", "POST", { ...TEAM_PGO, host: "http://team-a.localhost:3001", displayName: "Team B PGO" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_actor");
    const host = res.json.problems.find((p: Json) => p.path === "host");
    expect(host.message).toContain("team-a.localhost");
    expect(host.message).toContain("http://<team>.localhost:<port>");
    // Nothing about Beheer usernames or duplicate client_ids besides: one clash, one message.
    expect(res.json.problems).toHaveLength(1);
    expect((await api(sandbox, "/api/actors")).json.actors.map((a: Json) => a.id)).toEqual(["pgo-team-a-localhost"]);
  });

  test("wrong input: every problem with its path, as the network file says them; not JSON is 415; nothing stored", async () => {
    const bad = await api(sandbox, "/api/actors", "POST", { kind: "module", name: "", host: "http://x.localhost:1",
      clients: [{ dva: "nergens", clientSecret: "kort", redirectUris: [] }], reIdentify: "ja" });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: Json) => p.path).sort()).toEqual(
      ["clients[0].clientSecret", "clients[0].dva", "clients[0].redirectUris", "name", "reIdentify"].sort());
    expect((await api(sandbox, "/api/actors", "POST", { kind: "robot" })).json.problems[0].path).toBe("kind");
    // The same registration twice: 409, with how to change it instead.
    const twice = await api(sandbox, "/api/actors", "POST", { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "twice-epd" });
    expect(twice.status).toBe(201);
    const again = await api(sandbox, "/api/actors", "POST", { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "twice-epd" });
    expect(again.status).toBe(409);
    expect(again.json.problems[0].message).toContain("PUT /api/actors/systeem-twice-epd");
    expect((await api(sandbox, "/api/actors/systeem-twice-epd", "DELETE")).status).toBe(200);
    expect((await api(sandbox, "/api/actors", "POST", [1, 2])).status).toBe(400);
    expect((await api(sandbox, "/api/actors", "POST", "{nope")).status).toBe(400);
    expect((await api(sandbox, "/api/actors", "POST", { kind: "pgo", host: "pgo2", displayName: "Label PGO" })).json.problems[0])
      .toMatchObject({ path: "host", message: expect.stringContaining("absolute URL") });
    expect((await fetch(`${sandbox.url()}/api/actors`, { method: "POST", body: "kind=pgo", headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    expect((await api(sandbox, "/api/actors")).json.actors).toHaveLength(1);
  });

  test("a module (public client): in the portal's catalogue at once — an ActivityDefinition and an Endpoint at its DVA, per zorgaanbieder", async () => {
    const res = await api(sandbox, "/api/actors", "POST", TEAM_MODULE);
    expect(res.status).toBe(201);
    expect(res.json.resolved.clients[0]).toMatchObject({ dva: "zorgnet", clientId: "team-m.localhost", clientSecret: null, public: true,
      iss: `${sandbox.url("fhir.zorgnet")}/fhir` });
    const token = await systemToken(sandbox, "his-delinde");
    const ad = await fhir(sandbox, token, "GET", "ActivityDefinition/ad-delinde-module-team-vragen");
    expect(ad.status).toBe(200);
    expect(ad.json).toMatchObject({ status: "active", title: "Vragenlijst van team M", publisher: "Huisartsenpraktijk De Linde" });
    expect(ad.json.extension[0].valueReference.reference).toBe("Endpoint/endpoint-team-vragen-delinde");
    const endpoint = await fhir(sandbox, token, "GET", "Endpoint/endpoint-team-vragen-delinde");
    expect(endpoint.json).toMatchObject({ status: "active", address: "http://team-m.localhost:4000/launch", extension: [{ valueString: "team-m.localhost" }] });
    // De Berk, the other zorgaanbieder on zorgnet, offers it too; GGZ Oostland (ggzconnect, no client there) does not.
    expect((await fhir(sandbox, await systemToken(sandbox, "epd-deberk"), "GET", "ActivityDefinition/ad-fysiodeberk-module-team-vragen")).status).toBe(200);
    expect((await fhir(sandbox, await systemToken(sandbox, "ecd-ggzoostland", "ggzconnect"), "GET", "ActivityDefinition/ad-ggzoostland-module-team-vragen", { dva: "ggzconnect" })).status).toBe(404);
  });

  test("a DVA with its zorgaanbieder: on the Zorgaanbiederslijst with the team's endpoints, with a Verbind.MedMij code", async () => {
    const before = volgnummer(await list(sandbox, "MedMij_Zorgaanbiederslijst"));
    const res = await api(sandbox, "/api/actors", "POST", TEAM_DVA);
    expect(res.status).toBe(201);
    const za = res.json.resolved.zorgaanbieders[0];
    expect(za.verbindCode).toMatch(/^\d{7}$/);
    expect(za.systemClient.clientId).toBe("teamzorg-systeem");
    const zal = await list(sandbox, "MedMij_Zorgaanbiederslijst");
    expect(zal).toContain("<Zorgaanbiedernaam>teamzorg@medmij</Zorgaanbiedernaam>");
    expect(zal).toContain("http://team-d.localhost:5000");
    expect(volgnummer(zal)).toBe(before + 1);
    const n = (await api(sandbox, "/api/network")).json;
    expect(n.dvas.find((d: Json) => d.id === "teamdva")).toMatchObject({ authBase: "http://team-d.localhost:5000", registered: "teamdva" });
    expect(n.zorgaanbieders.find((z: Json) => z.name === "teamzorg@medmij")).toMatchObject({ dva: "teamdva", verbindCode: za.verbindCode });
  });

  test("a zorgaanbieder system: client_credentials at its DVA at once, confined to its zorgaanbieder", async () => {
    const res = await api(sandbox, "/api/actors", "POST", { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "team-epd" });
    expect(res.status).toBe(201);
    const { clientSecret, tokenEndpoint } = res.json.resolved;
    expect(tokenEndpoint).toBe(`${sandbox.url("auth.zorgnet")}/connect/token`);
    const token = await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`team-epd:${clientSecret}`).toString("base64")}` }, body: new URLSearchParams({ grant_type: "client_credentials", scope: "system/*.read" }) })).json() as Json;
    expect(token.access_token).toBeString();
    const tasks = await fhir(sandbox, token.access_token, "GET", "Task?_count=50");
    expect(tasks.status).toBe(200);
    const owners = new Set((tasks.json.entry ?? []).map((e: Json) => e.resource.requester?.reference));
    expect(owners.size).toBeGreaterThan(0);
    // Not De Berk's tasks: the system is De Linde's.
    expect((await fhir(sandbox, token.access_token, "GET", "Task/task-tom-deberk-ademhaling")).status).toBe(404);
    expect((await api(sandbox, "/api/network")).json.systems).toContainEqual({ zorgaanbieder: "delinde@medmij", clientId: "team-epd", clientSecret, registered: "systeem-team-epd" });
  });

  test("only the team that registered an actor changes or removes it over the API (its owner token); another team's script gets 403", async () => {
    const other = { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "team-epd" };
    for (const [method, path, body] of [["PUT", "/api/actors/systeem-team-epd", other], ["DELETE", "/api/actors/systeem-team-epd"], ["DELETE", "/api/actors/systeem-team-epd/check"]] as const) {
      for (const owner of [null, "raden"]) {
        const res = await api(sandbox, path, method, body, { owner });
        expect(res.status).toBe(403);
        expect(res.json.problems[0].message).toContain("owner_token");
      }
    }
    expect((await api(sandbox, "/api/actors/systeem-team-epd")).status).toBe(200);
  });

  test("a team's actor on a host this sandbox serves is refused, and a malformed client list is a 400, not a 500", async () => {
    for (const host of [sandbox.url("pgo"), sandbox.url(), sandbox.url("auth.zorgnet")]) {
      const res = await api(sandbox, "/api/actors", "POST", { kind: "pgo", host, displayName: "Nep-PGO", redirectUris: ["http://evil.localhost/cb"] });
      expect(res.status).toBe(400);
      expect(res.json.problems[0]).toMatchObject({ path: "host", message: expect.stringContaining("host of this sandbox") });
    }
    const odd = await api(sandbox, "/api/actors", "POST", { kind: "module", name: 7, host: "http://q.localhost:1", clients: [null, 1, "x", [1]] });
    expect(odd.status).toBe(400);
  });

  test("PUT changes an actor in place (its secret kept); a module keeps its id", async () => {
    const changed = await api(sandbox, "/api/actors/team-vragen", "PUT", { ...TEAM_MODULE, activity: { title: "Nieuwe titel", questionnaire: "phq-9" } });
    expect(changed.status).toBe(200);
    const token = await systemToken(sandbox, "his-delinde");
    expect((await fhir(sandbox, token, "GET", "ActivityDefinition/ad-delinde-module-team-vragen")).json.title).toBe("Nieuwe titel");
    expect((await api(sandbox, "/api/actors/team-vragen", "PUT", { ...TEAM_MODULE, id: "ander" })).json.problems[0].path).toBe("id");
    const system = (await api(sandbox, "/api/actors/systeem-team-epd")).json;
    const again = await api(sandbox, "/api/actors/systeem-team-epd", "PUT", { kind: "system", zorgaanbieder: "delinde@medmij", clientId: "team-epd" });
    expect(again.json.resolved.clientSecret).toBe(system.resolved.clientSecret);
    expect((await api(sandbox, "/api/actors/onbekend", "PUT", TEAM_PGO)).status).toBe(404);
    expect((await api(sandbox, "/api/actors/team-vragen", "PUT", TEAM_PGO)).json.problems[0].path).toBe("kind");
  });

  test("Reset restores the seed, not the teams' registrations; their catalogue entries come back with it", async () => {
    expect((await api(sandbox, "/api/reset", "POST", {})).status).toBe(200);
    expect((await api(sandbox, "/api/actors")).json.actors.map((a: Json) => a.id)).toEqual(["pgo-team-a-localhost", "team-vragen", "teamdva", "systeem-team-epd"]);
    expect(await list(sandbox, "MedMij_OAuthclientlist")).toContain("team-a.localhost");
    const ad = await fhir(sandbox, await systemToken(sandbox, "his-delinde"), "GET", "ActivityDefinition/ad-delinde-module-team-vragen");
    expect(ad.json).toMatchObject({ status: "active", title: "Nieuwe titel" });
  });

  // The Zorgaanbiederslijst's schema requires https:// endpoints (register.test.ts), so the three others.
  test("the lists with the teams' actors still validate against the MedMij XSDs (xmllint)", async () => {
    const xsdDir = resolve(import.meta.dir, "../../../shared/register-xsd");
    if (!existsSync("/usr/bin/xmllint") || !existsSync(xsdDir)) return;
    for (const name of ["MedMij_OAuthclientlist", "MedMij_Whitelist", "MedMij_Gegevensdienstnamenlijst"]) {
      const file = join(dir, `${name}.xml`);
      writeFileSync(file, await list(sandbox, name));
      const result = Bun.spawnSync(["xmllint", "--noout", "--schema", join(xsdDir, `${name}.xsd`), file]);
      expect({ name, code: result.exitCode, err: result.stderr.toString() }).toEqual({ name, code: 0, err: `${file} validates\n` });
    }
  });

  test("a restart keeps them; DELETE removes one: off the lists, its catalogue entries retired, 404 after", async () => {
    const file = sandbox.ctx.config.dataPath;
    await sandbox.stop();
    sandbox = await startTestSandbox({ dataPath: file });
    expect((await api(sandbox, "/api/actors")).json.actors).toHaveLength(4);
    expect((await api(sandbox, "/api/network")).json.modules.map((m: Json) => m.id)).toContain("team-vragen");

    // A DVA that a module still has a client at cannot go first.
    await api(sandbox, "/api/actors/team-vragen", "PUT", { ...TEAM_MODULE, clients: [...TEAM_MODULE.clients, { dva: "teamdva", clientId: "team-m-at-d" }] });
    const blocked = await api(sandbox, "/api/actors/teamdva", "DELETE");
    expect(blocked.status).toBe(409);
    expect(blocked.json.problems[0].message).toContain("remove or change that actor first");

    const before = volgnummer(await list(sandbox, "MedMij_OAuthclientlist"));
    expect((await api(sandbox, "/api/actors/pgo-team-a-localhost", "DELETE")).json).toEqual({ id: "pgo-team-a-localhost", removed: true });
    const ocl = await list(sandbox, "MedMij_OAuthclientlist");
    expect(ocl).not.toContain("team-a.localhost");
    expect(volgnummer(ocl)).toBe(before + 1);
    expect((await api(sandbox, "/api/actors/pgo-team-a-localhost")).status).toBe(404);
    expect((await api(sandbox, "/api/actors/pgo-team-a-localhost", "DELETE")).status).toBe(404);

    expect((await api(sandbox, "/api/actors/team-vragen", "DELETE")).status).toBe(200);
    const token = await systemToken(sandbox, "his-delinde");
    expect((await fhir(sandbox, token, "GET", "ActivityDefinition/ad-delinde-module-team-vragen")).json.status).toBe("retired");
    expect((await api(sandbox, "/api/actors/teamdva", "DELETE")).status).toBe(200);
    expect(await list(sandbox, "MedMij_Zorgaanbiederslijst")).not.toContain("teamzorg@medmij");
    // The seed's own data is untouched throughout.
    expect((await fhir(sandbox, token, "GET", "Task/task-tom-delinde-intake")).status).toBe(200);
  });
});
