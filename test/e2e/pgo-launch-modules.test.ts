/**
 * Issue 10 item 7: the PGO sends the person (and a launch code) only to a module the network
 * registers for that DVA and client_id; an Endpoint a zorgaanbieder's system wrote cannot send them
 * elsewhere. The availability probe's failure is logged as SD 4.5.4.1.4 receive_availability_check_error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { pgoConnect, pgoLogin, pgoStartTask } from "../helpers/pgo.ts";
import { get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

const ENDPOINT = "Endpoint/endpoint-zorgmodules-delinde";
let sandbox: Sandbox;
let tom: string;
let linde: string;
let original: Json;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoLogin(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
  linde = await systemToken(sandbox, "his-delinde");
  original = (await fhir(sandbox, linde, "GET", ENDPOINT)).json;
});
afterAll(() => sandbox.stop());

async function setEndpoint(change: Json) {
  const current = (await fhir(sandbox, linde, "GET", ENDPOINT)).json;
  const res = await fhir(sandbox, linde, "PUT", ENDPOINT, { body: { ...current, ...change } });
  expect(res.status).toBe(200);
}
const clientIdExtension = (clientId: string) => [{ url: "http://medmij.nl/fhir/StructureDefinition/ext-Endpoint.ClientID", valueString: clientId }];

const start = (task = "task-tom-delinde-intake") => pgoStartTask(sandbox, tom, task);
const traceOf = (html: string) => /<dt>Trace ID<\/dt>\s*<dd><code>([^<]+)<\/code>/.exec(html)?.[1] ?? "";
async function linesOf(traceId: string): Promise<Json[]> {
  const text = await (await fetch(`${sandbox.url()}/api/logs?trace_id=${encodeURIComponent(traceId)}`)).text();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

describe("the PGO launches only registered modules", () => {
  test.each([
    ["an address on another host", { address: "http://evil.localhost:9/launch" }],
    ["the module's own host on another port", { address: "http://module.localhost:1/launch" }],
    ["the module's host under a client_id no module holds at this DVA", { extension: clientIdExtension("onbekende-module") }],
    ["the module's host under another DVA's client_id", { extension: clientIdExtension("zorgmodules-ggzconnect") }],
  ] as [string, Json][])("%s: Starten mislukt with the reason, no launch code asked for, logged", async (_why, change) => {
    await setEndpoint(change);
    try {
      const res = await start();
      expect(res.status).toBe(502);
      const html = await res.text();
      expect(html).toContain("Starten mislukt");
      expect(html).toContain("Waarom:");
      expect(html).toContain("geen module die in het netwerk");
      const lines = await linesOf(traceOf(html));
      const refused = lines.find((l) => l.event.type === "receive_smart_launch_request_error");
      expect(refused?.event.location).toBe("pgo.localhost");
      expect(refused?.error.code).toBe("unauthorized_client");
      // Neither a probe of the address nor a token exchange happened.
      expect(lines.some((l) => l.event.type === "send_token_request")).toBe(false);
      expect(lines.some((l) => l.event.type === "send_smart_launch_request")).toBe(false);
    } finally {
      await setEndpoint({ address: original.address, extension: original.extension });
    }
  });

  test("the registered module launches as before (another launch path of the module's host is fine)", async () => {
    const res = await start();
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location")!).origin).toBe(sandbox.url("module"));
  });

  test("a module that does not answer: Rc02 and receive_availability_check_error (SD 4.5.4.1.4)", async () => {
    await fetch(`${sandbox.url()}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ moduleDown: true }) });
    try {
      const res = await start();
      expect(res.status).toBe(503);
      const html = await res.text();
      expect(html).toContain("tijdelijk niet beschikbaar");
      const line = (await linesOf(traceOf(html))).find((l) => l.event.type === "receive_availability_check_error");
      expect(line?.event.location).toBe("pgo.localhost");
      expect(line?.error).toMatchObject({ code: "service_unavailable" });
      expect(line?.error.description).toContain("HTTP 503");
    } finally {
      await fetch(`${sandbox.url()}/api/faults`, { method: "DELETE" });
    }
  });
});
