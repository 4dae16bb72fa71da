/**
 * Issue 12 §2: resources written as the SD writes them (SD 3.1, 3.3, 3.4), over real HTTP. A team
 * that builds its XIS from the SD's examples gets a warning at each step where the result would
 * not be what it expects (no DataService tag, an id a POST ignores), the SD's ActivityDefinition
 * shape (client-id and smart-app-launch-url, no Endpoint ClientID) launches, and the details of
 * SD 3.3 (Task?code=, If-Modified-Since) and FHIR search (_count=0) behave as written.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Sandbox } from "../../src/sandbox.ts";
import { DATA_SERVICE_TAG } from "../../src/shared/fhir-profiles.ts";
import { collectTokens, throughDva } from "../helpers/dva.ts";
import { fhir, matchIds, systemToken, type Json } from "../helpers/fhir.ts";
import { postForm, pgoSession } from "../helpers/journey.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const examples = `${import.meta.dir}/../../../shared/medmij-examples`;
const CLIENT_ID_EXT = "http://example.org/fhir/StructureDefinition/client-id";
const LAUNCH_URL_EXT = "http://example.org/fhir/StructureDefinition/smart-app-launch-url";
const MODULE_DEFINITION_EXT = "http://example.org/fhir/StructureDefinition/module-definition";
const ENDPOINT_CLIENT_ID_EXT = "http://medmij.nl/fhir/StructureDefinition/ext-Endpoint.ClientID";
const CURRENT_TAG = { system: DATA_SERVICE_TAG.system, code: DATA_SERVICE_TAG.code };
const TAG_5_6 = { system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.6" };
const TAG_INFORMATION_STANDARD = { system: "http://medmij.nl/fhir/CodeSystem/information-standard", code: "providertasks" };
const MODULE_CLIENT = "zorgmodules-zorgnet";

let sandbox: Sandbox;
let linde: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  linde = await systemToken(sandbox, "his-delinde");
});
afterAll(() => sandbox.stop());

const day = 86_400_000;
const period = () => ({ start: new Date(Date.now() - day).toISOString(), end: new Date(Date.now() + 30 * day).toISOString() });

/** SD 3.1 "Taak aanmaken voor patiënt", with the XXX placeholders filled in for Tom at De Linde and a period around now. */
const sdTask = (id: string, activityDefinition: string, extra: Json = {}): Json => ({
  resourceType: "Task", id,
  meta: { profile: ["http://fhir.nl/fhir/StructureDefinition/nl-core-experimental-task"] },
  extension: [{ url: MODULE_DEFINITION_EXT, valueReference: { reference: `ActivityDefinition/${activityDefinition}`, type: "ActivityDefinition" } }],
  status: "requested", intent: "order", priority: "routine",
  code: { coding: [{ system: "todo", code: "todo", display: "todo" }], text: "Invullen vragenlijst voor afspraak psycholoog" },
  description: "vragenlijst", for: { reference: "Patient/patient-tom" }, executionPeriod: period(),
  requester: { reference: "Practitioner/practitioner-dehaard" }, owner: { reference: "Organization/org-delinde" },
  ...extra,
});

/** SD 3.1's ActivityDefinition: the module's client-id, and smart-app-launch-url as a Reference to the Endpoint (or as given). */
const sdActivityDefinition = (id: string, launch: Json, clientId = MODULE_CLIENT): Json => ({
  resourceType: "ActivityDefinition", id,
  meta: { profile: ["http://fhir.nl/fhir/StructureDefinition/nl-core-experimental-activitydefinition"] },
  extension: [{ url: CLIENT_ID_EXT, valueString: clientId }, { url: LAUNCH_URL_EXT, ...launch }],
  version: "1.0.0", name: "Vragenlijst", title: `Vragenlijst klachten (${id})`, status: "active", description: "Vul de vragenlijst in.",
});

/** SD 3.1's Endpoint: no ClientID, the address of the sandbox's module. */
const sdEndpoint = (id: string): Json => ({
  resourceType: "Endpoint", id,
  meta: { profile: ["http://fhir.nl/fhir/StructureDefinition/nl-core-experimental-endpoint"] },
  status: "active", connectionType: { system: "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", code: "other" },
  payloadType: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/endpoint-payload-type", code: "any" }] }],
  address: `${sandbox.url("module")}/launch`,
});

