/**
 * Chain log retention in a running sandbox (issue 11 item 6): the limits from the config prune
 * in the background, and the cockpit's chain log page says how much is kept and what the limits are.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox({ logKeepLines: 30, logKeepHours: 12 }); });
afterAll(() => sandbox.stop());

describe("chain log retention", () => {
  test("--log-keep-lines prunes in the background; the cockpit shows what is kept", async () => {
    for (let i = 0; i < 200; i++) sandbox.ctx.chain.write({ type: "send_test", location: "pgo.localhost", traceId: `keep-${i}` });
    const deadline = Date.now() + 3_000;
    while ((await sandbox.ctx.chain.stats()).lines > 30 && Date.now() < deadline) await Bun.sleep(25);
    expect((await sandbox.ctx.chain.stats()).lines).toBe(30);
    expect(sandbox.ctx.chain.query({ limit: 1 })[0]!.event.trace_id).toBe("keep-170");

    const page = await (await fetch(`${sandbox.url()}/logs`)).text();
    expect(page).toMatch(/Bewaard: 30 regels sinds \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, grens: de laatste 30 regels en 12 uur/);
    expect(page).not.toContain("niet opgeslagen");
  });
});
