import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import network from "../../seed/network.ts";
import { FhirStore } from "../../src/dva/fhir/store.ts";
import { searchTuning } from "../../src/dva/fhir/rest.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { collectTokens } from "../helpers/dva.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

/**
 * The DVA FHIR server's search parameters over HTTP (SPEC §6, README "DVA FHIR server"): each Task
 * parameter and _include, _sort, the other types' parameters, POST _search, modifiers and unknown
 * parameters. Every test asserts the exact set (or order) of matches.
 *
 * The seed has no Task with a code, focus, partOf or another profile, so beforeAll writes them with
 * De Linde's system token (PUT with a chosen id, so that the assertions read well). A second
 * zorgaanbieder at zorgnet (as in dva-fhir-system-search.test.ts) owns a PractitionerRole that De
 * Linde's token may not read. System-token searches run both on the parsing path and on the search
 * index (rest.ts searchTuning) and must answer the same. Query values are written unencoded for
 * readability (`|`, `:`, `/` and `,` need no escaping in a query string).
 */

const SNOMED = "http://snomed.info/sct";
const LOINC = "http://loinc.org";
const DS_SYSTEM = "http://medmij.nl/fhir/CodeSystem/DataService";
const DS_CODE = "urn:oid:2.16.528.1.1023.5.7";
const TASK_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-Task";
const OTHER_PROFILE = "https://medmij-sandbox.example/fhir/StructureDefinition/test-Task";
const TASK_IDENTIFIERS = "https://medmij-sandbox.example/fhir/NamingSystem/delinde/task";
const EXT_QR_TASK = "https://medmij-sandbox.example/fhir/StructureDefinition/ext-QuestionnaireResponse.Task";
const questionnaireUrl = (id: string) => `https://medmij-sandbox.example/fhir/Questionnaire/${id}`;
const activityUrl = (slug: string) => `https://medmij-sandbox.example/fhir/ActivityDefinition/${slug}`;

const def: NetworkDefinition = structuredClone(network);
def.zorgaanbieders.push({ name: "ziekenhuisnoord@medmij", displayName: "Ziekenhuis Noord", agb: "06010001", dva: "zorgnet", dataServices: ["99"],
  systemClient: { clientId: "zis-noord", clientSecret: "zis-noord-secret" } });
def.clinicians.push({ id: "bakker", given: "Lisa", family: "Bakker", role: "Longarts", zorgaanbieder: "ziekenhuisnoord@medmij", username: "bakker", password: "bakker" });

/** The seed's Tasks at zorgnet (all requested by role-dehaard, all with the pt-Task profile and the data service tag). */
const SEEDED_TOM = ["task-tom-delinde-intake", "task-tom-delinde-leven-met-copd", "task-tom-delinde-mrc-1", "task-tom-delinde-phq-9",
  "task-tom-delinde-medicatiecheck", "task-tom-delinde-mrc-2"];
const SEEDED = [...SEEDED_TOM, "task-koos-delinde-stress", "task-sanne-delinde-mrc-1"];

type Json = Record<string, unknown>;

/** A Task of De Linde (requested by a PractitionerRole of De Linde written in beforeAll), owned by the patient. */
function task(id: string, patient: "tom" | "sanne", extra: Json = {}): Json {
  const ref = { reference: `Patient/patient-${patient}` };
  return { resourceType: "Task", id, status: "requested", intent: "order", for: ref, owner: ref, requester: { reference: "PractitionerRole/p-role-linde" }, ...extra };
}

function questionnaireResponse(id: string, patient: string, questionnaire: string, taskId: string, status: string): Json {
  return { resourceType: "QuestionnaireResponse", id, status, questionnaire: questionnaireUrl(questionnaire),
    extension: [{ url: EXT_QR_TASK, valueReference: { reference: `Task/${taskId}`, type: "Task" } }], subject: { reference: `Patient/patient-${patient}` } };
}

