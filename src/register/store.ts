/**
 * List versions: a list's Volgnummer rises whenever its content changes and never goes down
 * (REGISTER.md); Tijdstempel is the moment that version was generated.
 */
import type { Database } from "bun:sqlite";

export interface ListStamp { volgnummer: number; tijdstempel: string }

export class RegisterStore {
  constructor(private readonly db: Database) {}

  /** The stamp for this content: the stored one if unchanged, else the next Volgnummer. */
  stampFor(name: string, contentHash: string, now: string): ListStamp {
    return this.db.transaction(() => {
      const row = this.db.query<{ content_hash: string; volgnummer: number; tijdstempel: string }, [string]>(
        "SELECT content_hash, volgnummer, tijdstempel FROM register_list WHERE name = ?",
      ).get(name);
      if (row && row.content_hash === contentHash) return { volgnummer: row.volgnummer, tijdstempel: row.tijdstempel };
      const volgnummer = (row?.volgnummer ?? 0) + 1;
      this.db.query(`INSERT INTO register_list (name, content_hash, volgnummer, tijdstempel) VALUES (?, ?, ?, ?)
                     ON CONFLICT (name) DO UPDATE SET content_hash = excluded.content_hash,
                       volgnummer = excluded.volgnummer, tijdstempel = excluded.tijdstempel`).run(name, contentHash, volgnummer, now);
      return { volgnummer, tijdstempel: now };
    })();
  }
}
