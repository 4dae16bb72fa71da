/**
 * Short-lived, single-use tickets signed with a sandbox secret: a hand-off between two sandbox
 * hosts that cannot share a cookie, such as the cockpit's one-click "Start als Tom" (SPEC §9) that
 * lands in the PGO logged in. Sandbox convenience only: a real PGO has no such door, which is
 * why the ticket names its purpose and lives a minute.
 */
import { constantTimeEqual, hmac, randomToken } from "./crypto.ts";

export const TICKET_TTL_MS = 60_000;

/** The purpose of a cockpit → PGO login ticket: valid at that PGO only. */
export const personaLoginPurpose = (pgoClientId: string) => `pgo-login ${pgoClientId}`;

/** The purpose of a cockpit → clinician portal login ticket. */
export const CLINICIAN_LOGIN = "xis-login";

interface Payload { p: string; s: string; e: number; n: string }

export class Tickets {
  /** Nonces already redeemed, with their expiry (kept until then: single use). */
  private readonly used = new Map<string, number>();

  constructor(private readonly secret: string) {}

  issue(purpose: string, subject: string, now = Date.now()): string {
    const body = Buffer.from(JSON.stringify({ p: purpose, s: subject, e: now + TICKET_TTL_MS, n: randomToken(12) } satisfies Payload)).toString("base64url");
    return `${body}.${this.sign(body)}`;
  }

  /** The subject of a valid, unexpired, unused ticket for this purpose, or null. Redeeming uses it up. */
  redeem(purpose: string, ticket: unknown, now = Date.now()): string | null {
    if (typeof ticket !== "string" || ticket.length > 1024) return null;
    const [body, signature, extra] = ticket.split(".");
    if (!body || !signature || extra !== undefined || !constantTimeEqual(this.sign(body), signature)) return null;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
    } catch {
      return null;
    }
    if (payload.p !== purpose || typeof payload.s !== "string" || typeof payload.e !== "number" || payload.e <= now) return null;
    for (const [nonce, expires] of this.used) if (expires <= now) this.used.delete(nonce);
    if (this.used.has(payload.n)) return null;
    this.used.set(payload.n, payload.e);
    return payload.s;
  }

  private sign(value: string): string {
    return hmac(this.secret, value);
  }
}
