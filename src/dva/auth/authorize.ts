/**
 * The MedMij authorization interface (SD 3.3; RFC 6749 §4.1): `/auth` → DigiD simulator →
 * consent → code on the PGO's redirect URI. Client and redirect URI are verified first; until
 * then errors are a page, never a redirect (RFC 6749 §4.1.2.1, STYLE habit 4).
 */
import { pkcePolicy } from "../../shared/network.ts";
import type { ResolvedDva, ResolvedNetwork, ResolvedPgo, ResolvedZorgaanbieder } from "../../shared/resolved-network.ts";
import { OAuthError } from "../../shared/oauth-error.ts";
import type { OAuthClientEntry } from "./register-client.ts";

/** An error that must be shown as a page (client or redirect URI not verified). */
export class UnverifiedClientError extends Error {
  override name = "UnverifiedClientError";
}

export const AUTH_REQUEST_TTL_MS = 15 * 60_000;
export const CODE_TTL_MS = 10 * 60_000;
export const ONCE_CONSENT_MS = 15 * 60_000;
export const LONG_CONSENT_MS = 182 * 86_400_000;
/** Data service "Verzamelen Aanbiedertaken" (REGISTER.md). */
export const COLLECT_TASKS_SERVICE = "99";

export interface VerifiedClient { pgo: ResolvedPgo; organisatienaam: string; redirectUri: string }
export interface AuthorizeRequest { client: VerifiedClient; state: string; zorgaanbieder: ResolvedZorgaanbieder; codeChallenge: string | null }

/** RFC 6749 §3.1: parameters must not be included more than once. */
function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw Object.assign(new Error(`${name} komt meer dan één keer voor`), { duplicate: name });
  return all[0] ?? null;
}

/** Step 1: client_id on the OAuthclientlist and in the network, redirect_uri registered exactly. */
export function verifyClient(params: URLSearchParams, ocl: OAuthClientEntry[], network: ResolvedNetwork): VerifiedClient {
  let clientId: string | null;
  let redirectUri: string | null;
  try {
    clientId = single(params, "client_id");
    redirectUri = single(params, "redirect_uri");
  } catch (e) {
    throw new UnverifiedClientError((e as Error).message);
  }
  if (!clientId) throw new UnverifiedClientError("client_id ontbreekt");
  const listed = ocl.find((c) => c.hostname === clientId);
  if (!listed) throw new UnverifiedClientError(`client_id ${clientId} staat niet op de OAuthclientlist van het MedMij Register`);
  const pgo = network.pgos.find((g) => g.clientId === clientId);
  if (!pgo) throw new UnverifiedClientError(`client_id ${clientId} is geen PGO van dit netwerk`);
  if (!redirectUri) throw new UnverifiedClientError("redirect_uri ontbreekt");
  if (!pgo.redirectUris.includes(redirectUri)) throw new UnverifiedClientError(`redirect_uri ${redirectUri} is niet geregistreerd voor ${clientId}`);
  return { pgo, organisatienaam: listed.organisatienaam, redirectUri };
}

/**
 * Step 2, after the client is verified: errors now go back to the redirect URI (§4.1.2.1).
 * Unknown parameters are ignored (MedMij authorization interface).
 */
export function checkAuthorizeRequest(params: URLSearchParams, client: VerifiedClient, dva: ResolvedDva, network: ResolvedNetwork): AuthorizeRequest & { stateForError: string | null } {
  let state: string | null = null;
  try {
    state = single(params, "state");
    const responseType = single(params, "response_type");
    const scope = single(params, "scope");
    if (!responseType) throw new OAuthError("invalid_request", "response_type ontbreekt (stap: autorisatieverzoek)");
    if (responseType !== "code") throw new OAuthError("unsupported_response_type", `response_type ${responseType} wordt niet ondersteund; gebruik code`);
    if (!state) throw new OAuthError("invalid_request", "state ontbreekt (stap: autorisatieverzoek)");
    if (state.length > 512) throw new OAuthError("invalid_request", "state is langer dan 512 tekens");
    if (!scope) throw new OAuthError("invalid_scope", "scope ontbreekt: geef de zorgaanbiedernaam zonder @medmij");
    const zorgaanbieder = network.zorgaanbieders.find((z) => z.scope === scope && z.dva === dva.id);
    if (!zorgaanbieder) throw new OAuthError("invalid_scope", `scope ${scope} is geen zorgaanbieder van ${dva.name}`);
    if (!zorgaanbieder.dataServices.includes(COLLECT_TASKS_SERVICE)) {
      throw new OAuthError("invalid_scope", `${zorgaanbieder.name} biedt gegevensdienst ${COLLECT_TASKS_SERVICE} niet aan`);
    }
    const codeChallenge = checkCodeChallenge(single(params, "code_challenge"), single(params, "code_challenge_method"), pkcePolicy(dva));
    return { client, state, zorgaanbieder, codeChallenge, stateForError: state };
  } catch (e) {
    if (e instanceof OAuthError) throw Object.assign(e, { state });
    const duplicate = (e as { duplicate?: string }).duplicate;
    throw Object.assign(new OAuthError("invalid_request", duplicate ? `${duplicate} komt meer dan één keer voor` : String(e)), { state: duplicate === "state" ? null : state });
  }
}

/**
 * PKCE on the collect flow (RFC 7636 §4.3; RFC 9700 §2.1.1): S256 only. `plain`, and a challenge
 * without a method (which means plain, RFC 7636 §4.3), are refused; a DVA whose network sets
 * `pkce: "required"` refuses a request without a challenge. MedMij does not mandate PKCE, so by
 * default a PGO may leave it out.
 */
function checkCodeChallenge(challenge: string | null, method: string | null, policy: "optional" | "required"): string | null {
  if (challenge === null && method === null) {
    if (policy === "required") throw new OAuthError("invalid_request", "code_challenge ontbreekt: deze DVA vereist PKCE (S256) (stap: autorisatieverzoek)");
    return null;
  }
  if (challenge === null) throw new OAuthError("invalid_request", "code_challenge_method zonder code_challenge (stap: autorisatieverzoek)");
  if (method === null) throw new OAuthError("invalid_request", "code_challenge zonder code_challenge_method betekent plain; alleen S256 wordt ondersteund (stap: autorisatieverzoek)");
  if (method !== "S256") throw new OAuthError("invalid_request", `code_challenge_method ${method} wordt niet ondersteund; gebruik S256 (stap: autorisatieverzoek)`);
  // RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new OAuthError("invalid_request", "code_challenge is geen base64url-gecodeerde SHA-256 (43 tekens) (stap: autorisatieverzoek)");
  return challenge;
}
