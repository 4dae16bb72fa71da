/**
 * The DigiD simulator preselects nobody (issue 12 §3): with Tom preselected, Koos pressing
 * "Inloggen" saw Tom's tasks. The page comes with no persona checked; "Inloggen" without a choice
 * is a 422 with a Dutch message; a persona chosen before a message stays chosen.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

async function loginPage() {
  const returnUrl = `${sandbox.url("auth.zorgnet")}/digid/callback`;
  const res = await get(`${sandbox.url("digid")}/authenticate?${new URLSearchParams({ return_url: returnUrl, state: "s-1" })}`);
  const html = await res.text();
  return { html, cookie: cookiesOf(res), fields: { _csrf: hiddenInput(html, "_csrf"), return_url: returnUrl, state: "s-1" } };
}

const post = (cookie: string, fields: Record<string, string>) => get(`${sandbox.url("digid")}/authenticate`, { method: "POST",
  headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });

/** The persona radios of a page, with whether each is checked. */
const radios = (html: string) => [...html.matchAll(/<input type="radio" name="persona"[^>]*>/g)].map((m) => m[0]);

describe("DigiD simulator: nobody preselected", () => {
  test("every persona is offered by full name, none checked", async () => {
    const { html } = await loginPage();
    expect(html).toContain(">Tom van Duinen</label>");
    expect(html).toContain(">Koos de Groot</label>");
    expect(radios(html).length).toBeGreaterThanOrEqual(2);
    expect(radios(html).filter((r) => /\schecked/.test(r))).toEqual([]);
  });

  test("Inloggen without a choice is refused with a message, and does not log anyone in", async () => {
    const page = await loginPage();
    const res = await post(page.cookie, { ...page.fields, action: "login" });
    expect(res.status).toBe(422);
    expect(res.headers.get("location")).toBeNull();
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("Kies een persoon of vul een BSN in.");
    expect(radios(html).filter((r) => /\schecked/.test(r))).toEqual([]);
  });

  test("a persona chosen with a wrong BSN beside it stays chosen on the page with the message", async () => {
    const page = await loginPage();
    const res = await post(page.cookie, { ...page.fields, persona: "999991024", bsn: "123456789", action: "login" });
    expect(res.status).toBe(422);
    const checked = radios(await res.text()).filter((r) => /\schecked/.test(r));
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain('value="999991024"');
  });

  test("choosing Koos logs in Koos", async () => {
    const page = await loginPage();
    const res = await post(page.cookie, { ...page.fields, persona: "999991024", action: "login" });
    expect(res.status).toBe(303);
    const assertion = new URL(res.headers.get("location")!).searchParams.get("assertion")!;
    expect(JSON.parse(Buffer.from(assertion.split(".")[1]!, "base64url").toString()).bsn).toBe("999991024");
  });
});