const put = (resource: Json, headers: Record<string, string> = {}) => fhir(sandbox, linde, "PUT", `${resource.resourceType}/${resource.id}`, { body: resource, headers });
const outcomeOf = (resource: Json, method = "PUT") => fhir(sandbox, linde, method, method === "PUT" ? `${resource.resourceType}/${resource.id}` : resource.resourceType,
  { body: resource, headers: { Prefer: "return=OperationOutcome" } });
const issuesAt = (outcome: Json, expression: string) => ((outcome.issue ?? []) as Json[]).filter((i) => (i.expression ?? []).includes(expression));

/** RFC 8693 at the DVA, as the PGO asks for a launch code. */
async function exchange(pgoToken: string, task: string, audience: string) {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgoToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience, scope: "delinde", smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule" }) }) });
  return { status: res.status, body: await res.json() as Json };
}

describe("SD 3.1 ActivityDefinition: client-id and smart-app-launch-url (an older generation, SPEC §3)", () => {
  let tom: string;
  beforeAll(async () => {
    tom = (await collectTokens(sandbox)).access_token;
    // Exactly the SD's shape: smart-app-launch-url → an Endpoint without ClientID.
    expect((await put(sdEndpoint("sd-endpoint"))).status).toBe(201);
    expect((await put(sdActivityDefinition("sd-ad-ref", { valueReference: { reference: "Endpoint/sd-endpoint", type: "Endpoint" } }))).status).toBe(201);
    // smart-app-launch-url as the launch URL itself: no Endpoint at all.
    expect((await put(sdActivityDefinition("sd-ad-url", { valueUrl: `${sandbox.url("module")}/launch` }))).status).toBe(201);
    // Both: the Endpoint's ClientID wins over the ActivityDefinition's client-id.
    expect((await put({ ...sdEndpoint("sd-endpoint-clientid"), extension: [{ url: ENDPOINT_CLIENT_ID_EXT, valueString: MODULE_CLIENT }] })).status).toBe(201);
    expect((await put(sdActivityDefinition("sd-ad-both", { valueReference: { reference: "Endpoint/sd-endpoint-clientid" } }, "medicatiecheck-zorgnet"))).status).toBe(201);
    for (const [task, ad] of [["sd-task-ref", "sd-ad-ref"], ["sd-task-url", "sd-ad-url"], ["sd-task-both", "sd-ad-both"]]) {
      expect((await put(sdTask(task!, ad!, { meta: { tag: [CURRENT_TAG] } }))).status).toBe(201);
    }
  });

  test.each([["sd-task-ref", "an Endpoint without ClientID"], ["sd-task-url", "no Endpoint"]])(
    "%s (%s): the token exchange takes the ActivityDefinition's client-id as audience; the Endpoint's ClientID wins where both exist", async (task) => {
      const res = await exchange(tom, task, MODULE_CLIENT);
      expect([res.status, res.body.token_type, typeof res.body.access_token]).toEqual([200, "NA", "string"]);
      const other = await exchange(tom, task, "medicatiecheck-zorgnet");
      expect([other.status, other.body.error]).toEqual([400, "invalid_target"]);
      // sd-ad-both names medicatiecheck-zorgnet as client-id, its Endpoint zorgmodules-zorgnet.
      expect((await exchange(tom, "sd-task-both", MODULE_CLIENT)).status).toBe(200);
      expect((await exchange(tom, "sd-task-both", "medicatiecheck-zorgnet")).body.error).toBe("invalid_target");
    });
});

describe("a Task PGOs will not collect is stored with a warning (SPEC §3 meta.tag)", () => {
  test.each([
    ["no tag (as in SD 3.1)", undefined, "required", "geen meta.tag"],
    ["the older …5.6 tag", [TAG_5_6], "value", "urn:oid:2.16.528.1.1023.5.6"],
    ["information-standard|providertasks", [TAG_INFORMATION_STANDARD], "value", "information-standard|providertasks"],
  ] as [string, Json[] | undefined, string, string][])("%s: 201 with a warning on Task.meta.tag that names the current tag", async (_n, tag, code, says) => {
    const task = sdTask(`tag-${code}-${tag?.[0]?.code.replace(/[^a-z0-9]/gi, "") ?? "none"}`, "sd-ad-ref", tag ? { meta: { tag } } : {});
    const res = await outcomeOf(task);
    expect(res.status).toBe(201);
    const [issue] = issuesAt(res.json, "Task.meta.tag");
    expect(issue).toMatchObject({ severity: "warning", code });
    expect(issue!.diagnostics).toContain(says);
    expect(issue!.diagnostics).toContain(`${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`);
  });

  test("without Prefer: return=OperationOutcome the body is the Task, and X-Sandbox-Warning repeats the warnings; the current tag: no warning", async () => {
    const res = await put(sdTask("tag-header", "sd-ad-ref"));
    expect([res.status, res.json.resourceType]).toEqual([201, "Task"]);
    expect(res.headers.get("x-sandbox-warning")).toContain(`geen meta.tag ${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`);
    const clean = await put(sdTask("tag-header-clean", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } }));
    expect(clean.headers.get("x-sandbox-warning")).toBeNull();
    const current = await outcomeOf(sdTask("tag-current", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } }));
    expect([current.status, issuesAt(current.json, "Task.meta.tag")]).toEqual([201, []]);
  });
});

