/**
 * Koppeltaal 2.0 launches (issue 15 §3): a DVA with `koppeltaal: true` also takes an HTI 2.0
 * launch token as `launch` (GIDS-HTI-Protocol HTI_2.0.md; Koppeltaal kop-kt-007: a form POST of
 * iss and launch to the module). The sandbox's module accepts it like a launch code; the DVA
 * checks signature, audience, age and jti. The token here comes from the cockpit's launch link
 * generator, where the DVA plays the launching platform.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const patchDva = (body: object) => fetch(`${sandbox.url()}/api/dvas/zorgnet`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** An HTI token from the cockpit's generator for Tom's intake. */
async function htiToken(): Promise<{ status: number; token: string | null; html: string }> {
  const page = await get(`${sandbox.url()}/launch-link`);
  const html = await page.text();
  const res = await get(`${sandbox.url()}/launch-link`, { method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), task: "zorgnet|task-tom-delinde-intake", kind: "hti" }) });
  const body = await res.text();
  const href = /id="launch-link"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="launch-link"/.exec(body);
  const link = (href?.[1] ?? href?.[2] ?? "").replace(/&amp;/g, "&");
  return { status: res.status, token: link ? new URL(link).searchParams.get("launch") : null, html: body };
}

/** The Koppeltaal way in: a form POST of iss and launch to the module, then the DVA's answer to its authorize. */
async function postLaunch(token: string, dvaCookies: string) {
  const atModule = await get(`${sandbox.url("module")}/launch`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ iss: `${sandbox.url("fhir.zorgnet")}/fhir`, launch: token }) });
  expect(atModule.status).toBe(303);
  const authorize = atModule.headers.get("location")!;
  expect(authorize).toStartWith(`${sandbox.url("auth.zorgnet")}/connect/authorize`);
  return { moduleCookies: cookiesOf(atModule), answer: await get(authorize, { headers: { cookie: dvaCookies } }) };
}

describe("Koppeltaal 2.0 HTI launch", () => {
  test("off by default: the generator says so", async () => {
    const off = await htiToken();
    expect(off.status).toBe(422);
    expect(off.html).toContain("accepteert geen Koppeltaal-launches");
  });

  test("on: an HTI token with the HTI 2.0 claims launches the sandbox's module, once", async () => {
    expect((await patchDva({ koppeltaal: true })).status).toBe(200);
    const { token } = await htiToken();
    const claims = JSON.parse(Buffer.from(token!.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({ resource: "Task/task-tom-delinde-intake", sub: "Patient/patient-tom", aud: "zorgmodules-zorgnet", "hti-version": "2.0",
      iss: sandbox.url("auth.zorgnet") });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    expect(claims.jti).toBeString();
    expect(claims.definition).toStartWith("https://medmij-sandbox.example/fhir/ActivityDefinition/");

    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const { moduleCookies, answer } = await postLaunch(token!, cookies);
    const callback = new URL(answer.headers.get("location")!);
    expect(callback.origin).toBe(sandbox.url("module"));
    expect(callback.searchParams.get("code")).toBeString();
    const done = await get(callback.href, { headers: { cookie: moduleCookies } });
    expect(done.status).toBe(303);
    const task = await get(new URL(done.headers.get("location")!, sandbox.url("module")).href, { headers: { cookie: moduleCookies } });
    expect(task.status).toBe(200);
    expect(await task.text()).toContain("Intakevragenlijst kortademigheid");

    // The same token again: its jti is used.
    const again = await postLaunch(token!, cookies);
    expect(new URL(again.answer.headers.get("location")!).searchParams.get("error_description")).toContain("al gebruikt");
  });

  test("a token signed by anyone else, or for another module, is refused with the reason", async () => {
    const { token } = await htiToken();
    const [h, p] = token!.split(".");
    const forged = `${h}.${p}.${Buffer.from("not a signature").toString("base64url")}`;
    const { cookies } = await collectTokens(sandbox, { bsn: "999991012" });
    const bad = await postLaunch(forged, cookies);
    expect(new URL(bad.answer.headers.get("location")!).searchParams.get("error_description")).toContain("HTI-launchtoken is ongeldig");
    // Koppeltaal off again: a JWT is no launch code at all.
    expect((await patchDva({ koppeltaal: false })).status).toBe(200);
    const off = await postLaunch(token!, cookies);
    expect(new URL(off.answer.headers.get("location")!).searchParams.get("error_description")).toBe("onbekende launch-code");
  });
});
