/**
 * The walk worker (walk.ts): whole-DVA walks of system searches on a read-only connection of its
 * own, off the event loop that serves every actor (issue 16). Walks in progress take turns a step
 * at a time, so a long count (a `_total=accurate` over a million Tasks) does not hold up the
 * first page of another search behind it. Its answers are heads; the main thread reads the page.
 */
import { openReader, type Database } from "../../shared/db.ts";
import { FhirStore } from "./store.ts";
import { walkHits, type WalkAnswer, type WalkRequest, type Walked } from "./walk.ts";

declare const self: Worker;

let store: FhirStore | null = null;
let opened: Database | null = null;
let failed: string | null = null;
const running: { id: number; walk: Generator<void, Walked> }[] = [];
let turning = false;

function answer(message: WalkAnswer): void {
  self.postMessage(message);
}

/** One step of each walk in turn, then a macrotask (new requests are taken in between). */
function turn(): void {
  turning = false;
  for (const entry of running.splice(0)) {
    try {
      const step = entry.walk.next();
      if (step.done) answer({ id: entry.id, walked: step.value });
      else running.push(entry);
    } catch (e) {
      answer({ id: entry.id, error: (e as Error).message ?? String(e) });
    }
  }
  if (running.length && !turning) { turning = true; setImmediate(turn); }
}

self.onmessage = (event: MessageEvent<{ path: string } | WalkRequest>) => {
  const data = event.data;
  if ("path" in data) {
    try { opened = openReader(data.path); store = new FhirStore(opened); } catch (e) { failed = (e as Error).message; }
    return;
  }
  if (!store) { answer({ id: data.id, error: failed ?? "de zoekwerker heeft geen database" }); return; }
  running.push({ id: data.id, walk: walkHits({ fhir: store, dva: data.dva, rule: data.rule }, data.type, data.q, data.keep, data.counting, data.tuning) });
  if (!turning) { turning = true; setImmediate(turn); }
};
