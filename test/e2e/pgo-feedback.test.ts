/**
 * Feedback in the PGO (issue 12 §3): "Ontkoppelen" asks first and says what it revokes (a page of
 * its own, no JavaScript needed); "Verversen" shows it is busy (htmx indicator, a plain POST
 * without JavaScript); a task the clinician sets out appears within a minute while the overview is
 * open (its htmx refresh every 60 s asks with `auto`, which collects once the copy is 55 s old).
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
const pgo = () => sandbox.url("pgo");
const read = async (path: string) => (await get(`${pgo()}${path}`, { headers: { cookie: tom } })).text();

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoLogin(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
});
afterEach(() => { setSystemTime(); });
afterAll(() => sandbox.stop());

describe("Ontkoppelen asks first", () => {
  test("the connections page links to a confirmation that says what is revoked; only its POST disconnects", async () => {
    const list = await read("/verbindingen");
    expect(list).toContain('href="/verbindingen/ontkoppelen?zorgaanbieder=delinde%40medmij"');
    expect(list).toContain('aria-label="Ontkoppelen van Huisartsenpraktijk De Linde"');
    expect(list).not.toContain('action="/verbindingen/ontkoppelen"'); // no one-click disconnect

    const confirm = await read("/verbindingen/ontkoppelen?zorgaanbieder=delinde%40medmij");
    expect(confirm).toContain("Ontkoppelen van Huisartsenpraktijk De Linde?");
    expect(confirm).toContain("Zorgnet DVA");
    expect(confirm).toContain("refresh token");
    expect(confirm).toContain("verwijdert MijnGezondheid PGO de taken van Huisartsenpraktijk De Linde");
    expect(confirm).toContain('<form method="post" action="/verbindingen/ontkoppelen"');
    expect(confirm).toContain(">Ja, ontkoppelen<");
    expect(confirm).toContain('href="/verbindingen">Annuleren<');
    // The GET changed nothing.
    expect(await read("/verbindingen")).toContain("Huisartsenpraktijk De Linde");
    // An unknown provider goes back to the list.
    const unknown = await get(`${pgo()}/verbindingen/ontkoppelen?zorgaanbieder=onbekend`, { headers: { cookie: tom } });
    expect(unknown.status).toBe(303);
    expect(unknown.headers.get("location")).toBe("/verbindingen");
  });
});

describe("Verversen shows it is busy", () => {
  test("an htmx POST with an indicator and a disabled button; without JavaScript a plain form POST", async () => {
    const html = await read("/taken");
    const form = /<form method="post" action="\/taken\/verversen"[^>]*>[\s\S]*?<\/form>/.exec(html)?.[0] ?? "";
    expect(form).toContain('hx-post="/taken/verversen"');
    expect(form).toContain('hx-indicator="#verversen-bezig"');
    expect(form).toContain('hx-disabled-elt="find button"');
    expect(form).toContain('id="verversen-bezig" class="busy hint" role="status"> Bezig met verversen…');
    const htmx = await get(`${pgo()}/taken/verversen`, { method: "POST", headers: { cookie: tom, "HX-Request": "true", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf") }) });
    expect(htmx.status).toBe(204);
    expect(htmx.headers.get("HX-Redirect")).toBe("/taken");
  });
});

describe("a newly assigned task appears while the overview is open", () => {
  test("the page refreshes #tasks every 60 s with auto=1, and that refresh collects a task set out after the last collection", async () => {
    const html = await read("/taken");
    expect(html).toContain('hx-trigger="every 60s" hx-select="#tasks" hx-swap="outerHTML" hx-vals="{&#34;auto&#34;:&#34;1&#34;}"');
    expect(html).not.toContain("Nieuw: ademhalingsdagboek");

    // The clinician sets out a new task at the DVA.
    const token = await systemToken(sandbox, "his-delinde");
    const intake = (await fhir(sandbox, token, "GET", "Task/task-tom-delinde-intake")).json;
    const created = await fhir(sandbox, token, "POST", "Task", { body: { ...intake, id: undefined, meta: { profile: intake.meta.profile, tag: intake.meta.tag },
      identifier: [{ system: "https://example.org/test", value: "nieuw-1" }], description: "Nieuw: ademhalingsdagboek" } });
    expect(created.status).toBe(201);

    // Within 55 s of the last collection the refresh shows the copy as it is…
    expect(await read("/taken?auto=1")).not.toContain("Nieuw: ademhalingsdagboek");
    // …and the refresh a minute after the page was opened collects it.
    setSystemTime(new Date(Date.now() + 61_000));
    const refreshed = await (await get(`${pgo()}/taken?auto=1`, { headers: { cookie: tom, "HX-Request": "true" } })).text();
    expect(refreshed).toContain("Nieuw: ademhalingsdagboek");
  });
});
