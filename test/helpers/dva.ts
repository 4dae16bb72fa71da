/**
 * Drive a DVA's authorization interface over HTTP as a browser would: /auth → DigiD simulator →
 * consent → redirect with code, carrying the DVA's cookies (its browser id and session) like a
 * browser. Returns the redirect and the cookie jar of the DVA host.
 */
import type { Sandbox } from "../../src/sandbox.ts";
import { cookiesOf, get, hiddenInput } from "./sandbox.ts";

export interface ConsentFlowOptions {
  dva?: string;
  scope?: string;
  bsn?: string;
  kind?: "once" | "long";
  action?: "grant" | "deny";
  state?: string;
  clientId?: string;
  redirectUri?: string;
  extraParams?: Record<string, string>;
  /** The DVA cookies this "browser" already has (a second tab, an earlier login). */
  cookies?: string;
}

/** What the flows need of a sandbox: its URLs (an in-process Sandbox, or a child process on a known port). */
export type SandboxUrls = Pick<Sandbox, "url">;

export async function consentFlow(sandbox: SandboxUrls, o: ConsentFlowOptions = {}): Promise<{ redirect: URL; cookies: string }> {
  const auth = sandbox.url(`auth.${o.dva ?? "zorgnet"}`);
  const pgo = sandbox.url("pgo");
  const start = new URL(`${auth}/auth`);
  const params: Record<string, string> = {
    response_type: "code", client_id: o.clientId ?? "pgo.localhost", redirect_uri: o.redirectUri ?? `${pgo}/auth_callback`,
    scope: o.scope ?? "delinde", state: o.state ?? "state-123", ...o.extraParams,
  };
  for (const [k, v] of Object.entries(params)) start.searchParams.set(k, v);
  return throughDva(sandbox, start.href, o);
}

/** From a DVA /auth URL (as a PGO sends the browser there) through DigiD and consent, back to the redirect. */
export async function throughDva(sandbox: SandboxUrls, authUrl: string, o: ConsentFlowOptions = {}): Promise<{ redirect: URL; cookies: string }> {
  const auth = new URL(authUrl).origin;
  const toDigid = await get(authUrl, o.cookies ? { headers: { cookie: o.cookies } } : {});
  if (toDigid.status !== 302) throw new Error(`/auth answered ${toDigid.status}: ${await toDigid.text()}`);
  let cookies = cookiesOf(toDigid, o.cookies);
  const digidUrl = toDigid.headers.get("location")!;
  const page = await get(digidUrl);
  const digidCookies = cookiesOf(page);
  const html = await page.text();
  const form = new URLSearchParams({
    _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"),
    persona: o.bsn ?? "999991012", action: "login",
  });
  const back = await get(`${sandbox.url("digid")}/authenticate`, { method: "POST", body: form, headers: { cookie: digidCookies, "content-type": "application/x-www-form-urlencoded" } });
  const callback = await get(back.headers.get("location")!, { headers: { cookie: cookies } });
  if (callback.status !== 303) throw new Error(`DigiD callback answered ${callback.status}`);
  cookies = cookiesOf(callback, cookies);
  const consentUrl = new URL(callback.headers.get("location")!, auth).href;
  const consent = await get(consentUrl, { headers: { cookie: cookies } });
  cookies = cookiesOf(consent, cookies);
  const consentHtml = await consent.text();
  const decision = await get(`${auth}/consent`, {
    method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(consentHtml, "_csrf"), request: hiddenInput(consentHtml, "request"), kind: o.kind ?? "long", action: o.action ?? "grant" }),
  });
  if (decision.status !== 303) throw new Error(`consent answered ${decision.status}`);
  return { redirect: new URL(decision.headers.get("location")!), cookies };
}

/** A PGO's tokens after the collect flow (long-term consent by default). */
export async function collectTokens(sandbox: SandboxUrls, o: ConsentFlowOptions = {}) {
  const { redirect, cookies } = await consentFlow(sandbox, { kind: "long", ...o });
  const res = await fetch(`${sandbox.url(`auth.${o.dva ?? "zorgnet"}`)}/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: redirect.searchParams.get("code")!, redirect_uri: `${sandbox.url("pgo")}/auth_callback`, client_id: "pgo.localhost" }),
  });
  return { ...(await res.json() as { access_token: string; refresh_token?: string; patient?: string }), cookies };
}

/** A module's SMART token for a Task, through token exchange, /connect/authorize (PKCE) and /connect/token. */
export async function moduleToken(sandbox: SandboxUrls & { ctx: Pick<Sandbox["ctx"], "network"> }, o: { task: string; dva?: string; scope?: string; bsn?: string; module?: string;
  /** The SMART scopes the module asks for at /connect/authorize. */
  moduleScope?: string }) {
  const dva = o.dva ?? "zorgnet";
  const auth = sandbox.url(`auth.${dva}`);
  const pgo = await collectTokens(sandbox, { dva, scope: o.scope, bsn: o.bsn });
  const clientId = `${o.module ?? "zorgmodules"}-${dva}`;
  const exchange = await (await fetch(`${auth}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: "pgo.localhost", subject_token: pgo.access_token,
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
    audience: clientId, scope: o.scope ?? "delinde", smart_launch_context: JSON.stringify({ resource: `Task/${o.task}`, intent: "startmodule" }),
  }) })).json();
  const verifier = "v".repeat(43) + crypto.randomUUID().replace(/-/g, "");
  const challenge = new Bun.CryptoHasher("sha256").update(verifier).digest("base64url");
  const redirectUri = sandbox.ctx.network.modules.flatMap((m) => m.clients).find((c) => c.clientId === clientId)!.redirectUris[0]!;
  const authorize = new URL(`${auth}/connect/authorize`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: redirectUri, launch: exchange.access_token,
    aud: `${sandbox.url(`fhir.${dva}`)}/fhir`, state: "s", scope: o.moduleScope ?? "launch fhirUser patient/*.read patient/Task.* patient/QuestionnaireResponse.*",
    code_challenge: challenge, code_challenge_method: "S256" })) authorize.searchParams.set(k, v);
  const back = await get(authorize.href, { headers: { cookie: pgo.cookies } });
  const code = new URL(back.headers.get("location")!).searchParams.get("code")!;
  const token = await (await fetch(`${auth}/connect/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }) })).json();
  return { module: token as { access_token: string; patient: string; resource: string; scope: string }, pgo };
}

/**
 * A browser opens a DVA URL that needs DigiD (`/auth`, `/connect/authorize`, `/toestemmingen`) and
 * logs in at the simulator as `bsn`: the DigiD callback URL, and that browser's DVA cookies
 * (including the `dva_browser` binding), for a test to follow or to replay elsewhere.
 */
export async function loginAtDigid(sandbox: SandboxUrls, start: string, bsn = "999991012", dvaCookies = ""): Promise<{ callback: string; cookies: string; status: number }> {
  const toDigid = await get(start, dvaCookies ? { headers: { cookie: dvaCookies } } : {});
  if (toDigid.status !== 302) throw new Error(`${start} answered ${toDigid.status}, not a redirect to DigiD`);
  const page = await get(toDigid.headers.get("location")!);
  const html = await page.text();
  const back = await get(`${sandbox.url("digid")}/authenticate`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"), persona: bsn, action: "login" }) });
  return { callback: back.headers.get("location")!, cookies: cookiesOf(toDigid, dvaCookies), status: back.status };
}

