/**
 * Run a parsed search over candidate resources. Candidates come from the store (a patient's
 * compartment for patient tokens: a handful of rows via one index range); matching uses the same
 * index entries the store writes (search-index.ts), so search and index can never disagree.
 */
import type { FhirStore, Head, StoredResource } from "./store.ts";
import { indexEntries, type Resource, type TokenEntry } from "./search-index.ts";
import type { DateCondition, SearchQuery, StringCondition, TokenCondition } from "./search-params.ts";

/** One value of a token condition against index entries (search.html#token: `code`, `system|code`, `|code`). */
function hitAny(c: TokenCondition, entries: readonly { system: string | null; value: string }[]): boolean {
  return c.values.some((v) => entries.some((e) => e.value === v.code && (v.system === null || (v.system === "" ? e.system === null : e.system === v.system))));
}

function matchesToken(stored: StoredResource, c: TokenCondition, tokens: readonly TokenEntry[]): boolean {
  const entries = c.param === "_id"
    ? [{ system: null as string | null, value: stored.resource.id! }]
    : tokens.filter((t) => t.param === c.param);
  return hitAny(c, entries) !== c.not;
}

/** search.html#prefix on the instant lastUpdated against the range the value covers. */
function matchesDate(instant: number, c: DateCondition): boolean {
  switch (c.prefix) {
    case "eq": return instant >= c.low && instant <= c.high;
    case "ne": return instant < c.low || instant > c.high;
    case "gt": return instant > c.high;
    case "ge": return instant >= c.low;
    case "lt": return instant < c.low;
    case "le": return instant <= c.high;
  }
}

/** A string condition against indexed (normalized) values; a name part starts with the value, by default. */
function hitString(c: StringCondition, values: readonly string[]): boolean {
  return c.values.some((v) => values.some((x) => c.mode === "exact" ? x === v : c.mode === "contains" ? x.includes(v) : x.startsWith(v) || x.includes(` ${v}`)));
}

/** `tokens`: the resource's index entries, when the caller has them already (computed once per candidate). */
export function matches(stored: StoredResource, q: SearchQuery, tokens: readonly TokenEntry[] = indexEntries(stored.resource).tokens): boolean {
  const updated = Date.parse(stored.lastUpdated);
  return q.tokens.every((c) => matchesToken(stored, c, tokens)) && q.lastUpdated.every((c) => matchesDate(updated, c))
    && q.strings.every((c) => hitString(c, tokens.filter((t) => t.param === c.param).map((t) => t.value)));
}

const matchesUpdated = (lastUpdated: string, q: SearchQuery) => { const t = Date.parse(lastUpdated); return q.lastUpdated.every((c) => matchesDate(t, c)); };

/** Every condition on one resource's index rows (a walk's step: FhirStore.tokensOfMany). */
export function matchesEntries(head: Head, tokens: readonly TokenEntry[], q: SearchQuery): boolean {
  const of = (param: string) => tokens.filter((t) => t.param === param);
  return q.tokens.every((c) => hitAny(c, c.param === "_id" ? [{ system: null, value: head.id }] : of(c.param)) !== c.not)
    && q.strings.every((c) => hitString(c, of(c.param).map((t) => t.value)))
    && (q.lastUpdated.length === 0 || matchesUpdated(head.lastUpdated, q));
}

/** An instant, or null when absent or not a date. */
function instant(value: unknown): number | null {
  const t = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(t) ? null : t;
}

function periodStart(r: Resource): number | null {
  return instant((r.executionPeriod as { start?: unknown } | undefined)?.start);
}

/** Ids in binary order, as SQLite compares them (FhirStore.walk). */
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * _sort by an instant, ties by id; descending reverses both; without a value last either way. No
 * _sort: last updated, oldest first. The order of FhirStore.walk, so a walked page and a sorted
 * list agree.
 */
function sortBy<T>(list: T[], q: SearchQuery, key: (item: T) => number | null, id: (item: T) => string): T[] {
  const sign = q.sort?.descending ? -1 : 1;
  return [...list].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null || y === null) return x === y ? sign * byId(id(a), id(b)) : x === null ? 1 : -1;
    return sign * (x - y || byId(id(a), id(b)));
  });
}

export function sortResults(list: StoredResource[], q: SearchQuery): StoredResource[] {
  const key = q.sort?.key === "period" ? (s: StoredResource) => periodStart(s.resource) : (s: StoredResource) => instant(s.lastUpdated);
  return sortBy(list, q, key, (s) => s.resource.id!);
}

/** The same order for heads; the period comes from fhir_search_date (same instant as periodStart). */
export function sortHeads(store: FhirStore, dva: string, list: Head[], q: SearchQuery): Head[] {
  if (q.sort?.key !== "period") return sortBy(list, q, (h) => instant(h.lastUpdated), (h) => h.id);
  const starts = store.dateStarts(dva, q.type, "period", list.map((h) => h.id));
  return sortBy(list, q, (h) => instant(starts.get(h.id)), (h) => h.id);
}

/** The index parameter holding what a Task's _include follows (search.html#include): `Task:patient` is `for`, the others their element. */
const INCLUDE_PARAM: Record<string, string> = {
  "Task:based-on": "based-on", "Task:focus": "focus", "Task:patient": "patient", "Task:owner": "owner", "Task:requester": "requester", "Task:digital-activity": "digital-activity",
};

/** The index parameters a query reads of a hit: its token and string conditions' and what its _includes follow (_id is the hit's own). */
export function paramsRead(q: SearchQuery): string[] {
  const params = new Set<string>();
  for (const c of q.tokens) if (c.param !== "_id") params.add(c.param);
  for (const c of q.strings) params.add(c.param);
  for (const include of q.includes) { const param = INCLUDE_PARAM[include]; if (param) params.add(param); }
  return [...params];
}

/** What an _include follows, from a resource's index rows (in the order indexEntries wrote them: the resource's own). */
export function includeReferencesOf(tokens: readonly TokenEntry[], include: string): string[] {
  const param = INCLUDE_PARAM[include];
  return param ? tokens.filter((t) => t.param === param).map((t) => t.value) : [];
}