describe("POST with an id (http.html#create: the server assigns the id)", () => {
  test("the id is ignored with a warning that says to use PUT; PUT keeps it", async () => {
    const res = await outcomeOf(sdTask("vragenlijst-post", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } }), "POST");
    expect(res.status).toBe(201);
    const location = res.headers.get("location")!;
    const assigned = /\/Task\/([^/]+)\/_history\/1$/.exec(location)![1]!;
    expect(assigned).not.toBe("vragenlijst-post");
    const [issue] = issuesAt(res.json, "Task.id");
    expect(issue).toMatchObject({ severity: "warning", code: "value" });
    expect(issue!.diagnostics).toStartWith("id genegeerd; gebruik PUT om zelf een id te kiezen");
    expect(issue!.diagnostics).toContain(`Task/${assigned}`);
    expect((await fhir(sandbox, linde, "GET", "Task/vragenlijst-post")).status).toBe(404);
    // Without an id: no such warning; PUT creates under the writer's id.
    const { id: _id, ...noId } = sdTask("x", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } });
    expect(issuesAt((await outcomeOf(noId, "POST")).json, "Task.id")).toEqual([]);
    const chosen = await outcomeOf(sdTask("vragenlijst-post", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } }));
    expect([chosen.status, chosen.headers.get("location"), issuesAt(chosen.json, "Task.id")])
      .toEqual([201, `${sandbox.url("fhir.zorgnet")}/fhir/Task/vragenlijst-post/_history/1`, []]);
  });
});

describe("SD 3.3 Task?code= (token search on Task.code)", () => {
  let tom: string;
  beforeAll(async () => {
    tom = (await collectTokens(sandbox)).access_token;
    expect((await put(sdTask("code-sd", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } }))).status).toBe(201);
    expect((await put(sdTask("code-smart", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] }, code: { coding: [{ system: "http://hl7.org/fhir/smart-app-launch/CodeSystem/smart-codes",
      code: "launch-app-standalone" }] } }))).status).toBe(201);
  });

  test("the SD's own queries, code= without a value: every Task (an empty parameter is ignored, search.html#errors), and why", async () => {
    for (const [sd, same] of [["Task?code=", "Task"], ["Task?status:not=completed&code=", "Task?status:not=completed"]]) {
      const res = await fhir(sandbox, tom, "GET", sd!);
      expect(res.status).toBe(200);
      expect(matchIds(res.json)).toEqual(matchIds((await fhir(sandbox, tom, "GET", same!)).json));
      expect(matchIds(res.json)).toContain("Task/code-sd");
      const outcome = res.json.entry.find((e: Json) => e.search?.mode === "outcome").resource;
      expect(outcome.issue[0]).toMatchObject({ severity: "warning", code: "not-supported", diagnostics: "genegeerde zoekparameters: code (leeg)" });
      expect(outcome.issue[1]).toMatchObject({ severity: "information", code: "informational", expression: ["code"] });
      expect(outcome.issue[1].diagnostics).toContain(`_tag=${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}`);
    }
    // With a value, code is a token search on Task.code (it was; the SD's code "todo" and KoppelMij's SMART code).
    for (const [query, expected] of [
      ["code=todo", ["Task/code-sd"]],
      ["code=todo|todo", ["Task/code-sd"]],
      ["code=launch-app-standalone", ["Task/code-smart"]],
      [`code=${encodeURIComponent("http://hl7.org/fhir/smart-app-launch/CodeSystem/smart-codes|launch-app-standalone")}`, ["Task/code-smart"]],
      ["code=other|todo", []],
    ] as [string, string[]][]) {
      for (const token of [tom, linde]) expect([query, matchIds((await fhir(sandbox, token, "GET", `Task?${query}&_id=code-sd,code-smart`)).json)]).toEqual([query, expected]);
    }
  });
});

