/**
 * Short-lived, single-use tickets signed with a sandbox secret: a hand-off between two sandbox
 * hosts that cannot share a cookie, such as the cockpit's one-click "Start als Tom" (SPEC §9) that
 * lands in the PGO logged in. Sandbox convenience only: a real PGO has no such door, which is
 * why the ticket names its purpose and lives a minute.
 */
import type { Database } from "bun:sqlite";
import { constantTimeEqual, hmac, randomToken } from "./crypto.ts";

export const TICKET_TTL_MS = 60_000;

/** The purpose of a cockpit → PGO login ticket: valid at that PGO only. */
export const personaLoginPurpose = (pgoClientId: string) => `pgo-login ${pgoClientId}`;

/** The purpose of a cockpit → clinician portal login ticket. */
export const CLINICIAN_LOGIN = "xis-login";

interface Payload { p: string; s: string; e: number; n: string }

export class Tickets {
  /** Redeemed nonces live in `sandbox_used_ticket` until they expire, so a restart forgets none. */
  constructor(private readonly secret: string, private readonly db: Database) {}

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
    if (typeof payload.n !== "string" || !this.use(payload.n, payload.e, now)) return null;
    return payload.s;
  }

  /** Single use, atomic: the primary key decides, also between two requests at once. */
  private use(nonce: string, expiresAt: number, now: number): boolean {
    this.db.query("DELETE FROM sandbox_used_ticket WHERE expires_at <= ?").run(now);
    return this.db.query("INSERT INTO sandbox_used_ticket (nonce, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING").run(nonce, expiresAt).changes === 1;
  }

  private sign(value: string): string {
    return hmac(this.secret, value);
  }
}
