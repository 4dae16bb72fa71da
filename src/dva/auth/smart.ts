/**
 * SMART App Launch for modules (SD 3.5/3.6; SMART App Launch 2.x "EHR launch"): the module sends
 * the browser to `/connect/authorize` with the launch code; the DVA checks client, redirect URI,
 * launch code, `aud`, PKCE S256 and scopes, then (browser check, risk Ra01/Rc01) the person.
 */
import { sha256 } from "../../shared/crypto.ts";
import { OAuthError } from "../../shared/oauth-error.ts";
import type { ResolvedDva, ResolvedModule, ResolvedModuleClient, ResolvedNetwork } from "../../shared/resolved-network.ts";
import { parseResourceScope, scopeWords } from "../../shared/smart-scopes.ts";
import { RESOURCE_TYPES } from "../fhir/rest.ts";
import { UnverifiedClientError } from "./authorize.ts";

/**
 * Scopes the smart-configuration advertises (SPEC §5, SD 3.6). `launch` is required; any
 * well-formed `patient/<Type>.<permissions>` scope (SMART v1 or v2) on a type this DVA serves is
 * granted as asked; anything else is left out of the grant rather than refusing the request.
 */
export const SMART_SCOPES = ["launch", "fhirUser", "patient/*.read", "patient/*.rs", "patient/Patient.read", "patient/Patient.rs", "patient/Task.*",
  "patient/Task.read", "patient/Task.write", "patient/Task.rs", "patient/Task.cu", "patient/Task.u", "patient/QuestionnaireResponse.*",
  "patient/QuestionnaireResponse.write", "patient/QuestionnaireResponse.cu", "patient/QuestionnaireResponse.read", "patient/QuestionnaireResponse.rs"];

/**
 * What a module is granted of the scopes it asked for: `launch`, `openid` and `fhirUser` (an
 * id_token with fhirUser, issue 15: SMART and the KoppelMij walkthrough; SD 3.6 had none) and
 * patient resource scopes on the types this DVA serves. Not granted (the token response's `scope`
 * says so, RFC 6749 §3.3): `profile`,
 * `offline_access` (no refresh tokens for modules), `user/` and `system/` scopes, unknown words.
 */
export function grantedSmartScopes(requested: string[]): string[] {
  return requested.filter((s) => {
    if (s === "launch" || s === "launch/patient" || s === "fhirUser" || s === "openid") return true;
    const parsed = parseResourceScope(s);
    return !!parsed && parsed.context === "patient" && (parsed.type === "*" || (RESOURCE_TYPES as readonly string[]).includes(parsed.type));
  });
}

export interface SmartClient { module: ResolvedModule; client: ResolvedModuleClient; redirectUri: string }
/** `launch` null: a standalone launch (KoppelMij 2026, `launch/patient`: the person picks no task, DigiD says who). */
export interface SmartAuthorize { state: string; scope: string; codeChallenge: string; launch: string | null }

function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw new OAuthError("invalid_request", `${name} komt meer dan één keer voor`);
  return all[0] ?? null;
}

export function verifySmartClient(params: URLSearchParams, dva: ResolvedDva, network: ResolvedNetwork): SmartClient {
  const clientIds = params.getAll("client_id");
  const redirects = params.getAll("redirect_uri");
  if (clientIds.length !== 1) throw new UnverifiedClientError(clientIds.length ? "client_id komt meer dan één keer voor" : "client_id ontbreekt");
  for (const module of network.modules) {
    const client = module.clients.find((c) => c.dva === dva.id && c.clientId === clientIds[0]);
    if (!client) continue;
    if (redirects.length !== 1) throw new UnverifiedClientError(redirects.length ? "redirect_uri komt meer dan één keer voor" : "redirect_uri ontbreekt");
    if (!client.redirectUris.includes(redirects[0]!)) throw new UnverifiedClientError(`redirect_uri ${redirects[0]} is niet geregistreerd voor ${client.clientId}`);
    return { module, client, redirectUri: redirects[0]! };
  }
  throw new UnverifiedClientError(`client_id ${clientIds[0]} is geen module die bij ${dva.name} is geregistreerd`);
}

/** Everything after the client is verified; errors go back to the module (RFC 6749 §4.1.2.1). */
export function checkSmartAuthorize(params: URLSearchParams, dva: ResolvedDva): SmartAuthorize {
  const state = single(params, "state");
  const responseType = single(params, "response_type");
  if (responseType !== "code") throw new OAuthError(responseType ? "unsupported_response_type" : "invalid_request", "response_type moet code zijn");
  if (!state) throw new OAuthError("invalid_request", "state ontbreekt");
  const aud = single(params, "aud");
  // SMART App Launch 2.x: aud is the FHIR base the app wants to talk to; a wrong one could leak the code.
  if (aud !== dva.fhirBase) throw new OAuthError("invalid_request", `aud moet ${dva.fhirBase} zijn`);
  const launch = single(params, "launch");
  const standalone = !launch && dva.flavour === "koppelmij-2026";
  if (!launch && !standalone) throw new OAuthError("invalid_request", "launch ontbreekt (EHR launch)");
  // RFC 7636 §4.3; SMART 2.x requires S256 and forbids plain.
  const challenge = single(params, "code_challenge");
  const method = single(params, "code_challenge_method");
  if (!challenge) throw new OAuthError("invalid_request", "code_challenge ontbreekt (PKCE is verplicht)");
  if (method !== "S256") throw new OAuthError("invalid_request", `code_challenge_method moet S256 zijn${method ? `, niet ${method}` : ""}`);
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new OAuthError("invalid_request", "code_challenge is geen base64url SHA-256");
  const scopes = scopeWords(single(params, "scope"));
  if (standalone) {
    // SMART launch-standalone + context-standalone-patient (the KoppelMij walkthrough's configuration lists them).
    if (!scopes.includes("launch/patient")) throw new OAuthError("invalid_scope", "een standalone launch vraagt scope launch/patient (of geef launch voor een EHR launch)");
    return { state, scope: grantedSmartScopes(scopes).join(" "), codeChallenge: challenge, launch: null };
  }
  if (!scopes.includes("launch")) throw new OAuthError("invalid_scope", "scope moet launch bevatten (EHR launch)");
  return { state, scope: grantedSmartScopes(scopes).join(" "), codeChallenge: challenge, launch };
}

/** RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge; verifier 43–128 unreserved characters. */
export function pkceMatches(verifier: string | null, challenge: string): boolean {
  if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return sha256(verifier, "base64url") === challenge;
}