describe("If-Modified-Since on read (SD 3.3.4.1, http.html#cread, RFC 9110 §13.1.3)", () => {
  const TASK = "Task/task-tom-delinde-intake";
  const read = (headers: Record<string, string>, method = "GET", path = TASK) => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${path}`,
    { method, headers: { authorization: `Bearer ${linde}`, ...headers } });

  test("304 (with the ETag, no body) when not modified since; 200 when modified after the date", async () => {
    const first = await read({});
    const lastModified = first.headers.get("last-modified")!;
    const etag = first.headers.get("etag")!;
    for (const method of ["GET", "HEAD"]) {
      const same = await read({ "If-Modified-Since": lastModified }, method);
      expect([method, same.status, same.headers.get("etag"), await same.text()]).toEqual([method, 304, etag, ""]);
    }
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    expect((await read({ "If-Modified-Since": later })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await read({ "If-Modified-Since": earlier })).status).toBe(200);
    // The same on a vread.
    expect((await read({ "If-Modified-Since": lastModified }, "GET", `${TASK}/_history/1`)).status).toBe(304);
    const metadata = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/metadata`)).json();
    expect(metadata.rest[0].resource.find((r: Json) => r.type === "Task").conditionalRead).toBe("full-support");
  });

  test("If-None-Match takes precedence; a date that is not an HTTP-date is ignored; a change answers 200", async () => {
    const first = await read({});
    const lastModified = first.headers.get("last-modified")!;
    expect((await read({ "If-Modified-Since": lastModified })).status).toBe(304);
    expect((await read({ "If-Modified-Since": lastModified, "If-None-Match": 'W/"999"' })).status).toBe(200);
    expect((await read({ "If-Modified-Since": lastModified, "If-None-Match": first.headers.get("etag")! })).status).toBe(304);
    expect((await read({ "If-Modified-Since": "gisteren" })).status).toBe(200);
    expect((await read({ "If-Modified-Since": new Date(Date.parse(lastModified) + 60_000).toISOString() })).status).toBe(200);
    await Bun.sleep(1100); // Last-Modified has one-second precision
    const changed = await fhir(sandbox, linde, "PATCH", TASK, { body: [{ op: "add", path: "/note/-", value: { text: "gewijzigd" } }], headers: { "content-type": "application/json-patch+json" } });
    expect(changed.status).toBe(200);
    expect((await read({ "If-Modified-Since": lastModified })).status).toBe(200);
  });

  test("a search has no Last-Modified: If-Modified-Since does not apply", async () => {
    const since = { "If-Modified-Since": new Date(Date.now() + 60_000).toUTCString() };
    expect((await read(since)).status).toBe(304);
    expect((await read(since, "GET", "Task?_id=task-tom-delinde-intake")).status).toBe(200);
  });
});

describe("_count=0 (search.html#count: treated as _summary=count)", () => {
  test("the total, no entries and no next link, so a pager stops", async () => {
    const tom = (await collectTokens(sandbox)).access_token;
    for (const token of [tom, linde]) {
      const res = await fhir(sandbox, token, "GET", "Task?_count=0");
      expect(res.status).toBe(200);
      expect(res.json.total).toBeGreaterThan(0);
      expect(res.json.entry ?? []).toEqual([]);
      expect(((res.json.link ?? []) as Json[]).some((l) => l.relation === "next")).toBe(false);
      expect(res.json.total).toBe((await fhir(sandbox, token, "GET", "Task?_summary=count")).json.total);
    }
  });
});

