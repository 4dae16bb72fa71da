/**
 * A trace as an HTTP Archive (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/), for
 * triage (issue 13 §3): one `entries[]` item per request the sandbox saw in the trace, in the
 * order they arrived, built from the redacted exchanges of exchange-log.ts. Opens in browser
 * devtools (Chromium's Network panel: "Import HAR file"). Pure: the cockpit passes the data in.
 */
import type { StoredChainLine } from "./chain-log.ts";
import { BODY_LIMIT, type CapturedBody, type Exchange } from "./exchange-log.ts";
import type { HeaderMap } from "./redact.ts";

export interface HarNameValue { name: string; value: string; comment?: string }
export interface HarCookie { name: string; value: string; path?: string; domain?: string; httpOnly?: boolean; secure?: boolean }
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string; url: string; httpVersion: string; cookies: HarCookie[]; headers: HarNameValue[]; queryString: HarNameValue[];
    postData?: { mimeType: string; text?: string; params?: HarNameValue[]; comment?: string };
    headersSize: number; bodySize: number;
  };
  response: {
    status: number; statusText: string; httpVersion: string; cookies: HarCookie[]; headers: HarNameValue[];
    content: { size: number; mimeType: string; text?: string; comment?: string };
    redirectURL: string; headersSize: number; bodySize: number;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  comment: string;
  /** Chromium's type for its Network panel filters (an extension field: HAR 1.2 allows `_` names). */
  _resourceType: string;
}
export interface Har {
  log: { version: "1.2"; creator: { name: string; version: string }; pages: never[]; entries: HarEntry[]; comment: string };
}

export interface HarInput {
  traceId: string;
  exchanges: readonly Exchange[];
  /** The trace's chain-log lines: entries for the requests whose exchanges were not kept (a 2xx FHIR GET outside a journey). */
  lines: readonly StoredChainLine[];
  creator: { name: string; version: string };
}

const HTTP = "HTTP/1.1";

const VIA: Record<Exchange["via"], string> = {
  header: "the caller's X-Correlation-ID header",
  query: "the X-Correlation-ID query parameter",
  logged: "the trace the actor logged it under",
  redirect: "the redirect of an earlier request in this trace",
  cookie: "a cookie an earlier request in this trace sent or set",
};

function headerList(headers: HeaderMap): HarNameValue[] {
  const list: HarNameValue[] = [];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of typeof value === "string" ? [value] : value) list.push({ name, value: v });
  }
  return list;
}

const first = (headers: HeaderMap, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === "string" ? value : value?.[0];
};

function decode(text: string): string {
  try { return decodeURIComponent(text.replaceAll("+", " ")); } catch { return text; }
}

/** `a=1&b=2` → name/value pairs, decoded (query strings and form bodies). */
export function pairsOf(text: string): HarNameValue[] {
  if (text === "") return [];
  return text.split("&").filter(Boolean).map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? { name: decode(pair), value: "" } : { name: decode(pair.slice(0, eq)), value: decode(pair.slice(eq + 1)) };
  });
}

function queryOf(url: string): HarNameValue[] {
  const q = url.indexOf("?");
  if (q < 0) return [];
  const hash = url.indexOf("#", q);
  return pairsOf(url.slice(q + 1, hash < 0 ? undefined : hash));
}

/** The Cookie header's cookies (their values are already REDACTED). */
function requestCookies(headers: HeaderMap): HarCookie[] {
  const header = first(headers, "cookie");
  if (!header) return [];
  return header.split(";").map((p) => p.trim()).filter(Boolean).map((p) => {
    const eq = p.indexOf("=");
    return { name: eq < 0 ? p : p.slice(0, eq), value: eq < 0 ? "" : p.slice(eq + 1) };
  });
}

/** RFC 6265 §4.1: `name=value; Path=/; HttpOnly; Secure`. */
function responseCookies(headers: HeaderMap): HarCookie[] {
  const value = headers["set-cookie"];
  const all = value === undefined ? [] : typeof value === "string" ? [value] : value;
  return all.map((header) => {
    const [pair = "", ...attributes] = header.split(";").map((p) => p.trim());
    const eq = pair.indexOf("=");
    const cookie: HarCookie = { name: eq < 0 ? pair : pair.slice(0, eq), value: eq < 0 ? "" : pair.slice(eq + 1), httpOnly: false, secure: false };
    for (const attribute of attributes) {
      const [key = "", v = ""] = attribute.split("=", 2);
      const k = key.toLowerCase();
      if (k === "path") cookie.path = v;
      else if (k === "domain") cookie.domain = v;
      else if (k === "httponly") cookie.httpOnly = true;
      else if (k === "secure") cookie.secure = true;
    }
    return cookie;
  });
}

function bodyComment(body: CapturedBody): string | undefined {
  if (body.omitted) return `body not kept: ${body.omitted}`;
  if (body.truncated) return `truncated: the first ${body.text?.length ?? 0} characters of ${body.size} bytes`;
  return undefined;
}