/** What beforeAll writes, in this order. */
const WRITES: Json[] = [
  { resourceType: "PractitionerRole", id: "p-role-linde", active: true, practitioner: { reference: "Practitioner/practitioner-dehaard" },
    organization: { reference: "Organization/org-delinde" } },
  // code: the same code in two systems, a second coding, a coding without a system
  task("p-code-snomed", "sanne", { code: { coding: [{ system: SNOMED, code: "C1" }] } }),
  task("p-code-loinc", "sanne", { code: { coding: [{ system: LOINC, code: "C1" }, { system: SNOMED, code: "C2" }] } }),
  task("p-code-nosystem", "sanne", { code: { coding: [{ code: "C1" }] } }),
  task("p-profile", "sanne", { meta: { profile: [OTHER_PROFILE] } }),
  task("p-identifier", "sanne", { identifier: [{ system: "urn:sandbox:other", value: "tom-intake" }] }),
  task("p-owner-role", "sanne", { owner: { reference: "PractitionerRole/role-dehaard" } }),
  task("p-requester-org", "sanne", { requester: { reference: "Organization/org-delinde" } }),
  // requested by De Linde, owned by Ziekenhuis Noord: both may read the Task, neither the other's role. Neither
  // may write it over FHIR (a requester/owner of another organisation, issue 10): beforeAll stores it directly.
  task("p-shared", "sanne", { requester: { reference: "PractitionerRole/role-dehaard" }, owner: { reference: "PractitionerRole/role-bakker" } }),
  task("p-part-of", "sanne", { partOf: [{ reference: "Task/task-sanne-delinde-mrc-1" }] }),
  task("p-part-of-two", "sanne", { partOf: [{ reference: "Task/task-sanne-delinde-mrc-1" }, { reference: "Task/p-part-of" }] }),
  task("p-tom-focus-plan", "tom", { focus: { reference: "ServiceRequest/plan-tom-delinde-copd" }, executionPeriod: { start: "2020-01-01" } }),
  // Tom's Task pointing at Koos's plan: Tom's token may not read that plan
  task("p-tom-focus-koos", "tom", { status: "in-progress", focus: { reference: "ServiceRequest/plan-koos-delinde-poh-ggz" } }),
  task("p-tom-focus-task", "tom", { focus: { reference: "Task/task-tom-delinde-intake" }, executionPeriod: { end: "2030-01-01" } }),
  task("p-tom-tag-nosystem", "tom", { status: "received", meta: { tag: [{ code: DS_CODE }] } }),
  task("p-tom-tag-other", "tom", { status: "completed", meta: { tag: [{ system: "urn:sandbox:other", code: DS_CODE }] } }),
  questionnaireResponse("p-qr-tom-intake", "tom", "copd-intake", "task-tom-delinde-intake", "in-progress"),
  questionnaireResponse("p-qr-koos-mrc", "koos", "mrc-dyspnoe", "task-koos-delinde-stress", "completed"),
];
const CREATED_TASKS = WRITES.filter((r) => r.resourceType === "Task").map((r) => r.id as string);
const CREATED_TOM = CREATED_TASKS.filter((id) => id.startsWith("p-tom-"));

/** Every Task of Tom at zorgnet with its status. */
const TOM_STATUS: Record<string, string> = {
  "task-tom-delinde-intake": "requested", "task-tom-delinde-leven-met-copd": "in-progress", "task-tom-delinde-mrc-1": "completed",
  "task-tom-delinde-phq-9": "cancelled", "task-tom-delinde-medicatiecheck": "requested", "task-tom-delinde-mrc-2": "requested",
  "p-tom-focus-plan": "requested", "p-tom-focus-koos": "in-progress", "p-tom-focus-task": "requested", "p-tom-tag-nosystem": "received",
  "p-tom-tag-other": "completed",
};
const tomWhere = (keep: (status: string) => boolean) => Object.keys(TOM_STATUS).filter((id) => keep(TOM_STATUS[id]!));

let sandbox: Sandbox;
let linde: string;
let noord: string;
let tom: string;
let koos: string;
/** meta.lastUpdated of each resource written in beforeAll. */
const written = new Map<string, string>();
const DEFAULT_INDEX_FROM = searchTuning.indexFrom;

