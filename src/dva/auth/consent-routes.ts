/**
 * The consent overview (issue 3 item 7; seed 003 "overzichtspagina toestemmingen"): after a
 * DigiD login at this DVA the person sees their consents per PGO and withdraws them, which
 * revokes the refresh tokens and access tokens issued under them.
 */
import { Elysia } from "elysia";
import { CSRF_FIELD } from "../../shared/csrf.ts";
import { htmlResponse, readForm, redirectAfterPost } from "../../shared/html.ts";
import { formatDateTime } from "../../shared/time.ts";
import { newId } from "../../shared/trace.ts";
import { ConsentOverview, type ConsentRow } from "../../../views/dva/pages.tsx";
import type { AuthDeps } from "./deps.ts";


export const OVERVIEW_PATH = "/toestemmingen";

export function consentRoutes(d: AuthDeps) {
  const { ctx, dva, store } = d;
  const day = (ms: number) => formatDateTime(new Date(ms));

  return new Elysia({ name: `dva-consents:${dva.id}` })
    .get(OVERVIEW_PATH, ({ request }) => {
      const session = d.sessionOf(request);
      if (!session) {
        return d.beginLogin(request, { kind: "overview", clientId: "", redirectUri: OVERVIEW_PATH, scope: "", state: "", traceId: newId() });
      }
      const now = Date.now();
      const rows: ConsentRow[] = store.consentsOf(session.bsn).map((c) => ({
        id: c.id,
        pgo: ctx.network.pgos.find((g) => g.clientId === c.clientId)?.displayName ?? c.clientId,
        zorgaanbieder: ctx.network.zorgaanbieders.find((z) => z.name === c.zorgaanbieder)?.displayName ?? c.zorgaanbieder,
        kind: c.kind, createdAt: day(c.createdAt), expiresAt: day(c.expiresAt),
        status: c.withdrawnAt !== null ? "ingetrokken" : c.expiresAt <= now ? "verlopen" : "actief",
      }));
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ConsentOverview({ theme: d.theme, rows, csrfToken: csrf.token, withdrawn: new URL(request.url).searchParams.has("ingetrokken"),
        personName: ctx.network.patients.find((p) => p.bsn === session.bsn)?.fullName ?? `BSN ${session.bsn}` }), { setCookies: [csrf.setCookie] });
    })
    .post(`${OVERVIEW_PATH}/intrekken`, async ({ request }) => {
      const form = await readForm(request);
      const session = d.sessionOf(request);
      if (!session) return d.technicalError(request, "U bent niet (meer) ingelogd bij deze DVA.", 401);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return d.technicalError(request, "Het formulier is verlopen of niet van deze pagina afkomstig.", 403);
      const consent = form.consent ? store.findConsent(form.consent) : null;
      // Strict isolation: a person can only withdraw their own consents.
      if (!consent || consent.bsn !== session.bsn) return d.technicalError(request, "Deze toestemming bestaat niet.", 404);
      store.withdrawConsent(consent.id, Date.now());
      return redirectAfterPost(request, `${OVERVIEW_PATH}?ingetrokken`);
    });
}
