import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoConnect, pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");

const login = (username: string) => pgoLogin(sandbox, username);
const connect = (cookies: string, zorgaanbieder: string, bsn: string, kind: "once" | "long" = "long") => pgoConnect(sandbox, cookies, zorgaanbieder, bsn, kind);

const overview = async (cookies: string, query = "") => (await get(`${pgo()}/taken${query}`, { headers: { cookie: cookies } })).text();

describe("Taken van zorgaanbieders (SD 4.2.2, AM-FE-024/025/026/030/040)", () => {
  test("Tom: open tasks earliest first, with title, group label, provider, period; Klaar and Gestopt with the reason", async () => {
    const tom = await login("tom");
    await connect(tom, "delinde@medmij", "999991012");
    const html = await overview(tom);
    expect(html).toContain("<h1>Taken van zorgaanbieders</h1>");
    expect(html).toContain("applicatie start buiten MijnGezondheid PGO bij Zorgnet DVA");
    expect(html).toMatch(/bijgewerkt om \d\d:\d\d/);
    for (const title of ["Intakevragenlijst kortademigheid", "Informatie: leven met COPD", "Medicatieoverzicht controleren", "MRC-schaal kortademigheid"]) expect(html).toContain(title);
    expect(html).toContain("Diagnostiek kortademigheid (vermoeden COPD)");
    expect(html).toContain("Via de module ZorgModules");
    expect(html).toContain("Via de module Medicatiecheck");
    expect(html.indexOf("Informatie: leven met COPD")).toBeLessThan(html.indexOf("MRC-schaal kortademigheid")); // starts 3 days ago vs next week
    const klaar = await overview(tom, "?groep=klaar");
    expect(klaar).toContain("MRC-schaal kortademigheid");
    expect(klaar).not.toContain("Intakevragenlijst kortademigheid");
    const gestopt = await overview(tom, "?groep=gestopt");
    expect(gestopt).toContain("Vragenlijst stemming (PHQ-9)");
    expect(gestopt).toContain("Niet meer nodig: besproken tijdens het telefonisch consult.");
    const detail = await (await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake`, { headers: { cookie: tom } })).text();
    expect(detail).toContain("opent een applicatie buiten deze PGO, bij Zorgnet DVA, onder verantwoordelijkheid van Huisartsenpraktijk De Linde");
    expect(detail).toContain("Vul de vragenlijst in vóór uw afspraak");
    expect((await get(`${pgo()}/taken/delinde%40medmij/task-koos-delinde-stress`, { headers: { cookie: tom } })).status).toBe(404);
  });

  test("Koos sees the tasks of both providers in one overview, and can filter by provider", async () => {
    const koos = await login("koos");
    await connect(koos, "ggzoostland@medmij", "999991024");
    await connect(koos, "delinde@medmij", "999991024");
    const html = await overview(koos);
    expect(html).toContain("Vragenlijst angst (GAD-7)");
    expect(html).toContain("Informatie: omgaan met stress en spanning");
    const onlyGgz = await overview(koos, `?zorgaanbieder=${encodeURIComponent("ggzoostland@medmij")}`);
    expect(onlyGgz).toContain("Vragenlijst angst (GAD-7)");
    expect(onlyGgz).not.toContain("omgaan met stress");

    // SPEC §7: sort by provider, status or title; the group links keep the choice.
    const at = (page: string, text: string) => page.indexOf(text);
    const byProvider = await overview(koos, "?sorteer=zorgaanbieder");
    expect(at(byProvider, "Vragenlijst angst (GAD-7)")).toBeLessThan(at(byProvider, "Informatie: omgaan met stress en spanning")); // GGZ Oostland < Huisartsenpraktijk
    expect(byProvider).toContain('<option value="zorgaanbieder" selected>');
    expect(byProvider).toContain("groep=klaar&sorteer=zorgaanbieder");
    const byTitle = await overview(koos, "?sorteer=titel");
    expect(at(byTitle, "Informatie: omgaan met stress en spanning")).toBeLessThan(at(byTitle, "Vragenlijst angst (GAD-7)"));
    const byStatus = await overview(koos, "?sorteer=status");
    expect(at(byStatus, "Informatie: wat is een angststoornis?")).toBeGreaterThan(at(byStatus, "Vragenlijst angst (GAD-7)")); // aangevraagd < bezig
    expect(await overview(koos, "?sorteer=<script>")).toContain('<option value="datum" selected>');
  });

  test("Verversen is a full collection (issue 11 item 7), revalidated: a 304 when nothing changed; a change at the DVA shows up", async () => {
    const tom = await login("tom");
    const refresh = async () => {
      const html = await overview(tom);
      const res = await get(`${pgo()}/taken/verversen`, { method: "POST", headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf") }) });
      expect(res.status).toBe(303);
    };
    await refresh();
    await refresh();
    // "Verversen" asks for the whole set (so a Task the DVA no longer gives leaves the copy) and
    // revalidates it with If-None-Match; incremental collections (_lastUpdated=gt) are in pgo-reconcile.test.ts.
    const synced = sandbox.ctx.db.query<{ url: string | null; since: string | null }, []>("SELECT url, since FROM pgo_sync WHERE zorgaanbieder = 'delinde@medmij' AND url IS NOT NULL").all();
    expect(synced.length).toBeGreaterThan(0);
    expect(synced.every((r) => !(r.url ?? "").includes("_lastUpdated"))).toBe(true);
    const pgoLines = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.location === "pgo.localhost");
    const requests = pgoLines.filter((l) => l.event.type === "send_resource_request");
    expect(requests.length).toBeGreaterThan(0);
    const last = pgoLines.filter((l) => l.event.type === "receive_resource_response").at(-1)!;
    expect(last.response!.status).toBe(304);

    // The clinician cancels a task at the DVA; the next refresh brings it in.
    const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json()).access_token;
    const patched = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-mrc-2`, { method: "PATCH", headers: { authorization: `Bearer ${token}`,
      "content-type": "application/json-patch+json" }, body: JSON.stringify([{ op: "replace", path: "/status", value: "cancelled" }, { op: "add", path: "/statusReason", value: { text: "Controle vervalt" } }]) });
    expect(patched.status).toBe(200);
    await refresh();
    const gestopt = await overview(tom, "?groep=gestopt");
    expect(gestopt).toContain("Controle vervalt");
  });

  test("an expired one-time consent shows 'opnieuw toestemming geven'", async () => {
    const page = await get(`${pgo()}/account`);
    const html = await page.text();
    const created = await get(`${pgo()}/account`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), next: "/", name: "Sanne van Dijk", username: "sanne", password: "sanne", password2: "sanne" }) });
    const sanne = cookiesOf(created, cookiesOf(page));
    await connect(sanne, "delinde@medmij", "999991036", "once");
    expect(await overview(sanne)).toContain("MRC-schaal kortademigheid");
    setSystemTime(new Date(Date.now() + 20 * 60_000));
    try {
      const later = await overview(sanne);
      expect(later).toContain("opnieuw toestemming geven");
      expect(later).toContain("MRC-schaal kortademigheid"); // the PGO's own copy stays
    } finally {
      setSystemTime();
    }
  });
});

