/**
 * The DigiD simulator over HTTP, as a browser drives it (SPEC §2, §12; SD 3.3/3.4): the login
 * page, the signed assertion back to the DVA, cancel, the digidCancel fault, no open redirect,
 * CSRF, BSN validation, and a signing key that survives a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import type { Sandbox } from "../../src/sandbox.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const TOM_BSN = "999991012";
const KOOS_BSN = "999991024";
const STACK_TRACE = /\bat [^\n<]*\.tsx?:\d+/;

let sandbox: Sandbox;
let digid: string;
let dvaAuth: string;
let returnUrl: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  digid = sandbox.url("digid");
  dvaAuth = sandbox.url("auth.zorgnet");
  returnUrl = `${dvaAuth}/digid/callback`;
});

afterAll(async () => {
  await sandbox.stop();
});

function authenticateUrl(params: Record<string, string>): string {
  return `${digid}/authenticate?${new URLSearchParams(params)}`;
}

interface LoginPage { res: Response; html: string; cookie: string; csrf: string }

/** GET the login page as a browser: keep the cookie and the form's hidden fields. */
async function openLogin(ret = returnUrl, state = "abc", cookie = ""): Promise<LoginPage> {
  const res = await get(authenticateUrl({ return_url: ret, state }), cookie ? { headers: { Cookie: cookie } } : {});
  const html = await res.text();
  expect(res.status).toBe(200);
  return { res, html, cookie: cookiesOf(res, cookie), csrf: hiddenInput(html, "_csrf") };
}