async function systemToken(id: string): Promise<string> {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${id}:${id}-secret`).toString("base64")}` }, body: "grant_type=client_credentials&scope=system%2F*.*" });
  return (await res.json()).access_token as string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox({}, def);
  linde = await systemToken("his-delinde");
  noord = await systemToken("zis-noord");
  tom = (await collectTokens(sandbox)).access_token;
  koos = (await collectTokens(sandbox, { bsn: "999991024" })).access_token;
  for (const resource of WRITES) {
    if (resource.id === "p-shared") {
      for (const token of [linde, noord]) {
        const refused = await fetch(`${base()}/Task/p-shared`, { method: "PUT", body: JSON.stringify(resource),
          headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" } });
        if (refused.status !== 403) throw new Error(`a Task naming another organisation's role answered ${refused.status}, not 403`);
      }
      // As if both organisations' systems had written it: each has a relation with the patient.
      const store = new FhirStore(sandbox.ctx.db);
      written.set("p-shared", store.save("zorgnet", resource as never, { relates: "Organization/org-delinde" }).lastUpdated);
      store.register("zorgnet", "Patient", "patient-sanne", "Organization/org-ziekenhuisnoord");
      continue;
    }
    const res = await fetch(`${base()}/${resource.resourceType}/${resource.id}`, { method: "PUT", body: JSON.stringify(resource),
      headers: { authorization: `Bearer ${linde}`, "content-type": "application/fhir+json" } });
    if (res.status !== 201) throw new Error(`PUT ${resource.resourceType}/${resource.id} answered ${res.status}: ${await res.text()}`);
    written.set(resource.id as string, (await res.json()).meta.lastUpdated);
  }
});
afterAll(() => {
  searchTuning.indexFrom = DEFAULT_INDEX_FROM;
  return sandbox.stop();
});

type Entry = { fullUrl?: string; resource: { resourceType: string; id: string; meta?: { lastUpdated: string }; executionPeriod?: { start?: string };
  issue?: { severity: string; code: string; diagnostics: string }[] }; search: { mode: string } };
type Bundle = { resourceType: string; type: string; total: number; link: { relation: string; url: string }[]; entry?: Entry[] };

const base = () => `${sandbox.url("fhir.zorgnet")}/fhir`;
/** `{base}` in a query stands for this DVA's FHIR base (absolute references). */
const withBase = (query: string) => query.replaceAll("{base}", base());

const fhirGet = (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base()}/${withBase(path)}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
const fhirPost = (path: string, body: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base()}/${path}`, { method: "POST", body, headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded", ...headers } });

async function search(path: string, token: string): Promise<Bundle> {
  const res = await fhirGet(path, token);
  expect(res.status).toBe(200);
  return await res.json() as Bundle;
}

/**
 * A system-token search, once on the parsing path and once on the search index: the two must give
 * the same entries, total and ETag.
 */
async function systemSearch(path: string, token = linde): Promise<Bundle> {
  const run = async (indexFrom: number) => {
    searchTuning.indexFrom = indexFrom;
    try {
      const res = await fhirGet(path, token);
      expect(res.status).toBe(200);
      return { etag: res.headers.get("etag"), bundle: await res.json() as Bundle };
    } finally {
      searchTuning.indexFrom = DEFAULT_INDEX_FROM;
    }
  };
  const parsed = await run(Number.MAX_SAFE_INTEGER);
  const indexed = await run(0);
  expect(entries(indexed.bundle)).toEqual(entries(parsed.bundle));
  expect(indexed.bundle.total).toBe(parsed.bundle.total);
  expect(indexed.etag).toBe(parsed.etag!);
  return parsed.bundle;
}

/** `mode:Type/id` of every entry, in bundle order. */
const entries = (b: Bundle) => (b.entry ?? []).map((e) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`);
/** `Type/id` of the entries with this search mode, in bundle order. */
const refs = (b: Bundle, mode = "match") => (b.entry ?? []).filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
const sorted = (list: readonly string[]) => [...list].sort();
const tasks = (ids: readonly string[]) => ids.map((id) => `Task/${id}`);

/** Exactly these matches (any order), and a total that says so. */
function expectMatches(bundle: Bundle, expected: readonly string[]) {
  expect(sorted(refs(bundle))).toEqual(sorted(expected));
  expect(bundle.total).toBe(expected.length);
}

/**
 * Ids ordered by _lastUpdated, ties by id in binary order; descending reverses both (search.ts
 * sortBy: a stable order for paging, and the order of the index a large search walks).
 */
function byLastUpdated(ids: readonly string[], lastUpdated: (id: string) => string, descending: boolean): string[] {
  const sign = descending ? -1 : 1;
  return [...ids].sort((a, b) => sign * (Date.parse(lastUpdated(a)) - Date.parse(lastUpdated(b)) || (a < b ? -1 : a > b ? 1 : 0)));
}

