/**
 * Who is calling the token endpoint (SPEC §5 "Client authentication").
 * PGOs: identified by client_id (their hostname, on the OAuthclientlist) — real MedMij PGOs
 * authenticate with a PKIoverheid TLS certificate, which plain HTTP cannot carry; if the network
 * gives a PGO a secret and the request has HTTP Basic credentials, they must match.
 * Modules and zorgaanbieder systems: client_secret_basic or client_secret_post (RFC 6749 §2.3.1).
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { constantTimeEqual as equal } from "../../shared/crypto.ts";
import { OAuthError } from "../../shared/oauth-error.ts";
import type { ResolvedDva, ResolvedNetwork, ResolvedPgo } from "../../shared/resolved-network.ts";

export type TokenClient =
  | { kind: "pgo"; clientId: string; pgo: ResolvedPgo }
  /** `public`: no client secret (issue 14); its codes need PKCE S256. */
  | { kind: "module"; clientId: string; moduleId: string; public: boolean }
  | { kind: "system"; clientId: string; zorgaanbieder: string };

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function basicCredentials(request: Request): { id: string; secret: string } | null {
  const header = request.headers.get("authorization");
  if (!header || !/^basic /i.test(header)) return null;
  let decoded: string;
  try { decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8"); } catch { throw new OAuthError("invalid_client", "Basic-credentials zijn niet leesbaar"); }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new OAuthError("invalid_client", "Basic-credentials zijn niet leesbaar");
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")) };
  } catch {
    throw new OAuthError("invalid_client", "Basic-credentials zijn niet leesbaar");
  }
}

/**
 * `secretRequired`: the endpoint needs real client authentication (RFC 7662 §2.1 introspection),
 * so a PGO is accepted only with the secret the network gives it; one without a secret cannot call it.
 */
export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * RFC 7523 §2.2 / §3 (`private_key_jwt`, Koppeltaal 2.0 modules; issue 15 §3): a JWT the module
 * signed with a key of its `jwks`, `iss` = `sub` = its client_id, `aud` this DVA's token (or
 * introspection) endpoint or its issuer, unexpired, `jti` once. Else the secret-based rules below.
 */
export async function authenticateClientAsync(request: Request, form: URLSearchParams, dva: ResolvedDva, network: ResolvedNetwork, o: { secretRequired?: boolean; useAssertion?: (jti: string, expiresAt: number) => boolean } = {}): Promise<TokenClient> {
  const assertion = form.get("client_assertion");
  if (assertion === null && form.get("client_assertion_type") === null) return authenticateClient(request, form, dva, network, o);
  if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE || !assertion) throw new OAuthError("invalid_client", `client_assertion_type moet ${CLIENT_ASSERTION_TYPE} zijn, met een client_assertion`);
  if (request.headers.has("authorization") || form.get("client_secret") !== null) throw new OAuthError("invalid_request", "gebruik één methode van clientauthenticatie");
  let claimed: string | undefined;
  try { claimed = decodeJwt(assertion).iss; } catch { throw new OAuthError("invalid_client", "client_assertion is geen JWT"); }
  const clientId = form.get("client_id") ?? claimed;
  for (const m of network.modules) {
    const c = m.clients.find((x) => x.dva === dva.id && x.clientId === clientId);
    if (!c) continue;
    if (!c.jwks) throw new OAuthError("invalid_client", `${clientId} heeft geen publieke sleutels (jwks) in het netwerk; gebruik het client secret`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(c.jwks as unknown as JSONWebKeySet), { issuer: clientId, subject: clientId,
        audience: [`${dva.auth.origin}/connect/token`, `${dva.auth.origin}/connect/introspect`, `${dva.auth.origin}/connect/revocation`, `${dva.auth.origin}/revoke`, dva.auth.origin], requiredClaims: ["exp", "jti"] }));
    } catch (e) {
      throw new OAuthError("invalid_client", `client_assertion is ongeldig: ${(e as Error).message}`);
    }
    if (o.useAssertion && !o.useAssertion(String(payload.jti), Number(payload.exp) * 1000)) throw new OAuthError("invalid_client", "client_assertion is al gebruikt (jti)");
    return { kind: "module", clientId: clientId!, moduleId: m.id, public: false };
  }
  throw new OAuthError("invalid_client", `onbekende client ${clientId} bij ${dva.name}`);
}

