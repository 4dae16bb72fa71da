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

export type LaunchOutcome =
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

export async function launchTask(o: LaunchOptions): Promise<LaunchOutcome> {
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
    const target = new URL(address);
    target.searchParams.set("iss", provider.resourceEndpoint);
    target.searchParams.set("launch", code);
    // The journey's trace, so the module's first calls (SMART discovery) join it (SD 3.7; an unknown parameter to other modules).
    target.searchParams.set("X-Correlation-ID", trace.traceId);
    return { kind: "launch", url: target.href, launchCode: code };
  } catch (e) {
    if (e instanceof UnreachableError) return { kind: "dva-unreachable" };
    throw e;
  }
}
