/**
 * The invitation link and the login page say who is logged in and which invitation it is (issue 12
 * §3), so an invitation never lands unnoticed in someone else's session; "niet jij? Uitloggen"
 * leads back to the invitation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoLogin } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const INVITATION = "/verbind?zorgaanbieder=delinde%40medmij";
const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, " ");

describe("invitation link and login page", () => {
  test("not logged in: the invitation sends to the login page, which names the invitation", async () => {
    const res = await get(`${pgo()}${INVITATION}`);
    expect(res.status).toBe(303);
    const login = await get(new URL(res.headers.get("location")!, pgo()).href);
    const page = text(await login.text());
    expect(page).toContain("Uitnodiging van Huisartsenpraktijk De Linde");
    expect(page).not.toContain("Ingelogd als");
    const account = text(await (await get(`${pgo()}/account?next=${encodeURIComponent(INVITATION)}`)).text());
    expect(account).toContain("Uitnodiging van Huisartsenpraktijk De Linde");
    // Any other destination names no invitation.
    expect(text(await (await get(`${pgo()}/login?next=%2Ftaken`)).text())).not.toContain("Uitnodiging van");
    expect(text(await (await get(`${pgo()}/login?next=${encodeURIComponent("/verbind?zorgaanbieder=onbekend@medmij")}`)).text())).not.toContain("Uitnodiging van");
  });

  test("logged in as Tom: /verbind says which invitation and whose PGO it is, with 'niet jij? Uitloggen' back to it", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    const html = await (await get(`${pgo()}${INVITATION}`, { headers: { cookie: tom } })).text();
    const page = text(html);
    expect(page).toContain("Uitnodiging van Huisartsenpraktijk De Linde");
    expect(page).toContain("Ingelogd als Tom van Duinen — niet jij? Uitloggen");
    expect(html).toContain('aria-label="Verbinden met Huisartsenpraktijk De Linde"');
    expect(hiddenInput(html, "next")).toBe("/verbind?zorgaanbieder=delinde%40medmij");

    const out = await get(`${pgo()}/logout`, { method: "POST", headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), next: hiddenInput(html, "next") }) });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/verbind?zorgaanbieder=delinde%40medmij")}`);
    const login = text(await (await get(new URL(out.headers.get("location")!, pgo()).href, { headers: { cookie: cookiesOf(out, tom) } })).text());
    expect(login).toContain("Uitnodiging van Huisartsenpraktijk De Linde");
    expect(login).not.toContain("Ingelogd als");
  });

  test("the login page of a logged-in browser says who it is", async () => {
    const koos = await pgoLogin(sandbox, "koos");
    const html = await (await get(`${pgo()}/login?next=${encodeURIComponent(INVITATION)}`, { headers: { cookie: koos } })).text();
    expect(text(html)).toContain("Ingelogd als Koos de Groot — niet jij? Uitloggen");
    // Uitloggen here comes back to this login page, still with the invitation.
    expect(hiddenInput(html, "next")).toBe(`/login?next=${encodeURIComponent(INVITATION)}`);
  });

  test("a plain logout still goes to /login", async () => {
    const tom = await pgoLogin(sandbox, "tom");
    const html = await (await get(`${pgo()}/taken`, { headers: { cookie: tom } })).text();
    const out = await get(`${pgo()}/logout`, { method: "POST", headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf") }) });
    expect(out.headers.get("location")).toBe("/login");
  });
});