export function authenticateClient(request: Request, form: URLSearchParams, dva: ResolvedDva, network: ResolvedNetwork, o: { secretRequired?: boolean } = {}): TokenClient {
  const basic = basicCredentials(request);
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (basic && formSecret !== null) throw new OAuthError("invalid_request", "gebruik één methode van clientauthenticatie, niet Basic én client_secret");
  if (basic && formId !== null && formId !== basic.id) throw new OAuthError("invalid_client", "client_id verschilt van de Basic-credentials");
  const clientId = basic?.id ?? formId;
  const secret = basic?.secret ?? formSecret;
  if (!clientId) throw new OAuthError("invalid_client", "client_id ontbreekt");

  const pgo = network.pgos.find((g) => g.clientId === clientId);
  if (pgo) {
    if (o.secretRequired && pgo.clientSecret === undefined) {
      throw new OAuthError("invalid_client", `${clientId} heeft in het netwerk geen client secret en kan zich hier dus niet authenticeren (RFC 7662 §2.1)`);
    }
    if (o.secretRequired && secret === null) throw new OAuthError("invalid_client", "client secret ontbreekt (client_secret_basic of client_secret_post)");
    if (pgo.clientSecret !== undefined && secret !== null && !equal(secret, pgo.clientSecret)) throw new OAuthError("invalid_client", "onjuist client secret");
    return { kind: "pgo", clientId, pgo };
  }
  for (const m of network.modules) {
    const c = m.clients.find((x) => x.dva === dva.id && x.clientId === clientId);
    if (c) {
      if (c.jwks) throw new OAuthError("invalid_client", `${clientId} authenticeert met een client assertion (RFC 7523, private_key_jwt): stuur client_assertion_type en client_assertion`);
      if (c.clientSecret === undefined) {
        // A public client (RFC 6749 §2.1, SMART client-public): it names itself in the form and
        // proves nothing here; the authorization code it redeems is bound by PKCE S256 instead.
        if (basic || formSecret !== null) throw new OAuthError("invalid_client", `${clientId} is een publieke client zonder client secret: stuur alleen client_id (en PKCE)`);
        if (o.secretRequired) throw new OAuthError("invalid_client", `${clientId} is een publieke client en kan zich hier niet authenticeren (RFC 7662 §2.1)`);
        return { kind: "module", clientId, moduleId: m.id, public: true };
      }
      if (secret === null) throw new OAuthError("invalid_client", "client secret ontbreekt (client_secret_basic of client_secret_post)");
      if (!equal(secret, c.clientSecret)) throw new OAuthError("invalid_client", "onjuist client secret");
      return { kind: "module", clientId, moduleId: m.id, public: false };
    }
  }
  const za = network.zorgaanbieders.find((z) => z.dva === dva.id && z.systemClient.clientId === clientId);
  const system = za ? { zorgaanbieder: za.name, clientSecret: za.systemClient.clientSecret }
    : network.systems.find((x) => x.clientId === clientId && network.zorgaanbieders.some((z) => z.name === x.zorgaanbieder && z.dva === dva.id));
  if (system) {
    if (secret === null || !equal(secret, system.clientSecret)) throw new OAuthError("invalid_client", "onjuist of ontbrekend client secret");
    return { kind: "system", clientId, zorgaanbieder: system.zorgaanbieder };
  }
  throw new OAuthError("invalid_client", `onbekende client ${clientId} bij ${dva.name}`);
}
