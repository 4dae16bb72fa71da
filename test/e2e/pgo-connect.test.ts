import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { throughDva } from "../helpers/dva.ts";
import { pgoLogin, pgoStartConnect } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";
import { PgoStore } from "../../src/pgo/store.ts";
import { Sealer } from "../../src/shared/sealed.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");

const login = (username: string) => pgoLogin(sandbox, username);
const startConnect = (cookies: string, zorgaanbieder: string) => pgoStartConnect(sandbox, cookies, zorgaanbieder);

describe("connecting a zorgaanbieder (SD 3.2, 3.3)", () => {
  test("the list comes from the register, filtered on data service 99, searchable", async () => {
    const cookies = await login("tom");
    const html = await (await get(`${pgo()}/zorgaanbieders`, { headers: { cookie: cookies } })).text();
    expect(html).toContain("Zoek zorgaanbieder");
    expect(html).toContain('aria-label="Verbinden met Huisartsenpraktijk De Linde"');
    expect(html).toContain('aria-label="Verbinden met GGZ Oostland"');
    const filtered = await (await get(`${pgo()}/zorgaanbieders?q=oost`, { headers: { cookie: cookies } })).text();
    expect(filtered).toContain("GGZ Oostland");
    expect(filtered).not.toContain("De Linde");
  });

  test("Tom connects De Linde with long-term consent: the DVA's /auth, DigiD, consent, tokens stored", async () => {
    const cookies = await login("tom");
    const authUrl = new URL(await startConnect(cookies, "delinde@medmij"));
    expect(authUrl.origin + authUrl.pathname).toBe(`${sandbox.url("auth.zorgnet")}/auth`);
    expect(authUrl.searchParams.get("client_id")).toBe("pgo.localhost");
    expect(authUrl.searchParams.get("scope")).toBe("delinde");
    expect(authUrl.searchParams.get("redirect_uri")).toBe(`${pgo()}/auth_callback`);
    const traceId = authUrl.searchParams.get("X-Correlation-ID")!;
    const { redirect } = await throughDva(sandbox, authUrl.href, { kind: "long" });
    expect(redirect.origin + redirect.pathname).toBe(`${pgo()}/auth_callback`);
    const back = await get(redirect.href, { headers: { cookie: cookies } });
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("/taken?verbonden=delinde%40medmij");
    const home = await (await get(`${pgo()}${back.headers.get("location")}`, { headers: { cookie: cookies } })).text();
    expect(home).toContain("Verbonden met Huisartsenpraktijk De Linde");
    // One trace across PGO and DVA (SD 4.5).
    const lines = sandbox.ctx.chain.query({ traceId });
    const types = lines.map((l) => `${l.event.location} ${l.event.type}`);
    expect(types).toContain("pgo.localhost send_authorization_request");
    expect(types).toContain("auth.zorgnet.localhost receive_authorization_request");
    expect(types).toContain("pgo.localhost send_token_request");
    expect(types).toContain("auth.zorgnet.localhost receive_token_request");
    expect(types).toContain("pgo.localhost receive_token_response");
    // A replayed callback (state is single use) is refused.
    expect((await get(redirect.href, { headers: { cookie: cookies } })).status).toBe(400);
  });

  test("Annuleren at the DVA → the calm 'geen toestemming' page", async () => {
    const cookies = await login("koos");
    const authUrl = await startConnect(cookies, "ggzoostland@medmij");
    const { redirect } = await throughDva(sandbox, authUrl, { bsn: "999991024", action: "deny" });
    const res = await get(redirect.href, { headers: { cookie: cookies } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Je hebt geen toestemming gegeven");
  });

  test("tampered state, foreign account, unknown provider, not logged in", async () => {
    const cookies = await login("tom");
    expect((await get(`${pgo()}/auth_callback?code=x&state=forged`, { headers: { cookie: cookies } })).status).toBe(400);
    // A state belongs to the account that started it.
    const authUrl = new URL(await startConnect(cookies, "delinde@medmij"));
    const koos = await login("koos");
    expect((await get(`${pgo()}/auth_callback?code=x&state=${authUrl.searchParams.get("state")}`, { headers: { cookie: koos } })).status).toBe(400);
    expect((await get(`${pgo()}/verbind?zorgaanbieder=nobody@medmij`, { headers: { cookie: cookies } })).status).toBe(404);
    const anonymous = await get(`${pgo()}/verbind?zorgaanbieder=delinde@medmij`);
    expect(anonymous.headers.get("location")).toBe("/login?next=%2Fverbind%3Fzorgaanbieder%3Ddelinde%40medmij");
  });

  test("the invitation deep link survives creating an account (Sanne)", async () => {
    const start = await get(`${pgo()}/account?next=${encodeURIComponent("/verbind?zorgaanbieder=delinde@medmij")}`);
    const html = await start.text();
    const created = await get(`${pgo()}/account`, { method: "POST", headers: { cookie: cookiesOf(start), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), next: hiddenInput(html, "next"), name: "Sanne van Dijk", username: "sanne2", password: "geheim", password2: "geheim" }) });
    expect(created.headers.get("location")).toBe("/verbind?zorgaanbieder=delinde@medmij");
    const page = await (await get(`${pgo()}${created.headers.get("location")}`, { headers: { cookie: cookiesOf(created, cookiesOf(start)) } })).text();
    expect(page).toContain('aria-label="Verbinden met Huisartsenpraktijk De Linde"');
  });
});

describe("connections page (issue 5 item 8)", () => {
  test("lists consent type and expiry; Ontkoppelen revokes at the DVA and forgets the tasks", async () => {
    const cookies = await login("koos");
    const authUrl = await startConnect(cookies, "ggzoostland@medmij");
    const { redirect } = await throughDva(sandbox, authUrl, { bsn: "999991024", kind: "long" });
    await get(redirect.href, { headers: { cookie: cookies } });
    const page = await (await get(`${pgo()}/verbindingen`, { headers: { cookie: cookies } })).text();
    expect(page).toContain("GGZ Oostland");
    expect(page).toContain("Langdurig (6 maanden)");
    const row = sandbox.ctx.db.query<{ account_id: string; refresh_token: string }, []>(
      "SELECT account_id, refresh_token FROM pgo_connection WHERE zorgaanbieder = 'ggzoostland@medmij' ORDER BY connected_at DESC LIMIT 1").get()!;
    // Tokens are sealed at rest (AES-256-GCM); only the PGO's store opens them.
    expect(row.refresh_token).toStartWith("v1.");
    const refreshToken = new PgoStore(sandbox.ctx.db, new Sealer(sandbox.ctx.secret("pgo_token_key"))).connectionOf(row.account_id, "ggzoostland@medmij")!.refreshToken!;
    expect(refreshToken).not.toBe(row.refresh_token);
    const res = await get(`${pgo()}/verbindingen/ontkoppelen`, { method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf"), zorgaanbieder: "ggzoostland@medmij" }) });
    expect(res.headers.get("location")).toBe("/verbindingen?ontkoppeld");
    const refused = await fetch(`${sandbox.url("auth.ggzconnect")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "pgo.localhost" }) });
    expect((await refused.json()).error).toBe("invalid_grant");
    expect(await (await get(`${pgo()}/taken`, { headers: { cookie: cookies } })).text()).not.toContain("Vragenlijst angst (GAD-7)");
  });
});