describe("Task token and reference parameters (system token, parsing path = index path)", () => {
  test.each([
    // code (token): system|code, bare code, |code (no system), OR over systems
    [`code=${SNOMED}|C1`, ["p-code-snomed"]],
    ["code=C1", ["p-code-snomed", "p-code-loinc", "p-code-nosystem"]],
    ["code=|C1", ["p-code-nosystem"]],
    [`code=${SNOMED}|C2`, ["p-code-loinc"]],
    [`code=${LOINC}|C2`, []],
    [`code=${LOINC}|C1,${SNOMED}|C1`, ["p-code-snomed", "p-code-loinc"]],
    [`code=${SNOMED}|nothing`, []],
    // focus (reference): relative, absolute URL, OR
    ["focus=ServiceRequest/plan-tom-delinde-copd", ["p-tom-focus-plan"]],
    ["focus={base}/ServiceRequest/plan-tom-delinde-copd", ["p-tom-focus-plan"]],
    ["focus=ServiceRequest/plan-koos-delinde-poh-ggz", ["p-tom-focus-koos"]],
    ["focus=ServiceRequest/plan-tom-delinde-copd,Task/task-tom-delinde-intake", ["p-tom-focus-plan", "p-tom-focus-task"]],
    ["focus=ServiceRequest/plan-sanne-delinde-copd", []],
    // _profile
    [`_profile=${OTHER_PROFILE}`, ["p-profile"]],
    [`_profile=${TASK_PROFILE}`, SEEDED],
    // part-of: one or two parents, absolute URL, repeated = AND
    ["part-of=Task/task-sanne-delinde-mrc-1", ["p-part-of", "p-part-of-two"]],
    ["part-of=Task/p-part-of", ["p-part-of-two"]],
    ["part-of={base}/Task/p-part-of", ["p-part-of-two"]],
    ["part-of=Task/p-part-of&part-of=Task/task-sanne-delinde-mrc-1", ["p-part-of-two"]],
    // identifier: system|value, bare value, |value, another system
    [`identifier=${TASK_IDENTIFIERS}|tom-intake`, ["task-tom-delinde-intake"]],
    [`identifier=${TASK_IDENTIFIERS}|sanne-mrc-1`, ["task-sanne-delinde-mrc-1"]],
    [`identifier=urn:sandbox:other|tom-intake`, ["p-identifier"]],
    ["identifier=tom-intake", ["task-tom-delinde-intake", "p-identifier"]],
    ["identifier=|tom-intake", []],
    // requester: PractitionerRole or Organization, relative or absolute
    ["requester=Organization/org-delinde", ["p-requester-org"]],
    ["requester={base}/Organization/org-delinde", ["p-requester-org"]],
    ["requester=PractitionerRole/role-dehaard", [...SEEDED, "p-shared"]],
    // owner: PractitionerRole/x, absolute URL (also versioned), OR
    ["owner=PractitionerRole/role-dehaard", ["p-owner-role"]],
    ["owner={base}/PractitionerRole/role-dehaard", ["p-owner-role"]],
    ["owner={base}/PractitionerRole/role-dehaard/_history/1", ["p-owner-role"]],
    ["owner=PractitionerRole/role-bakker", ["p-shared"]],
    ["owner=PractitionerRole/role-dehaard,PractitionerRole/role-bakker", ["p-owner-role", "p-shared"]],
  ] as [string, string[]][])("Task?%s", async (query, expected) => {
    expectMatches(await systemSearch(`Task?${query}`), tasks(expected));
  });

  test("another zorgaanbieder's token finds only the Tasks of its own organisation", async () => {
    expectMatches(await systemSearch("Task?requester=PractitionerRole/role-dehaard", noord), ["Task/p-shared"]);
    expectMatches(await systemSearch("Task?owner=PractitionerRole/role-bakker", noord), ["Task/p-shared"]);
    expectMatches(await systemSearch("Task?code=C1", noord), []);
  });

  test("a PGO token: the same parameters stay within the patient's Tasks", async () => {
    expectMatches(await search("Task?focus=ServiceRequest/plan-koos-delinde-poh-ggz", tom), ["Task/p-tom-focus-koos"]);
    expectMatches(await search("Task?focus=ServiceRequest/plan-koos-delinde-poh-ggz", koos), []);
    expectMatches(await search("Task?identifier=tom-intake", tom), ["Task/task-tom-delinde-intake"]);
    expectMatches(await search("Task?code=C1", tom), []);
    expectMatches(await search(`Task?_profile=${TASK_PROFILE}`, tom), tasks(SEEDED_TOM));
    expectMatches(await search("Task?requester=PractitionerRole/p-role-linde", tom), tasks(CREATED_TOM));
    expectMatches(await search("Task?owner=Patient/patient-tom", tom), tasks(Object.keys(TOM_STATUS)));
  });
});