describe("week calendar (AM-FE-026)", () => {
  test("the current week shows the open tasks whose executionPeriod covers each day; navigation by week", async () => {
    const tom = await login("tom");
    const html = await overview(tom, "?weergave=week");
    expect(html).toContain("Week van maandag");
    expect(html).toContain("Intakevragenlijst kortademigheid");
    expect(html).not.toContain("Vragenlijst stemming (PHQ-9)"); // cancelled
    const next = /weergave=week(?:&amp;|&)week=(\d{4}-\d{2}-\d{2})"[^>]*>Volgende week/.exec(html)![1]!;
    const later = await overview(tom, `?weergave=week&week=${next}`);
    expect(later).toContain("Intakevragenlijst kortademigheid"); // runs until two weeks from now
    expect(later).not.toBe(html);
    expect((await get(`${pgo()}/taken?weergave=week&week=nonsense`, { headers: { cookie: tom } })).status).toBe(200);
  });
});

describe("period filter and periodic refresh", () => {
  test("van/tot keep tasks whose executionPeriod overlaps; the list refreshes itself with htmx", async () => {
    const tom = await login("tom");
    const html = await overview(tom);
    expect(html).toContain('hx-trigger="every 60s"');
    const far = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
    const later = await overview(tom, `?van=${far}`);
    expect(later).not.toContain("Intakevragenlijst kortademigheid");
    const today = new Date().toISOString().slice(0, 10);
    expect(await overview(tom, `?van=${today}&tot=${today}`)).toContain("Intakevragenlijst kortademigheid");
    expect((await get(`${pgo()}/taken?van=garbage&auto=1`, { headers: { cookie: tom, "HX-Request": "true" } })).status).toBe(200);
  });
});
