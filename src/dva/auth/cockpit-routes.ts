/**
 * For the cockpit's token inspector only (issue 14 §4, like mock-oauth2-server's debugger): what
 * this DVA knows of a token or code, and the live tokens of a person or client. HTTP Basic with
 * the sandbox's own secret (`cockpit_dva_secret`, never in /api/network): no participant can call
 * these, and they say what RFC 7662 introspection would only say to the token's own client.
 * Codes, refresh tokens and launch codes are stored as SHA-256, so the inspector finds one only
 * when it is pasted; the list shows ids, never a secret.
 */
import { decodeJwt } from "jose";
import { Elysia } from "elysia";
import { constantTimeEqual } from "../../shared/crypto.ts";
import { jsonResponse } from "../../shared/html.ts";
import { NO_STORE } from "../../shared/oauth-error.ts";
import { BSN_SYSTEM } from "../../shared/fhir-profiles.ts";
import { OAuthError } from "../../shared/oauth-error.ts";
import type { AuthDeps } from "./deps.ts";
import { HTI_TTL_SECONDS, LAUNCH_SIMULATIONS, issueHtiToken, launchTarget, mintLaunch, type LaunchSimulation } from "./direct-launch.ts";
import { moduleOfTask } from "./task-module.ts";
import type { GrantKind } from "./store.ts";
import { verifyAccessToken } from "./subject-token.ts";

export const COCKPIT_CLIENT = "sandbox-cockpit";



const GRANT_NAMES: Record<GrantKind, string> = { code: "autorisatiecode", refresh: "refresh token", launch: "launch-code" };

