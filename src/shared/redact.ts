/**
 * Secrets out of captured HTTP exchanges (issue 13 §3: a trace's HAR file is handed to a triage
 * team): tokens, codes, passwords, assertions, client secrets, launch codes, PKCE verifiers,
 * CSRF tokens and every cookie value become REDACTED, wherever the sandbox's actors put them —
 * headers, query strings and fragments, form fields, JSON members, hidden inputs of HTML pages,
 * and any JWT (an access token, a DigiD assertion) anywhere in a text. Pure functions: what
 * leaves here is what is stored.
 */

export const REDACTED = "REDACTED";

/**
 * Form fields and query parameters whose values are secrets (RFC 6749 §4.1.2, §4.1.3, §6, RFC 7636
 * §4.5, RFC 8693 §2.1, RFC 7662 §2.1, SMART `launch`, the DigiD simulator's `assertion`, the
 * cookies' CSRF twin `_csrf`, the cockpit's one-click `ticket`).
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "code", "code_verifier", "client_secret", "password", "refresh_token", "access_token", "id_token", "id_token_hint",
  "subject_token", "actor_token", "assertion", "client_assertion", "launch", "_csrf", "token", "ticket",
]);

/**
 * JSON members whose values are secrets. Not `code`: FHIR uses it in every Coding; an
 * authorization code travels in a query string or a form, never as JSON.
 */
export const SECRET_JSON_MEMBERS: ReadonlySet<string> = new Set([
  "access_token", "refresh_token", "id_token", "subject_token", "actor_token", "client_secret", "password",
  "assertion", "client_assertion", "code_verifier", "launch", "token", "ticket",
]);

/** A compact JWS/JWT (RFC 7515 §7.1): a base64url JSON header, so it begins with `eyJ`. */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const SECRET_HEADER_NAME = /secret|token|password|api-?key/i;

function decodeName(raw: string): string {
  try { return decodeURIComponent(raw.replaceAll("+", " ")); } catch { return raw; }
}

/**
 * `a=1&code=xyz&b=2` → `a=1&code=REDACTED&b=2`: each pair as it was sent (its encoding kept for
 * triage), names compared decoded so `%63ode` is caught too. For query strings, fragments and
 * `application/x-www-form-urlencoded` bodies.
 */
export function redactPairs(text: string): string {
  if (text === "") return text;
  return text.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const name = decodeName(eq < 0 ? pair : pair.slice(0, eq));
    return SECRET_FIELDS.has(name) ? `${eq < 0 ? pair : pair.slice(0, eq)}=${REDACTED}` : pair;
  }).join("&");
}

/** A URL with its secret query parameters and fragment pairs (implicit-flow tokens) redacted, and any JWT in it. */
export function redactUrl(url: string): string {
  const hash = url.indexOf("#");
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? null : url.slice(hash + 1);
  const q = beforeHash.indexOf("?");
  let out = q < 0 ? beforeHash : `${beforeHash.slice(0, q)}?${redactPairs(beforeHash.slice(q + 1))}`;
  if (fragment !== null) out += `#${redactPairs(fragment)}`;
  return out.replace(JWT, REDACTED);
}

/** `a=1; b=2` → `a=REDACTED; b=REDACTED`: every cookie value is a session, a browser binding or a CSRF twin. */
export function redactCookieHeader(value: string): string {
  return value.split(";").map((part) => {
    const eq = part.indexOf("=");
    return eq < 0 ? part : `${part.slice(0, eq)}=${REDACTED}`;
  }).join(";");
}

/** `sid=abc; Path=/; HttpOnly` → `sid=REDACTED; Path=/; HttpOnly`: the attributes are what a triage team checks. */
export function redactSetCookie(value: string): string {
  const semi = value.indexOf(";");
  const pair = semi < 0 ? value : value.slice(0, semi);
  const eq = pair.indexOf("=");
  return `${eq < 0 ? pair : pair.slice(0, eq)}=${REDACTED}${semi < 0 ? "" : value.slice(semi)}`;
}

/** One header's value as it may be stored. `name` is lower case (as Headers iterates). */
export function redactHeader(name: string, value: string): string {
  switch (name) {
    case "authorization":
    case "proxy-authorization": {
      // The scheme stays (Basic or Bearer is what a triage team asks about), the credentials go.
      const space = value.indexOf(" ");
      return space < 0 ? REDACTED : `${value.slice(0, space)} ${REDACTED}`;
    }
    case "cookie": return redactCookieHeader(value);
    case "set-cookie": return redactSetCookie(value);
    case "location":
    case "content-location":
    case "referer":
      return redactUrl(value);
    default:
      return SECRET_HEADER_NAME.test(name) ? REDACTED : value.includes("eyJ") ? value.replace(JWT, REDACTED) : value;
  }
}

/** Headers as `Headers.toJSON()` gives them (lower-case names; `set-cookie` as a list), redacted in place. */
export type HeaderMap = Record<string, string | string[]>;

export function redactHeaders(headers: HeaderMap): HeaderMap {
  for (const name in headers) {
    const value = headers[name]!;
    headers[name] = typeof value === "string" ? redactHeader(name, value) : value.map((v) => redactHeader(name, v));
  }
  return headers;
}

const jsonMembers = (names: ReadonlySet<string>) =>
  new RegExp(`("(?:${[...names].join("|")})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, "g");
const JSON_MEMBERS = jsonMembers(SECRET_JSON_MEMBERS);
/** `<input type="hidden" name="_csrf" value="…">`, either attribute first. */
const fieldNames = [...SECRET_FIELDS].join("|");
const HIDDEN_NAME_FIRST = new RegExp(`(name=["'](?:${fieldNames})["'][^>]*?value=["'])[^"']*`, "g");
const HIDDEN_VALUE_FIRST = new RegExp(`(value=["'])[^"']*(["'][^>]*?name=["'](?:${fieldNames})["'])`, "g");
/** A secret query parameter inside a text: a link in a page, a URL in a JSON body (`&amp;` in HTML). */
const URL_PARAM = new RegExp(`([?&](?:amp;)?(?:${fieldNames})=)[^&"'\\s<>#]+`, "g");

/**
 * A body's text with its secrets redacted, by media type: form fields by name, JSON members by
 * name, HTML hidden inputs by name; in every text also secret parameters of URLs and JWTs. Works
 * on a truncated text too, but call it before truncating so that no secret is cut in half.
 */
export function redactBody(mimeType: string, text: string): string {
  const type = mimeType.split(";")[0]!.trim().toLowerCase();
  let out = text;
  if (type === "application/x-www-form-urlencoded") out = redactPairs(out.trim());
  else if (type.includes("json")) out = out.replace(JSON_MEMBERS, `$1"${REDACTED}"`);
  else if (type.includes("html") || type.includes("xml")) out = out.replace(HIDDEN_NAME_FIRST, `$1${REDACTED}`).replace(HIDDEN_VALUE_FIRST, `$1${REDACTED}$2`);
  return out.replace(URL_PARAM, `$1${REDACTED}`).replace(JWT, REDACTED);
}
