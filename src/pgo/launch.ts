/**
 * Starting a task (SD 3.4/3.5): find the module that runs it (Task → ActivityDefinition →
 * Endpoint, read from the DVA's FHIR server with the PGO's token, decided by
 * shared/module-of-task.ts as the DVA's token exchange decides it), ask the DVA for a launch code
 * by token exchange (RFC 8693, oauth4webapi), and send the browser to
 * `<launch address>?iss=<FHIR base>&launch=<code>`. Step-up (`invalid_grant` "Step up: ...") is
 * reported to the caller, which runs the authorization code flow again and retries once.
 */
import * as oauth from "oauth4webapi";
import { UnreachableError, type HttpClient } from "../shared/http-client.ts";
import { activityDefinitionOfTask, endpointOfActivity, moduleOfActivity } from "../shared/module-of-task.ts";
import type { Trace } from "../shared/trace.ts";
import { authorizationServer, loggedFetch } from "./connect.ts";
import type { Provider } from "./register.ts";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const LAUNCH_CODE = "medmij:token-type:one-time-code";

/** KoppelMij 2026 (issue 15; koppelmij-designs technical-walkthrough-pgo-launch-voorbereiden.md, 2026-04-16). */
export const KOPPELMIJ = {
  acr: "urn:medmij:oauth2:acr-value:launch-authorization",
  actorTokenType: "urn:medmij:token-type:launch-authorization-code",
  launchCode: "urn:medmij:token-type:launch-code",
  /** The scope the walkthrough's PAR example carries for the module ("door de DVA voorgeschreven"). */
  scope: "launch openid fhirUser patient/*.read",
} as const;

/** KoppelMij 2026: what the PGO keeps between its PAR and the DVA's redirect to /callback_stepup. */
export interface PendingLaunchAuthorization { codeVerifier: string; audience: string; address: string }

export type LaunchOutcome =
  /** KoppelMij 2026: the browser goes to the DVA's /authorize first (after the PAR); `pending` is kept by `state`. */
  | { kind: "authorize"; url: string; state: string; pending: PendingLaunchAuthorization }
  /** `launchCode` for the PGO's own log line (SD 4.5.4.1.1), which names it by reference only. */
  | { kind: "launch"; url: string; launchCode: string }
  | { kind: "step-up" }
  | { kind: "refused"; error: string; description: string }
  | { kind: "dva-unreachable" }
  | { kind: "module-unreachable"; reason: string }
  /** The Endpoint names an address that is not a module the network registers at this DVA for that client_id. */
  | { kind: "unregistered-module"; address: string; clientId: string };

type Res = Record<string, any>;

export interface LaunchOptions {
  http: HttpClient; trace: Trace; provider: Provider; clientId: string; accessToken: string; taskId: string; returnUrl: string;
  /** The MedMij-Request-ID of the launch (SD 4.5.4.1.1), which the availability probe carries too (SD 4.5.4.1.4 names it). */
  launchRequestId: string;
  /** Is this launch address a module registered at the provider's DVA under this client_id (issue 10)? */
  isRegisteredModule: (address: string, clientId: string) => boolean;
}