export function cockpitRoutes(d: AuthDeps) {
  const { store, dva } = d;
  const allowed = (request: Request) => {
    const header = request.headers.get("authorization") ?? "";
    if (!/^basic /i.test(header)) return false;
    const [id, secret] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":");
    return id === COCKPIT_CLIENT && constantTimeEqual(secret ?? "", d.ctx.secret("cockpit_dva_secret"));
  };
  const denied = () => jsonResponse({ error: "invalid_client" }, 401, { ...NO_STORE, "WWW-Authenticate": 'Basic realm="sandbox-cockpit"' });
  const personOf = (consentId: string | null) => {
    const consent = consentId ? store.findConsent(consentId) : null;
    return consent ? { bsn: consent.bsn, zorgaanbieder: consent.zorgaanbieder, consent: consent.kind, consentWithdrawn: consent.withdrawnAt !== null } : null;
  };

  return new Elysia()
    .post("/_cockpit/introspect", async ({ request }) => {
      if (!allowed(request)) return denied();
      const token = new URLSearchParams(await request.text()).get("token")?.trim() ?? "";
      if (!token) return jsonResponse({ error: "invalid_request", error_description: "token ontbreekt" }, 400, NO_STORE);
      const now = Date.now();
      if (token.split(".").length === 3) {
        let claims: Record<string, unknown>;
        try { claims = decodeJwt(token); } catch { return jsonResponse({ known: false }, 200, NO_STORE); }
        if (claims.iss !== dva.auth.origin) return jsonResponse({ known: false }, 200, NO_STORE);
        const verified = await verifyAccessToken(token, { key: await d.signingKey(), issuer: dva.auth.origin, audience: dva.fhirBase, store, now });
        const jti = typeof claims.jti === "string" ? claims.jti : "";
        const reason = verified ? null : typeof claims.exp === "number" && claims.exp * 1000 <= now ? "verlopen" : store.isAccessTokenRevoked(jti) ? "ingetrokken" : "ongeldige handtekening of audience";
        return jsonResponse({ known: true, dva: dva.id, kind: "access token", active: !!verified, reason, client_id: claims.client_id ?? null,
          person: personOf(store.consentOfAccessToken(jti)?.id ?? null) }, 200, NO_STORE);
      }
      for (const kind of ["launch", "code", "refresh"] as GrantKind[]) {
        const g = store.findGrant<Record<string, unknown>>(token, kind);
        if (!g) continue;
        const reason = g.revokedAt !== null ? "ingetrokken" : g.usedAt !== null && kind !== "refresh" ? "al gebruikt" : g.expiresAt <= now ? "verlopen" : null;
        return jsonResponse({ known: true, dva: dva.id, kind: GRANT_NAMES[kind], active: reason === null, reason, client_id: g.clientId,
          person: personOf(g.consentId) ?? (typeof g.data.bsn === "string" ? { bsn: g.data.bsn, zorgaanbieder: g.data.zorgaanbieder ?? null, consent: null, consentWithdrawn: false } : null),
          task: g.data.task ?? null, expiresAt: new Date(g.expiresAt).toISOString(), usedAt: g.usedAt ? new Date(g.usedAt).toISOString() : null }, 200, NO_STORE);
      }
      return jsonResponse({ known: false }, 200, NO_STORE);
    })
    // The persona's Tasks here, for the launch link generator's choice.
    .get("/_cockpit/tasks", ({ request }) => {
      if (!allowed(request)) return denied();
      const bsn = new URL(request.url).searchParams.get("bsn") ?? "";
      const patients = d.fhir.findByIdentifier(dva.id, "Patient", BSN_SYSTEM, bsn).map((p) => `Patient/${p.resource.id}`);
      const tasks = patients.flatMap((ref) => d.fhir.byPatient(dva.id, "Task", ref)).map((t) => t.resource)
        .map((t) => {
          const module = moduleOfTask(d.fhir, dva.id, t);
          return { id: String(t.id), status: String(t.status), title: String(module?.activityDefinition.title ?? t.description ?? t.id).slice(0, 120), module: module?.clientId ?? null };
        });
      return jsonResponse({ tasks }, 200, NO_STORE);
    })
    /**
     * A launch code for a Task as the token exchange would issue it, for the cockpit's launch link
     * generator: a once-consent of the person for the Task's zorgaanbieder (the cockpit as its
     * client), optionally with a simulated error that this DVA then acts out.
     */
    .post("/_cockpit/launch", async ({ request }) => {
      if (!allowed(request)) return denied();
      let body: { task?: unknown; client_id?: unknown; simulate?: unknown; return_url?: unknown; kind?: unknown };
      try { body = await request.json() as typeof body; } catch { return jsonResponse({ error: "invalid_request", error_description: "JSON" }, 400, NO_STORE); }
      const simulate = typeof body.simulate === "string" && body.simulate ? body.simulate as LaunchSimulation : null;
      if (simulate && !LAUNCH_SIMULATIONS.includes(simulate)) return jsonResponse({ error: "invalid_request", error_description: `simulate is een van ${LAUNCH_SIMULATIONS.join(", ")}` }, 400, NO_STORE);
      try {
        const target = launchTarget(d, body.task, body.client_id);
        // A Koppeltaal 2.0 launch (issue 15 §3): an HTI token for a DVA that accepts them.
        if (body.kind === "hti") {
          if (!dva.koppeltaal) throw new OAuthError("invalid_request", `${dva.name} accepteert geen Koppeltaal-launches (koppeltaal staat uit)`);
          return jsonResponse({ launch: await issueHtiToken(d, target), kind: "hti", iss: dva.fhirBase, client_id: target.clientId, launch_url: target.launchUrl,
            expires_at: new Date(Date.now() + HTI_TTL_SECONDS * 1000).toISOString(), simulate: null }, 201, NO_STORE);
        }
        const code = mintLaunch(d, target, { launcher: COCKPIT_CLIENT, returnUrl: typeof body.return_url === "string" ? body.return_url : null, simulate });
        return jsonResponse({ launch: code, kind: "code", iss: dva.fhirBase, client_id: target.clientId, launch_url: target.launchUrl,
          expires_at: new Date(Date.now() + 10 * 60_000).toISOString(), simulate }, 201, NO_STORE);
      } catch (e) {
        if (e instanceof OAuthError) return jsonResponse({ error: e.error, error_description: e.description }, 400, NO_STORE);
        throw e;
      }
    })
    .get("/_cockpit/tokens", ({ request }) => {
      if (!allowed(request)) return denied();
      const url = new URL(request.url);
      return jsonResponse({ dva: dva.id, tokens: store.liveTokens({ bsn: url.searchParams.get("bsn"), clientId: url.searchParams.get("client_id") }, Date.now())
        .map((t) => ({ ...t, kind: t.kind === "access" ? "access token" : GRANT_NAMES[t.kind] })) }, 200, NO_STORE);
    });
}
