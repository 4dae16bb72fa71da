/**
 * Issue 11 item 1: reset works in every state. After journeys of every persona, consents and a
 * withdrawal, refresh rotations, module sessions, portal assignments and cancellations, mails,
 * faults and chain-log lines, `POST /api/reset` and `--reset` on the same file bring back exactly
 * the seed state (one transaction, tables emptied children first as the schema says).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "../../src/sandbox.ts";
import { openDatabase, tablesChildrenFirst } from "../../src/shared/db.ts";
import { loadNetwork } from "../../src/network-loader.ts";
import { resolveNetwork } from "../../src/shared/resolved-network.ts";
import { seedDatabase } from "../../seed/seed.ts";
import { collectTokens } from "../helpers/dva.ts";
import { pgoSession, postForm, runJourney } from "../helpers/journey.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const dir = mkdtempSync(join(tmpdir(), "sandbox-reset-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a user can leave behind in a day of use. */
async function aDayOfUse(sandbox: Sandbox): Promise<void> {
  const tom = await pgoSession(sandbox, "tom");
  const { dvaCookies } = await runJourney(sandbox, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
  await runJourney(sandbox, { pgo: tom, zorgaanbieder: "fysiodeberk@medmij", bsn: "999991012", task: "task-tom-fysiodeberk-ademhaling", consent: "once" });
  const koos = await pgoSession(sandbox, "koos");
  await runJourney(sandbox, { pgo: koos, zorgaanbieder: "ggzoostland@medmij", bsn: "999991024", task: "task-koos-ggzoostland-gad-7-1", action: { answers: {} } });
  await runJourney(sandbox, { pgo: koos, zorgaanbieder: "delinde@medmij", bsn: "999991024", task: "task-koos-delinde-stress" });

  // A refresh rotation, and a withdrawn consent (its grants and tokens revoked).
  const tokens = await collectTokens(sandbox, { bsn: "999991012" });
  const rotated = await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "pgo.localhost" }) });
  expect(rotated.status).toBe(200);
  const overview = await get(`${sandbox.url("auth.zorgnet")}/toestemmingen`, { headers: { cookie: dvaCookies } });
  const html = await overview.text();
  const withdraw = await postForm(`${sandbox.url("auth.zorgnet")}/toestemmingen/intrekken`, cookiesOf(overview, dvaCookies),
    { _csrf: hiddenInput(html, "_csrf"), consent: hiddenInput(html, "consent") });
  expect(withdraw.status).toBe(303);

  // The clinician's side: an assignment (with its invitation mail) and a cancellation.
  const login = await get(`${sandbox.url("xis")}/login`);
  const xis = cookiesOf(await postForm(`${sandbox.url("xis")}/login`, cookiesOf(login), { _csrf: hiddenInput(await login.text(), "_csrf"), username: "dehaard", password: "dehaard", next: "/" }), cookiesOf(login));
  const sanne = await (await get(`${sandbox.url("xis")}/patienten/patient-sanne`, { headers: { cookie: xis } })).text();
  const assigned = await postForm(`${sandbox.url("xis")}/patienten/patient-sanne/taken`, xis, { _csrf: hiddenInput(sanne, "_csrf"), aanvraag: hiddenInput(sanne, "aanvraag"),
    module: "ad-delinde-phq-9", start: "2026-12-01", eind: "2026-12-07", herhalen: "week", aantal: "2", mail: "ja" });
  expect(assigned.status).toBe(303);
  const cancelled = await postForm(`${sandbox.url("xis")}/taken/task-sanne-delinde-mrc-1/annuleren`, xis, { _csrf: hiddenInput(sanne, "_csrf"), patient: "patient-sanne", reden: "Niet meer nodig." });
  expect(cancelled.status).toBe(303);

  const json = { "content-type": "application/json" };
  expect((await fetch(`${sandbox.url()}/api/mail`, { method: "POST", headers: json, body: JSON.stringify({ from: "a@b.nl", to: "c@d.nl", subject: "x", body: "y" }) })).status).toBe(201);
  expect((await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: json, body: JSON.stringify({ latencyMs: 1 }) })).status).toBe(200);
}

type Db = Sandbox["ctx"]["db"];
/** What the seed state is made of: every resource with its status, and the counts of everything else. */
function stateOf(db: Db): { resources: string[]; counts: Record<string, number> } {
  const resources = db.query<{ r: string }, []>("SELECT dva || ' ' || type || '/' || id || ' ' || coalesce(json_extract(json, '$.status'), '') AS r FROM fhir_resource ORDER BY 1").all().map((x) => x.r);
  const counts: Record<string, number> = {};
  for (const table of ["fhir_history", "dva_consent", "dva_grant", "dva_access_token", "dva_session", "dva_auth_request", "pgo_connection", "pgo_session", "pgo_task",
    "module_session", "xis_session", "cockpit_mail", "chain_log", "fault", "pgo_account", "fhir_registration"]) {
    counts[table] = db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
  }
  return { resources, counts };
}

async function seedState(): Promise<ReturnType<typeof stateOf>> {
  const db = openDatabase(":memory:");
  await seedDatabase(db, resolveNetwork(await loadNetwork(null), "localhost", 8080));
  return stateOf(db);
}

describe("reset works in every state (issue 11 item 1)", () => {
  test("the schema orders the tables children first: a grant before the consent it references, PGO rows before their account", () => {
    const order = tablesChildrenFirst(openDatabase(":memory:"));
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before("dva_grant", "dva_consent");
    for (const child of ["pgo_session", "pgo_connection", "pgo_oauth_state", "pgo_task", "pgo_sync"]) before(child, "pgo_account");
  });

  test("after a day of use, POST /api/reset gives exactly the seed state", async () => {
    const sandbox = await startTestSandbox({ dataPath: join(dir, "api.db") });
    try {
      await aDayOfUse(sandbox);
      expect(stateOf(sandbox.ctx.db).counts.dva_grant).toBeGreaterThan(0);
      const res = await fetch(`${sandbox.url()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(res.status).toBe(200);
      expect(stateOf(sandbox.ctx.db)).toEqual(await seedState());
      // And the network works again from there: the same journey once more.
      const tom = await pgoSession(sandbox, "tom");
      const { back } = await runJourney(sandbox, { pgo: tom, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-leven-met-copd" });
      expect(back).toContain("groep=klaar");
    } finally {
      await sandbox.stop();
    }
  });

  test("after a day of use, a restart with --reset on the same file gives exactly the seed state", async () => {
    const dataPath = join(dir, "flag.db");
    const first = await startTestSandbox({ dataPath });
    try {
      await aDayOfUse(first);
    } finally {
      await first.stop();
    }
    const second = await startTestSandbox({ dataPath, reset: true });
    try {
      expect(stateOf(second.ctx.db)).toEqual(await seedState());
    } finally {
      await second.stop();
    }
  });
});
