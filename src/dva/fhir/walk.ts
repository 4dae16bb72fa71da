/**
 * A search that walks a whole DVA in search order (issue 16): the steps themselves, and where they
 * run. One code for both places: the event loop, a step at a time with yields between
 * (walkHits), or a walk worker with a read-only connection of its own (walk-worker.ts), so that a
 * walk over pages the disk must first read — a `_total=accurate` over a million Tasks on a cold
 * cache waited up to 1.7 s in the kernel on a single step — never holds up another request. A
 * TimedBatch bounds a step's CPU, never its I/O: only another thread does.
 */
import type { Database } from "bun:sqlite";
import { TimedBatch } from "../../shared/batch.ts";
import { allows, organisationsOf, prefetchedRefs, type OwnershipScope, type OrgRule } from "./access.ts";
import { matchesEntries } from "./search.ts";
import type { SearchQuery } from "./search-params.ts";
import type { Head, WalkPosition } from "./store.ts";

/** What a walk found: the first `keep` hits, how many matched, and whether it reached the end. */
export interface Walked { hits: Head[]; matched: number; complete: boolean }

/** A walk's step size (`step`, down to `minStep` while a step takes longer than `stepMs`). */
export interface WalkTuning { step: number; minStep: number; stepMs: number }

/** The heads (a walk's step, or a narrowed set of candidates) that match and that the token may see, from one query per kind of row. */
export function visibleOf(scope: OwnershipScope, type: string, heads: readonly Head[], q: SearchQuery): Head[] {
  const tokens = scope.fhir.tokensOfMany(scope.dva, type, heads.map((h) => h.id));
  const matching = heads.filter((h) => matchesEntries(h, tokens.get(h.id) ?? [], q));
  if (matching.length === 0) return [];
  const src = prefetchedRefs(scope, type, tokens, scope.fhir.registrationsOfMany(scope.dva, type, matching.map((h) => h.id)));
  return matching.filter((h) => allows(scope.rule, type, organisationsOf(type, h.id, src)));
}

/**
 * Walk the DVA's resources of a type in search order (FhirStore.walk), a step at a time: match
 * each step on its index rows, keep what the token may see, and stop once `keep` hits and one
 * more are found — or, when `counting`, at the end. A generator that yields between steps, so
 * that its runner lets others run there. A resource written during the walk may move; it is kept once.
 */
export function* walkHits(scope: OwnershipScope, type: string, q: SearchQuery, keep: number, counting: boolean, tuning: WalkTuning): Generator<void, Walked> {
  const order = q.sort ?? { key: "_lastUpdated" as const, descending: false };
  const hits: Head[] = [];
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
      if (hits.length < keep) { hits.push({ id: h.id, versionId: h.versionId, lastUpdated: h.lastUpdated }); kept.add(h.id); } else if (counting) kept.add(h.id);
    }
    if (heads.length < step) return { hits, matched, complete: true };
    if (matched > keep && !counting) return { hits, matched, complete: false };
    steps.took(performance.now() - began);
    yield;
  }
}

/** What the main thread asks of the walk worker; `rule` and `q` are plain data (structured clone). */
export interface WalkRequest { id: number; dva: string; type: string; q: SearchQuery; keep: number; counting: boolean; rule: OrgRule; tuning: WalkTuning }
export type WalkAnswer = { id: number; walked: Walked } | { id: number; error: string };

/** A walk worker idle this long is stopped (its connection and ~10 MB given back); the next walk starts one again. */
const IDLE_MS = 30_000;

/**
 * The walk worker of one data file: started on the first walk, stopped when idle; walks answered
 * by message. Null for `:memory:` (another thread cannot open that database — and a database in
 * memory has no disk to wait for, so its walks stay on the event loop) and after the worker failed.
 */
export class WalkWorker {
  private worker: Worker | null = null;
  private broken = false;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (w: Walked) => void; reject: (e: Error) => void }>();
  private idle: ReturnType<typeof setTimeout> | null = null;
  /** Walks the worker answered (tests and the bench see that walks really ran there). */
  answered = 0;

  constructor(private readonly path: string) {}

  walk(request: Omit<WalkRequest, "id">): Promise<Walked> | null {
    const worker = this.started();
    if (!worker) return null;
    if (this.idle) { clearTimeout(this.idle); this.idle = null; }
    const id = this.next++;
    return new Promise<Walked>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } satisfies WalkRequest);
    });
  }

  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker?.terminate();
    this.worker = null;
    this.fail("de zoekvraag is afgebroken: de sandbox stopt");
  }

  private started(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    try {
      // The file is an entrypoint of the compiled binary too (package.json "build").
      const worker = new Worker(new URL("./walk-worker.ts", import.meta.url).href);
      (worker as unknown as { unref?: () => void }).unref?.();
      worker.onmessage = (event: MessageEvent<WalkAnswer>) => this.settled(event.data);
      worker.onerror = (event) => { event.preventDefault?.(); this.broken = true; this.worker?.terminate(); this.worker = null; this.fail(`de zoekwerker viel uit: ${event.message}`); };
      worker.postMessage({ path: this.path });
      this.worker = worker;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }

  private settled(answer: WalkAnswer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    this.answered++;
    if ("error" in answer) waiting.reject(new Error(answer.error)); else waiting.resolve(answer.walked);
    if (this.pending.size === 0) {
      this.idle = setTimeout(() => { if (this.pending.size === 0) { this.worker?.terminate(); this.worker = null; } }, IDLE_MS);
      this.idle.unref?.();
    }
  }

  private fail(why: string): void {
    for (const waiting of this.pending.values()) waiting.reject(new Error(why));
    this.pending.clear();
  }
}

const workers = new WeakMap<Database, WalkWorker | null>();

/** The walk worker of this store's file, or null where walks run on the event loop. */
export function walkWorkerOf(db: Database): WalkWorker | null {
  let worker = workers.get(db);
  if (worker === undefined) {
    const path = db.filename;
    workers.set(db, worker = !path || path === ":memory:" || path.startsWith("file::memory:") ? null : new WalkWorker(path));
  }
  return worker;
}

/** Stop the walk worker of a database before it closes (sandbox stop). */
export function stopWalkWorker(db: Database): void {
  workers.get(db)?.stop();
  workers.delete(db);
}
