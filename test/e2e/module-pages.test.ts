/**
 * The module's pages as people meet them (issue 12 §3): its own front page, the clinician's
 * instruction (Task.note, AM-FE-011), Medicatiecheck's medication list, "Volgende" that checks
 * its step, the primary action as the form's default button, and multiple choice with "Anders,
 * namelijk" stored as repeated answers and restored on the next launch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { postForm } from "../helpers/journey.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let delinde: { access_token: string; cookies: string };
beforeAll(async () => {
  sandbox = await startTestSandbox();
  delinde = await collectTokens(sandbox, { scope: "delinde" });
});
afterAll(() => sandbox.stop());

const module = () => sandbox.url("module");

/** "Taak starten" as the PGO does it: a launch code, the module's launch path, authorize with the DVA session, the callback. Returns the module's cookies. */
async function launch(task: string, o: { module?: "zorgmodules" | "medicatiecheck"; consent?: { access_token: string; cookies: string }; scope?: string } = {}): Promise<string> {
  const consent = o.consent ?? delinde;
  const exchange = await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: consent.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
      audience: `${o.module ?? "zorgmodules"}-zorgnet`, scope: o.scope ?? "delinde", smart_launch_context: JSON.stringify({ resource: `Task/${task}`, intent: "startmodule" }) }) })).json() as { access_token: string };
  const path = o.module === "medicatiecheck" ? "/secure/launch" : "/launch";
  const start = await get(`${module()}${path}?iss=${encodeURIComponent(`${sandbox.url("fhir.zorgnet")}/fhir`)}&launch=${encodeURIComponent(exchange.access_token)}`);
  expect(start.status).toBe(303);
  const authorized = await get(start.headers.get("location")!, { headers: { cookie: consent.cookies } });
  const callback = await get(authorized.headers.get("location")!, { headers: { cookie: cookiesOf(start) } });
  expect(callback.headers.get("location")).toBe("/taak");
  return cookiesOf(callback, cookiesOf(start));
}

async function page(cookies: string, path = "/taak"): Promise<{ html: string; cookies: string; csrf: string }> {
  const res = await get(`${module()}${path}`, { headers: { cookie: cookies } });
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, cookies: cookiesOf(res, cookies), csrf: hiddenInput(html, "_csrf") };
}

/** The submit buttons of the questionnaire form, in document order: [action value, text]. */
const submitButtons = (html: string) => [...html.slice(html.indexOf('action="/taak/opslaan"'), html.indexOf('action="/terug"'))
  .matchAll(/<button type="submit" name="action" value="([a-z]+)"[^>]*>([^<]*)<\/button>/g)].map((m) => [m[1], m[2]]);

