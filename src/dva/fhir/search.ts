/**
 * Run a parsed search over candidate resources. Candidates come from the store (a patient's
 * compartment for patient tokens: a handful of rows via one index range); matching uses the same
 * index entries the store writes (search-index.ts), so search and index can never disagree.
 */
import type { StoredResource } from "./store.ts";
import { indexEntries, normalizeReference, type Resource } from "./search-index.ts";
import type { DateCondition, SearchQuery, TokenCondition } from "./search-params.ts";

function matchesToken(stored: StoredResource, c: TokenCondition): boolean {
  const entries = c.param === "_id"
    ? [{ system: null as string | null, value: stored.resource.id! }]
    : indexEntries(stored.resource).tokens.filter((t) => t.param === c.param);
  const hit = c.values.some((v) => entries.some((e) => e.value === v.code && (v.system === null || (v.system === "" ? e.system === null : e.system === v.system))));
  return c.not ? !hit : hit;
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

export function matches(stored: StoredResource, q: SearchQuery): boolean {
  const updated = Date.parse(stored.lastUpdated);
  return q.tokens.every((c) => matchesToken(stored, c)) && q.lastUpdated.every((c) => matchesDate(updated, c));
}

function periodStart(r: Resource): number {
  const p = r.executionPeriod as { start?: string } | undefined;
  return p?.start ? Date.parse(p.start) : Number.MAX_SAFE_INTEGER;
}

export function sortResults(list: StoredResource[], q: SearchQuery): StoredResource[] {
  if (!q.sort) return list;
  const key = q.sort.key === "period" ? (s: StoredResource) => periodStart(s.resource) : (s: StoredResource) => Date.parse(s.lastUpdated);
  const sign = q.sort.descending ? -1 : 1;
  return [...list].sort((a, b) => sign * (key(a) - key(b)) || a.resource.id!.localeCompare(b.resource.id!));
}

/** References a Task's _include follows (search.html#include). */
export function includeReferences(task: Resource, include: string): string[] {
  const ref = (v: unknown) => normalizeReference((v as { reference?: string } | undefined)?.reference);
  switch (include) {
    case "Task:based-on": return ((task.basedOn ?? []) as unknown[]).map(ref).filter((r): r is string => !!r);
    case "Task:focus": return [ref(task.focus)].filter((r): r is string => !!r);
    case "Task:patient": return [ref(task.for)].filter((r): r is string => !!r);
    case "Task:owner": return [ref(task.owner)].filter((r): r is string => !!r);
    case "Task:requester": return [ref(task.requester)].filter((r): r is string => !!r);
    case "Task:digital-activity": return indexEntries(task).tokens.filter((t) => t.param === "digital-activity").map((t) => t.value);
    default: return [];
  }
}