export async function launchTask(o: LaunchOptions & { flavour?: "sd-0.2" | "koppelmij-2026"; callbackStepUp?: string }): Promise<LaunchOutcome> {
  const { http, trace, provider } = o;
  const get = async (path: string): Promise<Res | null> => {
    const res = await http.send(`${provider.resourceEndpoint}/${path}`, { trace, headers: { Authorization: `Bearer ${o.accessToken}`, Accept: "application/fhir+json" },
      event: { send: "send_resource_request", receive: "receive_resource_response" } });
    if (res.status === 503) throw new UnreachableError(provider.resourceEndpoint, "", "503");
    return res.ok ? (await res.json()) as Res : null;
  };
  try {
    const task = await get(`Task/${encodeURIComponent(o.taskId)}`);
    // Another party's data: a reference of the wrong type is no reference, never a crash.
    const adRef = task ? activityDefinitionOfTask(task) : null;
    const ad = adRef ? await get(adRef) : null;
    const epRef = ad ? endpointOfActivity(ad) : null;
    const endpoint = epRef ? await get(epRef) : null;
    // The Endpoint's ClientID and address; SD 3.1's client-id and smart-app-launch-url on the ActivityDefinition where it has none.
    const module = task && ad ? moduleOfActivity(ad, endpoint) : null;
    if (!module) return { kind: "refused", error: "invalid_request", description: "de module van deze taak is niet te vinden bij de DVA" };
    const { address, clientId: audience } = module;
    // A DVA's Endpoint is data a zorgaanbieder's system wrote: the PGO sends the person (and a
    // launch code) only to a module the network registers for that DVA and client_id, and asks no
    // code for anything else. Checked before the probe, so an Endpoint cannot make the PGO call out.
    if (!o.isRegisteredModule(address, audience)) return { kind: "unregistered-module", address, clientId: audience };
    // Risk Rc02: a module that is down would waste the launch code and strand the person, so the
    // PGO checks that its launch address answers before asking for a code (any answer below 500 is fine).
    // No answer is SD 4.5.4.1.4's availability check error, for the launch it would have been.
    try {
      const probe = await http.send(address, { method: "HEAD", trace, timeoutMs: 3000, requestId: o.launchRequestId,
        availabilityCheck: "Module niet beschikbaar voor SMART launch" });
      if (probe.status >= 500) return { kind: "module-unreachable", reason: `HEAD ${address} gaf HTTP ${probe.status}` };
    } catch (e) {
      return { kind: "module-unreachable", reason: `HEAD ${address}: ${(e as Error).message}` };
    }
    if (o.flavour === "koppelmij-2026") return await pushAuthorization(o, audience, address);
    const as = authorizationServer(provider);
    const client: oauth.Client = { client_id: o.clientId };
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), TOKEN_EXCHANGE, {
      subject_token: o.accessToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      requested_token_type: LAUNCH_CODE,
      audience,
      scope: provider.scope,
      smart_launch_context: JSON.stringify({ resource: `Task/${o.taskId}`, intent: "startmodule", return_url: o.returnUrl }),
    }, loggedFetch(http, trace, TOKEN_EXCHANGE, { request_token_type: LAUNCH_CODE }));
    if (response.status === 503) return { kind: "dva-unreachable" };
    let code: string;
    try {
      // PITFALLS.md: the launch code's token_type is "NA".
      code = (await oauth.processGenericTokenEndpointResponse(as, client, response, { recognizedTokenTypes: { na: () => {}, n_a: () => {} } })).access_token;
    } catch (e) {
      if (e instanceof oauth.ResponseBodyError) {
        if (e.error === "invalid_grant" && /^Step up/i.test(e.error_description ?? "")) return { kind: "step-up" };
        return { kind: "refused", error: e.error, description: e.error_description ?? "" };
      }
      throw e;
    }
    return launchAt(address, provider, trace, code);
  } catch (e) {
    if (e instanceof UnreachableError) return { kind: "dva-unreachable" };
    throw e;
  }
}

/** `<launch address>?iss=<FHIR base>&launch=<code>`: the browser goes to the module. */
function launchAt(address: string, provider: Provider, trace: Trace, code: string): LaunchOutcome {
  const target = new URL(address);
  target.searchParams.set("iss", provider.resourceEndpoint);
  target.searchParams.set("launch", code);
  // The journey's trace, so the module's first calls (SMART discovery) join it (SD 3.7; an unknown parameter to other modules).
  target.searchParams.set("X-Correlation-ID", trace.traceId);
  return { kind: "launch", url: target.href, launchCode: code };
}

const authOrigin = (p: Provider) => new URL(p.tokenEndpoint).origin;

/**
 * KoppelMij 2026 step 1 (RFC 9126): the PGO pushes the launch's authorization request with its
 * collect token as subject_token and PKCE, and sends the browser to /authorize with the request_uri.
 */
