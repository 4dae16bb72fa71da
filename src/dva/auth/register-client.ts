/**
 * The DVA learns which PGOs exist from the register's OAuthclientlist, over HTTP like a real DVA
 * (SD 3.2; REGISTER.md: "a DVA only accepts PGOs on the OAuthclientlist"), cached for a minute.
 */
import type { HttpClient } from "../../shared/http-client.ts";
import { newId } from "../../shared/trace.ts";
import { parseXml } from "../../shared/xml.ts";

export interface OAuthClientEntry { hostname: string; organisatienaam: string }

export function createOAuthClientList(http: HttpClient, registerOrigin: string, ttlMs = 60_000) {
  let cache: { at: number; clients: OAuthClientEntry[] } | null = null;
  return {
    /** Throws when the register cannot be read (the caller shows a technical error page). */
    async clients(now = Date.now()): Promise<OAuthClientEntry[]> {
      if (cache && now - cache.at < ttlMs) return cache.clients;
      const res = await http.send(`${registerOrigin}/MedMij_OAuthclientlist.xml`, { trace: { traceId: newId(), sessionId: null } });
      if (!res.ok) throw new Error(`OAuthclientlist: HTTP ${res.status}`);
      const doc = parseXml(await res.text());
      const list = (doc.OAuthclientlist?.OAuthclients?.OAuthclient ?? []) as { Hostname: string; OAuthclientOrganisatienaam: string }[];
      cache = { at: now, clients: list.map((c) => ({ hostname: String(c.Hostname), organisatienaam: String(c.OAuthclientOrganisatienaam) })) };
      return cache.clients;
    },
    clear() { cache = null; },
  };
}
