import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { consentFlow } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const auth = () => sandbox.url("auth.zorgnet");

async function tokensFor(bsn = "999991012") {
  const { redirect, cookies } = await consentFlow(sandbox, { kind: "long", bsn });
  const res = await fetch(`${auth()}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" }) });
  return { tokens: await res.json() as { access_token: string; refresh_token: string }, cookies };
}

describe("consent overview at the DVA", () => {
  test("without a DVA session the page sends the person to DigiD first", async () => {
    const res = await get(`${auth()}/toestemmingen`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toStartWith(`${sandbox.url("digid")}/authenticate?`);
  });

  test("lists long-term consents per PGO; withdrawing revokes the refresh token", async () => {
    const { tokens, cookies } = await tokensFor();
    const page = await get(`${auth()}/toestemmingen`, { headers: { cookie: cookies } });
    const html = await page.text();
    expect(html).toContain("Mijn toestemmingen");
    expect(html).toContain("MijnGezondheid PGO");
    expect(html).toContain("Huisartsenpraktijk De Linde");
    expect(html).toContain("Langdurig (6 maanden)");
    const jar = cookiesOf(page, cookies);
    const withdraw = await get(`${auth()}/toestemmingen/intrekken`, {
      method: "POST", headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), consent: hiddenInput(html, "consent") }),
    });
    expect(withdraw.status).toBe(303);
    expect(await (await get(`${auth()}${withdraw.headers.get("location")}`, { headers: { cookie: jar } })).text()).toContain("ingetrokken");

    const refresh = await fetch(`${auth()}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "pgo.localhost" }) });
    expect((await refresh.json()).error).toBe("invalid_grant");
    // The access token issued under the consent is dead at the resource server too.
    const read = await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(read.status).toBe(401);
    expect(read.headers.get("www-authenticate")).toContain("invalid_token");
  });

  test("withdrawal needs CSRF, a session, and the person's own consent", async () => {
    const tom = await tokensFor();
    const koos = await tokensFor("999991024");
    const koosPage = await get(`${auth()}/toestemmingen`, { headers: { cookie: koos.cookies } });
    const koosHtml = await koosPage.text();
    const koosConsent = hiddenInput(koosHtml, "consent");
    const tomPage = await get(`${auth()}/toestemmingen`, { headers: { cookie: tom.cookies } });
    const tomJar = cookiesOf(tomPage, tom.cookies);
    const csrf = hiddenInput(await tomPage.text(), "_csrf");
    const post = (cookie: string, body: Record<string, string>) => get(`${auth()}/toestemmingen/intrekken`, {
      method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    expect((await post(tomJar, { _csrf: csrf, consent: koosConsent })).status).toBe(404);
    expect((await post(tomJar, { _csrf: "forged", consent: koosConsent })).status).toBe(403);
    expect((await post("", { _csrf: csrf, consent: koosConsent })).status).toBe(401);
    expect(await (await get(`${auth()}/toestemmingen`, { headers: { cookie: koos.cookies } })).text()).toContain("actief");
  });
});
