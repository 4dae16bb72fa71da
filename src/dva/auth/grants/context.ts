/** What every grant handler gets, and the one way a PGO access (+ refresh) token is issued. */
import type { FhirStore } from "../../fhir/store.ts";
import { randomToken } from "../../../shared/crypto.ts";
import { OAuthError } from "../../../shared/oauth-error.ts";
import { BSN_SYSTEM } from "../../../shared/fhir-profiles.ts";
import type { Faults } from "../../../shared/faults.ts";
import type { SigningKey } from "../../../shared/keys.ts";
import type { ResolvedDva, ResolvedNetwork } from "../../../shared/resolved-network.ts";
import type { Consent, DvaAuthStore } from "../store.ts";
import { pseudonym, signAccessToken } from "../tokens.ts";
import type { TokenClient } from "../client-auth.ts";

export interface GrantContext {
  dva: ResolvedDva;
  network: ResolvedNetwork;
  store: DvaAuthStore;
  fhir: FhirStore;
  signingKey: () => Promise<SigningKey>;
  faults: Readonly<Faults>;
  /** When stepUpAlways was switched on: only a DigiD login after that moment passes. */
  stepUpSince: number | null;
  /** The caller's X-Correlation-ID: a launch code carries it on, so the SMART launch joins the journey's trace. */
  traceId: string;
  now: number;
  /**
   * What the grant checked, for its chain-log answer line (SD 4.5.1 f: additional data): the
   * token exchange's launch context — which person, task, PGO and module (SD 3.4 step 2).
   */
  detail: Record<string, unknown>;
}

/** The journey a code was issued in, so the line of its token request joins it: trace and the person's Session ID at the DVA. */
export interface ChainContext { traceId: string; sessionId: string | null }

export type GrantHandler = (ctx: GrantContext, client: TokenClient, form: URLSearchParams) => Promise<Record<string, unknown>>;

/** Data kept with a code or refresh token. `issuedBy` is the code at the root of the lineage. */
export interface CollectGrantData { bsn: string; zorgaanbieder: string; scope: string; redirectUri?: string; issuedBy?: string }

/**
 * The person's Patient at this DVA, by BSN: the one there is, or none. The DVA keeps one Patient
 * per BSN (issue 10); should a database from before hold two, the token is refused rather than
 * bound to a guess (the person would see another record's tasks).
 */
export function patientOfPerson(fhir: FhirStore, dva: string, bsn: string): string | undefined {
  const found = fhir.findByIdentifier(dva, "Patient", BSN_SYSTEM, bsn).map((p) => p.resource.id!).sort();
  if (found.length > 1) {
    throw new OAuthError("invalid_grant", `de DVA kent deze persoon als meer dan één Patient (${found.map((id) => `Patient/${id}`).join(", ")}); de zorgaanbieder moet dat eerst rechtzetten`);
  }
  return found[0];
}

/**
 * Access token for the collect flow, bound to patient, zorgaanbieder and PGO (SPEC §5); a refresh
 * token under long-term consent. Token responses always carry `scope` (and `refresh_token`
 * under long-term consent): real MedMij clients rely on both.
 */
export async function issueCollectTokens(ctx: GrantContext, clientId: string, consent: Consent, data: CollectGrantData, rootHash: string) {
  const patient = patientOfPerson(ctx.fhir, ctx.dva.id, data.bsn);
  const at = await signAccessToken(await ctx.signingKey(), {
    issuer: ctx.dva.auth.origin, audience: ctx.dva.fhirBase, now: ctx.now,
    ttlSeconds: Math.max(1, Math.min(900, Math.floor((consent.expiresAt - ctx.now) / 1000))),
    claims: { sub: pseudonym(ctx.dva.id, data.bsn), ...(patient ? { patient } : {}), zorgaanbieder: data.zorgaanbieder, client_id: clientId, scope: data.scope },
  });
  await ctx.store.recordAccessToken({ jti: at.jti, clientId, consentId: consent.id, issuedBy: rootHash, expiresAt: at.expiresAt });
  const body: Record<string, unknown> = { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope: data.scope };
  if (patient) body.patient = patient;
  if (consent.kind === "long") {
    const refresh = randomToken();
    ctx.store.saveGrant(refresh, {
      kind: "refresh", clientId, consentId: consent.id, createdAt: ctx.now, expiresAt: consent.expiresAt,
      data: { bsn: data.bsn, zorgaanbieder: data.zorgaanbieder, scope: data.scope, issuedBy: rootHash },
    });
    body.refresh_token = refresh;
  }
  return body;
}
