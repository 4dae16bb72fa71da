/** Drive the PGO over HTTP as a browser would: log in, connect a zorgaanbieder through the DVA. */
import { expect } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { throughDva } from "./dva.ts";
import { cookiesOf, get, hiddenInput } from "./sandbox.ts";

/** Log in (password = username for the seeded personas); returns the cookie jar. */
export async function pgoLogin(sandbox: Sandbox, username: string): Promise<string> {
  const pgo = sandbox.url("pgo");
  const page = await get(`${pgo}/login`);
  const html = await page.text();
  const res = await get(`${pgo}/login`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), next: "/", username, password: username }) });
  return cookiesOf(res, cookiesOf(page));
}

/** Press "Verbinden" for a zorgaanbieder; returns the DVA /auth URL the PGO sends the browser to. */
export async function pgoStartConnect(sandbox: Sandbox, cookies: string, zorgaanbieder: string): Promise<string> {
  const pgo = sandbox.url("pgo");
  const list = await (await get(`${pgo}/zorgaanbieders`, { headers: { cookie: cookies } })).text();
  const res = await get(`${pgo}/verbind`, { method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(list, "_csrf"), zorgaanbieder }) });
  expect(res.status).toBe(303);
  return res.headers.get("location")!;
}

/** The whole connect flow: Verbinden → DigiD → consent → back at the PGO. */
export async function pgoConnect(sandbox: Sandbox, cookies: string, zorgaanbieder: string, bsn: string, kind: "once" | "long" = "long"): Promise<void> {
  const { redirect } = await throughDva(sandbox, await pgoStartConnect(sandbox, cookies, zorgaanbieder), { bsn, kind });
  const back = await get(redirect.href, { headers: { cookie: cookies } });
  expect(back.status).toBe(303);
}

/** Open a task's page and press "Taak starten" (SD 3.4); the PGO's answer (a 303 to the module, or a problem page). */
export async function pgoStartTask(sandbox: Sandbox, cookies: string, task: string, zorgaanbieder = "delinde@medmij"): Promise<Response> {
  const path = `${sandbox.url("pgo")}/taken/${encodeURIComponent(zorgaanbieder)}/${encodeURIComponent(task)}`;
  const page = await (await get(path, { headers: { cookie: cookies } })).text();
  expect(page).toContain("Taak starten");
  return get(`${path}/starten`, { method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf") }) });
}

