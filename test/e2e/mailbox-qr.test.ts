/**
 * Mail links and QR codes (issue 11 item 4): /api/mail refuses a link that no QR code can hold
 * (measured in UTF-8 bytes, not characters) with a 400 that says so; a stored mail whose link is
 * too long anyway (from before the check) shows the link without a QR code instead of a 500.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { QR_MAX_BYTES } from "../../src/cockpit/mailbox.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const mail = (link: string) => get(`${sandbox.url()}/api/mail`, { method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ from: "portaal@xis.localhost", to: "tom@example.test", subject: "Uitnodiging", body: "Open de link.", link }) });
const linkOf = (prefix: string, filler: string, bytes: number) => prefix + filler.repeat(Math.floor((bytes - prefix.length) / new TextEncoder().encode(filler).length));

describe("mail links and QR codes", () => {
  test("a link of the most characters /api/mail takes (2 000, ASCII) is accepted and drawn", async () => {
    const link = linkOf("http://pgo.localhost:8080/x?", "a", 2000);
    const res = await mail(link);
    expect(res.status).toBe(201);
    const page = await get((await res.json()).url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<svg");
  });

  test("under 2 000 characters but 3 900 UTF-8 bytes: 400 with the reason", async () => {
    const link = linkOf("http://pgo.localhost:8080/", "é", 3900);
    expect(link.length).toBeLessThanOrEqual(2000);
    const res = await mail(link);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe("invalid_request");
    expect(body.error_description).toContain(`a QR code, which holds at most ${QR_MAX_BYTES}`);
  });

  test("a stored mail whose link no QR code holds: the page shows the link without a QR code", async () => {
    const link = linkOf("http://pgo.localhost:8080/", "é", 3000);
    sandbox.ctx.db.query("INSERT INTO cockpit_mail (id, sent_at, sender, recipient, subject, body, link) VALUES ('old-mail', ?, 'a', 'b', 'Oud', 'Tekst', ?)")
      .run(new Date().toISOString(), link);
    const page = await get(`${sandbox.url()}/mailbox/old-mail`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("te lang voor een QR-code");
    expect(html).not.toContain("<svg");
    expect(html).toContain('class="button"');
  });
});
