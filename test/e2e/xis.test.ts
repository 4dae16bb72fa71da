/**
 * The clinician portal over HTTP (SPEC §9, SD 3.1): log in, patients, assign a module weekly with
 * an instruction, the invitation in the cockpit mailbox, live status, cancel with a reason,
 * results with the scores of earlier rounds, organisation isolation, and a DVA that is down.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
const xis = () => sandbox.url("xis");
const FORM = { "content-type": "application/x-www-form-urlencoded" };

beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

async function login(username: string, password = username): Promise<string> {
  const page = await get(`${xis()}/login`);
  const jar = cookiesOf(page);
  const res = await get(`${xis()}/login`, { method: "POST", headers: { ...FORM, cookie: jar },
    body: new URLSearchParams({ _csrf: hiddenInput(await page.text(), "_csrf"), username, password, next: "/" }) });
  expect(res.status).toBe(303);
  return cookiesOf(res, jar);
}

async function open(path: string, jar: string): Promise<{ status: number; html: string; csrf: string }> {
  const res = await get(`${xis()}${path}`, { headers: { cookie: jar } });
  const html = await res.text();
  return { status: res.status, html, csrf: /name="_csrf"/.test(html) ? hiddenInput(html, "_csrf") : "" };
}

const post = (path: string, jar: string, fields: Record<string, string>) =>
  get(`${xis()}${path}`, { method: "POST", headers: { ...FORM, cookie: jar }, body: new URLSearchParams(fields) });

async function systemToken(client = "his-delinde", dva = "zorgnet") {
  const res = await fetch(`${sandbox.url(`auth.${dva}`)}/token`, { method: "POST", headers: { ...FORM,
    authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString("base64")}` }, body: "grant_type=client_credentials" });
  return (await res.json()).access_token as string;
}

async function fhir(path: string, token: string, init: RequestInit = {}) {
  return fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", ...(init.headers as Record<string, string> ?? {}) } });
}

describe("logging in", () => {
  test("a wrong password stays on the login page; the clinician's own login opens the patients", async () => {
    const page = await get(`${xis()}/login`);
    const html = await page.text();
    expect(html).toContain("Gebruikersnaam");
    expect(html).not.toContain("Account aanmaken");
    const wrong = await post("/login", cookiesOf(page), { _csrf: hiddenInput(html, "_csrf"), username: "dehaard", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("kennen we niet");
    expect((await get(`${xis()}/patienten`)).headers.get("location")).toStartWith("/login?next=");
    // A partial refresh by htmx takes the whole page to the login, and back to that page afterwards.
    const partial = await get(`${xis()}/patienten/patient-tom/taken`, { headers: { "HX-Request": "true", "HX-Current-URL": `${xis()}/patienten/patient-tom` } });
    expect(partial.status).toBe(204);
    expect(partial.headers.get("hx-redirect")).toBe(`/login?next=${encodeURIComponent("/patienten/patient-tom")}`);
    const jar = await login("dehaard");
    const patients = await open("/patienten", jar);
    expect(patients.status).toBe(200);
    for (const name of ["Tom van Duinen", "Koos de Groot", "Anna de Haard"]) expect(patients.html).toContain(name);
    const filtered = await (await get(`${xis()}/patienten/lijst?q=koos`, { headers: { cookie: jar } })).text();
    expect(filtered).toContain("Koos de Groot");
    expect(filtered).not.toContain("Tom van Duinen");
  });
});

describe("one click from the cockpit", () => {
  test("\"Start als Anna\" lands in the portal logged in; the ticket works once", async () => {
    const home = await get(`${sandbox.url()}/`);
    const html = await home.text();
    expect(html).toContain("Start als Anna");
    const start = await get(`${sandbox.url()}/clinicians/start`, { method: "POST", headers: { ...FORM, cookie: cookiesOf(home) },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), clinician: "dehaard" }) });
    expect(start.status).toBe(303);
    const ticketUrl = start.headers.get("location")!;
    expect(ticketUrl).toStartWith(`${xis()}/persona-login?ticket=`);
    const landed = await get(ticketUrl);
    expect(landed.headers.get("location")).toBe("/patienten");
    expect((await open("/patienten", cookiesOf(landed))).html).toContain("Anna de Haard, Huisarts");
    expect((await get(ticketUrl)).status).toBe(400);
  });
});

describe("assigning a module (SD 3.1)", () => {
  test("weekly × 3 with an instruction: a group plan, three Tasks in the ProviderTasks shape, the invitation in the mailbox, Tom's PGO token sees them", async () => {
    const jar = await login("dehaard");
    const page = await open("/patienten/patient-tom", jar);
    expect(page.status).toBe(200);
    // Only De Linde's catalogue (AM-FE-043/044), not GGZ Oostland's.
    expect(page.html).toContain('value="ad-delinde-mrc-dyspnoe"');
    expect(page.html).not.toContain("ad-ggzoostland");
    const res = await post("/patienten/patient-tom/taken", jar, { _csrf: page.csrf, module: "ad-delinde-mrc-dyspnoe", instructie: "Vul dit in <voor> de controle.",
      start: "2026-12-01", eind: "2026-12-07", herhalen: "week", aantal: "3", plan: "Controle COPD 2027", mail: "ja" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/patienten/patient-tom?klaargezet=3&uitnodiging");
    const after = await open(res.headers.get("location")!, jar);
    expect(after.html).toContain("3 taken zijn klaargezet en de uitnodiging is verstuurd");
    expect(after.html).toContain("Vul dit in &lt;voor&gt; de controle.");

    const token = await systemToken();
    const bundle = await (await fhir("Task?patient=Patient/patient-tom&_count=100", token)).json();
    const made = bundle.entry.map((e: { resource: Record<string, any> }) => e.resource).filter((t: Record<string, any>) => t.note?.[0]?.text === "Vul dit in <voor> de controle.");
    expect(made).toHaveLength(3);
    const starts = made.map((t: Record<string, any>) => t.executionPeriod.start).sort();
    // Dates are the clinician's Amsterdam days: 1 December 00:00 (+01:00), then a week later each.
    expect(starts).toEqual(["2026-11-30T23:00:00.000Z", "2026-12-07T23:00:00.000Z", "2026-12-14T23:00:00.000Z"]);
    expect(made.map((t: Record<string, any>) => t.executionPeriod.end).sort()[0]).toBe("2026-12-07T22:59:59.999Z");
    for (const t of made) {
      expect(t).toMatchObject({ status: "requested", intent: "order", for: { reference: "Patient/patient-tom" },
        requester: { reference: "PractitionerRole/role-dehaard" }, meta: { tag: [{ code: "urn:oid:2.16.528.1.1023.5.7" }] },
        basedOn: [{ display: "Controle COPD 2027" }] });
      expect(t.extension[0].valueReference.reference).toBe("ActivityDefinition/ad-delinde-mrc-dyspnoe");
    }
    const plan = await (await fhir(made[0].basedOn[0].reference, token)).json();
    expect(plan).toMatchObject({ resourceType: "ServiceRequest", intent: "plan", code: { text: "Controle COPD 2027" } });
    // Issue 15: the series' schedule and instruction as one pt-ExecutionOrder, the focus of all three.
    expect(new Set(made.map((t: Record<string, any>) => t.focus?.reference)).size).toBe(1);
    const order = await (await fhir(made[0].focus.reference, token)).json();
    expect(order).toMatchObject({ resourceType: "ServiceRequest", intent: "order", status: "active", meta: { profile: ["http://medmij.nl/fhir/StructureDefinition/pt-ExecutionOrder"] },
      occurrenceTiming: { repeat: { count: 3, frequency: 1, period: 1, periodUnit: "wk", boundsPeriod: { start: "2026-11-30T23:00:00.000Z" } } },
      patientInstruction: "Vul dit in <voor> de controle.", subject: { reference: "Patient/patient-tom" } });

    // The PGO's collection (Tom's own token) finds them: what the clinician set out reaches the patient.
    const tom = (await collectTokens(sandbox)).access_token;
    const collected = await (await fhir("Task?status:not=completed", tom)).json();
    const ids = collected.entry.map((e: { resource: { id: string } }) => e.resource.id);
    for (const t of made) expect(ids).toContain(t.id);

    const mails = (await (await fetch(`${sandbox.url()}/api/mail?to=tom%20van%20duinen`)).json()).mails;
    expect((await (await fetch(`${sandbox.url()}/api/mail?to=nobody`)).json()).mails).toEqual([]);
    const mail = mails[0];
    expect(mail.subject).toBe("Uitnodiging van Huisartsenpraktijk De Linde");
    expect(mail.recipient).toContain("Tom van Duinen");
    expect(mail.body).toContain("MRC-schaal kortademigheid (3 keer, elke week)");
    // Issue 14: the invitation links to Verbind.MedMij with De Linde's code, where Tom picks a PGO.
    const code = sandbox.ctx.network.zorgaanbieders.find((z) => z.name === "delinde@medmij")!.verbindCode;
    expect(mail.link).toBe(`${sandbox.url("verbind")}/code/${code}`);
    const shown = await (await fetch(`${sandbox.url()}/mailbox/${mail.id}`)).text();
    expect(shown).toContain("<svg");
    expect(shown).toContain(mail.link.replace("&", "&amp;"));
    expect(await (await fetch(`${sandbox.url()}/mailbox`)).text()).toContain(mail.subject);
  });

  test("the same form submitted twice (a double click, a retried POST) sets the tasks out once and mails once", async () => {
    const jar = await login("dehaard");
    const page = await open("/patienten/patient-sanne", jar);
    const request = hiddenInput(page.html, "aanvraag");
    expect(request).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const token = await systemToken();
    const count = async () => (await (await fhir("Task?patient=Patient/patient-sanne&_summary=count", token)).json()).total;
    const mails = async () => (await (await fetch(`${sandbox.url()}/api/mail?to=sanne`)).json()).mails.length;
    const [tasksBefore, mailsBefore] = [await count(), await mails()];
    const fields = { _csrf: page.csrf, aanvraag: request, module: "ad-delinde-phq-9", start: "2026-12-01", eind: "2026-12-07", herhalen: "week", aantal: "2", mail: "ja" };
    for (let i = 0; i < 2; i++) expect((await post("/patienten/patient-sanne/taken", jar, fields)).status).toBe(303);
    expect(await count()).toBe(tasksBefore + 2);
    expect(await mails()).toBe(mailsBefore + 1);
    // A new form is a new request.
    const next = await open("/patienten/patient-sanne", jar);
    expect(hiddenInput(next.html, "aanvraag")).not.toBe(request);
  });

  test("bad input gets the form back with Dutch messages (422); no CSRF token is 403; nothing is written", async () => {
    const jar = await login("dehaard");
    const page = await open("/patienten/patient-sanne", jar);
    const token = await systemToken();
    const count = async () => (await (await fhir("Task?patient=Patient/patient-sanne&_summary=count", token)).json()).total;
    const before = await count();
    for (const [fields, message] of [
      [{ module: "" }, "Kies een module uit de lijst."],
      [{ module: "ad-ggzoostland-gad-7" }, "Kies een module uit de lijst."],
      [{ eind: "2026-11-01" }, "De einddatum ligt voor de startdatum."],
      [{ start: "morgen" }, "Vul een geldige startdatum in."],
      [{ herhalen: "week", aantal: "13" }, "Kies 1 tot 12 keer."],
    ] as [Record<string, string>, string][]) {
      const res = await post("/patienten/patient-sanne/taken", jar, { _csrf: page.csrf, module: "ad-delinde-phq-9", start: "2026-12-01", eind: "2026-12-07", ...fields });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain(message);
    }
    expect((await post("/patienten/patient-sanne/taken", jar, { module: "ad-delinde-phq-9", start: "2026-12-01", eind: "2026-12-07" })).status).toBe(403);
    expect(await count()).toBe(before);
  });
});

describe("another zorgaanbieder on the same DVA (issue 10)", () => {
  test("De Berk's portal lists only its own patients; registering a person De Linde already has links, not duplicates", async () => {
    const jar = await login("jansen");
    const list = await open("/patienten", jar);
    expect(list.html).toContain("Tom van Duinen");
    expect(list.html).not.toContain("Koos de Groot");
    expect(list.html).not.toContain("Sanne van Dijk");
    expect((await open("/patienten/patient-koos", jar)).status).not.toBe(200);
    const linked = await post("/patienten", jar, { _csrf: list.csrf, voornaam: "Koos", achternaam: "de Groot", bsn: "999991024", geboortedatum: "1973-06-02", geslacht: "male" });
    expect(linked.headers.get("location")).toBe("/patienten/patient-koos?bestaat");
    const page = await open("/patienten/patient-koos?bestaat", jar);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Deze patiënt stond al bij de DVA");
    // De Berk sees the person, not De Linde's tasks for him.
    expect(page.html).toContain("Nog geen taken voor deze patiënt.");
    const koos = await (await fhir(`Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn|999991024`, await systemToken("his-delinde"))).json();
    expect(koos.total).toBe(1);
  });
});

describe("a new patient", () => {
  test("registered in the portal (BSN checked, one Patient per BSN), given a task, then found by DigiD and the PGO's collection", async () => {
    const jar = await login("dehaard");
    const list = await open("/patienten", jar);
    for (const [fields, message] of [
      [{ bsn: "123456789" }, "elfproef"],
      [{ voornaam: "" }, "Vul een voornaam in."],
      [{ geboortedatum: "2999-01-01" }, "niet in de toekomst"],
    ] as [Record<string, string>, string][]) {
      const bad = await post("/patienten", jar, { _csrf: list.csrf, voornaam: "Jan", achternaam: "Jansen", bsn: "999990019", geboortedatum: "1970-05-01", geslacht: "male", ...fields });
      expect(bad.status).toBe(422);
      expect(await bad.text()).toContain(message);
    }
    const bsn = "999990019";
    const added = await post("/patienten", jar, { _csrf: list.csrf, voornaam: "Jan", achternaam: "Jansen", bsn, geboortedatum: "1970-05-01", geslacht: "male" });
    expect(added.status).toBe(303);
    const location = added.headers.get("location")!;
    expect(location).toMatch(/^\/patienten\/[^?]+\?toegevoegd$/);
    const again = await post("/patienten", jar, { _csrf: list.csrf, voornaam: "Jan", achternaam: "Jansen", bsn, geboortedatum: "1970-05-01", geslacht: "male" });
    expect(again.headers.get("location")).toBe(location.replace("?toegevoegd", "?bestaat"));
    const patientId = decodeURIComponent(location.split("/")[2]!.split("?")[0]!);
    const page = await open(`/patienten/${encodeURIComponent(patientId)}`, jar);
    expect(page.html).toContain("Jan Jansen");
    expect((await post(`/patienten/${encodeURIComponent(patientId)}/taken`, jar, { _csrf: page.csrf, aanvraag: "nieuwe-patient-1", module: "ad-delinde-mrc-dyspnoe",
      start: "2026-11-01", eind: "2026-12-31", mail: "nee" })).status).toBe(303);
    // DigiD with the typed BSN finds the person at the DVA; the PGO's token collects the task.
    const { access_token } = await collectTokens(sandbox, { bsn });
    const bundle = await (await fhir("Task?status:not=completed", access_token)).json();
    expect(bundle.total).toBe(1);
    expect(bundle.entry[0].resource.for.reference).toBe(`Patient/${patientId}`);
  });
});

describe("following and cancelling (AM-FE-007/009/012)", () => {
  test("the task table refreshes itself; cancel needs a reason, which the DVA stores; a started task cannot be cancelled", async () => {
    const jar = await login("dehaard");
    const page = await open("/patienten/patient-tom", jar);
    // Paused while a cancel form is open by /_sandbox/pause-refresh.js (a trigger filter would need eval, which the CSP refuses).
    expect(page.html).toContain(`hx-trigger="every 10s" data-pause-while-open`);
    expect(page.html).toContain(`<script src="/_sandbox/pause-refresh.js" defer></script>`);
    const partial = await open("/patienten/patient-tom/taken", jar);
    expect(partial.html).toStartWith('<div id="taken"');
    // The SPEC §3 labels, the same as in the PGO (issue 12 §3: one set of Dutch status labels).
    expect(partial.html).toContain(">aangevraagd<");
    expect(partial.html).not.toContain("Klaargezet");

    const empty = await post("/taken/task-tom-delinde-medicatiecheck/annuleren", jar, { _csrf: page.csrf, patient: "patient-tom", reden: " " });
    expect(empty.status).toBe(422);
    const done = await post("/taken/task-tom-delinde-medicatiecheck/annuleren", jar, { _csrf: page.csrf, patient: "patient-tom", reden: "Besproken op het spreekuur." });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/patienten/patient-tom?geannuleerd");
    const task = await (await fhir("Task/task-tom-delinde-medicatiecheck", await systemToken())).json();
    expect(task).toMatchObject({ status: "cancelled", statusReason: { text: "Besproken op het spreekuur." } });
    const started = await post("/taken/task-tom-delinde-leven-met-copd/annuleren", jar, { _csrf: page.csrf, patient: "patient-tom", reden: "x" });
    expect(started.status).toBe(422);
    expect(await started.text()).toContain("nog niet is gestart");
  });
});

describe("results (AM-FE-006/013)", () => {
  test("a completed questionnaire shows its answers and, with earlier rounds, the scores as a chart", async () => {
    const token = await systemToken("ecd-ggzoostland", "ggzconnect");
    const ggz = (path: string, init: RequestInit = {}) => fetch(`${sandbox.url("fhir.ggzconnect")}/fhir/${path}`,
      { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", ...(init.headers as Record<string, string> ?? {}) } });
    // Koos finishes both GAD-7 rounds (as the module would: a response, then the Task completed with its score).
    const q = (await (await ggz("Questionnaire?url=" + encodeURIComponent((await (await ggz("ActivityDefinition/ad-ggzoostland-gad-7")).json())
      .extension.find((e: { valueCanonical?: string }) => e.valueCanonical).valueCanonical))).json()).entry[0].resource;
    for (const [task, total] of [["task-koos-ggzoostland-gad-7-1", 12], ["task-koos-ggzoostland-gad-7-2", 7]] as const) {
      const first = q.item.find((i: { type: string }) => i.type === "choice");
      const qr = await (await ggz("QuestionnaireResponse", { method: "POST", body: JSON.stringify({ resourceType: "QuestionnaireResponse", status: "completed",
        questionnaire: q.url, subject: { reference: "Patient/patient-koos" },
        item: [{ linkId: first.linkId, text: first.text, answer: [{ valueCoding: first.answerOption[2].valueCoding }] }] }) })).json();
      for (const ops of [[{ op: "replace", path: "/status", value: "in-progress" }],
        [{ op: "replace", path: "/status", value: "completed" }, { op: "add", path: "/output", value: [
          { type: { text: "QuestionnaireResponse" }, valueReference: { reference: `QuestionnaireResponse/${qr.id}` } },
          { type: { text: "Score (matige angst)" }, valueInteger: total }] }]]) {
        const res = await ggz(`Task/${task}`, { method: "PATCH", headers: { "content-type": "application/json-patch+json" }, body: JSON.stringify(ops) });
        expect(res.status).toBe(200);
      }
    }
    const jar = await login("vanrijn");
    const page = await open("/patienten/patient-koos", jar);
    expect(page.html).toContain("Resultaat van Vragenlijst angst (GAD-7)");
    // Organisation isolation: De Linde's task for Koos is not GGZ Oostland's business.
    expect(page.html).not.toContain("omgaan met stress");
    const result = await open("/taken/task-koos-ggzoostland-gad-7-2/resultaat", jar);
    expect(result.status).toBe(200);
    expect(result.html).toContain(q.item.find((i: { type: string }) => i.type === "choice").text);
    expect(result.html).toContain("<svg");
    expect(result.html).toContain("12 (matige angst)");
    expect(result.html).toContain("7 — matige angst");
    // The other organisation's clinician cannot open it.
    const other = await open("/taken/task-koos-ggzoostland-gad-7-2/resultaat", await login("dehaard"));
    expect(other.status).toBe(404);
  });
});

describe("bad input", () => {
  test("unknown ids are friendly 404 pages, another organisation's task cannot be cancelled, and login never redirects off the host", async () => {
    const jar = await login("vanrijn");
    for (const path of ["/patienten/nobody", "/patienten/..%2F..%2Fetc", "/taken/nothing/resultaat"]) {
      const res = await open(path, jar);
      expect(res.status).toBe(404);
      expect(res.html).toContain("Trace ID");
      expect(res.html).not.toMatch(/\bat [^\n<]*\.tsx?:\d+/);
    }
    const page = await open("/patienten/patient-koos", jar);
    // De Linde's task lives on the other DVA: for GGZ Oostland's portal it does not exist.
    const other = await post("/taken/task-koos-delinde-stress/annuleren", jar, { _csrf: page.csrf, patient: "patient-koos", reden: "x" });
    expect(other.status).toBe(422);
    expect(await other.text()).toContain("bestaat niet");
    const form = await get(`${xis()}/login?next=//evil.example/`);
    const res = await post("/login", cookiesOf(form), { _csrf: hiddenInput(await form.text(), "_csrf"), username: "vanrijn", password: "vanrijn", next: "https://evil.example/" });
    expect(res.headers.get("location")).toBe("/patienten");
  });
});

describe("when the DVA is down", () => {
  test("the portal shows a friendly page with a trace id, never a 500", async () => {
    const jar = await login("dehaard");
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dvaDown: "zorgnet" }) });
    try {
      const res = await open("/patienten/patient-tom", jar);
      expect(res.status).toBe(502);
      expect(res.html).toContain("Trace ID");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });
});
