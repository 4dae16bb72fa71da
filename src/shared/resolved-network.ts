/**
 * A network definition placed on a domain and port: every host becomes an absolute origin.
 * Actors read URLs from here and nowhere else, so that "Absolute URLs in pages and documents use
 * the public host and port" holds everywhere.
 */
import {
  DEFAULT_BEHEER, DEFAULT_VERBIND, beheerCredentials, flavourOf, verbindCodeOf, type Flavour,
  type BeheerCredentials, type ClinicianDefinition, type DataServiceDefinition, type DvaDefinition, type ModuleDefinition,
  type NetworkDefinition, type PatientDefinition, type PgoDefinition, type SystemDefinition, type ZorgaanbiederDefinition,
} from "./network.ts";

export interface Site {
  /** Host name without port: "auth.zorgnet.localhost". Used as MedMij hostname and PGO client_id. */
  hostname: string;
  /** "http://auth.zorgnet.localhost:8080" — no trailing slash. */
  origin: string;
  /** Served by this process (false: an external implementation named by URL). */
  internal: boolean;
}

export interface ResolvedDva extends Omit<DvaDefinition, "beheer" | "flavour" | "koppeltaal"> { auth: Site; fhir: Site; fhirBase: string; beheer: BeheerCredentials; flavour: Flavour; koppeltaal: boolean }
export interface ResolvedZorgaanbieder extends Omit<ZorgaanbiederDefinition, "verbindCode"> { dvaSite: ResolvedDva; scope: string; verbindCode: string }
export interface ResolvedPgo extends Omit<PgoDefinition, "redirectUris" | "beheer" | "aanbiedermodules"> { site: Site; clientId: string; redirectUris: string[]; beheer: BeheerCredentials; aanbiedermodules: boolean }
/** `clientSecret` undefined: a public client (PKCE S256, CORS from the module's origin). */
export interface ResolvedModuleClient { dva: string; clientId: string; clientSecret: string | undefined; jwks?: { keys: Record<string, unknown>[] }; redirectUris: string[] }
export interface ResolvedModule extends Omit<ModuleDefinition, "clients"> { site: Site; launchUrl: string; clients: ResolvedModuleClient[] }
export interface ResolvedPatient extends PatientDefinition { fullName: string }
export interface ResolvedClinician extends ClinicianDefinition { fullName: string }

export interface ResolvedNetwork {
  name: string;
  domain: string;
  port: number;
  cockpit: Site;
  register: Site;
  digid: Site;
  xis: Site & { displayName: string };
  /** MedMij Beheer (issue 13): the logging interface and its dashboards. */
  beheer: Site & { abandonAfterMs: number };
  verbind: Site;
  dataServices: DataServiceDefinition[];
  dvas: ResolvedDva[];
  zorgaanbieders: ResolvedZorgaanbieder[];
  pgos: ResolvedPgo[];
  modules: ResolvedModule[];
  systems: SystemDefinition[];
  patients: ResolvedPatient[];
  clinicians: ResolvedClinician[];
  /** The definition as loaded (for /api/network and reseeding). */
  definition: NetworkDefinition;
}

export function siteOf(host: string, domain: string, port: number): Site {
  if (host.includes("://")) {
    const url = new URL(host);
    return { hostname: url.hostname, origin: url.origin, internal: false };
  }
  const hostname = host === "" ? domain : `${host}.${domain}`;
  return { hostname, origin: `http://${hostname}${port === 80 ? "" : `:${port}`}`, internal: true };
}

function absolute(site: Site, pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${site.origin}${pathOrUrl}`;
}

export function fullName(p: { given: string; family: string }): string {
  return `${p.given} ${p.family}`;
}

export function resolveNetwork(def: NetworkDefinition, domain: string, port: number): ResolvedNetwork {
  const site = (host: string) => siteOf(host, domain, port);
  const dvas: ResolvedDva[] = def.dvas.map((d) => {
    const fhir = site(d.fhirHost);
    return { ...d, auth: site(d.authHost), fhir, fhirBase: `${fhir.origin}/fhir`, beheer: beheerCredentials(d, d.id), ...flavourOf(d) };
  });
  const dvaById = new Map(dvas.map((d) => [d.id, d]));
  return {
    name: def.name,
    domain,
    port,
    cockpit: site(""),
    register: site(def.register.host),
    digid: site(def.digid.host),
    xis: { ...site(def.xis.host), displayName: def.xis.displayName },
    beheer: { ...site(def.beheer?.host ?? DEFAULT_BEHEER.host),
      abandonAfterMs: (def.beheer?.abandonAfterSeconds ?? DEFAULT_BEHEER.abandonAfterSeconds) * 1000 },
    verbind: site(def.verbind?.host ?? DEFAULT_VERBIND.host),
    dataServices: def.dataServices,
    dvas,
    zorgaanbieders: def.zorgaanbieders.map((z) => ({
      ...z,
      dvaSite: dvaById.get(z.dva)!,
      // SD 3.3: the scope is the zorgaanbiedernaam without "@medmij".
      scope: z.name.replace(/@medmij$/, ""),
      verbindCode: verbindCodeOf(z),
    })),
    pgos: def.pgos.map((g) => {
      const s = site(g.host);
      return { ...g, site: s, clientId: s.hostname, redirectUris: g.redirectUris.map((u) => absolute(s, u)), beheer: beheerCredentials(g, s.hostname), aanbiedermodules: g.aanbiedermodules ?? true };
    }),
    modules: def.modules.map((m) => {
      const s = site(m.host);
      return {
        ...m,
        site: s,
        launchUrl: absolute(s, m.launchPath),
        clients: m.clients.map((c) => ({ ...c, clientSecret: c.clientSecret, redirectUris: c.redirectUris.map((u) => absolute(s, u)) })),
      };
    }),
    systems: def.systems ?? [],
    patients: def.patients.map((p) => ({ ...p, fullName: fullName(p) })),
    clinicians: def.clinicians.map((c) => ({ ...c, fullName: fullName(c) })),
    definition: def,
  };
}
