import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { safeNext } from "../../src/shared/html.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const form = (path: string, cookies: string, body: Record<string, string>) => get(`${pgo()}${path}`, {
  method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });

async function page(path: string, cookies = "") {
  const res = await get(`${pgo()}${path}`, { headers: { cookie: cookies } });
  const html = await res.text();
  return { res, html, cookies: cookiesOf(res, cookies) };
}

describe("PGO accounts (AM-FE-016)", () => {
  test("not logged in → login page; seeded persona logs in, lands on next, logs out", async () => {
    expect((await get(`${pgo()}/`)).headers.get("location")).toBe("/login");
    const login = await page("/login?next=/verbind%3Fzorgaanbieder%3Ddelinde%40medmij");
    expect(login.html).toContain("Gebruikersnaam");
    expect(login.html).toContain("Account aanmaken");
    const wrong = await form("/login", login.cookies, { _csrf: hiddenInput(login.html, "_csrf"), next: hiddenInput(login.html, "next"), username: "tom", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("kennen we niet");
    const ok = await form("/login", login.cookies, { _csrf: hiddenInput(login.html, "_csrf"), next: hiddenInput(login.html, "next"), username: "Tom", password: "tom" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/verbind?zorgaanbieder=delinde@medmij");
    const setCookie = ok.headers.getSetCookie().join(";");
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    const cookies = cookiesOf(ok, login.cookies);
    expect((await get(`${pgo()}/`, { headers: { cookie: cookies } })).headers.get("location")).toBe("/taken");
    const home = await page("/taken", cookies);
    expect(home.html).toContain("Ingelogd als <strong>Tom van Duinen</strong>");
    const out = await form("/logout", cookies, { _csrf: hiddenInput(home.html, "_csrf") });
    expect(out.status).toBe(303);
    expect((await get(`${pgo()}/`, { headers: { cookie: cookies } })).headers.get("location")).toBe("/login");
  });

  test("create an account: validation messages, then logged in", async () => {
    const start = await page("/account?next=/");
    const submit = (body: Record<string, string>) => form("/account", start.cookies, { _csrf: hiddenInput(start.html, "_csrf"), next: "/", ...body });
    const bad = await submit({ name: "S", username: "a", password: "x", password2: "y" });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Vul je naam in");
    expect(html).toContain("Kies een gebruikersnaam");
    expect((await submit({ name: "Tom", username: "tom", password: "abc", password2: "abc" })).status).toBe(422); // taken
    expect((await submit({ name: "Sanne van Dijk", username: "sanne", password: "abc", password2: "abd" })).status).toBe(422);
    const ok = await submit({ name: "Sanne van Dijk", username: "sanne", password: "geheim", password2: "geheim" });
    expect(ok.status).toBe(303);
    expect((await page("/taken", cookiesOf(ok, start.cookies))).html).toContain("Ingelogd als <strong>Sanne van Dijk</strong>");
  });

  test("forms without a valid CSRF token are refused; output is escaped", async () => {
    const start = await page("/account");
    expect((await form("/account", start.cookies, { name: "x", username: "xyz", password: "abc", password2: "abc" })).status).toBe(403);
    expect((await form("/login", "", { username: "tom", password: "tom" })).status).toBe(403);
    const xss = await form("/account", start.cookies, { _csrf: hiddenInput(start.html, "_csrf"), next: "/", name: "<script>alert(1)</script>", username: "hacker", password: "abc", password2: "abc" });
    const escaped = (await page("/taken", cookiesOf(xss, start.cookies))).html;
    expect(escaped).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(escaped).not.toContain("<script>alert(1)</script>");
  });

  test("next is a path on this host only (no open redirect)", () => {
    expect(safeNext("/taken?x=1")).toBe("/taken?x=1");
    for (const bad of ["//evil.example/", "http://evil.example/", "/\\evil", "javascript:alert(1)", "", null, 42]) expect(safeNext(bad)).toBe("/");
  });
});
