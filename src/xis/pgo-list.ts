/**
 * Which PGOs support modules (AM-FE-004: the clinician should know, to tell the patient), read
 * from the MedMij Register over HTTP like any participant reads it (SD 3.2): the PGOs of the
 * OAuthclientlist whose host is on the Whitelist, in a network whose Gegevensdienstnamenlijst has
 * data service 99 "Verzamelen Aanbiedertaken". The lists carry no per-PGO data services, so a PGO
 * that is a MedMij participant in this network counts as one that collects provider tasks.
 * Cached for a minute; a register that does not answer gives null (the page says so).
 */
import type { HttpClient } from "../shared/http-client.ts";
import type { Trace } from "../shared/trace.ts";
import { parseXml } from "../shared/xml.ts";

export const COLLECT_TASKS = "99";

export interface ModulePgo { name: string; hostname: string }

export function createPgoList(http: HttpClient, registerOrigin: string, ttlMs = 60_000) {
  let cache: { at: number; pgos: ModulePgo[] } | null = null;

  async function list(name: string, trace: Trace): Promise<Record<string, any>> {
    const res = await http.send(`${registerOrigin}/${name}.xml`, { trace });
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
    return parseXml(await res.text());
  }

  return {
    async pgos(trace: Trace, now = Date.now()): Promise<ModulePgo[] | null> {
      if (cache && now - cache.at < ttlMs) return cache.pgos;
      try {
        const [ocl, whitelist, services] = await Promise.all([list("MedMij_OAuthclientlist", trace), list("MedMij_Whitelist", trace), list("MedMij_Gegevensdienstnamenlijst", trace)]);
        const offered = ((services.Gegevensdienstnamenlijst?.Gegevensdiensten?.Gegevensdienst ?? []) as { GegevensdienstId?: unknown }[])
          .some((g) => String(g.GegevensdienstId) === COLLECT_TASKS);
        const allowed = new Set(((whitelist.Whitelist?.MedMijNodes?.MedMijNode ?? []) as { Hostname?: unknown }[]).map((n) => String(n.Hostname).toLowerCase()));
        const pgos = offered ? ((ocl.OAuthclientlist?.OAuthclients?.OAuthclient ?? []) as { Hostname?: unknown; OAuthclientOrganisatienaam?: unknown }[])
          .map((c) => ({ name: String(c.OAuthclientOrganisatienaam ?? c.Hostname), hostname: String(c.Hostname).toLowerCase() }))
          .filter((c) => allowed.has(c.hostname))
          .sort((a, b) => a.name.localeCompare(b.name, "nl")) : [];
        cache = { at: now, pgos };
        return pgos;
      } catch {
        return null;
      }
    },
  };
}

export type PgoList = ReturnType<typeof createPgoList>;
