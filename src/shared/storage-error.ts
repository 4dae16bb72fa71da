/**
 * Storage failures (issue 11): a full disk, an I/O error, a read-only or damaged data file. A
 * request whose write cannot be stored fails with 507 (full) or 503 (otherwise) in its actor's
 * shape — OperationOutcome, OAuth JSON or the friendly page — and the process keeps serving.
 * One classification for every edge: the dispatcher, each actor app's onError and the FHIR host.
 * @see https://www.sqlite.org/rescode.html
 * @see https://www.rfc-editor.org/rfc/rfc4918#section-11.5 (507 Insufficient Storage)
 */

export interface StorageFailure {
  status: 503 | 507;
  /** The disk (or the size limit of the database) is full. */
  full: boolean;
  /** Dutch, for pages and error descriptions. */
  message: string;
  /** The SQLite or system error code, for the log. */
  code: string;
}

/** Seconds a client should wait before trying again. */
export const STORAGE_RETRY_AFTER = "30";

/** SQLite primary codes (extended ones such as SQLITE_IOERR_WRITE start with these). */
const UNAVAILABLE = ["SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_PROTOCOL", "SQLITE_NOMEM"];
const FULL = ["SQLITE_FULL", "ENOSPC", "EDQUOT"];

/** The code of a read cut off because the sandbox stops (shared/reader.ts ReaderStopped): a 503, not logged. */
const STOPPING = "SANDBOX_STOPPING";

function codeOf(e: unknown): string | null {
  for (let cause = e, depth = 0; cause && typeof cause === "object" && depth < 3; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("SQLITE_") || code === STOPPING || code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || code === "EIO")) return code;
    const message = (cause as { message?: unknown }).message;
    if (typeof message === "string" && /database or disk is full/.test(message)) return "SQLITE_FULL";
  }
  return null;
}

/** The storage failure behind an error, or null when the error is something else. */
export function storageFailure(e: unknown): StorageFailure | null {
  const code = codeOf(e);
  if (!code) return null;
  if (code === STOPPING) return { status: 503, full: false, code, message: "De sandbox stopt: dit verzoek is afgebroken. Probeer het opnieuw als hij weer draait." };
  if (FULL.some((c) => code === c || code.startsWith(`${c}_`))) {
    return { status: 507, full: true, code,
      message: "De schijf van de sandbox is vol: deze wijziging is niet opgeslagen. Maak ruimte vrij en probeer het opnieuw; lezen werkt gewoon." };
  }
  if (code === "EROFS" || code === "EIO" || UNAVAILABLE.some((c) => code === c || code.startsWith(`${c}_`))) {
    return { status: 503, full: false, code,
      message: "De gegevens van de sandbox zijn tijdelijk niet te bewaren of te lezen (opslagfout). Probeer het zo opnieuw." };
  }
  return null;
}

export function isStorageFull(e: unknown): boolean {
  return storageFailure(e)?.full ?? false;
}

/** RFC 6749 §5.2-style JSON for API and OAuth clients: `temporarily_unavailable`. */
export function storageFailureJson(f: StorageFailure, traceId: string): Response {
  return new Response(JSON.stringify({ error: "temporarily_unavailable", error_description: f.message, trace_id: traceId }), {
    status: f.status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", "Retry-After": STORAGE_RETRY_AFTER },
  });
}

const LOG_EVERY_MS = 10_000;
const logged = new Map<string, { at: number; since: number }>();

/**
 * A line on stderr without a stack (the cause is the environment, not the code): the first
 * failure of each kind per actor, then at most one every 10 s with the count in between, so a
 * full disk under load does not flood the terminal.
 */
export function logStorageFailure(where: string, f: StorageFailure, traceId: string, now = Date.now()): void {
  if (f.code === STOPPING) return; // the sandbox stops: nothing to tell
  const key = `${where} ${f.code}`;
  const last = logged.get(key);
  if (last && now - last.at < LOG_EVERY_MS) { last.since++; return; }
  const more = last?.since ? ` (${last.since} more since the last line)` : "";
  logged.set(key, { at: now, since: 0 });
  console.error(`[${where}] storage failure ${f.code} (answered ${f.status}), trace ${traceId}${more}`);
}
