/**
 * A patient journey over real HTTP, as a browser would drive it (SD 4.6): connect a zorgaanbieder
 * in the PGO (DigiD simulator, consent), start a task (token exchange), the module's SMART launch
 * (authorize with the DVA session, token), do the task, "Terug naar PGO". Used by tests and by
 * `bun run bench` (bench/journey.ts).
 */
import type { SandboxUrls } from "./dva.ts";
import { throughDva } from "./dva.ts";
import { cookiesOf, get, hiddenInput } from "./sandbox.ts";

export function postForm(url: string, cookie: string, body: Record<string, string>): Promise<Response> {
  return get(url, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
}

/** Log in at the PGO; returns the PGO cookie jar. */
export async function pgoSession(sandbox: SandboxUrls, username: string, password = username): Promise<string> {
  const page = await get(`${sandbox.url("pgo")}/login`);
  const res = await postForm(`${sandbox.url("pgo")}/login`, cookiesOf(page), { _csrf: hiddenInput(await page.text(), "_csrf"), next: "/", username, password });
  if (res.status !== 303) throw new Error(`PGO login for ${username} answered ${res.status}`);
  return cookiesOf(res, cookiesOf(page));
}

export interface JourneyOptions {
  /** The PGO cookie jar of a logged-in person (pgoSession). */
  pgo: string;
  zorgaanbieder: string;
  bsn: string;
  task: string;
  consent?: "once" | "long";
  /** What the person does in the module: press "Gelezen" (information), or save answers ("Tussentijds opslaan"). */
  action?: "gelezen" | { answers: Record<string, string> };
}

/** Connect, start, launch, act, return. Returns the DVA cookie jar (its session) and where the PGO sent the person back to. */
export async function runJourney(sandbox: SandboxUrls, o: JourneyOptions): Promise<{ dvaCookies: string; back: string }> {
  const pgo = sandbox.url("pgo");
  const module = sandbox.url("module");
  const list = await (await get(`${pgo}/zorgaanbieders`, { headers: { cookie: o.pgo } })).text();
  const connect = await postForm(`${pgo}/verbind`, o.pgo, { _csrf: hiddenInput(list, "_csrf"), zorgaanbieder: o.zorgaanbieder });
  const { redirect, cookies: dvaCookies } = await throughDva(sandbox, connect.headers.get("location")!, { bsn: o.bsn, kind: o.consent ?? "long" });
  await get(redirect.href, { headers: { cookie: o.pgo } });

  const taskPath = `${pgo}/taken/${encodeURIComponent(o.zorgaanbieder)}/${encodeURIComponent(o.task)}`;
  const page = await (await get(taskPath, { headers: { cookie: o.pgo } })).text();
  const started = await postForm(`${taskPath}/starten`, o.pgo, { _csrf: hiddenInput(page, "_csrf") });
  if (started.status !== 303) throw new Error(`Taak starten answered ${started.status}`);
  const launched = await get(started.headers.get("location")!);
  let moduleCookies = cookiesOf(launched);
  const authorized = await get(launched.headers.get("location")!, { headers: { cookie: dvaCookies } });
  const callback = await get(authorized.headers.get("location")!, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(callback, moduleCookies);

  const taak = await get(`${module}/taak`, { headers: { cookie: moduleCookies } });
  moduleCookies = cookiesOf(taak, moduleCookies);
  const csrf = hiddenInput(await taak.text(), "_csrf");
  const action = o.action ?? "gelezen";
  const done = action === "gelezen"
    ? await postForm(`${module}/taak/gelezen`, moduleCookies, { _csrf: csrf })
    : await postForm(`${module}/taak/opslaan`, moduleCookies, { _csrf: csrf, action: "save", ...action.answers });
  if (done.status !== 303) throw new Error(`the module answered ${done.status} to ${action === "gelezen" ? "Gelezen" : "Tussentijds opslaan"}`);
  const terug = await postForm(`${module}/terug`, moduleCookies, { _csrf: csrf });
  const returned = await get(terug.headers.get("location")!, { headers: { cookie: o.pgo } });
  return { dvaCookies, back: returned.headers.get("location") ?? "" };
}
