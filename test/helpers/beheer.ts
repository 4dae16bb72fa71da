/** MedMij Beheer in tests (issue 13): a network with a team's external PGO, and the logging interface with a participant's login. */
import { loadNetwork } from "../../src/network-loader.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";

export const TEAM_PGO = "http://teampgo.localhost:3999";
export interface Login { username: string; password: string }
/** The logins the network derives: username = a PGO's host name or a DVA's id, password "<username>-beheer-secret". */
export const login = (username: string): Login => ({ username, password: `${username}-beheer-secret` });

/** The default network plus a team's PGO that this process does not serve (README "Pointing your own PGO"). */
export async function withTeamPgo(extra: Partial<NetworkDefinition> = {}): Promise<NetworkDefinition> {
  const base = await loadNetwork(null);
  return { ...base, pgos: [...base.pgos, { host: TEAM_PGO, displayName: "Team PGO", redirectUris: ["/callback"] }], ...extra };
}

/** A request to the logging interface (`/eagleeye/v1<path>`) with HTTP Basic, or without a login. */
export function beheerApi(sandbox: Pick<Sandbox, "url">, path: string, who: Login | null, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (who) headers.authorization = `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}`;
  return fetch(`${sandbox.url("beheer")}/eagleeye/v1${path}`, { ...init, headers });
}