describe("Task.lastModified: the writer's value is kept; a change the server applies sets it", () => {
  /** A resource without the server's meta elements (versionId, lastUpdated) and, for a POST, its id. */
  const written = (r: Json, withId = true) => {
    const { versionId: _v, lastUpdated: _l, ...meta } = r.meta ?? {};
    const { meta: _m, id, ...rest } = r;
    return { ...rest, ...(withId ? { id } : {}), ...(Object.keys(meta).length ? { meta } : {}) };
  };

  test.skipIf(!existsSync(examples))("every official MedMij example: PUT and POST, then GET, equal the input except meta (and a POST's id)", async () => {
    let n = 0;
    for await (const file of new Bun.Glob("*/*.json").scan({ cwd: examples })) {
      const resource = await Bun.file(`${examples}/${file}`).json() as Json;
      const path = `${resource.resourceType}/${resource.id}`;
      const stored = await fhir(sandbox, linde, "PUT", path, { body: resource });
      expect([file, [200, 201].includes(stored.status)]).toEqual([file, true]);
      expect([file, written((await fhir(sandbox, linde, "GET", path)).json)]).toEqual([file, written(resource)]);
      const post = await fhir(sandbox, linde, "POST", resource.resourceType, { body: resource });
      expect([file, post.status]).toEqual([file, 201]);
      expect([file, written((await fhir(sandbox, linde, "GET", `${resource.resourceType}/${post.json.id}`)).json, false)]).toEqual([file, written(resource, false)]);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  test("create and PUT without one: the time of the write; a PATCH: now, unless the patch writes lastModified itself", async () => {
    const { id: _id, ...body } = sdTask("x", "sd-ad-ref", { meta: { tag: [CURRENT_TAG] } });
    const before = Date.now();
    const created = await fhir(sandbox, linde, "POST", "Task", { body });
    expect(Date.parse(created.json.lastModified)).toBeGreaterThanOrEqual(before - 1000);
    const kept = await fhir(sandbox, linde, "PUT", `Task/${created.json.id}`, { body: { ...created.json, lastModified: "2025-05-01T08:25:05+01:00" } });
    expect(kept.json.lastModified).toBe("2025-05-01T08:25:05+01:00");
    const { lastModified: _lm, ...without } = kept.json;
    const putWithout = await fhir(sandbox, linde, "PUT", `Task/${created.json.id}`, { body: without });
    expect(Date.parse(putWithout.json.lastModified)).toBeGreaterThanOrEqual(before - 1000);
    const patch = (ops: Json[]) => fhir(sandbox, linde, "PATCH", `Task/${created.json.id}`, { body: ops, headers: { "content-type": "application/json-patch+json" } });
    const started = await patch([{ op: "replace", path: "/status", value: "in-progress" }]);
    expect(started.status).toBe(200);
    expect(Date.parse(started.json.lastModified)).toBeGreaterThanOrEqual(before - 1000);
    const own = await patch([{ op: "replace", path: "/lastModified", value: "2026-01-02T03:04:05Z" }]);
    expect(own.json.lastModified).toBe("2026-01-02T03:04:05Z");
  });
});

describe("end to end: an XIS writes SD 3.1's resources, Tom's PGO shows the task and starts the module", () => {
  test("POST as in the SD: warned about ids and the tag; PUT with the SD's ids: untagged not collected; tagged collected and launched", async () => {
    const pgo = sandbox.url("pgo");
    // Tom connects De Linde in his PGO (the DVA cookies are the browser's session there).
    const tom = await pgoSession(sandbox, "tom");
    const list = await (await get(`${pgo}/zorgaanbieders`, { headers: { cookie: tom } })).text();
    const connect = await postForm(`${pgo}/verbind`, tom, { _csrf: hiddenInput(list, "_csrf"), zorgaanbieder: "delinde@medmij" });
    const { redirect, cookies: dvaCookies } = await throughDva(sandbox, connect.headers.get("location")!, { bsn: "999991012", kind: "long" });
    await get(redirect.href, { headers: { cookie: tom } });

    // 1. Written with POST, as SD 3.1 shows: every id is ignored, and the server says so; the Task has no tag.
    const posted = await outcomeOf(sdTask("vragenlijst1", "vragenlijst-module-definition"), "POST");
    expect(posted.status).toBe(201);
    const diagnostics = (posted.json.issue as Json[]).map((i) => i.diagnostics as string);
    expect(diagnostics.some((d) => d.startsWith("id genegeerd; gebruik PUT om zelf een id te kiezen"))).toBe(true);
    expect(diagnostics.some((d) => d.includes("geen meta.tag"))).toBe(true);
    expect(diagnostics.some((d) => d.includes("ActivityDefinition/vragenlijst-module-definition bestaat (nog) niet"))).toBe(true);

    // 2. With PUT and the SD's own ids: references resolve; the untagged Task is stored with the tag warning ...
    expect((await put(sdEndpoint("vragenlijst-module"))).status).toBe(201);
    expect((await put(sdActivityDefinition("vragenlijst-module-definition", { valueReference: { reference: "Endpoint/vragenlijst-module", type: "Endpoint" } }))).status).toBe(201);
    const untagged = await outcomeOf(sdTask("vragenlijst1", "vragenlijst-module-definition"));
    expect(untagged.status).toBe(201);
    expect(issuesAt(untagged.json, "Task.meta.tag")).toHaveLength(1);
    expect((untagged.json.issue as Json[]).filter((i) => i.code === "not-found")).toEqual([]);
    // ... and, as it says, no PGO collects it.
    const refresh = async () => {
      const page = await (await get(`${pgo}/taken`, { headers: { cookie: tom } })).text();
      expect((await postForm(`${pgo}/taken/verversen`, tom, { _csrf: hiddenInput(page, "_csrf") })).status).toBe(303);
      return (await get(`${pgo}/taken`, { headers: { cookie: tom } })).text();
    };
    expect(await refresh()).not.toContain("Vragenlijst klachten (vragenlijst-module-definition)");

    // 3. The tag added as the warning asks: no warning, and Tom's PGO shows the task.
    const tagged = await outcomeOf(sdTask("vragenlijst1", "vragenlijst-module-definition", { meta: { profile: ["http://fhir.nl/fhir/StructureDefinition/nl-core-experimental-task"], tag: [CURRENT_TAG] } }));
    expect(tagged.status).toBe(200);
    expect(issuesAt(tagged.json, "Task.meta.tag")).toEqual([]);
    expect(await refresh()).toContain("Vragenlijst klachten (vragenlijst-module-definition)");

    // 4. Taak starten: the launch code goes to the module the SD's ActivityDefinition names (client-id, smart-app-launch-url → Endpoint).
    const taskPage = `${pgo}/taken/delinde%40medmij/vragenlijst1`;
    const page = await (await get(taskPage, { headers: { cookie: tom } })).text();
    const started = await postForm(`${taskPage}/starten`, tom, { _csrf: hiddenInput(page, "_csrf") });
    expect(started.status).toBe(303);
    const launch = new URL(started.headers.get("location")!);
    expect(`${launch.origin}${launch.pathname}`).toBe(`${sandbox.url("module")}/launch`);
    expect(launch.searchParams.get("iss")).toBe(`${sandbox.url("fhir.zorgnet")}/fhir`);
    // The module's SMART launch: authorize at the DVA with that code, back at the module with the Task as context.
    const launched = await get(launch.href);
    const authorize = new URL(launched.headers.get("location")!);
    expect([authorize.origin, authorize.searchParams.get("client_id")]).toEqual([sandbox.url("auth.zorgnet"), MODULE_CLIENT]);
    const authorized = await get(authorize.href, { headers: { cookie: dvaCookies } });
    const callback = new URL(authorized.headers.get("location")!);
    expect([callback.origin, callback.searchParams.has("code")]).toEqual([sandbox.url("module"), true]);
    const back = await get(callback.href, { headers: { cookie: cookiesOf(launched) } });
    expect(back.status).toBe(303);
  });

  test("the PGO also collects Tasks with an older generation's tag", async () => {
    const pgo = sandbox.url("pgo");
    const tom = await pgoLogin(sandbox, "tom");
    await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
    expect((await put(sdActivityDefinition("old-tags-ad", { valueUrl: `${sandbox.url("module")}/launch` }))).status).toBe(201);
    expect((await put(sdTask("old-tag-5-6", "old-tags-ad", { meta: { tag: [TAG_5_6] }, description: "Taak met de tag 5.6" }))).status).toBe(201);
    expect((await put(sdTask("old-tag-is", "old-tags-ad", { meta: { tag: [TAG_INFORMATION_STANDARD] }, description: "Taak met information-standard" }))).status).toBe(201);
    const page = await (await get(`${pgo}/taken`, { headers: { cookie: tom } })).text();
    expect((await postForm(`${pgo}/taken/verversen`, tom, { _csrf: hiddenInput(page, "_csrf") })).status).toBe(303);
    const html = await (await get(`${pgo}/taken/delinde%40medmij/old-tag-5-6`, { headers: { cookie: tom } })).text();
    expect(html).toContain("Taak met de tag 5.6");
    expect(await (await get(`${pgo}/taken/delinde%40medmij/old-tag-is`, { headers: { cookie: tom } })).text()).toContain("Taak met information-standard");
  });
});
