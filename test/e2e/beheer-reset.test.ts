/**
 * MedMij Beheer keeps its participants' totals in memory (issue 16: no GROUP BY over every delivery
 * on each poll); a reset empties the deliveries, and the totals with them.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { systemToken } from "../helpers/fhir.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
const overview = async () => text(await (await fetch(`${sandbox.url("beheer")}/partials/overzicht`)).text());
/** The overview's row of the Zorgnet DVA: "Zorgnet DVA DVA <deliveries> <lines> <errors> <last>". */
const zorgnetRow = (page: string) => /Zorgnet DVA DVA (.*?) GGZ Connect/.exec(page)?.[1] ?? "";

test("after a reset the overview counts no deliveries of before; new ones count from zero", async () => {
  const token = await systemToken(sandbox, "his-delinde");
  for (let i = 0; i < 5; i++) await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?_count=1`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
  await sandbox.logDelivery.deliverAll();
  const delivered = () => sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM beheer_aanlevering").get()!.n;
  expect(delivered()).toBeGreaterThan(0);
  expect(zorgnetRow(await overview())).toContain("technisch OK");
  const reset = await fetch(`${sandbox.url()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(reset.status).toBe(200);
  expect(delivered()).toBe(0);
  await Bun.sleep(2_100); // the overview is computed at most every 2 s
  expect(zorgnetRow(await overview())).toStartWith("geen aanleveringen 0 0");
  // A delivery after the reset counts on its own, not on top of the figures from before.
  const again = await systemToken(sandbox, "his-delinde");
  await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task?_count=1`, { headers: { authorization: `Bearer ${again}` } })).arrayBuffer();
  await sandbox.logDelivery.deliverAll();
  await Bun.sleep(2_100);
  const rows = sandbox.ctx.db.query<{ n: number; r: number }, []>("SELECT count(*) AS n, sum(regels) AS r FROM beheer_aanlevering WHERE deelnemer = 'zorgnet'").get()!;
  expect(zorgnetRow(await overview())).toStartWith(`${rows.n} technisch OK, 0 niet OK ${rows.r} `);
});
