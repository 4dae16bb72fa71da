/**
 * DigiD simulator (issue 2 item 8): a DVA sends the browser to `/authenticate?return_url&state`;
 * the person picks a persona or types a BSN; the simulator returns to the DVA with a signed
 * assertion or `error=cancelled`. Only return URLs on a DVA of the network are accepted, so the
 * simulator is no open redirect. Clearly a simulator: no real DigiD branding.
 */
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import { isValidBsn, normalizeBsn } from "../shared/bsn.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, jsonResponse, readForm } from "../shared/html.ts";
import { lazySigningKey } from "../shared/keys.ts";
import { incomingIds } from "../shared/trace.ts";
import { ErrorPage } from "../../views/error-page.tsx";
import { DigidHome, DigidLogin } from "../../views/digid/login.tsx";
import { themes } from "../../views/theme.ts";
import { signAssertion } from "./assertion.ts";
import { DigidStore } from "./store.ts";

export const MAX_STATE_LENGTH = 512;

export function createDigid(ctx: SandboxContext) {
  const store = new DigidStore(ctx.db);
  const signingKey = lazySigningKey(store);

  /** The return URL if it lies on a DVA authorization host of this network, else null. */
  function verifiedReturnUrl(raw: unknown): URL | null {
    if (typeof raw !== "string" || raw.length > 2048) return null;
    let url: URL;
    try { url = new URL(raw); } catch { return null; }
    if (url.username || url.password || url.hash) return null;
    return ctx.network.dvas.some((d) => d.auth.origin === url.origin) ? url : null;
  }

  function refuse(request: Request, message: string, status = 400) {
    return htmlResponse(ErrorPage({ theme: themes.digid, heading: "Inloggen niet mogelijk", message, traceId: incomingIds(request).traceId }), { status });
  }

  function back(url: URL, params: Record<string, string>): Response {
    const target = new URL(url);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    return new Response(null, { status: 303, headers: { Location: target.href } });
  }

  const personas = () => ctx.network.patients.map((p) => ({ name: p.fullName, bsn: p.bsn }));

  const app = createActorApp("digid", themes.digid)
    .get("/", () => htmlResponse(DigidHome({ origin: ctx.network.digid.origin, dvas: ctx.network.dvas.map((d) => d.auth.origin) })))
    .get("/.well-known/jwks.json", async () => jsonResponse({ keys: [(await signingKey()).publicJwk] }, 200, { "Cache-Control": "max-age=300" }))
    .get("/authenticate", ({ request }) => {
      const url = new URL(request.url);
      const returnUrl = verifiedReturnUrl(url.searchParams.get("return_url"));
      const state = url.searchParams.get("state") ?? "";
      if (!returnUrl) return refuse(request, "Het terugkeeradres hoort niet bij een DVA van dit netwerk. De simulator stuurt u daar niet heen.");
      if (state === "" || state.length > MAX_STATE_LENGTH) return refuse(request, "De aanvraag mist een geldige state-parameter.");
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(DigidLogin({ returnUrl: returnUrl.href, state, csrfToken: csrf.token, personas: personas() }), { setCookies: [csrf.setCookie] });
    })
    .post("/authenticate", async ({ request }) => {
      const form = await readForm(request);
      const returnUrl = verifiedReturnUrl(form.return_url);
      const state = form.state ?? "";
      if (!returnUrl) return refuse(request, "Het terugkeeradres hoort niet bij een DVA van dit netwerk. De simulator stuurt u daar niet heen.");
      if (state === "" || state.length > MAX_STATE_LENGTH) return refuse(request, "De aanvraag mist een geldige state-parameter.");
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return refuse(request, "Het formulier is verlopen of niet van deze pagina afkomstig. Begin opnieuw bij de DVA.", 403);

      if (form.action === "cancel" || ctx.faults.get().digidCancel) return back(returnUrl, { error: "cancelled", state });

      const typed = (form.bsn ?? "").trim();
      const chosen = typed !== "" ? typed : (form.persona ?? "");
      const bsn = normalizeBsn(chosen);
      const message = chosen === "" ? "Kies een persoon of vul een BSN in."
        : !bsn || !isValidBsn(bsn) ? "Dit is geen geldig BSN: het moet uit 9 cijfers bestaan en de elfproef doorstaan."
        : null;
      if (message) {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(DigidLogin({ returnUrl: returnUrl.href, state, csrfToken: csrf.token, personas: personas(), error: message, bsn: typed,
          selected: form.persona }),
          { status: 422, setCookies: [csrf.setCookie] });
      }
      const assertion = await signAssertion(await signingKey(), { issuer: ctx.network.digid.origin, audience: returnUrl.origin, bsn: bsn!, state });
      return back(returnUrl, { assertion, state });
    });

  return { app };
}
