/**
 * The FHIR host's route table (issue 4: "handlers registered in a table", no framework on the
 * FHIR path). A path is a list of segments; `:name` captures one decoded segment, a trailing `*`
 * matches the rest. Twelve routes, matched in order by method and segment count.
 */

export type Params = Record<string, string>;

export interface Route<H> {
  method: string;
  path: string;
  handler: H;
}

interface Compiled<H> { method: string; segments: string[]; rest: boolean; handler: H }

export type Match<H> =
  | { kind: "found"; handler: H; params: Params }
  /** The path exists with other methods (405 with Allow). */
  | { kind: "method"; allow: string[] }
  | { kind: "none" }
  /** A segment that is not valid percent-encoding. */
  | { kind: "malformed" };

const split = (path: string) => path.split("/").filter((s, i) => i > 0 || s !== "");

export function createRouter<H>(routes: readonly Route<H>[]) {
  const table: Compiled<H>[] = routes.map((r) => {
    const segments = split(r.path);
    const rest = segments.at(-1) === "*";
    return { method: r.method, segments: rest ? segments.slice(0, -1) : segments, rest, handler: r.handler };
  });

  function fits(route: Compiled<H>, parts: readonly string[], params: Params | null): boolean {
    if (route.rest ? parts.length < route.segments.length : parts.length !== route.segments.length) return false;
    for (let i = 0; i < route.segments.length; i++) {
      const s = route.segments[i]!;
      if (s.startsWith(":")) { if (!parts[i]) return false; if (params) params[s.slice(1)] = parts[i]!; }
      else if (s !== parts[i]) return false;
    }
    return true;
  }

  return function match(method: string, pathname: string): Match<H> {
    let parts: string[];
    try {
      parts = split(pathname).map((p) => p.includes("%") ? decodeURIComponent(p) : p);
    } catch {
      return { kind: "malformed" };
    }
    const wanted = method === "HEAD" ? "GET" : method;
    for (const route of table) {
      if (route.method !== wanted) continue;
      const params: Params = {};
      if (fits(route, parts, params)) return { kind: "found", handler: route.handler, params };
    }
    // 405 only where a route names this path; a `*` route (the CORS preflight) then joins the list.
    const named = table.filter((r) => !r.rest && fits(r, parts, null));
    if (named.length === 0) return { kind: "none" };
    const allow = [...new Set([...named, ...table.filter((r) => r.rest && fits(r, parts, null))].map((r) => r.method))];
    return { kind: "method", allow };
  };
}
