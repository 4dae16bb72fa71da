/**
 * Two PGO tabs collecting with an expired access token at once (issue 11 item 3): the rotating
 * refresh token must be used once, or the DVA's reuse detection revokes the long-term consent
 * ("opnieuw toestemming geven"). The PGO renews once per connection; concurrent callers share it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoSession, postForm } from "../helpers/journey.ts";
import { pgoConnect } from "../helpers/pgo.ts";
import { get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoSession(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012", "long");
});
afterAll(() => sandbox.stop());
afterEach(() => setSystemTime());

const pgo = () => sandbox.url("pgo");
/** Refresh tokens the DVA has seen redeemed (each renewal uses one). */
const usedRefreshTokens = () => sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM dva_grant WHERE kind = 'refresh' AND used_at IS NOT NULL").get()!.n;
const overview = async () => (await get(`${pgo()}/taken`, { headers: { cookie: tom } })).text();

describe("concurrent collections with an expired access token", () => {
  test("five tabs at once (overview and Verversen): one renewal, the connection survives", async () => {
    const csrf = hiddenInput(await overview(), "_csrf");
    for (let round = 1; round <= 3; round++) {
      const before = usedRefreshTokens();
      // 16 minutes on: the 900 s access token has expired, the long-term consent has not.
      setSystemTime(new Date(Date.now() + round * 16 * 60_000));
      const answers = await Promise.all([
        get(`${pgo()}/taken`, { headers: { cookie: tom } }),
        get(`${pgo()}/taken?auto`, { headers: { cookie: tom, "hx-request": "true" } }),
        get(`${pgo()}/taken`, { headers: { cookie: tom } }),
        postForm(`${pgo()}/taken/verversen`, tom, { _csrf: csrf }),
        postForm(`${pgo()}/taken/verversen`, tom, { _csrf: csrf }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 303, 303]);
      const bodies = await Promise.all(answers.map((r) => r.text()));
      for (const body of bodies) expect(body).not.toContain("opnieuw toestemming geven");
      expect(usedRefreshTokens()).toBe(before + 1);
      const after = await overview();
      expect(after).not.toContain("opnieuw toestemming geven");
      expect(after).toContain("Informatie: leven met COPD");
      setSystemTime();
    }
  });
});