describe("the module host's front page", () => {
  test("says what this is and that a module starts from a PGO, and names the modules here — not an error page", async () => {
    const res = await get(`${module()}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Aanbiedermodules</h1>");
    expect(html).toContain("vanuit uw PGO");
    expect(html).toContain("ZorgModules");
    expect(html).toContain("Medicatiecheck");
    expect(html).toContain(`${module()}/secure/launch`);
    expect(html).not.toContain("De module kan niet starten");
    expect(html).not.toContain('role="alert"');
  });
});

describe("the clinician's instruction (Task.note, AM-FE-011)", () => {
  test("on a questionnaire's page", async () => {
    const { html } = await page(await launch("task-tom-delinde-intake"));
    expect(html).toContain("Instructie van uw zorgverlener:");
    expect(html).toContain("Vul de vragenlijst in vóór uw afspraak. Het kost ongeveer 10 minuten; u kunt tussentijds opslaan.");
  });

  test("on an information module's page; a task without a note shows none", async () => {
    const deberk = await collectTokens(sandbox, { scope: "fysiodeberk" });
    const { html } = await page(await launch("task-tom-fysiodeberk-ademhaling", { consent: deberk, scope: "fysiodeberk" }));
    expect(html).toContain("Lees de uitleg en doe de oefening voor onze eerste afspraak.");
    const plain = await page(await launch("task-tom-delinde-leven-met-copd"));
    expect(plain.html).not.toContain("Instructie van uw zorgverlener");
  });

  test("a note is text, escaped (after the check without a note above)", async () => {
    const system = await systemToken(sandbox, "his-delinde");
    const task = (await fhir(sandbox, system, "GET", "Task/task-tom-delinde-leven-met-copd")).json as Json;
    const changed = await fhir(sandbox, system, "PUT", "Task/task-tom-delinde-leven-met-copd", { body: { ...task, note: [{ text: "Lees dit <b>rustig</b> door." }] } });
    expect(changed.status).toBe(200);
    const { html } = await page(await launch("task-tom-delinde-leven-met-copd"));
    expect(html).toContain("Lees dit &lt;b&gt;rustig&lt;/b&gt; door.");
  });
});

describe("Medicatiecheck shows the medication list it promises", () => {
  test("the seed's list as a table with a header row", async () => {
    const { html } = await page(await launch("task-tom-delinde-medicatiecheck", { module: "medicatiecheck" }));
    expect(html).toContain("Medicatieoverzicht controleren");
    const table = html.slice(html.indexOf("<table>"), html.indexOf("</table>"));
    expect(table).toContain('<th scope="col">Medicijn</th>');
    expect(table).toContain('<th scope="col">Sterkte</th>');
    expect(table).toContain("<td>Salbutamol inhalator</td>");
    expect(table).toContain("<td>Tiotropium inhalator</td>");
    expect(table).not.toContain("|");
    expect(html).toContain("Gelezen");
  });
});

describe("the questionnaire form and the keyboard", () => {
  test("the primary action is the form's default button (the first submit button), the visible order stays", async () => {
    const cookies = await launch("task-tom-delinde-intake");
    const first = await page(cookies);
    expect(submitButtons(first.html)).toEqual([["next", "Volgende"], ["save", "Tussentijds opslaan"], ["next", "Volgende"]]);
    // The first one is out of sight and out of the tab order and the accessibility tree.
    expect(first.html).toMatch(/<button type="submit" name="action" value="next" tabindex="-1" aria-hidden="true" style="position:absolute;/);
    const step2 = await page(cookies, "/taak?stap=2");
    expect(submitButtons(step2.html)).toEqual([["next", "Volgende"], ["prev", "Vorige"], ["save", "Tussentijds opslaan"], ["next", "Volgende"]]);
    const last = await page(cookies, "/taak?stap=4");
    expect(submitButtons(last.html)).toEqual([["finish", "Afronden"], ["prev", "Vorige"], ["save", "Tussentijds opslaan"], ["finish", "Afronden"]]);
  });

  test("Volgende checks the step's required questions, with the Dutch messages, and keeps what was typed", async () => {
    const cookies = await launch("task-tom-delinde-intake");
    const { csrf, cookies: jar } = await page(cookies);
    const blocked = await postForm(`${module()}/taak/opslaan`, jar, { _csrf: csrf, action: "next", stap: "1", "intake-beroep": "Timmerman", "intake-lengte": "1,80" });
    expect(blocked.status).toBe(422);
    const html = await blocked.text();
    expect(html).toContain("Stap 1 van 4");
    expect(html).toContain("Nog niet alles is goed ingevuld (2).");
    expect(html).toContain("Vul een heel getal in, zonder komma.");
    expect(html).toContain("Deze vraag is verplicht.");
    expect(html).toContain('value="Timmerman"');
    // Only this step: step 3's required questions do not stop step 1.
    const next = await postForm(`${module()}/taak/opslaan`, jar, { _csrf: csrf, action: "next", stap: "1", "intake-lengte": "180", "intake-gewicht": "80" });
    expect(next.status).toBe(303);
    expect(next.headers.get("location")).toBe("/taak?stap=2");
    // Vorige never blocks.
    const back = await postForm(`${module()}/taak/opslaan`, jar, { _csrf: csrf, action: "prev", stap: "2" });
    expect(back.headers.get("location")).toBe("/taak?stap=1");
  });
});

describe("multiple choice with 'Anders, namelijk' (repeats + open-choice)", () => {
  test("checkboxes and a text field; stored as repeated answers; restored on the next launch", async () => {
    let cookies = await launch("task-tom-delinde-intake");
    let step4 = await page(cookies, "/taak?stap=4");
    const fieldset = step4.html.slice(step4.html.indexOf("Bij welke activiteiten"), step4.html.indexOf("</fieldset>", step4.html.indexOf("Bij welke activiteiten")));
    expect(fieldset.match(/type="checkbox" id="q-intake-beperkingen-\d+" name="intake-beperkingen"/g)).toHaveLength(6);
    expect(fieldset).not.toContain('type="radio"');
    expect(fieldset).toContain('<label for="q-intake-beperkingen-anders">Anders, namelijk</label>');
    expect(fieldset).toContain('type="text" id="q-intake-beperkingen-anders" name="intake-beperkingen" value=""');

    // Two boxes and own words, as a browser posts them: the same name three times (and the empty text field of another question).
    const body = new URLSearchParams([["_csrf", step4.csrf], ["stap", "4"], ["action", "save"],
      ["intake-beperkingen", "act-wandelen"], ["intake-beperkingen", "act-huishouden"], ["intake-beperkingen", "Tuinieren"], ["intake-traplopen", "trap-daarna-rust"]]);
    const saved = await get(`${module()}/taak/opslaan`, { method: "POST", headers: { cookie: step4.cookies, "content-type": "application/x-www-form-urlencoded" }, body });
    expect(saved.status).toBe(303);

    const system = await systemToken(sandbox, "his-delinde");
    const stored = (await fhir(sandbox, system, "GET", "QuestionnaireResponse?task=Task/task-tom-delinde-intake")).json.entry[0].resource as Json;
    const answer = (stored.item as Json[]).flatMap((g) => g.item ?? []).find((i: Json) => i.linkId === "intake-beperkingen").answer;
    expect(answer).toEqual([{ valueCoding: expect.objectContaining({ code: "act-wandelen" }) }, { valueCoding: expect.objectContaining({ code: "act-huishouden" }) },
      { valueString: "Tuinieren" }]);

    // The next launch: the boxes are ticked again and the own words are back in the text field.
    cookies = await launch("task-tom-delinde-intake");
    step4 = await page(cookies, "/taak?stap=4");
    expect(step4.html).toMatch(/name="intake-beperkingen" value="act-wandelen" checked/);
    expect(step4.html).toMatch(/name="intake-beperkingen" value="act-huishouden" checked/);
    expect(step4.html).not.toMatch(/name="intake-beperkingen" value="act-fietsen" checked/);
    expect(step4.html).toContain('id="q-intake-beperkingen-anders" name="intake-beperkingen" value="Tuinieren"');
    // On another step they travel as hidden fields, one per value.
    const step1 = await page(cookies, "/taak?stap=1");
    expect(step1.html.match(/type="hidden" name="intake-beperkingen"/g)).toHaveLength(3);
  });

  test("a single open-choice (radio buttons) takes own words, but not both", async () => {
    const cookies = await launch("task-tom-delinde-intake");
    const step3 = await page(cookies, "/taak?stap=3");
    expect(step3.html).toContain('id="q-intake-slijm-anders" name="intake-slijm"');
    expect(step3.html).toMatch(/type="radio" id="q-intake-slijm-0" name="intake-slijm"/);
    const body = new URLSearchParams([["_csrf", step3.csrf], ["stap", "3"], ["action", "next"], ["intake-klachten-sinds", "2024-01-01"], ["intake-hoesten", "hoest-soms"],
      ["intake-piepen", "false"], ["intake-opname", "opname-nee"], ["intake-slijm", "slijm-wit"], ["intake-slijm", "doorzichtig"]]);
    const res = await get(`${module()}/taak/opslaan`, { method: "POST", headers: { cookie: step3.cookies, "content-type": "application/x-www-form-urlencoded" }, body });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Kies één antwoord of vul zelf iets in, niet allebei.");
  });
});
