/** Every actor of the network with its site, in the order the cockpit and the startup lines show them. */
import type { ResolvedNetwork, Site } from "./resolved-network.ts";

export type ActorKind = "cockpit" | "register" | "digid" | "dva-auth" | "dva-fhir" | "pgo" | "module" | "xis" | "beheer" | "verbind";

export interface ActorSite { kind: ActorKind; title: string; site: Site; dvaId?: string; pgoIndex?: number; dvaIndex?: number }

export function actorSites(n: ResolvedNetwork): ActorSite[] {
  const moduleHosts = [...new Map(n.modules.map((m) => [m.site.origin, m])).values()];
  return [
    { kind: "cockpit", title: "Cockpit", site: n.cockpit },
    { kind: "register", title: "MedMij Register", site: n.register },
    { kind: "digid", title: "DigiD-simulator", site: n.digid },
    ...n.dvas.flatMap((d, i): ActorSite[] => [
      { kind: "dva-auth", title: `${d.name} — autorisatieserver`, site: d.auth, dvaId: d.id, dvaIndex: i },
      { kind: "dva-fhir", title: `${d.name} — FHIR-server`, site: d.fhir, dvaId: d.id, dvaIndex: i },
    ]),
    ...n.pgos.map((g, i): ActorSite => ({ kind: "pgo", title: g.displayName, site: g.site, pgoIndex: i })),
    ...moduleHosts.map((m): ActorSite => ({ kind: "module", title: `Module-applicatie (${n.modules.filter((x) => x.site.origin === m.site.origin).map((x) => x.name).join(", ")})`, site: m.site })),
    { kind: "xis", title: n.xis.displayName, site: n.xis },
    { kind: "beheer", title: "MedMij Beheer", site: n.beheer },
    { kind: "verbind", title: "Verbind.MedMij", site: n.verbind },
  ];
}

/** Where an actor answers /health: the FHIR server's base path is /fhir, but /health is at the host root. */
export function healthUrl(a: ActorSite): string {
  return `${a.site.origin}/health`;
}
