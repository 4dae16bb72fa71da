/**
 * CSRF protection for every state-changing form (SPEC §11): a random per-browser cookie and a form
 * token that is the HMAC of it under a sandbox secret ("signed double-submit cookie", OWASP CSRF
 * cheat sheet). Stateless, so it survives restarts; the secret lives in sandbox_meta.
 */
import { timingSafeEqual } from "node:crypto";
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
    const fresh = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    return { token: this.sign(fresh), setCookie: serializeCookie(CSRF_COOKIE, fresh, { sameSite: "Strict" }) };
  }

  /** True when the submitted token belongs to this browser's cookie. */
  verify(request: Request, submitted: unknown): boolean {
    const cookie = readCookie(request, CSRF_COOKIE);
    if (!cookie || typeof submitted !== "string") return false;
    const expected = this.sign(cookie);
    return expected.length === submitted.length && timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
  }

  private sign(value: string): string {
    return new Bun.CryptoHasher("sha256", this.secret).update(value).digest("base64url");
  }
}
