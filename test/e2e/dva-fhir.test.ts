import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens, moduleToken } from "../helpers/dva.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
let koosZorgnet: string;
const TAG = "http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7";

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = (await collectTokens(sandbox)).access_token;
  koosZorgnet = (await collectTokens(sandbox, { bsn: "999991024" })).access_token;
});
afterAll(() => sandbox.stop());

const base = () => `${sandbox.url("fhir.zorgnet")}/fhir`;
const fhir = (path: string, token: string | null = tom, init: RequestInit = {}) =>
  fetch(`${base()}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> ?? {}) } });
const ids = (bundle: { entry?: { resource: { resourceType: string; id: string }; search: { mode: string } }[] }, mode = "match") =>
  (bundle.entry ?? []).filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

describe("access (AM-NFE-011)", () => {
  test("no token, garbage, another DVA's token → 401 with WWW-Authenticate and an OperationOutcome", async () => {
    const koosGgz = (await collectTokens(sandbox, { dva: "ggzconnect", scope: "ggzoostland", bsn: "999991024" })).access_token;
    for (const token of [null, "garbage", koosGgz]) {
      const res = await fhir("/Task", token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
      const body = await res.json();
      expect(body.resourceType).toBe("OperationOutcome");
      expect(body.issue[0].code).toBe("login");
    }
  });

  test("a PGO token sees only its patient's Tasks; another patient's Task is 404", async () => {
    const bundle = await (await fhir("/Task")).json();
    expect(bundle.total).toBe(6);
    expect(ids(bundle).every((id) => id.startsWith("Task/task-tom-"))).toBe(true);
    expect((await fhir("/Task/task-koos-delinde-stress")).status).toBe(404);
    expect((await fhir("/Task/task-koos-delinde-stress", koosZorgnet)).status).toBe(200);
    // patient parameters never widen the token
    expect((await (await fhir("/Task?patient=Patient/patient-koos")).json()).total).toBe(0);
    expect((await (await fhir("/Task?patient=patient-tom")).json()).total).toBe(6);
  });
});

describe("read, vread, ETag", () => {
  test("read with ETag and Last-Modified; If-None-Match → 304; vread", async () => {
    const res = await fhir("/Task/task-tom-delinde-intake");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/fhir+json");
    const etag = res.headers.get("etag")!;
    expect(etag).toBe('W/"1"');
    expect(res.headers.get("last-modified")).toBeTruthy();
    expect((await fhir("/Task/task-tom-delinde-intake", tom, { headers: { "If-None-Match": etag } })).status).toBe(304);
    expect((await (await fhir("/Task/task-tom-delinde-intake/_history/1")).json()).meta.versionId).toBe("1");
    expect((await fhir("/Task/task-tom-delinde-intake/_history/9")).status).toBe(404);
    expect((await fhir("/Nonsense/x")).status).toBe(400);
  });
});

describe("Task search (SPEC §6, SD 3.3)", () => {
  test.each([
    ["status=requested", ["task-tom-delinde-intake", "task-tom-delinde-medicatiecheck", "task-tom-delinde-mrc-2"]],
    ["status=completed,cancelled", ["task-tom-delinde-mrc-1", "task-tom-delinde-phq-9"]],
    ["status:not=completed", ["task-tom-delinde-intake", "task-tom-delinde-leven-met-copd", "task-tom-delinde-medicatiecheck", "task-tom-delinde-mrc-2", "task-tom-delinde-phq-9"]],
    ["status:not=completed&status:not=cancelled", ["task-tom-delinde-intake", "task-tom-delinde-leven-met-copd", "task-tom-delinde-medicatiecheck", "task-tom-delinde-mrc-2"]],
    [`_tag=${encodeURIComponent(TAG)}&status=in-progress`, ["task-tom-delinde-leven-met-copd"]],
    ["_tag=urn:oid:2.16.528.1.1023.5.7&_id=task-tom-delinde-intake", ["task-tom-delinde-intake"]],
    ["_tag=http://other|x", []],
    ["digital-activity=ActivityDefinition/ad-delinde-mrc-dyspnoe", ["task-tom-delinde-mrc-1", "task-tom-delinde-mrc-2"]],
    ["based-on=ServiceRequest/plan-tom-delinde-copd&requester=PractitionerRole/role-dehaard&status=cancelled", ["task-tom-delinde-phq-9"]],
    ["owner=Patient/patient-tom&_id=task-tom-delinde-intake,task-tom-delinde-phq-9", ["task-tom-delinde-intake", "task-tom-delinde-phq-9"]],
  ])("%s", async (query, expected) => {
    const bundle = await (await fhir(`/Task?${query}`)).json();
    expect(bundle.resourceType).toBe("Bundle");
    expect(ids(bundle)).toEqual(expected.map((id) => `Task/${id}`).sort());
  });

  test("_lastUpdated with prefixes and two bounds", async () => {
    const now = new Date();
    const past = new Date(now.getTime() - 3_600_000).toISOString();
    const future = new Date(now.getTime() + 3_600_000).toISOString();
    const q = (s: string) => fhir(`/Task?${s}`).then((r) => r.json()).then((b) => b.total);
    expect(await q(`_lastUpdated=gt${encodeURIComponent(past)}`)).toBe(6);
    expect(await q(`_lastUpdated=gt${encodeURIComponent(future)}`)).toBe(0);
    expect(await q(`_lastUpdated=ge${encodeURIComponent(past)}&_lastUpdated=lt${encodeURIComponent(future)}`)).toBe(6);
    expect(await q(`_lastUpdated=le2000-01-01`)).toBe(0);
    expect((await fhir("/Task?_lastUpdated=gtyesterday")).status).toBe(400);
  });

  test("_include, _sort, _count with next link, _summary=count, bundle ETag → 304", async () => {
    const res = await fhir(`/Task?status:not=completed&_tag=${encodeURIComponent(TAG)}&_include=Task:based-on&_include=Task:digital-activity&_sort=period&_count=2`);
    const bundle = await res.json();
    expect(bundle.total).toBe(5);
    expect(bundle.entry.filter((e: { search: { mode: string } }) => e.search.mode === "match")).toHaveLength(2);
    expect(ids(bundle, "include").some((id) => id.startsWith("ServiceRequest/"))).toBe(true);
    expect(ids(bundle, "include").some((id) => id.startsWith("ActivityDefinition/"))).toBe(true);
    const next = bundle.link.find((l: { relation: string }) => l.relation === "next").url as string;
    expect(next).toStartWith(`${base()}/Task?`);
    expect(new URL(next).searchParams.get("_offset")).toBe("2");
    const etag = res.headers.get("etag")!;
    expect((await fhir(`/Task?status:not=completed&_tag=${encodeURIComponent(TAG)}&_include=Task:based-on&_include=Task:digital-activity&_sort=period&_count=2`, tom,
      { headers: { "If-None-Match": etag } })).status).toBe(304);
    expect((await (await fhir("/Task?_summary=count")).json())).toEqual({ resourceType: "Bundle", type: "searchset", total: 6 });
    // An ignored parameter is reported in a count bundle too.
    const counted = await (await fhir("/Task?_summary=count&colour=blue")).json();
    expect(counted.total).toBe(6);
    expect(counted.entry).toEqual([{ resource: { resourceType: "OperationOutcome", issue: [{ severity: "warning", code: "not-supported", diagnostics: "genegeerde zoekparameters: colour" }] }, search: { mode: "outcome" } }]);
    const sorted = await (await fhir("/Task?_sort=-period")).json();
    expect(ids(sorted).length).toBe(6);
    expect(sorted.entry[0].resource.id).toBe("task-tom-delinde-mrc-2");
  });

  test("unknown parameters: a warning in the bundle, or 400 under Prefer: handling=strict", async () => {
    const lenient = await (await fhir("/Task?foo=bar")).json();
    expect(lenient.entry.at(-1)).toMatchObject({ search: { mode: "outcome" }, resource: { resourceType: "OperationOutcome", issue: [{ severity: "warning" }] } });
    const strict = await fhir("/Task?foo=bar", tom, { headers: { Prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
    expect((await strict.json()).issue[0].code).toBe("invalid");
  });

  test("POST _search equals GET", async () => {
    const res = await fhir("/Task/_search", tom, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "status=requested" });
    expect((await res.json()).total).toBe(3);
  });

  test("catalogue resources are readable; the patient's own Patient only", async () => {
    expect((await (await fhir("/ActivityDefinition?url=https://medmij-sandbox.example/fhir/ActivityDefinition/delinde-copd-intake")).json()).total).toBe(1);
    expect((await (await fhir("/Patient")).json()).total).toBe(1);
    expect((await fhir("/Patient/patient-koos")).status).toBe(404);
    expect((await (await fhir("/QuestionnaireResponse")).json()).total).toBe(1);
  });
});

describe("module writes (SD 3.7)", () => {
  test("PATCH status with If-Match; 412 on a stale version; only the launched Task; only status/output", async () => {
    const { module } = await moduleToken(sandbox, { task: "task-tom-delinde-leven-met-copd" });
    expect(module.resource).toBe("Task/task-tom-delinde-leven-met-copd");
    const patch = (id: string, ops: unknown, ifMatch?: string) => fhir(`/Task/${id}`, module.access_token, {
      method: "PATCH", body: JSON.stringify(ops), headers: { "content-type": "application/json-patch+json", ...(ifMatch ? { "If-Match": ifMatch } : {}) } });
    const current = await fhir("/Task/task-tom-delinde-leven-met-copd", module.access_token);
    const etag = current.headers.get("etag")!;
    const done = await patch("task-tom-delinde-leven-met-copd", [{ op: "replace", path: "/status", value: "completed" }], etag);
    expect(done.status).toBe(200);
    expect(done.headers.get("etag")).toBe('W/"2"');
    const stale = await patch("task-tom-delinde-leven-met-copd", [{ op: "replace", path: "/status", value: "failed" }], etag);
    expect(stale.status).toBe(412);
    const other = await patch("task-tom-delinde-intake", [{ op: "replace", path: "/status", value: "in-progress" }]);
    expect(other.status).toBe(404);
    const widen = await patch("task-tom-delinde-leven-met-copd", [{ op: "replace", path: "/description", value: "x" }]);
    expect(widen.status).toBe(422);
    const backwards = await patch("task-tom-delinde-leven-met-copd", [{ op: "replace", path: "/status", value: "requested" }]);
    expect(backwards.status).toBe(422);
    expect((await backwards.json()).issue[0]).toMatchObject({ code: "business-rule", expression: ["Task.status"] });
  });

  test("a PGO token cannot write; bad patches are 400; wrong content type is 415; > 1 MiB is 413", async () => {
    const pgoPatch = await fhir("/Task/task-tom-delinde-intake", tom, { method: "PATCH", body: "[]", headers: { "content-type": "application/json-patch+json" } });
    expect(pgoPatch.status).toBe(403);
    const { module } = await moduleToken(sandbox, { task: "task-tom-delinde-intake" });
    const send = (body: string, type = "application/json-patch+json") => fhir("/Task/task-tom-delinde-intake", module.access_token, { method: "PATCH", body, headers: { "content-type": type } });
    expect((await send("{not json")).status).toBe(400);
    expect((await send(JSON.stringify([{ op: "replace", path: "/nope/deeper", value: 1 }]))).status).toBe(400);
    expect((await send("[]", "application/json")).status).toBe(415);
    expect((await send(JSON.stringify([{ op: "add", path: "/note/-", value: { text: "x".repeat(1_100_000) } }]))).status).toBe(413);
    const ok = await send(JSON.stringify([{ op: "replace", path: "/status", value: "in-progress" }]));
    expect(ok.status).toBe(200);
    expect((await ok.json()).lastModified).toBeString();
  });

  test("a revoked module token is 401 at the FHIR server", async () => {
    const { module } = await moduleToken(sandbox, { task: "task-tom-delinde-medicatiecheck", module: "medicatiecheck" });
    expect((await fhir("/Task/task-tom-delinde-medicatiecheck", module.access_token)).status).toBe(200);
    await fetch(`${sandbox.url("auth.zorgnet")}/connect/revocation`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("medicatiecheck-zorgnet:medicatiecheck-zorgnet-secret").toString("base64")}` }, body: new URLSearchParams({ token: module.access_token }) });
    expect((await fhir("/Task/task-tom-delinde-medicatiecheck", module.access_token)).status).toBe(401);
  });
});

