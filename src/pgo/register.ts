/**
 * What the PGO knows about providers comes from the register's lists over HTTP (SD 3.2): the
 * Zorgaanbiederslijst (endpoints per data service), filtered on data service 99 and Aanbiedertype
 * ZA, and the Whitelist (a PGO only talks to whitelisted hosts). Cached for a minute.
 */
import type { HttpClient } from "../shared/http-client.ts";
import { newId } from "../shared/trace.ts";
import { parseXml } from "../shared/xml.ts";

export const COLLECT_TASKS = "99";

export interface Provider {
  /** Zorgaanbiedernaam, "delinde@medmij". */
  name: string;
  /** The OAuth scope: the name without "@medmij" (SD 3.3). */
  scope: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  resourceEndpoint: string;
}

export class RegisterUnavailableError extends Error {
  override name = "RegisterUnavailableError";
}

export function createProviderDirectory(http: HttpClient, registerOrigin: string, ttlMs = 60_000) {
  let cache: { at: number; providers: Provider[] } | null = null;

  async function list(name: string): Promise<Record<string, any>> {
    let res: Response;
    try {
      res = await http.send(`${registerOrigin}/${name}.xml`, { trace: { traceId: newId(), sessionId: null } });
    } catch (e) {
      throw new RegisterUnavailableError(`het MedMij Register is niet bereikbaar (${(e as Error).message})`);
    }
    if (!res.ok) throw new RegisterUnavailableError(`${name}: HTTP ${res.status}`);
    try { return parseXml(await res.text()); } catch { throw new RegisterUnavailableError(`${name} is geen geldige XML`); }
  }

  return {
    async providers(now = Date.now()): Promise<Provider[]> {
      if (cache && now - cache.at < ttlMs) return cache.providers;
      const [zal, whitelist] = await Promise.all([list("MedMij_Zorgaanbiederslijst"), list("MedMij_Whitelist")]);
      const allowed = new Set(((whitelist.Whitelist?.MedMijNodes?.MedMijNode ?? []) as { Hostname: string }[]).map((n) => String(n.Hostname).toLowerCase()));
      const onWhitelist = (uri: string) => { try { return allowed.has(new URL(uri).hostname); } catch { return false; } };
      const providers: Provider[] = [];
      for (const z of (zal.Zorgaanbiederslijst?.Zorgaanbieders?.Zorgaanbieder ?? []) as Record<string, any>[]) {
        if (z.Aanbiedertype !== "ZA") continue;
        for (const version of z.Interfaceversies?.Interfaceversie ?? []) {
          const service = (version.Gegevensdiensten?.Gegevensdienst ?? []).find((g: Record<string, any>) => String(g.GegevensdienstId) === COLLECT_TASKS);
          if (!service) continue;
          const p: Provider = {
            name: String(z.Zorgaanbiedernaam), scope: String(z.Zorgaanbiedernaam).replace(/@medmij$/, ""),
            authorizationEndpoint: String(service.AuthorizationEndpoint?.AuthorizationEndpointuri ?? ""),
            tokenEndpoint: String(service.TokenEndpoint?.TokenEndpointuri ?? ""),
            resourceEndpoint: String(service.Systeemrollen?.Systeemrol?.[0]?.ResourceEndpoint?.ResourceEndpointuri ?? ""),
          };
          if ([p.authorizationEndpoint, p.tokenEndpoint, p.resourceEndpoint].every(onWhitelist)) providers.push(p);
          break;
        }
      }
      cache = { at: now, providers };
      return providers;
    },
  };
}
