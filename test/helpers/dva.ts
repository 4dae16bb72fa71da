/**
 * Drive a DVA's authorization interface over HTTP as a browser would: /auth → DigiD simulator →
 * consent → redirect with code. Returns the redirect and the cookie jar (the DVA session).
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
}

export async function consentFlow(sandbox: Sandbox, o: ConsentFlowOptions = {}): Promise<{ redirect: URL; cookies: string }> {
  const auth = sandbox.url(`auth.${o.dva ?? "zorgnet"}`);
  const pgo = sandbox.url("pgo");
  const start = new URL(`${auth}/auth`);
  const params: Record<string, string> = {
    response_type: "code", client_id: o.clientId ?? "pgo.localhost", redirect_uri: o.redirectUri ?? `${pgo}/auth_callback`,
    scope: o.scope ?? "delinde", state: o.state ?? "state-123", ...o.extraParams,
  };
  for (const [k, v] of Object.entries(params)) start.searchParams.set(k, v);
  const toDigid = await get(start.href);
  if (toDigid.status !== 302) throw new Error(`/auth answered ${toDigid.status}: ${await toDigid.text()}`);
  const digidUrl = toDigid.headers.get("location")!;
  const page = await get(digidUrl);
  let digidCookies = cookiesOf(page);
  const html = await page.text();
  const form = new URLSearchParams({
    _csrf: hiddenInput(html, "_csrf"), return_url: hiddenInput(html, "return_url"), state: hiddenInput(html, "state"),
    persona: o.bsn ?? "999991012", action: "login",
  });
  const back = await get(`${sandbox.url("digid")}/authenticate`, { method: "POST", body: form, headers: { cookie: digidCookies, "content-type": "application/x-www-form-urlencoded" } });
  digidCookies = cookiesOf(back, digidCookies);
  const callback = await get(back.headers.get("location")!);
  if (callback.status !== 303) throw new Error(`DigiD callback answered ${callback.status}`);
  let cookies = cookiesOf(callback);
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
