/**
 * CSRF protection for every state-changing form (SPEC §11): a random per-browser cookie and a form
 * token that is the HMAC of it under a sandbox secret ("signed double-submit cookie", OWASP CSRF
 * cheat sheet). Stateless, so it survives restarts; the secret lives in sandbox_meta.
 */
import { constantTimeEqual, hmac, randomToken } from "./crypto.ts";
import { readCookie, serializeCookie } from "./cookies.ts";

export const CSRF_COOKIE = "sandbox_csrf";
export const CSRF_FIELD = "_csrf";

export interface CsrfGrant {
  token: string;
  /** A Set-Cookie value when the browser had no CSRF cookie yet. */
  setCookie: string | null;
}

export class Csrf {
  constructor(private readonly secret: string) {}

  /** The token to put in a form for this browser, creating its cookie if needed. */
  grant(request: Request): CsrfGrant {
    const existing = readCookie(request, CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{20,64}$/.test(existing)) return { token: this.sign(existing), setCookie: null };
    const fresh = randomToken(24);
    return { token: this.sign(fresh), setCookie: serializeCookie(CSRF_COOKIE, fresh, { sameSite: "Strict" }) };
  }

  /** True when the submitted token belongs to this browser's cookie. */
  verify(request: Request, submitted: unknown): boolean {
    const cookie = readCookie(request, CSRF_COOKIE);
    if (!cookie || typeof submitted !== "string") return false;
    return constantTimeEqual(this.sign(cookie), submitted);
  }

  private sign(value: string): string {
    return hmac(this.secret, value);
  }
}