/**
 * The reason phrases of RFC 9110 §15 the sandbox answers with (node:http's table would load the
 * whole http module at start, issue 16); others have none, which HAR allows ("").
 */
const REASONS: Record<number, string> = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict", 410: "Gone", 412: "Precondition Failed", 413: "Content Too Large",
  415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 507: "Insufficient Storage",
};
const statusText = (status: number) => REASONS[status] ?? "";

function resourceType(mimeType: string): string {
  return /html/i.test(mimeType) ? "document" : "fetch";
}

export function exchangeEntry(e: Exchange): HarEntry {
  const req = e.requestBody;
  const res = e.responseBody;
  const mimeType = res?.mimeType || first(e.responseHeaders, "content-type") || "x-unknown";
  const entry: HarEntry = {
    startedDateTime: new Date(e.started).toISOString(),
    time: e.time,
    request: {
      method: e.method, url: e.url, httpVersion: HTTP, cookies: requestCookies(e.requestHeaders), headers: headerList(e.requestHeaders),
      queryString: queryOf(e.url), headersSize: -1, bodySize: req ? req.size : 0,
    },
    response: {
      status: e.status, statusText: statusText(e.status), httpVersion: HTTP, cookies: responseCookies(e.responseHeaders),
      headers: headerList(e.responseHeaders), content: { size: Math.max(res?.size ?? 0, 0), mimeType },
      redirectURL: first(e.responseHeaders, "location") ?? "", headersSize: -1, bodySize: res ? res.size : 0,
    },
    cache: {},
    timings: { send: 0, wait: e.time, receive: 0 },
    comment: `${e.actor}; in this trace by ${VIA[e.via]}${e.alsoTraceId ? `; the actor also logged trace ${e.alsoTraceId}` : ""}`,
    _resourceType: resourceType(mimeType),
  };
  if (req) {
    const postData: NonNullable<HarEntry["request"]["postData"]> = { mimeType: req.mimeType };
    if (req.text !== undefined) postData.text = req.text;
    if (req.text !== undefined && /^application\/x-www-form-urlencoded/i.test(req.mimeType)) postData.params = pairsOf(req.text.trim());
    const comment = bodyComment(req);
    if (comment) postData.comment = comment;
    entry.request.postData = postData;
  }
  if (res) {
    if (res.text !== undefined) entry.response.content.text = res.text;
    const comment = bodyComment(res);
    if (comment) entry.response.content.comment = comment;
  }
  return entry;
}

/**
 * Entries from the chain log for a trace none of whose exchanges were kept: each `receive_*`
 * request line with the line that answered it (its `request_id`). Method, URL without the query
 * string, status and times only — what the lines say.
 */
export function chainEntries(lines: readonly StoredChainLine[]): HarEntry[] {
  const entries: HarEntry[] = [];
  for (const line of lines) {
    const request = line.request;
    if (!line.event.type.startsWith("receive_") || !request?.uri || !request.method) continue;
    const answer = lines.find((l) => l.seq > line.seq && l.event.location === line.event.location
      && (l.response?.request_id === request.id || l.error?.request_id === request.id));
    const status = answer?.response?.status ?? answer?.error?.status ?? 0;
    const started = Date.parse(line.event.datetime);
    const time = answer ? Math.max(Date.parse(answer.event.datetime) - started, 0) : 0;
    entries.push({
      startedDateTime: new Date(started).toISOString(),
      time,
      request: { method: request.method.toUpperCase(), url: request.uri, httpVersion: HTTP, cookies: [], headers: [], queryString: [], headersSize: -1, bodySize: -1 },
      response: { status, statusText: statusText(status), httpVersion: HTTP, cookies: [], headers: [], content: { size: 0, mimeType: "x-unknown" }, redirectURL: "", headersSize: -1, bodySize: -1 },
      cache: {},
      timings: { send: 0, wait: time, receive: 0 },
      comment: `from the chain log (${line.event.type}${answer ? ` → ${answer.event.type}` : ""}): its exchange was not kept (a 2xx FHIR GET without X-Correlation-ID is not captured, or it is past retention); no headers or bodies`,
      _resourceType: "fetch",
    });
  }
  return entries;
}

export function buildHar(input: HarInput): Har {
  const captured = input.exchanges.map(exchangeEntry);
  const entries = captured.length ? captured : chainEntries(input.lines);
  return {
    log: {
      version: "1.2",
      creator: input.creator,
      pages: [],
      entries,
      comment: `MedMij Sandbox trace ${input.traceId}: the HTTP exchanges the sandbox saw in it. Secrets (tokens, codes, passwords, assertions, client secrets, cookies, Authorization, launch codes, PKCE verifiers, CSRF tokens) are REDACTED; text bodies are cut at ${BODY_LIMIT / 1024} KiB; 2xx FHIR GETs carry headers only.`,
    },
  };
}