describe("_include", () => {
  test("Task:owner, Task:requester, Task:patient: a role of another zorgaanbieder is left out (system tokens)", async () => {
    const query = "Task?_id=p-shared&_include=Task:owner&_include=Task:requester&_include=Task:patient";
    const forLinde = await systemSearch(query, linde);
    expect(refs(forLinde)).toEqual(["Task/p-shared"]);
    expect(refs(forLinde, "include")).toEqual(["PractitionerRole/role-dehaard", "Patient/patient-sanne"]);
    const forNoord = await systemSearch(query, noord);
    expect(refs(forNoord)).toEqual(["Task/p-shared"]);
    expect(refs(forNoord, "include")).toEqual(["PractitionerRole/role-bakker", "Patient/patient-sanne"]);
    expect(forNoord.total).toBe(1);
  });

  test("Task:focus: another patient's plan is left out for the PGO token, present for the system token", async () => {
    const query = "Task?_id=p-tom-focus-plan,p-tom-focus-koos,p-tom-focus-task&_include=Task:focus";
    const pgo = await search(query, tom);
    expectMatches(pgo, tasks(["p-tom-focus-plan", "p-tom-focus-koos", "p-tom-focus-task"]));
    expect(sorted(refs(pgo, "include"))).toEqual(["ServiceRequest/plan-tom-delinde-copd", "Task/task-tom-delinde-intake"]);
    const system = await systemSearch(query);
    expect(sorted(refs(system, "include"))).toEqual(["ServiceRequest/plan-koos-delinde-poh-ggz", "ServiceRequest/plan-tom-delinde-copd", "Task/task-tom-delinde-intake"]);
  });

  test("each included resource appears once, with search.mode include and its fullUrl", async () => {
    const bundle = await search("Task?_include=Task:patient&_include=Task:owner&_include=Task:requester&_count=500", tom);
    expectMatches(bundle, tasks(Object.keys(TOM_STATUS)));
    // every Task's patient and owner is Patient/patient-tom; two requesters among eleven Tasks
    expect(sorted(refs(bundle, "include"))).toEqual(["Patient/patient-tom", "PractitionerRole/p-role-linde", "PractitionerRole/role-dehaard"]);
    for (const e of (bundle.entry ?? []).filter((x) => x.search.mode === "include")) {
      expect(e.fullUrl).toBe(`${base()}/${e.resource.resourceType}/${e.resource.id}`);
    }
    const all = entries(bundle).map((e) => e.replace(/^\w+:/, ""));
    expect(new Set(all).size).toBe(all.length);
  });

  test("a resource that is already a match is not included again", async () => {
    const bundle = await search("Task?_id=p-tom-focus-task,task-tom-delinde-intake&_include=Task:focus", tom);
    expectMatches(bundle, tasks(["p-tom-focus-task", "task-tom-delinde-intake"]));
    expect(refs(bundle, "include")).toEqual([]);
  });

  test("Task:patient for a system token over several patients: one entry per patient", async () => {
    const bundle = await systemSearch("Task?code=C1,C2&_include=Task:patient&_include=Task:requester");
    expectMatches(bundle, tasks(["p-code-snomed", "p-code-loinc", "p-code-nosystem"]));
    expect(sorted(refs(bundle, "include"))).toEqual(["Patient/patient-sanne", "PractitionerRole/p-role-linde"]);
  });
});

