/**
 * Response headers that hold against a hostile browser (issue 10), applied once by the dispatcher
 * to every response of every host. Only the content type and the host kind are looked at, never a
 * body: the FHIR read is a hot path (bench/).
 *
 * The Content-Security-Policy of every HTML page:
 * - `frame-ancestors 'none'` (CSP3 §7.7.1): no page of another origin — any dev server on another
 *   localhost port is same-site — can frame the cockpit and click its fault switches for you.
 *   `X-Frame-Options: DENY` says the same to browsers without CSP3.
 * - `script-src 'self'`: htmx and enable-when.js are served here under /_sandbox/; no inline script,
 *   no inline event handler, no eval. htmx evaluates `hx-on`, `js:` values and `[...]` trigger
 *   filters with `Function()`, so under this policy those fail (htmx:evalDisallowedError) — views
 *   must not use them.
 * - `style-src 'self' 'unsafe-inline'`: views set `style=""` (per-actor colour, chart lanes) and
 *   htmx 2 injects its indicator `<style>`; styles cannot run script, and hashes of attribute
 *   values would need 'unsafe-hashes' for every dynamic colour.
 * - `img-src 'self' data:`: the mailbox's QR codes are inline SVG, nothing else loads images.
 * - No `form-action`: the PGO's forms post and are redirected to a DVA or the module on another
 *   host, and Chromium applies form-action to the redirect targets too.
 *
 * `Referrer-Policy: no-referrer` on every response (redirects included): launch codes, codes and
 * invitation links travel in URLs. The PGO sends `strict-origin` instead — its origin, never a path
 * or query — because a module finds the way back to the PGO that launched it by the Referer's
 * origin before it knows a return_url (module/index.ts). Pages are `Cache-Control: no-store`, and
 * so is every FHIR response under /fhir (health data) except the CapabilityStatement and the SMART
 * configuration.
 */
import type { ActorKind } from "./actor-sites.ts";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** FHIR paths that are public metadata and keep their own caching (SMART App Launch §2.1, http.html#capabilities). */
const CACHEABLE_FHIR = new Set(["/fhir/metadata", "/fhir/.well-known/smart-configuration"]);

/**
 * What every FHIR answer carries; the FHIR host builds its responses with these (and `no-store`
 * on health data) so that the read hot path does not pay for changing headers afterwards.
 */
export const FHIR_SECURITY_HEADERS = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" } as const;

/** `kind` is null for a host the network does not know (the unknown-host page). */
export function withSecurityHeaders(response: Response, kind: ActorKind | null, pathname: string): Response {
  // The FHIR host's own answers already carry them (FHIR_SECURITY_HEADERS): one look, not five changes.
  if (kind === "dva-fhir" && pathname.startsWith("/fhir") && response.headers.has("x-content-type-options")) return response;
  try {
    setHeaders(response.headers, kind, pathname);
    return response;
  } catch {
    // Responses from fetch() or Response.error() have immutable headers: copy once.
    const copy = new Response(response.body, response);
    setHeaders(copy.headers, kind, pathname);
    return copy;
  }
}

function setHeaders(headers: Headers, kind: ActorKind | null, pathname: string): void {
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", kind === "pgo" ? "strict-origin" : "no-referrer");
  const type = headers.get("content-type");
  if (type !== null && type.startsWith("text/html")) {
    headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    headers.set("X-Frame-Options", "DENY");
    if (!headers.has("cache-control")) headers.set("Cache-Control", "no-store");
  } else if (kind === "dva-fhir" && pathname.startsWith("/fhir") && !headers.has("cache-control") && !CACHEABLE_FHIR.has(pathname)) {
    headers.set("Cache-Control", "no-store");
  }
}
