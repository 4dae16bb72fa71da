/**
 * Five "Account aanmaken" with one username at once (issue 11 item 3): one account, and the other
 * four get the form back with "Deze gebruikersnaam is al in gebruik" (422), never a 500. The
 * UNIQUE constraint decides; the check before the password hash cannot, since all five pass it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { postForm } from "../helpers/journey.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

/** A browser on the account form: its cookies and CSRF token. */
async function accountForm() {
  const page = await get(`${sandbox.url("pgo")}/account`);
  return { cookies: cookiesOf(page), csrf: hiddenInput(await page.text(), "_csrf") };
}

describe("concurrent sign-ups with one username", () => {
  test("one 303, four 422 with the form and the message; one account", async () => {
    for (const username of ["eva", "floor", "gijs"]) {
      const browsers = await Promise.all([1, 2, 3, 4, 5].map(accountForm));
      const answers = await Promise.all(browsers.map((b, n) => postForm(`${sandbox.url("pgo")}/account`, b.cookies,
        { _csrf: b.csrf, next: "/", name: `Persoon ${n}`, username, password: `geheim-${n}`, password2: `geheim-${n}` })));
      expect(answers.map((r) => r.status).sort()).toEqual([303, 422, 422, 422, 422]);
      for (const r of answers.filter((r) => r.status === 422)) {
        const html = await r.text();
        expect(html).toContain("Deze gebruikersnaam is al in gebruik.");
        expect(html).toContain(`value="${username}"`);
      }
      const n = sandbox.ctx.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM pgo_account WHERE username = ?").get(username)!.n;
      expect(n).toBe(1);
      // The winner is logged in with its own password.
      const winner = answers.findIndex((r) => r.status === 303);
      const page = await get(`${sandbox.url("pgo")}/login`);
      const logged = await postForm(`${sandbox.url("pgo")}/login`, cookiesOf(page), { _csrf: hiddenInput(await page.text(), "_csrf"), next: "/", username, password: `geheim-${winner}` });
      expect(logged.status).toBe(303);
    }
  });
});