function postForm(fields: Record<string, string>, cookie: string): Promise<Response> {
  return get(`${digid}/authenticate`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Submit the page's form the way the browser would (hidden fields + the given choices). */
function submit(page: LoginPage, fields: Record<string, string>): Promise<Response> {
  return postForm({
    _csrf: page.csrf,
    return_url: hiddenInput(page.html, "return_url"),
    state: hiddenInput(page.html, "state"),
    ...fields,
  }, page.cookie);
}

async function setFaults(body: Record<string, unknown>): Promise<void> {
  const res = await get(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function clearFaults(): Promise<void> {
  expect((await get(`${sandbox.url()}/api/faults`, { method: "DELETE" })).status).toBe(200);
}

function expectNoRedirect(res: Response): void {
  expect(res.headers.get("location")).toBeNull();
  expect(res.status < 300 || res.status >= 400).toBe(true);
}

describe("login page", () => {
  test("shows the personas, a BSN field, Inloggen/Annuleren, a CSRF token and sets a cookie", async () => {
    const res = await get(authenticateUrl({ return_url: returnUrl, state: "abc" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const setCookies = res.headers.getSetCookie();
    expect(setCookies.length).toBeGreaterThan(0);
    for (const c of setCookies) {
      expect(c).toContain("HttpOnly");
      expect(c).toMatch(/SameSite=(Lax|Strict)/);
    }
    const html = await res.text();
    expect(html).toContain("Tom van Duinen");
    expect(html).toContain("Koos de Groot");
    expect(html).toMatch(/<label[^>]*for="bsn"[^>]*>BSN<\/label>/);
    expect(html).toMatch(/<input[^>]*id="bsn"[^>]*name="bsn"/);
    expect(html).toMatch(/<button[^>]*>Inloggen<\/button>/);
    expect(html).toMatch(/<button[^>]*>Annuleren<\/button>/);
    expect(hiddenInput(html, "_csrf").length).toBeGreaterThan(20);
    expect(hiddenInput(html, "return_url")).toBe(returnUrl);
    expect(hiddenInput(html, "state")).toBe("abc");
    expect(html.toLowerCase()).toContain("simulator");
    // Each persona is selectable by its full name: a radio with a label.
    expect(html).toMatch(new RegExp(`value="${TOM_BSN}"`));
    expect(html).toMatch(/<label[^>]*for="persona-0"[^>]*>Tom van Duinen<\/label>/);
  });

  test("the state is escaped in the page", async () => {
    const state = `"><script>alert(1)</script>`;
    const page = await openLogin(returnUrl, state);
    // The quote is escaped, so the value cannot leave its attribute (a "<" inside a quoted attribute is inert).
    expect(page.html).not.toContain(`value=""><script>`);
    expect(page.html).toMatch(/name="state" value="(&#34;|&quot;)><script>alert\(1\)<\/script>"/);
  });

  test("the home page and the JWKS are there", async () => {
    const home = await get(`${digid}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(dvaAuth);
    const jwks = await get(`${digid}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get("content-type")).toStartWith("application/json");
    const body = (await jwks.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of body.keys) {
      expect(k.kid).toBeString();
      expect(k.d).toBeUndefined();
    }
  });
});

describe("round trip", () => {
  test("Tom logs in: 303 to the return URL with a verifiable assertion and the state", async () => {
    const page = await openLogin();
    const res = await submit(page, { persona: TOM_BSN, action: "login" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(returnUrl);
    expect(location.searchParams.get("state")).toBe("abc");
    expect(location.searchParams.get("error")).toBeNull();
    const assertion = location.searchParams.get("assertion")!;
    expect(assertion).toBeString();

    const jwks = createRemoteJWKSet(new URL(`${digid}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(assertion, jwks, { issuer: digid, audience: dvaAuth });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload.bsn).toBe(TOM_BSN);
    expect(payload.state).toBe("abc");
    expect(payload.level).toBeString();
    expect(payload.auth_time).toBeNumber();
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs((payload.auth_time as number) - now)).toBeLessThan(60);
    expect(payload.exp! > now).toBe(true);
  });

  test("the assertion is bound to the DVA it returns to", async () => {
    const other = `${sandbox.url("auth.ggzconnect")}/digid/callback`;
    const page = await openLogin(other, "xyz");
    const res = await submit(page, { persona: KOOS_BSN, action: "login" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin).toBe(sandbox.url("auth.ggzconnect"));
    const assertion = location.searchParams.get("assertion")!;
    const jwks = createRemoteJWKSet(new URL(`${digid}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(assertion, jwks, { issuer: digid, audience: sandbox.url("auth.ggzconnect") });
    expect(payload.bsn).toBe(KOOS_BSN);
    expect(payload.state).toBe("xyz");
    await expect(jwtVerify(assertion, jwks, { issuer: digid, audience: dvaAuth })).rejects.toThrow();
  });

  test("a typed BSN wins over the persona", async () => {
    const page = await openLogin();
    const res = await submit(page, { persona: TOM_BSN, bsn: KOOS_BSN, action: "login" });
    expect(res.status).toBe(303);
    const assertion = new URL(res.headers.get("location")!).searchParams.get("assertion")!;
    const { payload } = await jwtVerify(assertion, createRemoteJWKSet(new URL(`${digid}/.well-known/jwks.json`)), { issuer: digid, audience: dvaAuth });
    expect(payload.bsn).toBe(KOOS_BSN);
  });

  test("a typed BSN with spaces or dots is accepted", async () => {
    const page = await openLogin();
    const res = await submit(page, { bsn: "9999.91.012", action: "login" });
    expect(res.status).toBe(303);
    const assertion = new URL(res.headers.get("location")!).searchParams.get("assertion")!;
    const { payload } = await jwtVerify(assertion, createRemoteJWKSet(new URL(`${digid}/.well-known/jwks.json`)), { issuer: digid, audience: dvaAuth });
    expect(payload.bsn).toBe(TOM_BSN);
  });

  test("Annuleren returns error=cancelled with the state", async () => {
    const page = await openLogin();
    const res = await submit(page, { persona: TOM_BSN, action: "cancel" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(returnUrl);
    expect(location.searchParams.get("error")).toBe("cancelled");
    expect(location.searchParams.get("state")).toBe("abc");
    expect(location.searchParams.get("assertion")).toBeNull();
  });

  test("the digidCancel fault makes a login return error=cancelled", async () => {
    await setFaults({ digidCancel: true });
    try {
      const page = await openLogin();
      const res = await submit(page, { persona: TOM_BSN, action: "login" });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get("location")!);
      expect(location.searchParams.get("error")).toBe("cancelled");
      expect(location.searchParams.get("state")).toBe("abc");
      expect(location.searchParams.get("assertion")).toBeNull();
    } finally {
      await clearFaults();
    }
    const page = await openLogin();
    const res = await submit(page, { persona: TOM_BSN, action: "login" });
    expect(new URL(res.headers.get("location")!).searchParams.get("assertion")).toBeString();
  });
});

describe("no open redirect", () => {
  const badReturnUrls = (): [string, string][] => [
    ["an unknown host", `http://evil.localhost:${sandbox.port}/cb`],
    ["the PGO host", `${sandbox.url("pgo")}/auth_callback`],
    ["a DVA's FHIR host", `${sandbox.url("fhir.zorgnet")}/digid/callback`],
    ["the right host on another port", `http://auth.zorgnet.localhost:${sandbox.port === 1 ? 2 : 1}/digid/callback`],
    ["a javascript: URL", "javascript:alert(document.cookie)"],
    ["a URL with userinfo", `http://user:pw@auth.zorgnet.localhost:${sandbox.port}/digid/callback`],
    ["a URL with a user only", `http://evil.example@auth.zorgnet.localhost:${sandbox.port}/digid/callback`],
    ["a URL with a fragment", `${returnUrl}#x`],
    ["https on the DVA host", `https://auth.zorgnet.localhost:${sandbox.port}/digid/callback`],
    ["a relative URL", "/digid/callback"],
    ["a protocol-relative URL", `//evil.localhost:${sandbox.port}/cb`],
    ["an empty value", ""],
  ];

  test("GET with a return URL that is not a DVA auth host is a 400 page", async () => {
    for (const [what, url] of badReturnUrls()) {
      const res = await get(authenticateUrl({ return_url: url, state: "abc" }));
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expectNoRedirect(res);
      const html = await res.text();
      expect(res.headers.get("content-type")).toStartWith("text/html");
      expect(html).not.toMatch(STACK_TRACE);
      expect(html).not.toContain('name="_csrf"');
    }
  });

  test("GET without a return URL is a 400 page", async () => {
    const res = await get(`${digid}/authenticate?state=abc`);
    expect(res.status).toBe(400);
    expectNoRedirect(res);
  });

  test("POST with a return URL that is not a DVA auth host is a 400 page, even with a valid CSRF token", async () => {
    const page = await openLogin();
    for (const [what, url] of badReturnUrls()) {
      for (const action of ["login", "cancel"]) {
        const res = await postForm({ _csrf: page.csrf, return_url: url, state: "abc", persona: TOM_BSN, action }, page.cookie);
        expect({ what, action, status: res.status }).toEqual({ what, action, status: 400 });
        expectNoRedirect(res);
      }
    }
  });

  test("POST with a bad return URL is a 400 even under the digidCancel fault", async () => {
    await setFaults({ digidCancel: true });
    try {
      const page = await openLogin();
      const res = await postForm({ _csrf: page.csrf, return_url: `http://evil.localhost:${sandbox.port}/cb`, state: "abc", action: "login" }, page.cookie);
      expect(res.status).toBe(400);
      expectNoRedirect(res);
    } finally {
      await clearFaults();
    }
  });

  test("a missing or empty state is a 400, on GET and POST", async () => {
    for (const url of [`${digid}/authenticate?${new URLSearchParams({ return_url: returnUrl })}`, authenticateUrl({ return_url: returnUrl, state: "" })]) {
      const res = await get(url);
      expect(res.status).toBe(400);
      expectNoRedirect(res);
    }
    const page = await openLogin();
    for (const state of [undefined, ""]) {
      const fields: Record<string, string> = { _csrf: page.csrf, return_url: returnUrl, persona: TOM_BSN, action: "login" };
      if (state !== undefined) fields.state = state;
      const res = await postForm(fields, page.cookie);
      expect(res.status).toBe(400);
      expectNoRedirect(res);
    }
  });

  test("an overly long state is a 400", async () => {
    const res = await get(authenticateUrl({ return_url: returnUrl, state: "s".repeat(600) }));
    expect(res.status).toBe(400);
    expectNoRedirect(res);
  });
});

describe("bad BSN", () => {
  for (const bsn of ["123456789", "abc", "12", "000000000", "9999910120"]) {
    test(`"${bsn}" gets a 422 page with a Dutch message and no redirect`, async () => {
      const page = await openLogin();
      const res = await submit(page, { persona: TOM_BSN, bsn, action: "login" });
      expect(res.status).toBe(422);
      expectNoRedirect(res);
      const html = await res.text();
      expect(html).toContain("Dit is geen geldig BSN");
      expect(html).toContain("elfproef");
      expect(html).toContain('role="alert"');
      expect(html).toContain('aria-invalid="true"');
      // The form is shown again with the typed value and a working CSRF token.
      expect(hiddenInput(html, "state")).toBe("abc");
      expect(hiddenInput(html, "_csrf")).toBe(page.csrf);
      expect(html).not.toMatch(STACK_TRACE);
    });
  }

  test("no persona and no BSN gets a 422 asking to choose", async () => {
    const page = await openLogin();
    const res = await submit(page, { action: "login" });
    expect(res.status).toBe(422);
    expectNoRedirect(res);
    expect(await res.text()).toContain("Kies een persoon of vul een BSN in.");
  });

  test("after a 422 the form can be submitted again", async () => {
    const page = await openLogin();
    const bad = await submit(page, { bsn: "123456789", action: "login" });
    expect(bad.status).toBe(422);
    const again: LoginPage = { res: bad, html: await bad.text(), cookie: cookiesOf(bad, page.cookie), csrf: "" };
    again.csrf = hiddenInput(again.html, "_csrf");
    const res = await submit(again, { bsn: TOM_BSN, action: "login" });
    expect(res.status).toBe(303);
  });
});

describe("CSRF", () => {
  test("a POST without a CSRF token is a 403 without a redirect", async () => {
    const page = await openLogin();
    const res = await postForm({ return_url: returnUrl, state: "abc", persona: TOM_BSN, action: "login" }, page.cookie);
    expect(res.status).toBe(403);
    expectNoRedirect(res);
    expect(await res.text()).not.toMatch(STACK_TRACE);
  });

  test("a POST with a wrong CSRF token is a 403 without a redirect", async () => {
    const page = await openLogin();
    const wrong = page.csrf.slice(0, -2) + (page.csrf.endsWith("AA") ? "BB" : "AA");
    for (const token of [wrong, "x", `${page.csrf}x`]) {
      const res = await postForm({ _csrf: token, return_url: returnUrl, state: "abc", persona: TOM_BSN, action: "login" }, page.cookie);
      expect(res.status).toBe(403);
      expectNoRedirect(res);
    }
  });

  test("a POST with a token but without the cookie is a 403", async () => {
    const page = await openLogin();
    const res = await postForm({ _csrf: page.csrf, return_url: returnUrl, state: "abc", persona: TOM_BSN, action: "login" }, "");
    expect(res.status).toBe(403);
    expectNoRedirect(res);
  });

  test("another browser's token does not work with this cookie", async () => {
    const mine = await openLogin();
    const theirs = await openLogin();
    expect(theirs.csrf).not.toBe(mine.csrf);
    const res = await postForm({ _csrf: theirs.csrf, return_url: returnUrl, state: "abc", persona: TOM_BSN, action: "login" }, mine.cookie);
    expect(res.status).toBe(403);
  });

  test("cancel needs the CSRF token too", async () => {
    const page = await openLogin();
    const res = await postForm({ return_url: returnUrl, state: "abc", action: "cancel" }, page.cookie);
    expect(res.status).toBe(403);
    expectNoRedirect(res);
  });
});

describe("signing key persistence", () => {
  test("the JWKS kid stays the same after a restart on a file database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "medmij-digid-"));
    const dataPath = join(dir, "s.db");
    try {
      const first = await startTestSandbox({ dataPath });
      let kid: string;
      let assertion: string;
      try {
        const keys = ((await (await get(`${first.url("digid")}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys;
        expect(keys.length).toBe(1);
        kid = keys[0]!.kid;

        const res = await get(`${first.url("digid")}/authenticate?${new URLSearchParams({ return_url: `${first.url("auth.zorgnet")}/cb`, state: "s1" })}`);
        const html = await res.text();
        const post = await get(`${first.url("digid")}/authenticate`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookiesOf(res) },
          body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: `${first.url("auth.zorgnet")}/cb`, state: "s1", persona: TOM_BSN, action: "login" }).toString(),
        });
        expect(post.status).toBe(303);
        assertion = new URL(post.headers.get("location")!).searchParams.get("assertion")!;
        expect(decodeProtectedHeader(assertion).kid).toBe(kid);
      } finally {
        await first.stop();
      }

      const second = await startTestSandbox({ dataPath, port: first.port });
      try {
        const keys = ((await (await get(`${second.url("digid")}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys;
        expect(keys.map((k) => k.kid)).toEqual([kid]);
        // An assertion issued before the restart still verifies against the JWKS after it.
        const { payload } = await jwtVerify(assertion, createRemoteJWKSet(new URL(`${second.url("digid")}/.well-known/jwks.json`)),
          { issuer: second.url("digid"), audience: second.url("auth.zorgnet") });
        expect(payload.bsn).toBe(TOM_BSN);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
