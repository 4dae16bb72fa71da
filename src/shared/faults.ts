/**
 * Faults on demand (SPEC §9): switches set from the cockpit or `POST /api/faults`, persisted in
 * SQLite and read by the actors on every request. Each actor implements its own switches; this
 * module only keeps and validates them.
 */
import type { Database } from "bun:sqlite";

export const OAUTH_ERROR_CODES = [
  "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
  "unsupported_grant_type", "invalid_scope", "server_error", "temporarily_unavailable",
] as const;

export interface Faults {
  /** DVA id: both hosts of that DVA answer 503. */
  dvaDown?: string;
  moduleDown?: boolean;
  tokenExchangeError?: (typeof OAUTH_ERROR_CODES)[number];
  stepUpAlways?: boolean;
  launchCodeTtlSeconds?: number;
  latencyMs?: number;
  digidCancel?: boolean;
  moduleFailAfterLaunch?: boolean;
  /** Sandbox addition (issue 4): the FHIR servers answer every token with 401 "expired". */
  fhirTokenExpired?: boolean;
}

export type FaultKey = keyof Faults;

export interface FaultInfo { key: FaultKey; kind: "dva" | "boolean" | "number" | "oauth-error"; label: string }

/** The switches, in cockpit order, with a Dutch label for the page. */
export const FAULTS: readonly FaultInfo[] = [
  { key: "dvaDown", kind: "dva", label: "DVA onbereikbaar (503 op auth- en FHIR-host)" },
  { key: "moduleDown", kind: "boolean", label: "Module onbereikbaar (503)" },
  { key: "tokenExchangeError", kind: "oauth-error", label: "Token exchange weigert met foutcode" },
  { key: "stepUpAlways", kind: "boolean", label: "Altijd her-identificatie (step-up) vragen" },
  { key: "launchCodeTtlSeconds", kind: "number", label: "Levensduur launch-code (seconden, 0 = direct verlopen)" },
  { key: "latencyMs", kind: "number", label: "Vertraging DVA-hosts (ms)" },
  { key: "digidCancel", kind: "boolean", label: "DigiD-simulator breekt altijd af (error=cancelled)" },
  { key: "moduleFailAfterLaunch", kind: "boolean", label: "Module faalt na launch (error=temporarily_unavailable)" },
  { key: "fhirTokenExpired", kind: "boolean", label: "FHIR-servers melden elk token als verlopen (401 invalid_token)" },
];

export class FaultError extends Error {
  override name = "FaultError";
}

/** Validate a partial fault object from JSON or a form. `null` or "" for a key clears it. */
export function parseFaults(input: unknown, dvaIds: readonly string[]): { set: Faults; clear: FaultKey[] } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new FaultError("faults must be a JSON object");
  const set: Record<string, unknown> = {};
  const clear: FaultKey[] = [];
  for (const [key, value] of Object.entries(input)) {
    const info = FAULTS.find((f) => f.key === key);
    if (!info) throw new FaultError(`unknown fault ${JSON.stringify(key)}; known: ${FAULTS.map((f) => f.key).join(", ")}`);
    if (value === null || value === "" || value === false) { clear.push(info.key); continue; }
    switch (info.kind) {
      case "boolean":
        if (value !== true && value !== "true" && value !== "on") throw new FaultError(`${key} must be true or false`);
        set[key] = true;
        break;
      case "number": {
        // A JSON number, or digits from an HTML form; nothing that merely coerces to a number.
        const n = typeof value === "number" ? value : typeof value === "string" && /^\d{1,6}$/.test(value.trim()) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < 0 || n > 600_000) throw new FaultError(`${key} must be a whole number from 0 to 600000`);
        set[key] = n;
        break;
      }
      case "dva":
        if (typeof value !== "string" || !dvaIds.includes(value)) throw new FaultError(`${key} must be one of the DVA ids: ${dvaIds.join(", ")}`);
        set[key] = value;
        break;
      case "oauth-error":
        if (typeof value !== "string" || !(OAUTH_ERROR_CODES as readonly string[]).includes(value)) {
          throw new FaultError(`${key} must be an RFC 6749 §5.2 error code: ${OAUTH_ERROR_CODES.join(", ")}`);
        }
        set[key] = value;
        break;
    }
  }
  return { set: set as Faults, clear };
}

export class FaultRegistry {
  private current: Faults;
  /** When each switch was last turned on (ms); a restart counts as turning on. */
  private setAt = new Map<FaultKey, number>();

  constructor(private readonly db: Database) {
    this.current = this.load();
  }

  /** When this fault was switched on, or null when it is off (stepUpAlways: "until a fresh DigiD login"). */
  since(key: FaultKey): number | null {
    return this.current[key] === undefined ? null : (this.setAt.get(key) ?? null);
  }

  /** The faults in force; cheap (memory), call it per request. */
  get(): Readonly<Faults> {
    return this.current;
  }

  apply(change: { set: Faults; clear: FaultKey[] }): Faults {
    this.db.transaction(() => {
      for (const key of change.clear) this.db.query("DELETE FROM fault WHERE key = ?").run(key);
      for (const [key, value] of Object.entries(change.set)) {
        this.db.query("INSERT INTO fault (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
          .run(key, JSON.stringify(value));
      }
    })();
    const now = Date.now();
    for (const key of Object.keys(change.set) as FaultKey[]) this.setAt.set(key, now);
    this.current = this.load();
    return this.current;
  }

  clearAll(): void {
    this.db.query("DELETE FROM fault").run();
    this.current = {};
  }

  /** Re-read after the database changed underneath (reset). */
  reload(): void {
    this.current = this.load();
  }

  private load(): Faults {
    const rows = this.db.query<{ key: string; value: string }, []>("SELECT key, value FROM fault").all();
    for (const r of rows) if (!this.setAt.has(r.key as FaultKey)) this.setAt.set(r.key as FaultKey, Date.now());
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)])) as Faults;
  }
}
