/**
 * A DVA's flavour (issue 15): "sd-0.2" or "koppelmij-2026", plus `koppeltaal`, per DVA in the
 * network, in /api/network, and switched at run time — PATCH /api/dvas/<id> and the cockpit's
 * form — without restart; kept across Reset and restarts; wrong values refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNetwork } from "../../src/network-loader.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import { NetworkError, validateNetwork } from "../../src/shared/network.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => { dir = mkdtempSync(join(tmpdir(), "medmij-flavour-")); sandbox = await startTestSandbox({ dataPath: join(dir, "s.db") }); });
afterAll(async () => { await sandbox.stop(); rmSync(dir, { recursive: true, force: true }); });

const dvas = async () => ((await (await fetch(`${sandbox.url()}/api/network`)).json()) as { dvas: { id: string; flavour: string; koppeltaal: boolean }[] }).dvas;
const patch = (id: string, body: unknown, type = "application/json") => fetch(`${sandbox.url()}/api/dvas/${id}`, { method: "PATCH", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("a DVA's flavour", () => {
  test("default sd-0.2 without Koppeltaal, in /api/network; the FHIR server claims pt-XIS", async () => {
    expect((await dvas()).map((d) => [d.id, d.flavour, d.koppeltaal])).toEqual([["zorgnet", "sd-0.2", false], ["ggzconnect", "sd-0.2", false]]);
    const metadata = await (await fetch(`${sandbox.url("fhir.zorgnet")}/fhir/metadata`)).json() as { instantiates: string[] };
    expect(metadata.instantiates).toEqual(["http://medmij.nl/fhir/CapabilityStatement/pt-XIS"]);
  });

  test("PATCH switches one DVA at once; the other stays; wrong values, unknown DVAs and non-JSON are refused", async () => {
    const res = await patch("ggzconnect", { flavour: "koppelmij-2026" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "ggzconnect", flavour: "koppelmij-2026", koppeltaal: false });
    expect((await patch("ggzconnect", { koppeltaal: true })).status).toBe(200);
    expect((await dvas()).map((d) => [d.id, d.flavour, d.koppeltaal])).toEqual([["zorgnet", "sd-0.2", false], ["ggzconnect", "koppelmij-2026", true]]);
    const bad = await patch("zorgnet", { flavour: "sd-0.3", koppeltaal: "ja" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { field: string }[] }).problems.map((p) => p.field)).toEqual(["flavour", "koppeltaal"]);
    expect((await patch("nergens", { flavour: "sd-0.2" })).status).toBe(404);
    expect((await patch("zorgnet", "flavour=sd-0.2", "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await patch("zorgnet", [1])).status).toBe(400);
    expect((await dvas())[0]!.flavour).toBe("sd-0.2");
  });

  test("the cockpit's form switches it (CSRF required) and says so", async () => {
    const page = await get(`${sandbox.url()}/`);
    const html = await page.text();
    expect(html).toContain('id="flavour-zorgnet"');
    const form = (fields: Record<string, string>, csrf = true) => get(`${sandbox.url()}/dvas/zorgnet`, { method: "POST",
      headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...(csrf ? { _csrf: hiddenInput(html, "_csrf") } : {}), ...fields }) });
    expect((await form({ flavour: "koppelmij-2026" }, false)).status).toBe(403);
    const saved = await form({ flavour: "koppelmij-2026", koppeltaal: "true" });
    expect(saved.status).toBe(303);
    expect((await dvas())[0]).toMatchObject({ flavour: "koppelmij-2026", koppeltaal: true });
    const after = await (await get(new URL(saved.headers.get("location")!, sandbox.url()).href)).text();
    expect(after).toContain("volgt nu KoppelMij 2026");
    // An unchecked box is "off".
    await form({ flavour: "koppelmij-2026" });
    expect((await dvas())[0]!.koppeltaal).toBe(false);
  });

  test("kept across Reset and a restart", async () => {
    await fetch(`${sandbox.url()}/api/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect((await dvas()).map((d) => d.flavour)).toEqual(["koppelmij-2026", "koppelmij-2026"]);
    const file = sandbox.ctx.config.dataPath;
    await sandbox.stop();
    sandbox = await startTestSandbox({ dataPath: file });
    expect((await dvas()).map((d) => [d.flavour, d.koppeltaal])).toEqual([["koppelmij-2026", false], ["koppelmij-2026", true]]);
  });

  test("a network file's flavour is validated like the rest", async () => {
    const base = await loadNetwork(null);
    expect(validateNetwork({ ...base, dvas: [{ ...base.dvas[0]!, flavour: "koppelmij-2026", koppeltaal: true }, base.dvas[1]!] }).dvas[0]!.flavour).toBe("koppelmij-2026");
    try {
      validateNetwork({ ...base, dvas: [{ ...base.dvas[0]!, flavour: "nieuw" as never }, base.dvas[1]!] });
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(NetworkError);
      expect((e as NetworkError).problems[0]).toStartWith('dvas[0].flavour: must be "sd-0.2" or "koppelmij-2026"');
    }
  });
});