describe("_sort", () => {
  /** The seeded Tasks share one lastUpdated, older than anything beforeAll wrote: only that order matters here. */
  const tomLastUpdated = (id: string) => written.get(id) ?? "1970-01-01T00:00:00.000Z";

  test("_lastUpdated and -_lastUpdated (PGO token): oldest or newest first, ties by id", async () => {
    const ids = Object.keys(TOM_STATUS);
    const ascending = await search("Task?_sort=_lastUpdated", tom);
    expect(refs(ascending)).toEqual(tasks(byLastUpdated(ids, tomLastUpdated, false)));
    // the six seeded Tasks share one lastUpdated: they come first, by id
    expect(refs(ascending).slice(0, 6)).toEqual(tasks(sorted(SEEDED_TOM)));
    const descending = await search("Task?_sort=-_lastUpdated", tom);
    expect(refs(descending)).toEqual(tasks(byLastUpdated(ids, tomLastUpdated, true)));
    expect(refs(descending).slice(-6)).toEqual(tasks(sorted(SEEDED_TOM).reverse()));
    // what the bundle says agrees with what the writes answered
    for (const e of descending.entry!) if (written.has(e.resource.id)) expect(e.resource.meta!.lastUpdated).toBe(written.get(e.resource.id)!);
  });

  test("_sort=_lastUpdated over the whole DVA (system token)", async () => {
    for (const descending of [false, true]) {
      const bundle = await systemSearch(`Task?_sort=${descending ? "-" : ""}_lastUpdated&_count=500`);
      const lastUpdated = new Map(bundle.entry!.map((e) => [e.resource.id, e.resource.meta!.lastUpdated]));
      expectMatches(bundle, tasks([...SEEDED, ...CREATED_TASKS]));
      expect(refs(bundle)).toEqual(tasks(byLastUpdated([...lastUpdated.keys()], (id) => lastUpdated.get(id)!, descending)));
    }
  });

  test("_sort=period (PGO token): by executionPeriod.start, Tasks without a start last (by id)", async () => {
    const bundle = await search("Task?_sort=period", tom);
    expect(refs(bundle)).toEqual(tasks([
      "p-tom-focus-plan", // 2020-01-01
      "task-tom-delinde-mrc-1", "task-tom-delinde-phq-9", "task-tom-delinde-leven-met-copd", "task-tom-delinde-intake",
      "task-tom-delinde-medicatiecheck", "task-tom-delinde-mrc-2",
      // no executionPeriod, or one with only an end
      "p-tom-focus-koos", "p-tom-focus-task", "p-tom-tag-nosystem", "p-tom-tag-other",
    ]));
  });

  test("_sort=-period (PGO token): the Tasks with a start, latest first", async () => {
    const bundle = await search("Task?_sort=-period", tom);
    const dated = refs(bundle).filter((ref) => ref.startsWith("Task/task-") || ref === "Task/p-tom-focus-plan");
    expect(dated).toEqual(tasks(["task-tom-delinde-mrc-2", "task-tom-delinde-medicatiecheck", "task-tom-delinde-intake",
      "task-tom-delinde-leven-met-copd", "task-tom-delinde-phq-9", "task-tom-delinde-mrc-1", "p-tom-focus-plan"]));
    expect(bundle.total).toBe(Object.keys(TOM_STATUS).length);
  });

  test("_sort=period over the whole DVA (system token): Tasks without a start last", async () => {
    const bundle = await systemSearch("Task?_sort=period&_count=500");
    const order = bundle.entry!.map((e) => ({ id: e.resource.id, start: e.resource.executionPeriod?.start }));
    const firstUndated = order.findIndex((t) => t.start === undefined);
    const dated = order.slice(0, firstUndated);
    const undated = order.slice(firstUndated);
    expect(sorted(dated.map((t) => t.id))).toEqual(sorted([...SEEDED, "p-tom-focus-plan"]));
    expect(dated[0]!.id).toBe("p-tom-focus-plan");
    for (let i = 1; i < dated.length; i++) expect(Date.parse(dated[i]!.start!)).toBeGreaterThanOrEqual(Date.parse(dated[i - 1]!.start!));
    expect(undated.map((t) => t.id)).toEqual(sorted(CREATED_TASKS.filter((id) => id !== "p-tom-focus-plan")));
  });
});

