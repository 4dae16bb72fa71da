/** Response helpers for server-rendered pages and htmx partials (STYLE habit 8). */

export function isHtmx(request: Request): boolean {
  return request.headers.get("HX-Request") === "true";
}

/** A full page or a partial: always `Vary: HX-Request`, so caches keep the two apart. */
export async function htmlResponse(
  body: JSX.Element | string,
  init: { status?: number; headers?: Record<string, string>; setCookies?: (string | null)[] } = {},
): Promise<Response> {
  const headers = new Headers({ "Content-Type": "text/html; charset=utf-8", Vary: "HX-Request", ...init.headers });
  for (const c of init.setCookies ?? []) if (c) headers.append("Set-Cookie", c);
  return new Response(await body, { status: init.status ?? 200, headers });
}

/**
 * Send a person who is not logged in to `/login`, to come back afterwards. A partial refresh by
 * htmx gets `HX-Redirect`, so the whole page goes to the login, and back to the page it was on.
 */
export function toLogin(request: Request): Response {
  const url = new URL(request.url);
  if (isHtmx(request)) {
    let back = "/";
    try {
      const current = new URL(request.headers.get("HX-Current-URL") ?? "");
      if (current.host === url.host) back = current.pathname + current.search;
    } catch { /* no usable page URL: start at the home page */ }
    return new Response(null, { status: 204, headers: { "HX-Redirect": `/login?next=${encodeURIComponent(back)}`, Vary: "HX-Request" } });
  }
  return new Response(null, { status: 303, headers: { Location: `/login?next=${encodeURIComponent(url.pathname + url.search)}`, Vary: "HX-Request" } });
}

/** Only a path on this host is a place to go after login (no open redirect). */
export function safeNext(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])[^\s\\]*$/.test(value) && value.length < 512 ? value : "/";
}

/**
 * After a form post: htmx follows `HX-Redirect`, a plain browser follows 303 (POST/redirect/GET).
 * `location` must be a path on the same host or a URL the caller has verified (no open redirect).
 */
export function redirectAfterPost(request: Request, location: string, setCookies: (string | null)[] = []): Response {
  const headers = new Headers({ Vary: "HX-Request" });
  for (const c of setCookies) if (c) headers.append("Set-Cookie", c);
  if (isHtmx(request)) {
    headers.set("HX-Redirect", location);
    return new Response(null, { status: 204, headers });
  }
  headers.set("Location", location);
  return new Response(null, { status: 303, headers });
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** Read an urlencoded or multipart form without throwing; a malformed body is an empty form. */
export async function readForm(request: Request): Promise<Record<string, string>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data")) return {};
  try {
    const form = await request.formData();
    const out: Record<string, string> = {};
    for (const [k, v] of form.entries()) if (typeof v === "string" && !(k in out)) out[k] = v;
    return out;
  } catch {
    return {};
  }
}