describe("faults at the FHIR server", () => {
  const setFault = (body: object) => fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  test("fhirTokenExpired: 401 invalid_token for every token; dvaDown: 503 OperationOutcome", async () => {
    await setFault({ fhirTokenExpired: true });
    try {
      const res = await fhir("/Task");
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
    await setFault({ dvaDown: "zorgnet" });
    try {
      const res = await fhir("/Task");
      expect(res.status).toBe(503);
      expect((await res.json()).issue[0].code).toBe("transient");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
    expect((await fhir("/Task")).status).toBe(200);
  });
});

describe("token cache never crosses DVAs", () => {
  test("a token used at its own DVA is still refused at the other DVA", async () => {
    const koosGgz = (await collectTokens(sandbox, { dva: "ggzconnect", scope: "ggzoostland", bsn: "999991024" })).access_token;
    const own = await fetch(`${sandbox.url("fhir.ggzconnect")}/fhir/Task`, { headers: { authorization: `Bearer ${koosGgz}` } });
    expect(own.status).toBe(200);
    expect((await fhir("/Task", koosGgz)).status).toBe(401);
  });
});

describe("the FHIR host's routes (route table, no framework)", () => {
  test("an unknown interaction under /fhir is an OperationOutcome: 405 with Allow, 404, 400 for bad encoding", async () => {
    const del = await fhir("/Task/task-tom-delinde-intake", tom, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, PUT, PATCH, OPTIONS");
    expect((await del.json()).issue[0].code).toBe("not-supported");
    const deep = await fhir("/Task/task-tom-delinde-intake/x/y/z");
    expect(deep.status).toBe(404);
    expect(deep.headers.get("content-type")).toBe("application/fhir+json");
    expect((await deep.json()).issue[0].code).toBe("not-found");
    const bad = await fhir("/Task/%E0%A4%A");
    expect(bad.status).toBe(400);
    expect((await bad.json()).resourceType).toBe("OperationOutcome");
  });

  test("HEAD on a read answers the headers of GET without a body", async () => {
    const res = await fhir("/Task/task-tom-delinde-intake", tom, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toMatch(/^W\/"\d+"$/);
    expect(await res.text()).toBe("");
  });

  test("CORS: every answer allows any origin; the preflight lists methods and headers", async () => {
    expect((await fhir("/Task/task-tom-delinde-intake")).headers.get("access-control-allow-origin")).toBe("*");
    const pre = await fetch(`${base()}/Task/x`, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(pre.headers.get("access-control-allow-headers")).toContain("If-Match");
  });

  test("the host's home page says where the API is; other pages are a friendly 404", async () => {
    const home = await fetch(`${sandbox.url("fhir.zorgnet")}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain(`${base()}/metadata`);
    expect(html).toContain("his-delinde");
    const page = await fetch(`${sandbox.url("fhir.zorgnet")}/nope`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("Trace ID");
  });
});
