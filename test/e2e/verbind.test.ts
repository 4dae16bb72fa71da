/**
 * Verbind.MedMij (issue 14 §2; SD 4.6, AM-FE-014/015): `/code/<ZAcode>` (or the name) names the
 * zorgaanbieder and lists only PGOs that support Aanbiedermodules, each linking to its deep link
 * with the zorgaanbieder preselected; an unknown code or a wrong check digit is a friendly 404;
 * a PGO registered at run time joins the list at once, one without modules does not; the
 * portal's invitation mail links here.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { verbindCodeOf, verbindCodeValid } from "../../src/shared/network.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/\s+/g, " ");
const codeOf = (name: string) => sandbox.ctx.network.zorgaanbieders.find((z) => z.name === name)!.verbindCode;
const register = (body: object) => fetch(`${sandbox.url()}/api/actors`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("Verbind.MedMij codes", () => {
  test("7 digits with a check digit; derived per zorgaanbieder, distinct; in /api/network", async () => {
    const codes = sandbox.ctx.network.zorgaanbieders.map((z) => z.verbindCode);
    for (const c of codes) expect(verbindCodeValid(c)).toBe(true);
    expect(new Set(codes).size).toBe(codes.length);
    expect(verbindCodeOf({ name: "delinde@medmij" })).toBe(codeOf("delinde@medmij"));
    // One wrong digit is caught by the check digit.
    const c = codes[0]!;
    expect(verbindCodeValid(`${(Number(c[0]) + 1) % 10}${c.slice(1)}`)).toBe(false);
    const n = await (await fetch(`${sandbox.url()}/api/network`)).json() as { zorgaanbieders: { name: string; verbindCode: string; verbindUrl: string }[] };
    expect(n.zorgaanbieders.find((z) => z.name === "delinde@medmij")).toMatchObject({ verbindCode: codeOf("delinde@medmij"),
      verbindUrl: `${sandbox.url("verbind")}/code/${codeOf("delinde@medmij")}` });
  });
});

describe("the Verbind.MedMij page", () => {
  test("names the zorgaanbieder and lists both PGOs that support modules, each with its deep link", async () => {
    const res = await get(`${sandbox.url("verbind")}/code/${codeOf("delinde@medmij")}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(text(html)).toContain("Taken van Huisartsenpraktijk De Linde openen");
    expect(html).toContain(`href="${sandbox.url("pgo")}/verbind?zorgaanbieder=delinde%40medmij"`);
    expect(html).toContain(`href="${sandbox.url("mijnzorgapp")}/verbind?zorgaanbieder=delinde%40medmij"`);
    expect(html).toContain('aria-label="Verder met MijnZorgApp"');
  });

  test("the zorgaanbiedernaam works too, with or without @medmij; a search by code redirects", async () => {
    for (const name of ["ggzoostland", "ggzoostland@medmij", "GGZOostland"]) {
      expect(text(await (await get(`${sandbox.url("verbind")}/code/${name}`)).text())).toContain("Taken van GGZ Oostland openen");
    }
    const search = await get(`${sandbox.url("verbind")}/?code=${codeOf("fysiodeberk@medmij")}`);
    expect(search.status).toBe(303);
    expect(search.headers.get("location")).toBe(`/code/${codeOf("fysiodeberk@medmij")}`);
  });

  test("an unknown code or a wrong check digit: a friendly 404 with a trace id", async () => {
    const c = codeOf("delinde@medmij");
    const wrong = `${c.slice(0, 6)}${(Number(c[6]) + 1) % 10}`;
    const bad = await get(`${sandbox.url("verbind")}/code/${wrong}`);
    expect(bad.status).toBe(404);
    const page = text(await bad.text());
    expect(page).toContain("controlecijfer");
    expect(page).toContain("Trace ID");
    for (const path of ["/code/niemand", "/code/%3Cscript%3E", "/code/0000000"]) {
      const res = await get(`${sandbox.url("verbind")}${path}`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("<script>");
    }
  });

  test("a PGO registered at run time joins at once; one that does not support modules is not offered", async () => {
    expect((await register({ kind: "pgo", host: "http://team-x.localhost:3000", displayName: "Team X PGO" })).status).toBe(201);
    expect((await register({ kind: "pgo", host: "http://team-y.localhost:3000", displayName: "Team Y PGO", aanbiedermodules: false })).status).toBe(201);
    const html = await (await get(`${sandbox.url("verbind")}/code/${codeOf("delinde@medmij")}`)).text();
    expect(html).toContain('href="http://team-x.localhost:3000/verbind?zorgaanbieder=delinde%40medmij"');
    expect(html).not.toContain("Team Y PGO");
    const api = await (await fetch(`${sandbox.url("verbind")}/api/pgos`)).json() as { pgos: { name: string }[] };
    expect(api.pgos.map((p) => p.name)).toEqual(["MijnGezondheid PGO", "MijnZorgApp", "Team X PGO"]);
  });

  test("a team's DVA whose zorgaanbieder's name holds markup is shown as text", async () => {
    const res = await register({ kind: "dva", id: "markupdva", name: "Markup DVA", authHost: "http://m.localhost:5000", fhirHost: "http://m.localhost:5001",
      zorgaanbieders: [{ name: "markup@medmij", displayName: "<img src=x onerror=alert(1)> Praktijk", agb: "87654321" }] });
    expect(res.status).toBe(201);
    const html = await (await get(`${sandbox.url("verbind")}/code/markup`)).text();
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x");
  });
});
