import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, moduleToken } from "../helpers/dva.ts";
import { EXT_QR_TASK } from "../../src/shared/fhir-profiles.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { DvaAuthStore } from "../../src/dva/auth/store.ts";
import { FhirStore } from "../../src/dva/fhir/store.ts";

const examples = `${import.meta.dir}/../../../shared/medmij-examples`;
let sandbox: Sandbox;
let system: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials&scope=system%2F*.*" });
  system = (await res.json()).access_token;
});
afterAll(() => sandbox.stop());

const base = () => `${sandbox.url("fhir.zorgnet")}/fhir`;
const send = (method: string, path: string, body: unknown, token = system, headers: Record<string, string> = {}) =>
  fetch(`${base()}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body) });

describe("metadata", () => {
  test("CapabilityStatement with the SMART oauth-uris, no token needed", async () => {
    const res = await fetch(`${base()}/metadata`);
    const cs = await res.json();
    expect(cs).toMatchObject({ resourceType: "CapabilityStatement", fhirVersion: "4.0.1", patchFormat: ["application/json-patch+json", "application/fhir+json"] });
    const task = cs.rest[0].resource.find((r: { type: string }) => r.type === "Task");
    expect(task.interaction.map((i: { code: string }) => i.code)).toContain("patch");
    expect(task.searchInclude).toContain("Task:digital-activity");
    expect(cs.rest[0].security.extension[0].extension.map((e: { url: string }) => e.url)).toEqual(["authorize", "token", "introspect", "revoke"]);
  });
});

describe("issued tokens are written together (issue 16)", () => {
  test("20 concurrent client_credentials requests: each token works at once, one revoked at once is revoked", async () => {
    const basic = `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`;
    const tokens = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
        body: "grant_type=client_credentials&scope=system%2F*.*" });
      expect(res.status).toBe(200);
      return (await res.json()).access_token as string;
    }));
    expect(new Set(tokens).size).toBe(20);
    const reads = await Promise.all(tokens.map((t) => fetch(`${base()}/Task?_count=1`, { headers: { authorization: `Bearer ${t}` } })));
    expect(reads.map((r) => r.status)).toEqual(tokens.map(() => 200));
    const revoked = await fetch(`${sandbox.url("auth.zorgnet")}/revoke`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
      body: new URLSearchParams({ token: tokens[3]! }) });
    expect(revoked.status).toBe(200);
    expect((await fetch(`${base()}/Task?_count=1`, { headers: { authorization: `Bearer ${tokens[3]}` } })).status).toBe(401);
    expect((await fetch(`${base()}/Task?_count=1`, { headers: { authorization: `Bearer ${tokens[4]}` } })).status).toBe(200);
  });
});

describe("create, update, history (clinician system token)", () => {
  test.skipIf(!existsSync(examples))("every official MedMij example resource can be PUT and POSTed unchanged (SPEC §3)", async () => {
    let n = 0;
    for await (const file of new Bun.Glob("*/*.json").scan({ cwd: examples })) {
      const resource = await Bun.file(`${examples}/${file}`).json();
      const put = await send("PUT", `/${resource.resourceType}/${resource.id}`, resource);
      expect([200, 201]).toContain(put.status);
      const post = await send("POST", `/${resource.resourceType}`, resource, system, { Prefer: "return=minimal" });
      expect(post.status).toBe(201);
      expect(post.headers.get("location")).toStartWith(`${base()}/${resource.resourceType}/`);
      n++;
    }
    expect(n).toBeGreaterThan(100);
    // The Scenario 1 set is then searchable like any other data.
    const count = await (await fetch(`${base()}/Task?_summary=count`, { headers: { authorization: `Bearer ${system}` } })).json();
    expect(count.total).toBeGreaterThan(60);
  });

  test("create: Location, ETag, versionId 1; update with If-Match; 412 on stale; history", async () => {
    const created = await send("POST", "/Endpoint", { resourceType: "Endpoint", status: "active", address: "http://module.localhost/launch",
      connectionType: { code: "hl7-fhir-rest" }, payloadType: [{ text: "any" }] });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('W/"1"');
    const body = await created.json();
    const v2 = await send("PUT", `/Endpoint/${body.id}`, { ...body, name: "v2" }, system, { "If-Match": 'W/"1"' });
    expect(v2.status).toBe(200);
    expect(v2.headers.get("etag")).toBe('W/"2"');
    expect((await send("PUT", `/Endpoint/${body.id}`, { ...body, name: "v3" }, system, { "If-Match": 'W/"1"' })).status).toBe(412);
    const hist = await (await fetch(`${base()}/Endpoint/${body.id}/_history`, { headers: { authorization: `Bearer ${system}` } })).json();
    expect(hist).toMatchObject({ resourceType: "Bundle", type: "history", total: 2 });
    expect(hist.entry[0].resource.meta.versionId).toBe("2");
  });

  test("the history stores superseded versions only (issue 16): vread and _history read the current row too, a created id is a UUID v7", async () => {
    const created = await (await send("POST", "/Endpoint", { resourceType: "Endpoint", status: "active", address: "http://module.localhost/launch",
      connectionType: { code: "hl7-fhir-rest" }, payloadType: [{ text: "any" }] })).json();
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const rows = () => sandbox.ctx.db.query<{ v: number }, [string]>("SELECT version_id AS v FROM fhir_history WHERE type = 'Endpoint' AND id = ? ORDER BY 1").all(created.id).map((r) => r.v);
    expect(rows()).toEqual([]);
    const read = (path: string) => fetch(`${base()}/Endpoint/${created.id}${path}`, { headers: { authorization: `Bearer ${system}` } });
    expect((await (await read("/_history/1")).json()).meta.versionId).toBe("1");
    for (const name of ["v2", "v3"]) expect((await send("PUT", `/Endpoint/${created.id}`, { ...created, name })).status).toBe(200);
    expect(rows()).toEqual([1, 2]);
    for (const [v, name] of [["1", undefined], ["2", "v2"], ["3", "v3"]] as const) {
      const res = await read(`/_history/${v}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBe(`W/"${v}"`);
      expect((await res.json()).name).toBe(name);
    }
    expect((await read("/_history/4")).status).toBe(404);
    const hist = await (await read("/_history")).json();
    expect(hist.total).toBe(3);
    expect(hist.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId)).toEqual(["3", "2", "1"]);
  });

  test.each([
    ["resourceType does not match the URL", "POST", "/Task", { resourceType: "Patient" }, 400, "invalid"],
    ["bad id", "PUT", "/Patient/bad%20id", { resourceType: "Patient", id: "bad id" }, 400, "invalid"],
    ["id differs from the URL", "PUT", "/Patient/a", { resourceType: "Patient", id: "b" }, 400, "invalid"],
    ["Task without for", "POST", "/Task", { resourceType: "Task", status: "requested", intent: "order" }, 422, "business-rule"],
    ["Endpoint without address", "POST", "/Endpoint", { resourceType: "Endpoint", status: "active", connectionType: {}, payloadType: [] }, 422, "business-rule"],
    ["cancelling a Task without a reason", "PUT", "/Task/task-tom-delinde-mrc-2", { resourceType: "Task", id: "task-tom-delinde-mrc-2", status: "cancelled", intent: "order", for: { reference: "Patient/patient-tom" } }, 422, "business-rule"],
    ["malformed JSON", "POST", "/Task", "{oops", 400, "structure"],
    ["not a resource", "POST", "/Task", "[1,2]", 400, "invalid"],
    ["unknown type", "POST", "/Observation", { resourceType: "Observation" }, 400, "not-supported"],
  ] as [string, string, string, unknown, number, string][])("%s → %d %s", async (_n, method, path, body, status, code) => {
    const res = await send(method, path, body);
    expect(res.status).toBe(status);
    const outcome = await res.json();
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0].code).toBe(code);
  });

  test("wrong content type → 415; a body over 1 MiB → 413; unresolved references are a warning", async () => {
    const xml = await fetch(`${base()}/Patient`, { method: "POST", headers: { authorization: `Bearer ${system}`, "content-type": "application/fhir+xml" }, body: "<Patient/>" });
    expect(xml.status).toBe(415);
    const big = await send("POST", "/Patient", { resourceType: "Patient", name: [{ text: "x".repeat(1_100_000) }] });
    expect(big.status).toBe(413);
    const warn = await send("POST", "/ServiceRequest", { resourceType: "ServiceRequest", status: "active", intent: "plan", subject: { reference: "Patient/ghost" } },
      system, { Prefer: "return=OperationOutcome" });
    expect(warn.status).toBe(201);
    expect((await warn.json()).issue[0]).toMatchObject({ severity: "warning", code: "not-found" });
    // An absolute reference to another server is read by type and id here: the writer is told so.
    const other = await send("POST", "/ServiceRequest", { resourceType: "ServiceRequest", status: "active", intent: "plan",
      subject: { reference: "https://other.example.org/fhir/Patient/patient-tom" } }, system, { Prefer: "return=OperationOutcome" });
    expect(other.status).toBe(201);
    expect((await other.json()).issue[0]).toMatchObject({ severity: "warning", code: "value", expression: ["ServiceRequest.subject"] });
  });

  test("a PGO token cannot write (403); a module creates its patient's QuestionnaireResponse only", async () => {
    const pgo = (await collectTokens(sandbox)).access_token;
    expect((await send("POST", "/Patient", { resourceType: "Patient" }, pgo)).status).toBe(403);
    const { module } = await moduleToken(sandbox, { task: "task-tom-delinde-intake" });
    const qr = { resourceType: "QuestionnaireResponse", status: "in-progress", questionnaire: "https://medmij-sandbox.example/fhir/Questionnaire/copd-intake",
      extension: [{ url: EXT_QR_TASK, valueReference: { reference: "Task/task-tom-delinde-intake" } }], subject: { reference: "Patient/patient-tom" }, item: [] };
    expect((await send("POST", "/QuestionnaireResponse", qr, module.access_token)).status).toBe(201);
    expect((await send("POST", "/QuestionnaireResponse", { ...qr, subject: { reference: "Patient/patient-koos" } }, module.access_token)).status).toBe(422);
    expect((await send("POST", "/Task", { resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/patient-tom" } }, module.access_token)).status).toBe(403);
  });
});

describe("system-token search (index-narrowed)", () => {
  test("owner, _id, status and a :not over the whole DVA", async () => {
    const fresh = await startTestSandbox();
    try {
      const res = await fetch(`${fresh.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" });
      const token = (await res.json()).access_token;
      const get = async (query: string) => (await (await fetch(`${fresh.url("fhir.zorgnet")}/fhir/Task?${query}`, { headers: { authorization: `Bearer ${token}` } })).json()).total;
      expect(await get("owner=Patient/patient-tom")).toBe(6);
      expect(await get("owner=Patient/patient-tom,Patient/patient-koos")).toBe(7);
      expect(await get("_id=task-tom-delinde-intake,task-koos-delinde-stress")).toBe(2);
      expect(await get("status=requested&owner=Patient/patient-sanne")).toBe(1);
      expect(await get("status:not=completed")).toBe(7);
      expect(await get("")).toBe(8);
      expect(await get("patient=Patient/patient-tom")).toBe(6);
      expect(await get("for=patient-koos&status=requested")).toBe(1);

      // A change to an included resource changes the bundle ETag (no stale 304).
      const url = `${fresh.url("fhir.zorgnet")}/fhir/Task?owner=Patient/patient-tom&_include=Task:based-on`;
      const auth = { authorization: `Bearer ${token}` };
      const etag = (await fetch(url, { headers: auth })).headers.get("etag")!;
      expect((await fetch(url, { headers: { ...auth, "If-None-Match": etag } })).status).toBe(304);
      const plan = await (await fetch(`${fresh.url("fhir.zorgnet")}/fhir/ServiceRequest/plan-tom-delinde-copd`, { headers: auth })).json();
      await fetch(`${fresh.url("fhir.zorgnet")}/fhir/ServiceRequest/plan-tom-delinde-copd`, { method: "PUT", headers: { ...auth, "content-type": "application/fhir+json" },
        body: JSON.stringify({ ...plan, code: { text: "Gewijzigd zorgpad" } }) });
      expect((await fetch(url, { headers: { ...auth, "If-None-Match": etag } })).status).toBe(200);
    } finally {
      await fresh.stop();
    }
  });
});

describe("Patient name search (FHIR string search)", () => {
  test("starts with a name part, :contains, :exact, accent-insensitive; a PGO token still only finds its own patient", async () => {
    const created = await send("POST", "/Patient", { resourceType: "Patient", name: [{ family: "Müller", given: ["Zoë"] }] });
    expect(created.status).toBe(201);
    const id = (await created.json()).id;
    const names = async (query: string, token = system) =>
      ((await (await fetch(`${base()}/Patient?${query}`, { headers: { authorization: `Bearer ${token}` } })).json()).entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
    expect(await names("name=zoe%20mul")).toEqual([id]);
    expect(await names("name=MULLER")).toEqual([id]);
    expect(await names("name=duin")).toContain("patient-tom"); // and the official examples' Van Duinen
    expect(await names("name:contains=ulle")).toEqual([id]);
    expect(await names("name=ulle")).toEqual([]);
    expect(await names("name:exact=zoe%20muller")).toEqual([id]);
    expect(await names("name:exact=zoe")).toEqual([id]);
    expect(await names("name=koos,tom")).toEqual(expect.arrayContaining(["patient-koos", "patient-tom"]));
    expect(await names("name=koos,tom")).not.toContain("patient-sanne");
    const tom = (await collectTokens(sandbox)).access_token;
    expect(await names("name=koos", tom)).toEqual([]);
    expect(await names("name=tom", tom)).toEqual(["patient-tom"]);
  });
});

describe("conditional create (http.html#ccreate)", () => {
  test("If-None-Exist: no match creates (201), one match answers 200 with it and writes nothing, several are 412, unknown parameters 400", async () => {
    const task = (value: string) => ({ resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/patient-tom" },
      identifier: [{ system: "https://xis.example/task", value }] });
    const header = (value: string) => ({ "If-None-Exist": `identifier=https://xis.example/task|${value}` });
    const first = await send("POST", "/Task", task("retry-1"), system, header("retry-1"));
    expect(first.status).toBe(201);
    const created = await first.json();
    const again = await send("POST", "/Task", task("retry-1"), system, header("retry-1"));
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(created.id);
    expect(again.headers.get("etag")).toBe('W/"1"');
    const count = await (await fetch(`${base()}/Task?identifier=${encodeURIComponent("https://xis.example/task|retry-1")}&_summary=count`, { headers: { authorization: `Bearer ${system}` } })).json();
    expect(count.total).toBe(1);
    await send("POST", "/Task", task("twice"));
    await send("POST", "/Task", task("twice"));
    const ambiguous = await send("POST", "/Task", task("twice"), system, header("twice"));
    expect(ambiguous.status).toBe(412);
    expect((await ambiguous.json()).issue[0].code).toBe("conflict");
    const unknown = await send("POST", "/Task", task("x"), system, { "If-None-Exist": "colour=blue" });
    expect(unknown.status).toBe(400);
    const empty = await send("POST", "/Task", task("x"), system, { "If-None-Exist": "" });
    expect(empty.status).toBe(400);
  });
});

describe("the writes of one event-loop turn share a commit (issue 16), each with its own outcome", () => {
  const task = (value: string, status = "requested") => ({ resourceType: "Task", status, intent: "order", for: { reference: "Patient/patient-tom" },
    identifier: [{ system: "https://xis.example/task", value }] });
  const count = async (value: string) => (await (await fetch(`${base()}/Task?identifier=${encodeURIComponent(`https://xis.example/task|${value}`)}&_summary=count`,
    { headers: { authorization: `Bearer ${system}` } })).json()).total;

  test("concurrent creates: the valid ones are all stored, the refused ones none, and neither changes the other's answer", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      i % 3 === 2 ? send("POST", "/Task", task("turn-mixed", "bogus")) : send("POST", "/Task", task("turn-mixed"))));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(20);
    expect(answers.filter((r) => r.status === 422)).toHaveLength(10);
    const ids = await Promise.all(answers.filter((r) => r.status === 201).map(async (r) => (await r.json()).id as string));
    expect(new Set(ids).size).toBe(20);
    expect(await count("turn-mixed")).toBe(20);
    // Each answered write is readable at once, by any request.
    const reads = await Promise.all(ids.map((id) => fetch(`${base()}/Task/${id}`, { headers: { authorization: `Bearer ${system}` } })));
    expect(reads.map((r) => r.status)).toEqual(ids.map(() => 200));
  });

  test("concurrent conditional creates of one identifier: one 201, the others 200 with that Task (they run one after another)", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () =>
      send("POST", "/Task", task("turn-once"), system, { "If-None-Exist": "identifier=https://xis.example/task|turn-once" })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = await Promise.all(answers.map(async (r) => (await r.json()).id));
    expect(new Set(ids).size).toBe(1);
    expect(await count("turn-once")).toBe(1);
  });

  test("concurrent updates with one If-Match: one wins, the others 412; the winner's version is the one stored", async () => {
    const created = await (await send("POST", "/Task", task("turn-match"))).json();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      send("PUT", `/Task/${created.id}`, { ...task("turn-match"), id: created.id, description: `schrijver ${i}` }, system, { "If-Match": 'W/"1"' })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    const winner = answers.findIndex((r) => r.status === 200);
    const stored = await (await fetch(`${base()}/Task/${created.id}`, { headers: { authorization: `Bearer ${system}` } })).json();
    expect(stored.description).toBe(`schrijver ${winner}`);
    expect(stored.meta.versionId).toBe("2");
  });

  test("a write whose token is revoked while it waits for its turn's commit is refused (401): nothing is saved after a revocation", async () => {
    const basic = `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`;
    // Spies on the order of events (the real methods run): a revocation, a save.
    const events: string[] = [];
    const revoke = DvaAuthStore.prototype.revokeAccessToken;
    const save = FhirStore.prototype.save;
    DvaAuthStore.prototype.revokeAccessToken = function (jti, now) { revoke.call(this, jti, now); events.push(`revoked ${jti}`); };
    FhirStore.prototype.save = function (dva, input, opts) { events.push(`saved ${String((input.identifier as { value?: string }[] | undefined)?.[0]?.value)}`); return save.call(this, dva, input, opts); };
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
          body: "grant_type=client_credentials&scope=system%2F*.*" })).json()).access_token as string;
        const jti = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).jti as string;
        events.length = 0;
        const [write] = await Promise.all([
          send("POST", "/Task", task(`turn-revoked-${i}`), token),
          fetch(`${sandbox.url("auth.zorgnet")}/revoke`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic }, body: new URLSearchParams({ token }) }),
        ]);
        statuses.push(write.status);
        const revokedAt = events.indexOf(`revoked ${jti}`);
        const savedAt = events.indexOf(`saved turn-revoked-${i}`);
        expect(revokedAt).toBeGreaterThanOrEqual(0);
        if (write.status === 201) expect(savedAt).toBeLessThan(revokedAt);
        else expect(savedAt).toBe(-1);
        expect(await count(`turn-revoked-${i}`)).toBe(write.status === 201 ? 1 : 0);
      }
    } finally {
      DvaAuthStore.prototype.revokeAccessToken = revoke;
      FhirStore.prototype.save = save;
    }
    expect(statuses.every((s) => s === 201 || s === 401)).toBe(true);
  });
});

