/**
 * A search that walks a whole DVA in search order (issue 16): the steps themselves, and where they
 * run. One code for both places: the reader worker of a data file (shared/reader.ts: a walk
 * over pages the disk must first read never holds up another request), or the event loop a step
 * at a time with yields between (`:memory:`).
 */
import { TimedBatch } from "../../shared/batch.ts";
import { allows, organisationsOf, prefetchedRefs, type OwnershipScope, type OrgRule } from "./access.ts";
import { matchesEntries } from "./search.ts";
import type { SearchQuery } from "./search-params.ts";
import type { TokenEntry } from "./search-index.ts";
import type { RowHead, WalkPosition } from "./store.ts";

/** What a walk found: the first `keep` hits, how many matched, and whether it reached the end. */
export interface Walked { hits: RowHead[]; matched: number; complete: boolean }
/** A walk and its page (hits from `offset` on, pageOf). */
export interface WalkedPage { page: PageHit[]; matched: number; complete: boolean }

/** A walk's step size (`step`, down to `minStep` while a step takes longer than `stepMs`). */
export interface WalkTuning { step: number; minStep: number; stepMs: number }

/** The heads (a walk's step, or a narrowed set of candidates) that match and that the token may see, from one query per kind of row. */
export function visibleOf<H extends RowHead>(scope: OwnershipScope, type: string, heads: readonly H[], q: SearchQuery): H[] {
  return visibleWithTokens(scope, type, heads, q).visible;
}

function visibleWithTokens<H extends RowHead>(scope: OwnershipScope, type: string, heads: readonly H[], q: SearchQuery): { visible: H[]; tokens: Map<string, TokenEntry[]> } {
  const tokens = scope.fhir.tokensOfMany(scope.dva, type, heads);
  const matching = heads.filter((h) => matchesEntries(h, tokens.get(h.id) ?? [], q));
  if (matching.length === 0) return { visible: [], tokens };
  const src = prefetchedRefs(scope, type, tokens, scope.fhir.registrationsOfMany(scope.dva, type, matching.map((h) => h.id)));
  return { visible: matching.filter((h) => allows(scope.rule, type, organisationsOf(type, h.id, src))), tokens };
}

/** A hit of a page as the bundle embeds it: its stored JSON and its index rows (for `_include`). */
export interface PageHit extends RowHead { json: string; tokens: TokenEntry[] }

/**
 * The page of a walk as it is now, in one snapshot (the caller's read transaction): each hit
 * checked again — one written since the walk met it (another owner, another status) is left out
 * — with its current version's JSON and index rows, so the thread that builds the bundle reads
 * nothing more for it.
 */
export function pageOf(scope: OwnershipScope, type: string, heads: readonly RowHead[], q: SearchQuery): PageHit[] {
  if (heads.length === 0) return [];
  const { visible, tokens } = visibleWithTokens(scope, type, heads, q);
  return visible.flatMap((h) => {
    const raw = scope.fhir.readRaw(scope.dva, type, h.id);
    return raw ? [{ rid: h.rid, id: h.id, versionId: raw.versionId, lastUpdated: raw.lastUpdated, json: raw.json, tokens: tokens.get(h.id) ?? [] }] : [];
  });
}

/**
 * Walk the DVA's resources of a type in search order (FhirStore.walk), a step at a time: match
 * each step on its index rows, keep what the token may see, and stop once `keep` hits and one
 * more are found — or, when `counting`, at the end. A generator that yields between steps, so
 * that its runner lets others run there. A resource written during the walk may move; it is kept once.
 */
export function* walkHits(scope: OwnershipScope, type: string, q: SearchQuery, keep: number, counting: boolean, tuning: WalkTuning): Generator<void, Walked> {
  const order = q.sort ?? { key: "_lastUpdated" as const, descending: false };
  const hits: RowHead[] = [];
  // Every hit counted once: a resource written during the walk moves on in the order and is met
  // again (a count remembers every id it counted; a page only the ones it keeps).
  const kept = new Set<string>();
  let matched = 0;
  let after: WalkPosition | null = null;
  // Steps of bounded time, not only of bounded size (TimedBatch). A page's first step is small.
  const steps = new TimedBatch(tuning.step, tuning.minStep, tuning.stepMs);
  steps.size = Math.min(tuning.step, Math.max(50, 2 * (keep + 1)));
  for (;;) {
    const began = performance.now();
    const step = steps.size;
    const heads = scope.fhir.walk(scope.dva, type, order, after, step);
    if (heads.length === 0) return { hits, matched, complete: true };
    const last = heads[heads.length - 1]!;
    after = { key: last.key, id: last.id };
    for (const h of visibleOf(scope, type, heads, q)) {
      if (kept.has(h.id)) continue;
      matched++;
      if (hits.length < keep) { hits.push({ rid: h.rid, id: h.id, versionId: h.versionId, lastUpdated: h.lastUpdated }); kept.add(h.id); } else if (counting) kept.add(h.id);
    }
    if (heads.length < step) return { hits, matched, complete: true };
    if (matched > keep && !counting) return { hits, matched, complete: false };
    steps.took(performance.now() - began);
    yield;
  }
}

/** What the main thread asks of the reader worker (shared/reader-worker.ts, kind "walk"); `rule` and `q` are plain data (structured clone). */
export interface WalkRequest { id: number; dva: string; type: string; q: SearchQuery; offset: number; keep: number; counting: boolean; rule: OrgRule; tuning: WalkTuning }
