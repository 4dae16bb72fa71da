/**
 * The sandbox mailbox (SPEC §9): e-mails that sandbox actors "send" — the clinician portal's
 * invitations with the PGO deep link (AM-FE-005, AM-FE-014) — land here and are read in the
 * cockpit. Actors post them over HTTP (`POST /api/mail`); nothing leaves the machine.
 */
import type { Database } from "bun:sqlite";

export interface Mail { id: string; sentAt: string; sender: string; recipient: string; subject: string; body: string; link: string | null }
export type NewMail = Omit<Mail, "id" | "sentAt">;

export class MailError extends Error {
  override name = "MailError";
}

/**
 * The most a QR code holds: version 40, error correction L, byte mode (ISO/IEC 18004 table 7),
 * which uqr uses for a URL. Measured in UTF-8 bytes: a link of 2 000 "é"s is 4 000 (issue 11).
 */
export const QR_MAX_BYTES = 2953;

const text = (value: unknown, name: string, max: number): string => {
  if (typeof value !== "string" || value.trim() === "" || value.length > max) throw new MailError(`${name} must be a non-empty string of at most ${max} characters`);
  return value.trim();
};

/** A mail as the API accepts it: JSON `{from, to, subject, body, link?}`; the link must be http(s). */
export function parseMail(input: unknown): NewMail {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new MailError("the body must be a JSON object");
  const m = input as Record<string, unknown>;
  let link: string | null = null;
  if (m.link !== undefined && m.link !== null) {
    link = text(m.link, "link", 2000);
    let url: URL;
    try { url = new URL(link); } catch { throw new MailError("link must be an absolute URL"); }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new MailError("link must be an http(s) URL");
    const bytes = new TextEncoder().encode(link).length;
    if (bytes > QR_MAX_BYTES) throw new MailError(`link is ${bytes} bytes as UTF-8; the mailbox shows it as a QR code, which holds at most ${QR_MAX_BYTES}`);
  }
  return { sender: text(m.from, "from", 200), recipient: text(m.to, "to", 200), subject: text(m.subject, "subject", 300), body: text(m.body, "body", 20_000), link };
}

type Row = { id: string; sent_at: string; sender: string; recipient: string; subject: string; body: string; link: string | null };
const toMail = (r: Row): Mail => ({ id: r.id, sentAt: r.sent_at, sender: r.sender, recipient: r.recipient, subject: r.subject, body: r.body, link: r.link });

export class Mailbox {
  constructor(private readonly db: Database) {}

  add(m: NewMail, now = new Date()): Mail {
    const mail: Mail = { ...m, id: crypto.randomUUID(), sentAt: now.toISOString() };
    this.db.query("INSERT INTO cockpit_mail (id, sent_at, sender, recipient, subject, body, link) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(mail.id, mail.sentAt, mail.sender, mail.recipient, mail.subject, mail.body, mail.link);
    return mail;
  }

  /** Newest first; `to` keeps the mails whose recipient contains it (case-insensitive). */
  list(limit = 100, to = ""): Mail[] {
    return this.db.query<Row, [string, number]>("SELECT * FROM cockpit_mail WHERE instr(lower(recipient), lower(?)) > 0 ORDER BY seq DESC LIMIT ?")
      .all(to, limit).map(toMail);
  }

  get(id: string): Mail | null {
    const row = this.db.query<Row, [string]>("SELECT * FROM cockpit_mail WHERE id = ?").get(id);
    return row ? toMail(row) : null;
  }
}
