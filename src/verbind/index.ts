/**
 * Verbind.MedMij (`verbind.localhost`, issue 14 §2; SD 4.6 steps 3–8, AM-FE-014/015): the neutral
 * page an invitation links to. `/code/<ZAcode>` (7 digits, the last a check digit; the
 * zorgaanbiedernaam is accepted too) names the zorgaanbieder and lists only the PGOs that support
 * Aanbiedermodules, each linking to that PGO's deep link with the zorgaanbieder preselected
 * (`<PGO>/verbind?zorgaanbieder=<name>`, SPEC §7). Like the Register it is Stichting MedMij's own
 * service and reads the network it is part of; `GET /api/pgos` gives the same PGO list to
 * participants over HTTP (the clinician portal, AM-FE-004).
 */
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import { htmlResponse, jsonResponse } from "../shared/html.ts";
import { verbindCodeValid } from "../shared/network.ts";
import type { ResolvedNetwork, ResolvedZorgaanbieder } from "../shared/resolved-network.ts";
import { incomingIds } from "../shared/trace.ts";
import { ErrorPage } from "../../views/error-page.tsx";
import { themes } from "../../views/theme.ts";
import { VerbindHome, VerbindPage, type VerbindPgo } from "../../views/verbind/pages.tsx";

/** The PGOs Verbind.MedMij offers: those on the network's lists that support Aanbiedermodules (data service 99). */
export function modulePgos(n: ResolvedNetwork): VerbindPgo[] {
  return n.pgos.filter((g) => g.aanbiedermodules)
    .map((g) => ({ name: g.displayName, hostname: g.clientId, base: g.site.origin }))
    .sort((a, b) => a.name.localeCompare(b.name, "nl"));
}

/** A code or a name → the zorgaanbieder; null when none (or a 7-digit code whose check digit is wrong). */
export function zorgaanbiederOf(n: ResolvedNetwork, raw: string): ResolvedZorgaanbieder | null {
  const code = raw.trim().toLowerCase();
  if (/^\d{7}$/.test(code)) return verbindCodeValid(code) ? n.zorgaanbieders.find((z) => z.verbindCode === code) ?? null : null;
  const name = code.endsWith("@medmij") ? code : `${code}@medmij`;
  return n.zorgaanbieders.find((z) => z.name === name) ?? null;
}

export function createVerbind(ctx: SandboxContext) {
  const theme = themes.verbind;
  const deepLink = (pgo: VerbindPgo, za: ResolvedZorgaanbieder) => `${pgo.base}/verbind?zorgaanbieder=${encodeURIComponent(za.name)}`;
  const unknown = (request: Request, code: string) => htmlResponse(ErrorPage({ theme, heading: "Deze link kennen we niet",
    message: /^\d{7}$/.test(code) && !verbindCodeValid(code)
      ? `De code ${code} klopt niet: het laatste cijfer is een controlecijfer. Controleer de link in uw e-mail of vraag uw zorgaanbieder om een nieuwe.`
      : "Bij deze link hoort geen zorgaanbieder. Controleer de link in uw e-mail of vraag uw zorgaanbieder om een nieuwe.",
    traceId: incomingIds(request).traceId, back: { href: "/", label: "Naar Verbind.MedMij" } }), { status: 404 });

  return createActorApp("verbind", theme)
    .get("/", ({ request }) => {
      const q = (new URL(request.url).searchParams.get("code") ?? "").trim().slice(0, 100);
      if (q) return new Response(null, { status: 303, headers: { Location: `/code/${encodeURIComponent(q)}` } });
      return htmlResponse(VerbindHome({ theme }));
    })
    .get("/code/:code", ({ params, request }) => {
      const code = (params.code ?? "").slice(0, 100);
      const za = zorgaanbiederOf(ctx.network, code);
      if (!za) return unknown(request, code);
      const pgos = modulePgos(ctx.network).map((p) => ({ ...p, href: deepLink(p, za) }));
      return htmlResponse(VerbindPage({ theme, zorgaanbieder: za.displayName, code: za.verbindCode, pgos }));
    })
    .get("/api/pgos", () => jsonResponse({ pgos: modulePgos(ctx.network).map(({ name, hostname, base }) => ({ name, hostname, base })) }));
}
