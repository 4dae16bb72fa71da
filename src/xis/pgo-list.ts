/**
 * Which PGOs support modules (AM-FE-004: the clinician should know, to tell the patient), asked of
 * Verbind.MedMij over HTTP (`GET verbind.<domain>/api/pgos`, issue 14): the MedMij lists carry no
 * per-PGO data services, and Verbind.MedMij is where MedMij keeps which PGOs support
 * Aanbiedermodules — the same list an invited person chooses from (AM-FE-015).
 * Cached for a minute; a Verbind.MedMij that does not answer gives null (the page says so).
 */
import type { HttpClient } from "../shared/http-client.ts";
import type { Trace } from "../shared/trace.ts";

export interface ModulePgo { name: string; hostname: string }

export function createPgoList(http: HttpClient, verbindOrigin: string, ttlMs = 60_000) {
  let cache: { at: number; pgos: ModulePgo[] } | null = null;
  return {
    async pgos(trace: Trace, now = Date.now()): Promise<ModulePgo[] | null> {
      if (cache && now - cache.at < ttlMs) return cache.pgos;
      try {
        const res = await http.send(`${verbindOrigin}/api/pgos`, { trace });
        if (!res.ok) return null;
        const body = await res.json() as { pgos?: { name?: unknown; hostname?: unknown }[] };
        if (!Array.isArray(body.pgos)) return null;
        const pgos = body.pgos.filter((p) => typeof p?.name === "string" && typeof p.hostname === "string")
          .map((p) => ({ name: String(p.name), hostname: String(p.hostname) }));
        cache = { at: now, pgos };
        return pgos;
      } catch {
        return null;
      }
    },
  };
}

export type PgoList = ReturnType<typeof createPgoList>;
