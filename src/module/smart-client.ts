/**
 * The module as a SMART on FHIR confidential client (SD 3.5/3.6; SMART App Launch 2.x, EHR launch)
 * with oauth4webapi: discovery from `iss` (`.well-known/smart-configuration` is not RFC 8414, so the
 * server description is built from it — PITFALLS.md), PKCE S256, state, client_secret_basic.
 */
import * as oauth from "oauth4webapi";
import type { HttpClient } from "../shared/http-client.ts";
import { CORRELATION_HEADER, type Trace } from "../shared/trace.ts";

/**
 * SD 3.6 names `launch fhirUser patient/*.read patient/Task.*`; writing the answers needs a
 * QuestionnaireResponse write scope too, since the DVA enforces SMART scopes on every write.
 */
export const MODULE_SCOPES = "launch fhirUser patient/*.read patient/Task.* patient/QuestionnaireResponse.cu";

export class LaunchError extends Error {
  override name = "LaunchError";
  constructor(readonly code: string, message: string) { super(message); }
}

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** SMART discovery from the FHIR base the launch names. */
export async function discover(iss: string, http: HttpClient, trace: Trace): Promise<oauth.AuthorizationServer> {
  let res: Response;
  try {
    res = await http.send(`${iss.replace(/\/$/, "")}/.well-known/smart-configuration`, { trace, headers: { Accept: "application/json" } });
  } catch {
    throw new LaunchError("temporarily_unavailable", "de FHIR-server van de zorgaanbieder is niet bereikbaar");
  }
  if (!res.ok) throw new LaunchError("temporarily_unavailable", `smart-configuration gaf HTTP ${res.status}`);
  const config = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (!config || typeof config.issuer !== "string" || typeof config.authorization_endpoint !== "string" || typeof config.token_endpoint !== "string") {
    throw new LaunchError("invalid_request", "smart-configuration mist issuer of endpoints");
  }
  if (!((config.code_challenge_methods_supported as string[] | undefined) ?? []).includes("S256")) throw new LaunchError("invalid_request", "de server ondersteunt geen PKCE S256");
  return config as unknown as oauth.AuthorizationServer;
}

export async function authorizationRequest(as: oauth.AuthorizationServer, p: { clientId: string; redirectUri: string; launch: string; iss: string }) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: p.clientId, redirect_uri: p.redirectUri, launch: p.launch, aud: p.iss,
    scope: MODULE_SCOPES, state, code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: "S256" })) {
    url.searchParams.set(k, v);
  }
  return { url: url.href, state, codeVerifier };
}

export interface LaunchContext {
  accessToken: string; patient: string; task: string; returnUrl: string | null;
  /** KoppelMij 2026 when the launch context came in authorization_details (issue 15). */
  flavour: "sd-0.2" | "koppelmij-2026";
  /** The trace the DVA logged the launch under (its `X-Correlation-ID` response header), or null. */
  traceId: string | null;
}

/** Ids the module takes over from a response must be well formed (log safety), as shared/trace.ts does for requests. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function redeem(as: oauth.AuthorizationServer, p: { clientId: string; clientSecret: string | undefined; redirectUri: string; callback: URL; state: string; codeVerifier: string }): Promise<LaunchContext> {
  const client: oauth.Client = { client_id: p.clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, p.callback, p.state);
  } catch (e) {
    throw new LaunchError(p.callback.searchParams.get("error") ?? "invalid_request", p.callback.searchParams.get("error_description") ?? (e as Error).message);
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(as, client, p.clientSecret === undefined ? oauth.None() : oauth.ClientSecretBasic(p.clientSecret), params, p.redirectUri, p.codeVerifier, insecure);
    // SD 3.7: the module passes the journey's X-Correlation-ID on; the DVA names it on its token response.
    const traceId = response.headers.get(CORRELATION_HEADER);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    // Both flavours (issue 15): SD v0.2 gives `patient` as an id and return_url at the top; KoppelMij
    // 2026 `Patient/<id>` and return_url inside authorization_details (type fhir_context).
    const details = (Array.isArray(tokens.authorization_details) ? tokens.authorization_details : []) as { type?: unknown; return_url?: unknown; resource?: unknown }[];
    const context = details.find((d) => d?.type === "fhir_context");
    const resource = typeof tokens.resource === "string" ? tokens.resource : typeof context?.resource === "string" ? context.resource : null;
    const patient = typeof tokens.patient === "string" ? tokens.patient.replace(/^Patient\//, "") : null;
    if (!patient || !resource || !/^Task\//.test(resource)) throw new LaunchError("invalid_request", "de launch-context mist patient of Task");
    const returnUrl = typeof tokens.return_url === "string" ? tokens.return_url : typeof context?.return_url === "string" ? context.return_url : null;
    return { accessToken: tokens.access_token, patient, task: resource, returnUrl, traceId: traceId && SAFE_ID.test(traceId) ? traceId : null,
      flavour: context ? "koppelmij-2026" : "sd-0.2" };
  } catch (e) {
    if (e instanceof LaunchError) throw e;
    throw new LaunchError(e instanceof oauth.ResponseBodyError ? e.error : "access_denied", e instanceof oauth.ResponseBodyError ? e.error_description ?? "" : (e as Error).message);
  }
}
