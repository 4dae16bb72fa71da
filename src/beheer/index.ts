/**
 * MedMij Beheer (`beheer.localhost`, issue 13): Stichting MedMij's logging interface, EagleEye-
 * shaped (`/eagleeye/v1`, api.ts), where every PGO and DVA delivers its SD 4.5 lines (SD 4.5.1),
 * and the dashboards built on them: per chain, per participant, per flow. The API is a
 * framework-free handler (a delivery's body is read only after its credentials, up to 60 MB); the
 * pages are an Elysia app like every actor's.
 */
import { createActorApp } from "../shared/actor-app.ts";
import { actorSites } from "../shared/actor-sites.ts";
import type { StoredChainLine } from "../shared/chain-log.ts";
import type { SandboxContext } from "../shared/context.ts";
import { htmlResponse } from "../shared/html.ts";
import { logsEndpoint, participantsOf } from "../shared/participants.ts";
import { incomingIds } from "../shared/trace.ts";
import { ErrorPage } from "../../views/error-page.tsx";
import { BeheerHome, ChainDetail, ChainPage, ChainsPage, ChainsTable, Overview, type OverviewProps } from "../../views/beheer/pages.tsx";
import { DeliveryPage, ParticipantDetailView, ParticipantPage } from "../../views/beheer/participant.tsx";
import type { Lane } from "../../views/cockpit/logs.tsx";
import { actorColor, themes } from "../../views/theme.ts";
import { API_BASE, createLoggingApi } from "./api.ts";
import { CHAIN_KINDS, type ChainKind } from "./chains.ts";
import { Dashboard } from "./dashboard.ts";
import { BeheerStore, type LineRecord } from "./store.ts";

/** A path parameter; Elysia gives null for one that is not valid percent-encoding ("%ZZ"): then it matches nothing. */
const param = (value: string | null | undefined): string => value ?? "";

/** Chains a list shows. */
const LIST_LIMIT = 50;
const OVERVIEW_CHAINS = 10;

/** A delivered line as the cockpit's timeline draws it; lines that are no JSON object with an event are left out. */
function timelineLines(lines: readonly LineRecord[]): StoredChainLine[] {
  return lines.flatMap((l) => {
    try {
      const value = JSON.parse(l.line) as StoredChainLine;
      return typeof value === "object" && value !== null && typeof value.event === "object" && value.event !== null ? [{ ...value, seq: l.seq }] : [];
    } catch { return []; }
  });
}

