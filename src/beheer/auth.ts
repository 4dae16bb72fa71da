/**
 * HTTP Basic per participant (the real logging interface: "MedMij Logging API" with Basic auth;
 * RFC 7617). Credentials are in the network (`GET /api/network`, `beheer` on every PGO and DVA).
 */
import { constantTimeEqual } from "../shared/crypto.ts";
import type { Participant } from "../shared/participants.ts";

export const REALM = "MedMij Logging API";

/** The participant whose credentials the request carries, or null (missing, malformed or wrong). */
export function authenticate(request: Request, participants: readonly Participant[]): Participant | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=_-]{1,1024})\s*$/i.exec(header);
  if (!match) return null;
  let decoded: string;
  try { decoded = Buffer.from(match[1]!, "base64").toString("utf8"); } catch { return null; }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const participant = participants.find((p) => p.username === username);
  // Compare against something also for an unknown username, so the answer takes as long.
  const ok = constantTimeEqual(password, participant?.password ?? "\u0000".repeat(password.length + 1));
  return participant && ok ? participant : null;
}
