/**
 * The reader worker (shared/reader.ts): reads that may wait for the disk, on a read-only connection
 * of its own, off the event loop that serves every actor (issue 16). Plain queries (`all`), the
 * DVA's whole-DVA walks (`walk`, dva/fhir/walk.ts), and on a second, writing connection the
 * retention deletes (`delete`). Walks in progress take turns a step at a time,
 * so a long count (a `_total=accurate` over a million Tasks) holds up no other read behind it.
 * The one module of shared/ that imports an actor's code: a thread's entrypoint composes what it
 * runs, as sandbox.ts does for the process (it sits beside reader.ts so that the compiled binary,
 * where every chunk is at the bundle's root, finds it by the same relative URL).
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { openReader, openWriter, type Database } from "./db.ts";
import type { ReaderAnswer } from "./reader.ts";
import { FhirStore } from "../dva/fhir/store.ts";
import { pageOf, walkHits, type WalkRequest, type Walked, type WalkedPage } from "../dva/fhir/walk.ts";

declare const self: Worker;

/**
 * Below the event loop's priority (nice 10 for this thread, Linux): where both want one of few
 * cores, the requests go first and a long count waits (table 11: during a whole-DVA count the
 * event loop waited 2–5.6 s in all for a core). Elsewhere, or where it is refused, as it is.
 */
try {
  const thread = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(thread) && thread > 0) setPriority(thread, 10);
} catch { /* not Linux, or not allowed: same priority */ }

let db: Database | null = null;
let path: string | null = null;
/** The connection for deleteRows (opened on first use): the retention deletes. */
let writer: Database | null = null;
let store: FhirStore | null = null;
let failed: string | null = null;
const running: { id: number; walk: Generator<void, Walked>; done: (walked: Walked) => WalkedPage }[] = [];
let turning = false;

const answer = (message: ReaderAnswer) => self.postMessage(message);
const why = (e: unknown) => (e as Error)?.message ?? String(e);

/** One step of each walk in turn, then a macrotask (new requests are taken in between). */
function turn(): void {
  turning = false;
  for (const entry of running.splice(0)) {
    try {
      const step = entry.walk.next();
      if (step.done) answer({ id: entry.id, value: entry.done(step.value) });
      else running.push(entry);
    } catch (e) {
      answer({ id: entry.id, error: why(e) });
    }
  }
  if (running.length && !turning) { turning = true; setImmediate(turn); }
}

type Message = { close: true } | { path: string } | { id: number; kind: "all"; sql: string; params: SQLQueryBindings[] }
  | { id: number; kind: "delete"; sql: string; params: SQLQueryBindings[]; returning: boolean } | ({ kind: "walk" } & WalkRequest);

self.onmessage = (event: MessageEvent<Message>) => {
  const data = event.data;
  if ("close" in data) {
    running.length = 0;
    try { writer?.close(); db?.close(); } catch { /* closing anyway */ }
    writer = db = store = null;
    failed = "de leesthread is gesloten";
    self.postMessage("closed");
    return;
  }
  if ("path" in data) {
    try { path = data.path; db = openReader(data.path); store = new FhirStore(db); } catch (e) { failed = why(e); }
    return;
  }
  if (!db || !store) { answer({ id: data.id, error: failed ?? "de leesthread heeft geen database" }); return; }
  if (data.kind === "delete") {
    try {
      writer ??= openWriter(path!);
      const statement = writer.query<unknown, SQLQueryBindings[]>(data.sql);
      answer({ id: data.id, value: data.returning ? statement.all(...data.params) : statement.run(...data.params).changes });
    } catch (e) { answer({ id: data.id, error: why(e) }); }
    return;
  }
  if (data.kind === "all") {
    try { answer({ id: data.id, value: db.query<unknown, SQLQueryBindings[]>(data.sql).all(...data.params) }); } catch (e) { answer({ id: data.id, error: why(e) }); }
    return;
  }
  const scope = { fhir: store, dva: data.dva, rule: data.rule };
  const reading = db;
  running.push({ id: data.id, walk: walkHits(scope, data.type, data.q, data.keep, data.counting, data.tuning),
    // The page in one read transaction: its checks and its JSON from one snapshot.
    done: ({ hits, matched, complete }) => ({ page: reading.transaction(() => pageOf(scope, data.type, hits.slice(data.offset), data.q))(), matched, complete }) });
  if (!turning) { turning = true; setImmediate(turn); }
};