export function createBeheer(ctx: SandboxContext): (request: Request, url: URL) => Response | Promise<Response> {
  const participants = participantsOf(ctx.network);
  const store = new BeheerStore(ctx.db, { keepLines: ctx.config.logKeepLines, keepHours: ctx.config.logKeepHours });
  const api = createLoggingApi(store, participants, ctx.network.beheer.origin);
  const dashboard = new Dashboard(store, participants, ctx.network.beheer.abandonAfterMs);
  const lanes = (): Lane[] => actorSites(ctx.network).map((a) => ({ host: a.site.hostname, title: a.title, color: actorColor(a.kind, a.dvaIndex, a.pgoIndex) }));
  const kindOf = (raw: string | null): ChainKind | null => (CHAIN_KINDS as readonly string[]).includes(raw ?? "") ? raw as ChainKind : null;
  // The overview parses the newest lines (in steps, tens of ms in all): every open page polls it, so it is
  // computed once per new delivery and at most every 2 s (the verdicts depend on the clock too).
  // Computed in steps (the dashboard yields between them, issue 16); pages asking meanwhile share the computation.
  let cached: { key: string; value: Promise<OverviewProps> } | null = null;
  const overview = (): Promise<OverviewProps> => {
    const key = `${store.lastDeliverySeq()} ${Math.floor(Date.now() / 2000)}`;
    if (cached?.key !== key) {
      const value = (async () => ({ participants: dashboard.summaries(), chains: await dashboard.chains(null, OVERVIEW_CHAINS), flows: await dashboard.flows(),
        abandonAfterMs: dashboard.abandonAfterMs }))();
      cached = { key, value };
      value.catch(() => { if (cached?.value === value) cached = null; }); // a failure is not kept: the next poll tries again
    }
    return cached.value;
  };
  const notFound = (request: Request, heading: string, message: string) => htmlResponse(ErrorPage({ theme: themes.beheer, heading, message,
    traceId: incomingIds(request).traceId, back: { href: "/", label: "Naar de ketenmonitoring" } }), { status: 404 });

  const pages = createActorApp("beheer", themes.beheer)
    .get("/", async () => htmlResponse(BeheerHome({ ...await overview(), endpoint: logsEndpoint(ctx.network) })))
    .get("/partials/overzicht", async () => htmlResponse(Overview(await overview())))
    .get("/ketens", async ({ request }) => {
      const kind = kindOf(new URL(request.url).searchParams.get("soort"));
      return htmlResponse(ChainsPage({ list: await dashboard.chains(kind, LIST_LIMIT), kind }));
    })
    .get("/partials/ketens", async ({ request }) => {
      const kind = kindOf(new URL(request.url).searchParams.get("soort"));
      const list = await dashboard.chains(kind, LIST_LIMIT);
      return htmlResponse(ChainsTable({ verdicts: list.verdicts, caption: `Nieuwste eerst, uit de laatste ${list.looked} ketens.` }));
    })
    .get("/ketens/:traceId", ({ params, request }) => {
      const found = dashboard.verdict(param(params.traceId).slice(0, 200));
      if (!found) return notFound(request, "Keten niet gevonden", "MedMij Beheer heeft (nog) geen regels met deze trace id ontvangen.");
      return htmlResponse(ChainPage({ verdict: found.verdict, lines: timelineLines(found.lines), lanes: lanes(), cockpit: ctx.network.cockpit.origin }));
    })
    .get("/ketens/:traceId/regels.ndjson", ({ params, request }) => {
      const traceId = param(params.traceId).slice(0, 200);
      const lines = store.chainLines(traceId);
      if (lines.length === 0) return notFound(request, "Keten niet gevonden", "MedMij Beheer heeft (nog) geen regels met deze trace id ontvangen.");
      const file = /^[A-Za-z0-9._:-]{1,128}$/.test(traceId) ? traceId : "keten";
      return new Response(lines.map((l) => l.line).join("\n") + "\n", { headers: {
        "Content-Type": "application/x-ndjson", "Content-Disposition": `attachment; filename="keten-${file}.ndjson"` } });
    })
    .get("/partials/keten", ({ request }) => {
      const found = dashboard.verdict((new URL(request.url).searchParams.get("trace_id") ?? "").slice(0, 200));
      if (!found) return htmlResponse("<p class=\"hint\">Nog geen regels in deze keten.</p>");
      return htmlResponse(ChainDetail({ verdict: found.verdict, lines: timelineLines(found.lines), lanes: lanes() }));
    })
    .get("/deelnemers/:username", async ({ params, request }) => {
      const d = await dashboard.detail(param(params.username));
      if (!d) return notFound(request, "Deelnemer niet gevonden", "Deze PGO of DVA staat niet in het netwerk.");
      return htmlResponse(ParticipantPage({ d }));
    })
    .get("/partials/deelnemer", async ({ request }) => {
      const d = await dashboard.detail(new URL(request.url).searchParams.get("u") ?? "");
      return d ? htmlResponse(ParticipantDetailView({ d })) : htmlResponse("", { status: 404 });
    })
    .get("/aanleveringen/:id", ({ params, request }) => {
      const d = store.delivery(param(params.id).slice(0, 100));
      if (!d) return notFound(request, "Aanlevering niet gevonden", "Deze aanlevering bestaat niet (meer); aanleveringen worden bewaard zolang de logregels.");
      return htmlResponse(DeliveryPage({ d, name: dashboard.participant(d.deelnemer)?.name ?? d.deelnemer, problems: store.problemsOf(d) }));
    });

  return (request, url) => url.pathname === API_BASE || url.pathname.startsWith(`${API_BASE}/`) ? api(request, url) : pages.handle(request);
}