async function pushAuthorization(o: LaunchOptions & { callbackStepUp?: string }, audience: string, address: string): Promise<LaunchOutcome> {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const body = new URLSearchParams({ response_type: "code", client_id: o.clientId, redirect_uri: o.callbackStepUp ?? "", audience,
    subject_token: o.accessToken, subject_token_type: "urn:ietf:params:oauth:token-type:access_token", acr_values: KOPPELMIJ.acr, state,
    scope: KOPPELMIJ.scope, code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: "S256", return_url: o.returnUrl });
  const res = await o.http.send(`${authOrigin(o.provider)}/par`, { method: "POST", trace: o.trace, headers: { "Content-Type": "application/x-www-form-urlencoded" }, body,
    // SD 4.5 has no event for a pushed authorization request: the call is sent without a chain line of its own.
    availabilityCheck: "DVA niet beschikbaar voor de pushed authorization request" });
  if (res.status === 503) return { kind: "dva-unreachable" };
  const said = await res.json().catch(() => ({})) as { request_uri?: unknown; error?: string; error_description?: string };
  if (res.status !== 201 || typeof said.request_uri !== "string") {
    return { kind: "refused", error: said.error ?? `http_${res.status}`, description: said.error_description ?? "de DVA gaf geen request_uri op /par" };
  }
  const url = new URL(`${authOrigin(o.provider)}/authorize`);
  url.searchParams.set("client_id", o.clientId);
  url.searchParams.set("request_uri", said.request_uri);
  url.searchParams.set("state", state);
  return { kind: "authorize", url: url.href, state, pending: { codeVerifier, audience, address } };
}

/**
 * KoppelMij 2026 step 3: the launch authorization code from /callback_stepup as actor_token, with
 * the PKCE verifier and the Task as resource; the one-time launch code (`token_type` N_A).
 */
export async function exchangeLaunchAuthorization(o: { http: HttpClient; trace: Trace; provider: Provider; clientId: string; accessToken: string; taskId: string; code: string;
  pending: PendingLaunchAuthorization }): Promise<LaunchOutcome> {
  const as = authorizationServer(o.provider);
  const client: oauth.Client = { client_id: o.clientId };
  try {
    const params = new URLSearchParams({ subject_token: o.accessToken, subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      actor_token: o.code, actor_token_type: KOPPELMIJ.actorTokenType, requested_token_type: KOPPELMIJ.launchCode, audience: o.pending.audience,
      code_verifier: o.pending.codeVerifier, resource: `Task/${o.taskId}` });
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), TOKEN_EXCHANGE, params,
      loggedFetch(o.http, o.trace, TOKEN_EXCHANGE, { request_token_type: KOPPELMIJ.launchCode }));
    if (response.status === 503) return { kind: "dva-unreachable" };
    const code = (await oauth.processGenericTokenEndpointResponse(as, client, response, { recognizedTokenTypes: { na: () => {}, n_a: () => {} } })).access_token;
    return launchAt(o.pending.address, o.provider, o.trace, code);
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { kind: "refused", error: e.error, description: e.error_description ?? "" };
    if (e instanceof UnreachableError) return { kind: "dva-unreachable" };
    throw e;
  }
}

/** Which design the provider's DVA follows, from its authorization server metadata (RFC 8414): a PAR endpoint means KoppelMij 2026. */
export async function flavourOfProvider(http: HttpClient, provider: Provider, trace: Trace): Promise<"sd-0.2" | "koppelmij-2026"> {
  try {
    const res = await http.send(`${authOrigin(provider)}/.well-known/oauth-authorization-server`, { trace, timeoutMs: 3000 });
    if (!res.ok) return "sd-0.2";
    const meta = await res.json() as { pushed_authorization_request_endpoint?: unknown };
    return typeof meta.pushed_authorization_request_endpoint === "string" ? "koppelmij-2026" : "sd-0.2";
  } catch {
    return "sd-0.2";
  }
}