describe("other resource types", () => {
  test("QuestionnaireResponse?questionnaire=", async () => {
    const mrc = `QuestionnaireResponse?questionnaire=${questionnaireUrl("mrc-dyspnoe")}`;
    expectMatches(await systemSearch(mrc), ["QuestionnaireResponse/qr-tom-delinde-mrc-1", "QuestionnaireResponse/p-qr-koos-mrc"]);
    expectMatches(await search(mrc, tom), ["QuestionnaireResponse/qr-tom-delinde-mrc-1"]);
    expectMatches(await search(mrc, koos), ["QuestionnaireResponse/p-qr-koos-mrc"]);
    expectMatches(await systemSearch(`QuestionnaireResponse?questionnaire=${questionnaireUrl("copd-intake")}`), ["QuestionnaireResponse/p-qr-tom-intake"]);
    expectMatches(await systemSearch(`QuestionnaireResponse?questionnaire=${questionnaireUrl("gad-7")}`), []);
  });

  test("QuestionnaireResponse?task=", async () => {
    expectMatches(await systemSearch("QuestionnaireResponse?task=Task/task-tom-delinde-intake"), ["QuestionnaireResponse/p-qr-tom-intake"]);
    expectMatches(await systemSearch("QuestionnaireResponse?task={base}/Task/task-tom-delinde-mrc-1"), ["QuestionnaireResponse/qr-tom-delinde-mrc-1"]);
    const both = "QuestionnaireResponse?task=Task/task-tom-delinde-mrc-1,Task/task-tom-delinde-intake";
    expectMatches(await search(both, tom), ["QuestionnaireResponse/qr-tom-delinde-mrc-1", "QuestionnaireResponse/p-qr-tom-intake"]);
    expectMatches(await search(both, koos), []);
    expectMatches(await search("QuestionnaireResponse?task=Task/task-koos-delinde-stress", koos), ["QuestionnaireResponse/p-qr-koos-mrc"]);
  });

  test("ActivityDefinition?url= (catalogue: the token's own zorgaanbieder's, issue 10)", async () => {
    const mrc = activityUrl("delinde-mrc-dyspnoe");
    const noordPhq = activityUrl("ziekenhuisnoord-phq-9");
    for (const token of [tom, koos]) {
      expectMatches(await search(`ActivityDefinition?url=${mrc}`, token), ["ActivityDefinition/ad-delinde-mrc-dyspnoe"]);
    }
    expectMatches(await systemSearch(`ActivityDefinition?url=${mrc}`), ["ActivityDefinition/ad-delinde-mrc-dyspnoe"]);
    // Tom's consent is for De Linde: Ziekenhuis Noord's catalogue on the same DVA is not his token's to see.
    expectMatches(await search(`ActivityDefinition?url=${mrc},${noordPhq}`, tom), ["ActivityDefinition/ad-delinde-mrc-dyspnoe"]);
    expectMatches(await systemSearch(`ActivityDefinition?url=${mrc},${noordPhq}`, noord), ["ActivityDefinition/ad-ziekenhuisnoord-phq-9"]);
    expectMatches(await search(`ActivityDefinition?url=${activityUrl("nothing")}`, tom), []);
  });

  test("Questionnaire?url=", async () => {
    expectMatches(await search(`Questionnaire?url=${questionnaireUrl("phq-9")}`, tom), ["Questionnaire/phq-9"]);
    expectMatches(await systemSearch(`Questionnaire?url=${questionnaireUrl("phq-9")},${questionnaireUrl("gad-7")}`),
      ["Questionnaire/phq-9", "Questionnaire/gad-7"]);
    expectMatches(await search(`Questionnaire?url=${questionnaireUrl("nothing")}`, tom), []);
  });

  test("Patient?_id= for a PGO token: the own patient only", async () => {
    expectMatches(await search("Patient?_id=patient-tom", tom), ["Patient/patient-tom"]);
    expectMatches(await search("Patient?_id=patient-koos", tom), []);
    expectMatches(await search("Patient?_id=patient-tom,patient-koos", tom), ["Patient/patient-tom"]);
    expectMatches(await search("Patient?_id=patient-tom", koos), []);
    expectMatches(await search("Patient?_id=patient-koos", koos), ["Patient/patient-koos"]);
  });
});

describe("POST _search", () => {
  const queries = [
    "status=requested&_sort=period&_count=3",
    `_tag=${DS_SYSTEM}|${DS_CODE}&_include=Task:focus&_include=Task:patient`,
    "status:not=completed&_sort=-_lastUpdated&_include=Task:requester",
    "code=C1&focus=nothing/x",
  ];
  for (const query of queries) {
    test(`a form body answers as GET: ${query}`, async () => {
      for (const token of [tom, linde]) {
        const viaGet = await fhirGet(`Task?${query}`, token);
        const viaPost = await fhirPost("Task/_search", query, token);
        expect(viaPost.status).toBe(200);
        const [got, posted] = [await viaGet.json() as Bundle, await viaPost.json() as Bundle];
        expect(posted.total).toBe(got.total);
        expect(entries(posted)).toEqual(entries(got));
        expect(posted.link).toEqual(got.link);
        const self = posted.link.find((l) => l.relation === "self")!.url;
        expect(self).toStartWith(`${base()}/Task?`);
        expect(self).not.toContain("_search");
        expect(viaPost.headers.get("etag")).toBe(viaGet.headers.get("etag")!);
      }
    });
  }

  test("parameters in the URL and in the body are combined", async () => {
    const got = await search("Task?_count=2&status=requested", tom);
    const posted = await (await fhirPost("Task/_search?_count=2", "status=requested", tom)).json() as Bundle;
    expect(posted.total).toBe(tomWhere((s) => s === "requested").length);
    expect(entries(posted)).toEqual(entries(got));
    expect(posted.link).toEqual(got.link);
  });
});

