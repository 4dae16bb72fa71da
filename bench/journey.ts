/**
 * SPEC §11 "a full journey over HTTP without a browser": Tom connects De Linde (DigiD simulator,
 * long-term consent, first collection), starts a task (token exchange), the module launches (SMART
 * authorize with the DVA session, token), completes it ("Gelezen": Task in progress → completed
 * with If-Match), returns to the PGO, which collects again. All hops over real HTTP, in-process.
 * Each run gets a fresh information Task, created by the clinician's system over FHIR.
 */
import type { Sandbox } from "../src/sandbox.ts";
import { throughDva } from "../test/helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../test/helpers/sandbox.ts";
import { pcts, under, type Row } from "./report.ts";

const form = (body: Record<string, string>) => ({ "content-type": "application/x-www-form-urlencoded", body: new URLSearchParams(body) });
async function post(url: string, cookie: string, body: Record<string, string>): Promise<Response> {
  const f = form(body);
  return get(url, { method: "POST", headers: { cookie, "content-type": f["content-type"] }, body: f.body });
}

async function journey(sandbox: Sandbox, pgoCookies: string, taskId: string): Promise<void> {
  const pgo = sandbox.url("pgo");
  const module = sandbox.url("module");
  // Consent and collect.
  const list = await (await get(`${pgo}/zorgaanbieders`, { headers: { cookie: pgoCookies } })).text();
  const start = await post(`${pgo}/verbind`, pgoCookies, { _csrf: hiddenInput(list, "_csrf"), zorgaanbieder: "delinde@medmij" });
  const { redirect, cookies: dvaCookies } = await throughDva(sandbox, start.headers.get("location")!, { bsn: "999991012", kind: "long" });
  await get(redirect.href, { headers: { cookie: pgoCookies } });
  // Start: token exchange, launch.
  const page = await (await get(`${pgo}/taken/delinde%40medmij/${taskId}`, { headers: { cookie: pgoCookies } })).text();
  const started = await post(`${pgo}/taken/delinde%40medmij/${taskId}/starten`, pgoCookies, { _csrf: hiddenInput(page, "_csrf") });
  const launched = await get(started.headers.get("location")!);
  let moduleCookies = cookiesOf(launched);
  const authorized = await get(launched.headers.get("location")!, { headers: { cookie: dvaCookies } });
  const callback = await get(authorized.headers.get("location")!, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(callback, moduleCookies);
  // Complete and return.
  const taak = await get(`${module}/taak`, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(taak, moduleCookies);
  const csrf = hiddenInput(await taak.text(), "_csrf");
  const read = await post(`${module}/taak/gelezen`, moduleCookies, { _csrf: csrf });
  if (read.status !== 303) throw new Error(`Gelezen answered ${read.status}`);
  const back = await post(`${module}/terug`, moduleCookies, { _csrf: csrf });
  const returned = await get(back.headers.get("location")!, { headers: { cookie: pgoCookies } });
  if (!returned.headers.get("location")?.includes("groep=klaar")) throw new Error(`the task did not end in Klaar: ${returned.headers.get("location")}`);
}

export async function benchJourney(runs: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[]; p50: number }> {
  const sandbox = await startTestSandbox();
  try {
    const loginPage = await get(`${sandbox.url("pgo")}/login`);
    const loginHtml = await loginPage.text();
    const loggedIn = await post(`${sandbox.url("pgo")}/login`, cookiesOf(loginPage), { _csrf: hiddenInput(loginHtml, "_csrf"), next: "/", username: "tom", password: "tom" });
    const pgoCookies = cookiesOf(loggedIn, cookiesOf(loginPage));
    const system = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}` }, body: "grant_type=client_credentials" })).json()).access_token as string;
    const template = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-leven-met-copd`, { headers: { authorization: `Bearer ${system}` } })).json();
    const times: number[] = [];
    log(`journey: ${runs} runs of Tom's journey over HTTP (in-process) …`);
    for (let i = 0; i < runs + 2; i++) {
      const now = Date.now();
      const task = { ...template, id: undefined, meta: { tag: template.meta.tag, profile: template.meta.profile }, status: "requested", output: undefined,
        identifier: [{ system: "https://medmij-sandbox.example/bench", value: `run-${i}` }],
        executionPeriod: { start: new Date(now - 86_400_000).toISOString(), end: new Date(now + 86_400_000).toISOString() } };
      const created = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/Task`, { method: "POST",
        headers: { authorization: `Bearer ${system}`, "content-type": "application/fhir+json" }, body: JSON.stringify(task) })).json();
      const started = performance.now();
      await journey(sandbox, pgoCookies, created.id);
      if (i >= 2) times.push(performance.now() - started); // two warm-up runs
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length / 2)]!;
    return {
      rows: [{ measure: "full journey over HTTP (consent, collect, exchange, SMART launch, complete, return)", value: pcts(times, [50, 95]),
        target: "p50 < 40 ms", result: under(p50, 40) }],
      notes: [`${runs} runs after 2 warm-ups; ~25 HTTP requests per journey (DigiD, consent, collection incl. includes and Endpoint names, exchange, SMART authorize and token, two Task PATCHes, revocation, re-collection); argon2id login once before timing`],
      p50,
    };
  } finally {
    await sandbox.stop();
  }
}
