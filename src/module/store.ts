/** The module's own sessions (module_session): SMART client state, token and launch context per browser. */
import type { Database } from "bun:sqlite";
import { randomToken, sha256 } from "../shared/crypto.ts";

export interface ModuleSession {
  moduleId: string;
  iss: string;
  clientId: string;
  state?: string;
  codeVerifier?: string;
  accessToken?: string;
  patient?: string;
  task?: string;
  returnUrl?: string | null;
  /** The design the DVA launched in (issue 15): KoppelMij 2026 names a response output `questionnaire-response`. */
  flavour?: "sd-0.2" | "koppelmij-2026";
  revocationEndpoint?: string;
  /** The PGO that sent the browser (Referer, checked against the network): the way back before a return_url is known. */
  pgoOrigin?: string;
  /** The DVA's SMART configuration, discovered at the launch, for the callback (dropped after the token). */
  server?: Record<string, unknown>;
  /** The journey's trace id (X-Correlation-ID), as the DVA's token response named it; sent on every later call. */
  traceId?: string;
}


export class ModuleStore {
  constructor(private readonly db: Database) {}

  create(data: ModuleSession, now: number, ttlMs: number): string {
    const id = randomToken();
    this.db.query("INSERT INTO module_session (id, data, expires_at) VALUES (?, ?, ?)").run(sha256(id), JSON.stringify(data), now + ttlMs);
    return id;
  }

  read(id: string, now: number): ModuleSession | null {
    const row = this.db.query<{ data: string }, [string, number]>("SELECT data FROM module_session WHERE id = ? AND expires_at > ?").get(sha256(id), now);
    return row ? JSON.parse(row.data) as ModuleSession : null;
  }

  update(id: string, data: ModuleSession): void {
    this.db.query("UPDATE module_session SET data = ? WHERE id = ?").run(JSON.stringify(data), sha256(id));
  }

  end(id: string): void {
    this.db.query("DELETE FROM module_session WHERE id = ?").run(sha256(id));
  }
}