describe("modifiers and combinations", () => {
  test.each([
    ["status=requested,in-progress", tomWhere((s) => s === "requested" || s === "in-progress")],
    ["status=requested,in-progress&status=in-progress,completed", tomWhere((s) => s === "in-progress")],
    ["status:not=requested,in-progress", tomWhere((s) => s !== "requested" && s !== "in-progress")],
    ["status=requested,received,completed&status:not=requested,completed", ["p-tom-tag-nosystem"]],
    ["status:not=completed&status:not=cancelled&status:not=requested", tomWhere((s) => s === "in-progress" || s === "received")],
    [`_tag=${DS_SYSTEM}|${DS_CODE}`, SEEDED_TOM],
    [`_tag=${DS_CODE}`, [...SEEDED_TOM, "p-tom-tag-nosystem", "p-tom-tag-other"]],
    [`_tag=|${DS_CODE}`, ["p-tom-tag-nosystem"]],
    [`_tag=urn:sandbox:other|${DS_CODE}`, ["p-tom-tag-other"]],
    [`_tag:not=${DS_SYSTEM}|${DS_CODE}`, CREATED_TOM],
    [`_tag=|${DS_CODE},urn:sandbox:other|${DS_CODE}&status=received`, ["p-tom-tag-nosystem"]],
  ] as [string, string[]][])("Task?%s (PGO token)", async (query, expected) => {
    expectMatches(await search(`Task?${query}`, tom), tasks(expected));
  });

  test.each([
    [`_tag=|${DS_CODE}`, ["p-tom-tag-nosystem"]],
    [`_tag=${DS_CODE}&status:not=requested,in-progress,cancelled`, ["task-tom-delinde-mrc-1", "p-tom-tag-nosystem", "p-tom-tag-other"]],
    ["status:not=requested,in-progress,completed,cancelled", ["p-tom-tag-nosystem"]],
  ] as [string, string[]][])("Task?%s (system token)", async (query, expected) => {
    expectMatches(await systemSearch(`Task?${query}`), tasks(expected));
  });

  const outcomes = (b: Bundle) => (b.entry ?? []).filter((e) => e.search.mode === "outcome");

  test.each([
    ["Task?status:exact=requested", "status:exact", tasks(Object.keys(TOM_STATUS))],
    ["Task?status:missing=false", "status:missing", tasks(Object.keys(TOM_STATUS))],
    ["Task?colour=blue&status=completed", "colour", tasks(tomWhere((s) => s === "completed"))],
    ["Patient?status=active", "status", ["Patient/patient-tom"]],
  ] as [string, string, string[]][])("%s: ignored, with a warning OperationOutcome entry", async (path, ignored, expected) => {
    const bundle = await search(path, tom);
    expectMatches(bundle, expected);
    const warnings = outcomes(bundle);
    expect(warnings).toHaveLength(1);
    expect(bundle.entry!.at(-1)).toBe(warnings[0]!);
    expect(warnings[0]!.resource.resourceType).toBe("OperationOutcome");
    expect(warnings[0]!.resource.issue![0]).toMatchObject({ severity: "warning", code: "not-supported" });
    expect(warnings[0]!.resource.issue![0]!.diagnostics).toContain(ignored);
  });

  test("known parameters and modifiers give no outcome entry", async () => {
    expect(outcomes(await search("Task?status:not=completed&_tag=x&_sort=period&_count=3&_include=Task:focus", tom))).toEqual([]);
  });

  test.each([
    ["Task?status:exact=requested", "status:exact"],
    ["Task?colour=blue&status=completed", "colour"],
    ["Patient?status=active", "status"],
  ])("%s under Prefer: handling=strict → 400 OperationOutcome", async (path, ignored) => {
    const res = await fhirGet(path, tom, { Prefer: "handling=strict" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/fhir+json");
    const outcome = await res.json();
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0]).toMatchObject({ severity: "error", code: "invalid", expression: [ignored] });
    expect(outcome.issue[0].diagnostics).toContain(ignored);
  });

  test("strict handling: POST _search with an unknown parameter is 400 too; known parameters pass", async () => {
    const posted = await fhirPost("Task/_search", "status:exact=requested", tom, { Prefer: "handling=strict" });
    expect(posted.status).toBe(400);
    expect((await posted.json()).resourceType).toBe("OperationOutcome");
    const fine = await fhirGet("Task?status:not=completed", tom, { Prefer: "handling=strict" });
    expect(fine.status).toBe(200);
    const bundle = await fine.json() as Bundle;
    expectMatches(bundle, tasks(tomWhere((s) => s !== "completed")));
    expect(outcomes(bundle)).toEqual([]);
  });
});
