/**
 * Issue 10 items 1, 2 and 6: a DVA serves several zorgaanbieders (default network: De Linde and
 * Fysiotherapie De Berk on DVA zorgnet). Consent is per zorgaanbieder; catalogue and people are
 * owned; one Patient per BSN; history follows the read rule per version. Real server, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { FhirStore } from "../../src/dva/fhir/store.ts";
import { BSN_SYSTEM, EXT_QR_TASK } from "../../src/shared/fhir-profiles.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, matchIds, systemToken, type Json } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

const TOM = "999991012";
const KOOS = "999991024";
const LINDE_TOM = ["Task/task-tom-delinde-intake", "Task/task-tom-delinde-leven-met-copd", "Task/task-tom-delinde-medicatiecheck",
  "Task/task-tom-delinde-mrc-1", "Task/task-tom-delinde-mrc-2", "Task/task-tom-delinde-phq-9"];
const BERK_TOM = ["Task/task-tom-fysiodeberk-ademhaling", "Task/task-tom-fysiodeberk-mrc-start"];

let sandbox: Sandbox;
let linde: string;
let berk: string;
let tomLinde: string;
let tomBerk: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  linde = await systemToken(sandbox, "his-delinde");
  berk = await systemToken(sandbox, "epd-deberk");
  tomLinde = (await collectTokens(sandbox, { scope: "delinde", bsn: TOM })).access_token;
  tomBerk = (await collectTokens(sandbox, { scope: "fysiodeberk", bsn: TOM })).access_token;
});
afterAll(() => sandbox.stop());

async function exchange(subjectToken: string, task: string, scope: string, audience = "zorgmodules-zorgnet") {
  const res = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: subjectToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code", audience, scope,
      smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule" }) }) });
  return { status: res.status, body: await res.json() as Json };
}

describe("consent is per zorgaanbieder, also on a shared DVA (item 1)", () => {
  test("the default network has two zorgaanbieders on DVA zorgnet, both on the register's lists", async () => {
    const zal = await (await fetch(`${sandbox.url("register")}/MedMij_Zorgaanbiederslijst.xml`)).text();
    for (const name of ["delinde@medmij", "fysiodeberk@medmij"]) expect(zal).toContain(`<Zorgaanbiedernaam>${name}</Zorgaanbiedernaam>`);
    const network = await (await fetch(`${sandbox.url()}/api/network`)).json() as Json;
    expect(network.zorgaanbieders.filter((z: Json) => z.dva === "zorgnet").map((z: Json) => z.name)).toEqual(["delinde@medmij", "fysiodeberk@medmij"]);
  });

  test("a PGO token sees only its zorgaanbieder's Tasks of the patient", async () => {
    expect(matchIds((await fhir(sandbox, tomLinde, "GET", "Task?_count=100")).json)).toEqual(LINDE_TOM);
    expect(matchIds((await fhir(sandbox, tomBerk, "GET", "Task?_count=100")).json)).toEqual(BERK_TOM);
    // By id, with includes, through history: another zorgaanbieder's Task is absent.
    expect((await fhir(sandbox, tomLinde, "GET", "Task/task-tom-fysiodeberk-ademhaling")).status).toBe(404);
    expect((await fhir(sandbox, tomLinde, "GET", "Task/task-tom-fysiodeberk-ademhaling/_history")).status).toBe(404);
    expect((await fhir(sandbox, tomLinde, "GET", "Task/task-tom-fysiodeberk-ademhaling/_history/1")).status).toBe(404);
    expect((await fhir(sandbox, tomBerk, "GET", "Task/task-tom-delinde-intake")).status).toBe(404);
    const withCatalogue = await fhir(sandbox, tomBerk, "GET", "Task?_include=Task:digital-activity&_include=Task:based-on&_count=100");
    const included = (withCatalogue.json.entry as Json[]).filter((e) => e.search.mode === "include").map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(included.length).toBeGreaterThan(0);
    expect(included.every((r) => r.includes("fysiodeberk"))).toBe(true);
  });

  test("the catalogue, organisations and people of the other zorgaanbieder are absent too", async () => {
    for (const path of ["ActivityDefinition/ad-delinde-copd-intake", "Endpoint/endpoint-zorgmodules-delinde", "Organization/org-delinde",
      "PractitionerRole/role-dehaard", "Practitioner/practitioner-dehaard", "ServiceRequest/plan-tom-delinde-copd"]) {
      expect([path, (await fhir(sandbox, tomBerk, "GET", path)).status]).toEqual([path, 404]);
      expect([path, (await fhir(sandbox, tomLinde, "GET", path)).status]).toEqual([path, 200]);
    }
    const ads = matchIds((await fhir(sandbox, tomBerk, "GET", "ActivityDefinition?_count=100")).json);
    expect(ads).toEqual(["ActivityDefinition/ad-fysiodeberk-ademhalingsoefeningen", "ActivityDefinition/ad-fysiodeberk-mrc-dyspnoe"]);
    // The instruments the DVA shares (seeded Questionnaires, no owner) stay readable for both.
    for (const token of [tomLinde, tomBerk]) expect((await fhir(sandbox, token, "GET", "Questionnaire/mrc-dyspnoe")).status).toBe(200);
    // Both consents read the same Patient (one person, one Patient).
    for (const token of [tomLinde, tomBerk]) expect((await fhir(sandbox, token, "GET", "Patient/patient-tom")).status).toBe(200);
  });

  test("a QuestionnaireResponse belongs to its Task's zorgaanbieder", async () => {
    const qr = { resourceType: "QuestionnaireResponse", status: "completed", questionnaire: "https://medmij-sandbox.example/fhir/Questionnaire/mrc-dyspnoe",
      subject: { reference: "Patient/patient-tom" }, extension: [{ url: EXT_QR_TASK, valueReference: { reference: "Task/task-tom-fysiodeberk-mrc-start" } }] };
    const created = await fhir(sandbox, berk, "POST", "QuestionnaireResponse", { body: qr });
    expect(created.status).toBe(201);
    expect((await fhir(sandbox, tomBerk, "GET", `QuestionnaireResponse/${created.json.id}`)).status).toBe(200);
    expect((await fhir(sandbox, tomLinde, "GET", `QuestionnaireResponse/${created.json.id}`)).status).toBe(404);
    expect(matchIds((await fhir(sandbox, tomLinde, "GET", "QuestionnaireResponse?_count=100")).json)).not.toContain(`QuestionnaireResponse/${created.json.id}`);
  });

  test("the token exchange refuses a Task of another zorgaanbieder, saying why", async () => {
    const refused = await exchange(tomLinde, "task-tom-fysiodeberk-ademhaling", "delinde");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_request");
    expect(refused.body.error_description).toContain("andere zorgaanbieder");
    expect(refused.body.error_description).toContain("Huisartsenpraktijk De Linde");
    const fine = await exchange(tomBerk, "task-tom-fysiodeberk-ademhaling", "fysiodeberk");
    expect(fine.status).toBe(200);
    expect(fine.body.access_token).toBeString();
  });

  test("in the PGO, Tom connects each zorgaanbieder of zorgnet separately and sees each one's tasks under its own name", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    await pgoConnect(sandbox, tom, "delinde@medmij", TOM);
    let page = await (await get(`${sandbox.url("pgo")}/taken`, { headers: { cookie: tom } })).text();
    expect(page).toContain("Intakevragenlijst kortademigheid");
    expect(page).not.toContain("Oefenprogramma: ademhalingsoefeningen");
    await pgoConnect(sandbox, tom, "fysiodeberk@medmij", TOM);
    page = await (await get(`${sandbox.url("pgo")}/taken`, { headers: { cookie: tom } })).text();
    expect(page).toContain("Oefenprogramma: ademhalingsoefeningen");
    expect(page).toContain("Fysiotherapie De Berk");
    expect(page).toContain("/taken/fysiodeberk%40medmij/task-tom-fysiodeberk-ademhaling");
    expect(page).not.toContain("/taken/delinde%40medmij/task-tom-fysiodeberk");
    const connections = await (await get(`${sandbox.url("pgo")}/verbindingen`, { headers: { cookie: tom } })).text();
    expect(connections).toContain("Huisartsenpraktijk De Linde");
    expect(connections).toContain("Fysiotherapie De Berk");
    // Two consents at the one DVA, one per zorgaanbieder.
    const consents = sandbox.ctx.db.query<{ zorgaanbieder: string }, []>("SELECT DISTINCT zorgaanbieder FROM dva_consent WHERE dva = 'zorgnet' AND withdrawn_at IS NULL ORDER BY 1").all();
    expect(consents.map((c) => c.zorgaanbieder)).toEqual(["delinde@medmij", "fysiodeberk@medmij"]);
  });
});

describe("catalogue and people are owned (item 1)", () => {
  const task = (extra: Json) => ({ resourceType: "Task", status: "requested", intent: "order", for: { reference: "Patient/patient-tom" }, ...extra });

  test("a system client cannot write another organisation's catalogue, roles or organisation", async () => {
    const ad = (await fhir(sandbox, linde, "GET", "ActivityDefinition/ad-delinde-mrc-dyspnoe")).json;
    expect((await fhir(sandbox, berk, "PUT", "ActivityDefinition/ad-delinde-mrc-dyspnoe", { body: { ...ad, title: "overgenomen" } })).status).toBe(404);
    const { id: _id, meta: _meta, ...copy } = ad;
    const viaEndpoint = await fhir(sandbox, berk, "POST", "ActivityDefinition", { body: { ...copy, url: "urn:x:1" } });
    expect(viaEndpoint.status).toBe(403);
    expect(viaEndpoint.json.issue[0].diagnostics).toContain("andere zorgaanbieder");
    const byPublisher = await fhir(sandbox, berk, "POST", "ActivityDefinition", { body: { resourceType: "ActivityDefinition", status: "active", url: "urn:x:2",
      publisher: "Huisartsenpraktijk De Linde" } });
    expect(byPublisher.status).toBe(403);
    expect((await fhir(sandbox, berk, "POST", "Endpoint", { body: { resourceType: "Endpoint", status: "active", address: "http://module.localhost/x",
      connectionType: { code: "hl7-fhir-rest" }, payloadType: [{ text: "any" }], managingOrganization: { reference: "Organization/org-delinde" } } })).status).toBe(403);
    expect((await fhir(sandbox, berk, "POST", "Organization", { body: { resourceType: "Organization", name: "Nep De Linde",
      identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/agb-z", value: "01012345" }] } })).status).toBe(403);
    expect((await fhir(sandbox, berk, "POST", "PractitionerRole", { body: { resourceType: "PractitionerRole",
      organization: { reference: "Organization/org-delinde" } } })).status).toBe(403);
    // Its own: fine, and then the other cannot see it.
    const own = await fhir(sandbox, berk, "POST", "ActivityDefinition", { body: { resourceType: "ActivityDefinition", status: "active", url: "urn:x:3",
      publisher: "Fysiotherapie De Berk", title: "Eigen module" } });
    expect(own.status).toBe(201);
    expect((await fhir(sandbox, linde, "GET", `ActivityDefinition/${own.json.id}`)).status).toBe(404);
  });

  test("what nobody owns is the creator's; the DVA's shared instruments nobody may change", async () => {
    const created = await fhir(sandbox, berk, "POST", "Questionnaire", { body: { resourceType: "Questionnaire", status: "draft", url: "urn:x:berk-q" } });
    expect(created.status).toBe(201);
    expect((await fhir(sandbox, berk, "GET", `Questionnaire/${created.json.id}`)).status).toBe(200);
    expect((await fhir(sandbox, linde, "GET", `Questionnaire/${created.json.id}`)).status).toBe(404);
    expect((await fhir(sandbox, tomLinde, "GET", `Questionnaire/${created.json.id}`)).status).toBe(404);
    const shared = (await fhir(sandbox, linde, "GET", "Questionnaire/mrc-dyspnoe")).json;
    for (const token of [linde, berk]) {
      const res = await fhir(sandbox, token, "PUT", "Questionnaire/mrc-dyspnoe", { body: { ...shared, title: "gewijzigd" } });
      expect(res.status).toBe(403);
      expect(res.json.issue[0].diagnostics).toContain("niet van uw organisatie");
    }
    expect((await fhir(sandbox, linde, "GET", "Questionnaire/mrc-dyspnoe")).json.title).toBe(shared.title);
  });

  test("a Task's or ServiceRequest's requester and owner must be the caller's own", async () => {
    for (const extra of [{ requester: { reference: "PractitionerRole/role-dehaard" } }, { requester: { reference: "Organization/org-delinde" } },
      { requester: { reference: "Practitioner/practitioner-dehaard" } }, { requester: { reference: "PractitionerRole/role-jansen" }, owner: { reference: "PractitionerRole/role-dehaard" } }]) {
      const res = await fhir(sandbox, berk, "POST", "Task", { body: task(extra) });
      expect([JSON.stringify(extra), res.status]).toEqual([JSON.stringify(extra), 403]);
    }
    expect((await fhir(sandbox, berk, "POST", "ServiceRequest", { body: { resourceType: "ServiceRequest", status: "active", intent: "plan",
      subject: { reference: "Patient/patient-tom" }, requester: { reference: "PractitionerRole/role-dehaard" } } })).status).toBe(403);
    const own = await fhir(sandbox, berk, "POST", "Task", { body: task({ requester: { reference: "PractitionerRole/role-jansen" } }) });
    expect(own.status).toBe(201);
    // Patching its own Task over to the other organisation is the same write.
    const moved = await fhir(sandbox, berk, "PATCH", `Task/${own.json.id}`, { body: [{ op: "replace", path: "/requester", value: { reference: "PractitionerRole/role-dehaard" } }],
      headers: { "content-type": "application/json-patch+json" } });
    expect(moved.status).toBe(403);
    // A Task whose references name no organisation is its creator's: invisible to the other, also through a PGO token.
    const anonymous = await fhir(sandbox, berk, "POST", "Task", { body: task({ requester: { reference: "PractitionerRole/does-not-exist" } }) });
    expect(anonymous.status).toBe(201);
    expect((await fhir(sandbox, linde, "GET", `Task/${anonymous.json.id}`)).status).toBe(404);
    expect((await fhir(sandbox, tomLinde, "GET", `Task/${anonymous.json.id}`)).status).toBe(404);
    expect((await fhir(sandbox, tomBerk, "GET", `Task/${anonymous.json.id}`)).status).toBe(200);
  });

  test("a system client sees a Patient only when the person has a relation with its organisation", async () => {
    // Koos is a patient of De Linde (and GGZ Oostland elsewhere), not of De Berk.
    expect((await fhir(sandbox, berk, "GET", "Patient/patient-koos")).status).toBe(404);
    expect((await fhir(sandbox, berk, "GET", "Patient/patient-tom")).status).toBe(200);
    const names = matchIds((await fhir(sandbox, berk, "GET", "Patient?_count=100")).json);
    expect(names).toContain("Patient/patient-tom");
    expect(names).not.toContain("Patient/patient-koos");
    expect(names).not.toContain("Patient/patient-sanne");
    expect((await fhir(sandbox, berk, "GET", `Patient?identifier=${BSN_SYSTEM}|${KOOS}`)).json.total).toBe(0);
    expect((await fhir(sandbox, berk, "GET", "Task?patient=Patient/patient-koos")).json.total).toBe(0);
  });
});

describe("one person, one Patient (item 2)", () => {
  const patient = (bsn: string, extra: Json = {}) => ({ resourceType: "Patient", identifier: [{ system: BSN_SYSTEM, value: bsn }],
    name: [{ family: "Dubbel", given: ["Dirk"] }], ...extra });

  test("a second Patient with a BSN the DVA knows is refused, naming the one that holds it", async () => {
    const res = await fhir(sandbox, linde, "POST", "Patient", { body: patient(TOM) });
    expect(res.status).toBe(409);
    expect(res.json.issue[0].code).toBe("duplicate");
    expect(res.json.issue[0].diagnostics).toContain("Patient/patient-tom");
    // Also by update: another Patient taking that BSN, and create-on-update.
    const sanne = (await fhir(sandbox, linde, "GET", "Patient/patient-sanne")).json;
    // Sanne's Patient taking Tom's BSN: a BSN does not change (and it is taken).
    expect((await fhir(sandbox, linde, "PUT", "Patient/patient-sanne", { body: { ...sanne, identifier: [{ system: BSN_SYSTEM, value: TOM }] } })).status).toBe(422);
    expect((await fhir(sandbox, linde, "PUT", "Patient/dubbel-tom", { body: { ...patient(TOM), id: "dubbel-tom" } })).status).toBe(409);
    expect(new FhirStore(sandbox.ctx.db).findByIdentifier("zorgnet", "Patient", BSN_SYSTEM, TOM)).toHaveLength(1);
    // An update of the person's own Patient keeps its BSN: fine.
    expect((await fhir(sandbox, linde, "PUT", "Patient/patient-sanne", { body: { ...sanne, active: true } })).status).toBe(200);
  });

  test("registering a person the DVA knows links the organisation to that Patient (If-None-Exist on the BSN)", async () => {
    const ifNoneExist = { "if-none-exist": `identifier=${BSN_SYSTEM}|${KOOS}` };
    expect((await fhir(sandbox, berk, "POST", "Patient", { body: patient(KOOS) })).status).toBe(409);
    const linked = await fhir(sandbox, berk, "POST", "Patient", { body: patient(KOOS), headers: ifNoneExist });
    expect(linked.status).toBe(200);
    expect(linked.json.id).toBe("patient-koos");
    expect((await fhir(sandbox, berk, "GET", "Patient/patient-koos")).status).toBe(200);
    // Linking does not give De Berk De Linde's Tasks of Koos.
    expect((await fhir(sandbox, berk, "GET", "Task?patient=Patient/patient-koos")).json.total).toBe(0);
    expect(new FhirStore(sandbox.ctx.db).findByIdentifier("zorgnet", "Patient", BSN_SYSTEM, KOOS)).toHaveLength(1);
  });

  test("a database that already holds two Patients for one BSN: the token is refused rather than bound to a guess", async () => {
    const other = await startTestSandbox();
    try {
      // Written behind the FHIR server's back, as a database from before this rule could hold it.
      new FhirStore(other.ctx.db).save("zorgnet", { ...patient(TOM), id: "patient-tom-copy" });
      const { redirect } = await import("../helpers/dva.ts").then((m) => m.consentFlow(other, { bsn: TOM, kind: "once" }));
      const res = await fetch(`${other.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${other.url("pgo")}/auth_callback`, client_id: "pgo.localhost" }) });
      const body = await res.json() as Json;
      expect(res.status).toBe(400);
      expect(body.error).toBe("invalid_grant");
      expect(body.error_description).toContain("Patient/patient-tom, Patient/patient-tom-copy");
    } finally {
      await other.stop();
    }
  });
});

describe("history follows the read rule per version (item 6)", () => {
  test("a Task that moved from Koos to Tom shows each only their own versions", async () => {
    const koos = (await collectTokens(sandbox, { scope: "delinde", bsn: KOOS })).access_token;
    const before = (await fhir(sandbox, linde, "GET", "Task/task-koos-delinde-stress")).json;
    const moved = await fhir(sandbox, linde, "PUT", "Task/task-koos-delinde-stress", { body: { ...before, for: { reference: "Patient/patient-tom" },
      owner: { reference: "Patient/patient-tom" }, description: "Nu voor Tom" } });
    expect(moved.status).toBe(200);
    const current = Number(moved.json.meta.versionId);
    // Tom: the current version, none of Koos's.
    expect((await fhir(sandbox, tomLinde, "GET", "Task/task-koos-delinde-stress")).status).toBe(200);
    expect((await fhir(sandbox, tomLinde, "GET", `Task/task-koos-delinde-stress/_history/${current - 1}`)).status).toBe(404);
    const tomHistory = (await fhir(sandbox, tomLinde, "GET", "Task/task-koos-delinde-stress/_history")).json;
    expect(tomHistory.entry.map((e: Json) => e.resource.meta.versionId)).toEqual([String(current)]);
    expect(JSON.stringify(tomHistory)).not.toContain("patient-koos");
    // Koos: no longer the current version; his own earlier versions stay his.
    expect((await fhir(sandbox, koos, "GET", "Task/task-koos-delinde-stress")).status).toBe(404);
    expect((await fhir(sandbox, koos, "GET", `Task/task-koos-delinde-stress/_history/${current}`)).status).toBe(404);
    const koosHistory = (await fhir(sandbox, koos, "GET", "Task/task-koos-delinde-stress/_history")).json;
    expect(koosHistory.entry.length).toBe(current - 1);
    expect(JSON.stringify(koosHistory)).not.toContain("Nu voor Tom");
    // Another zorgaanbieder sees no version at all.
    expect((await fhir(sandbox, berk, "GET", "Task/task-koos-delinde-stress/_history")).status).toBe(404);
    expect((await fhir(sandbox, berk, "GET", "Task/task-koos-delinde-stress/_history/1")).status).toBe(404);
  });
});

describe("ownership cannot be claimed through another resource (pen test of issue 10)", () => {
  test("a PractitionerRole cannot claim another organisation's Practitioner", async () => {
    const res = await fhir(sandbox, berk, "POST", "PractitionerRole", { body: { resourceType: "PractitionerRole",
      practitioner: { reference: "Practitioner/practitioner-dehaard" }, organization: { reference: "Organization/org-fysiodeberk" } } });
    expect(res.status).toBe(422);
    expect(res.json.issue[0].expression).toEqual(["PractitionerRole.practitioner"]);
    expect((await fhir(sandbox, berk, "GET", "Practitioner/practitioner-dehaard")).status).toBe(404);
    const own = (await fhir(sandbox, linde, "GET", "Practitioner/practitioner-dehaard")).json;
    expect((await fhir(sandbox, linde, "PUT", "Practitioner/practitioner-dehaard", { body: own })).status).toBe(200);
  });

  test("a Task cannot create a relation with a patient the organisation does not know", async () => {
    const res = await fhir(sandbox, berk, "POST", "Task", { body: { resourceType: "Task", status: "requested", intent: "order",
      for: { reference: "Patient/patient-sanne" }, requester: { reference: "PractitionerRole/role-jansen" } } });
    expect(res.status).toBe(422);
    expect(res.json.issue[0].expression).toEqual(["Task.for"]);
    expect((await fhir(sandbox, berk, "GET", "Patient/patient-sanne")).status).toBe(404);
    expect((await fhir(sandbox, berk, "GET", "Task?_include=Task:patient&_count=200")).json.entry.some((e: Json) => e.resource.id === "patient-sanne")).toBe(false);
  });

  test("an Organization's name claims nothing: publishers are the network's zorgaanbieders", async () => {
    for (const name of ["MedMij Sandbox", "Huisartsenpraktijk De Linde"]) {
      const org = await fhir(sandbox, berk, "POST", "Organization", { body: { resourceType: "Organization", name,
        identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/agb-z", value: "04012345" }] } });
      expect(org.status).toBe(201);
    }
    // The shared instruments stay shared and unchangeable; De Linde's own stays De Linde's.
    const phq = (await fhir(sandbox, linde, "GET", "Questionnaire/phq-9")).json;
    expect((await fhir(sandbox, berk, "PUT", "Questionnaire/phq-9", { body: { ...phq, title: "Wat is uw pincode?" } })).status).toBe(403);
    for (const token of [linde, tomLinde]) expect((await fhir(sandbox, token, "GET", "Questionnaire/phq-9")).status).toBe(200);
    expect((await fhir(sandbox, berk, "GET", "Questionnaire/copd-intake")).status).toBe(404);
    const intake = (await fhir(sandbox, linde, "GET", "Questionnaire/copd-intake")).json;
    expect((await fhir(sandbox, linde, "PUT", "Questionnaire/copd-intake", { body: intake })).status).toBe(200);
  });

  test("a Patient carries one BSN, which does not change: no second Patient through a second identifier, no swap", async () => {
    const two = await fhir(sandbox, berk, "POST", "Patient", { body: { resourceType: "Patient",
      identifier: [{ system: BSN_SYSTEM, value: "123456782" }, { system: BSN_SYSTEM, value: TOM }] } });
    expect(two.status).toBe(422);
    expect(new FhirStore(sandbox.ctx.db).findByIdentifier("zorgnet", "Patient", BSN_SYSTEM, TOM)).toHaveLength(1);
    // De Berk knows Tom; it may correct his name, not give his Patient another person's BSN.
    const tom = (await fhir(sandbox, berk, "GET", "Patient/patient-tom")).json;
    const swapped = await fhir(sandbox, berk, "PUT", "Patient/patient-tom", { body: { ...tom, identifier: [{ system: BSN_SYSTEM, value: "123456782" }] } });
    expect(swapped.status).toBe(422);
    expect(swapped.json.issue[0].diagnostics).toContain("wijzigt niet");
    expect((await fhir(sandbox, berk, "PUT", "Patient/patient-tom", { body: { ...tom, identifier: [] } })).status).toBe(422);
    expect((await fhir(sandbox, berk, "PUT", "Patient/patient-tom", { body: { ...tom, active: true } })).status).toBe(200);
    // Tom still logs in as Tom.
    expect((await collectTokens(sandbox, { scope: "delinde", bsn: TOM })).patient).toBe("patient-tom");
  });
});

