import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { throughDva } from "../helpers/dva.ts";
import { pgoConnect, pgoLogin, pgoStartTask } from "../helpers/pgo.ts";
import { cookiesOf, get, hiddenInput, setFaults, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
let tom: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = await pgoLogin(sandbox, "tom");
  await pgoConnect(sandbox, tom, "delinde@medmij", "999991012");
});
afterAll(() => sandbox.stop());

const pgo = () => sandbox.url("pgo");
const faults = (body: object | null) => setFaults(sandbox, body);

const startTask = (task: string) => pgoStartTask(sandbox, tom, task);

describe("starting a task (SD 3.4, 3.5)", () => {
  test("token exchange → 303 to Endpoint.address?iss=<FHIR base>&launch=<code>; the DVA accepts that code", async () => {
    const res = await startTask("task-tom-delinde-intake");
    expect(res.status).toBe(303);
    const target = new URL(res.headers.get("location")!);
    expect(target.origin + target.pathname).toBe(`${sandbox.url("module")}/launch`);
    expect(target.searchParams.get("iss")).toBe(`${sandbox.url("fhir.zorgnet")}/fhir`);
    const launch = target.searchParams.get("launch")!;
    // The module's next hop: /connect/authorize with that launch code passes the launch checks (then DigiD, no DVA session here).
    const authorize = new URL(`${sandbox.url("auth.zorgnet")}/connect/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: "zorgmodules-zorgnet", redirect_uri: `${sandbox.url("module")}/callback`,
      launch, aud: `${sandbox.url("fhir.zorgnet")}/fhir`, state: "s", scope: "launch patient/*.read", code_challenge: "a".repeat(43), code_challenge_method: "S256" })) {
      authorize.searchParams.set(k, v);
    }
    const next = await get(authorize.href);
    expect(next.headers.get("location")).toStartWith(`${sandbox.url("digid")}/authenticate`);
    // The journey is one trace: exchange and launch by the PGO, the exchange at the DVA.
    const launchLine = sandbox.ctx.chain.query({ limit: 10_000 }).filter((l) => l.event.type === "send_smart_launch_request").at(-1)!;
    const types = sandbox.ctx.chain.query({ traceId: launchLine.event.trace_id }).map((l) => `${l.event.location} ${l.event.type}`);
    expect(types).toEqual(expect.arrayContaining(["pgo.localhost send_token_request", "auth.zorgnet.localhost receive_token_request",
      "auth.zorgnet.localhost send_token_response", "pgo.localhost receive_token_response", "pgo.localhost send_smart_launch_request"]));
  });

  test("step-up: invalid_grant → authorization code flow at the DVA → retried once → launch", async () => {
    await faults({ stepUpAlways: true });
    try {
      const res = await startTask("task-tom-delinde-medicatiecheck");
      const authUrl = res.headers.get("location")!;
      expect(authUrl).toStartWith(`${sandbox.url("auth.zorgnet")}/auth?`);
      await Bun.sleep(5);
      const { redirect } = await throughDva(sandbox, authUrl, { bsn: "999991012" });
      const back = await get(redirect.href, { headers: { cookie: tom } });
      expect(back.status).toBe(303);
      expect(back.headers.get("location")).toStartWith(`${sandbox.url("module")}/secure/launch?iss=`);
    } finally {
      await faults(null);
    }
  });

  test("the DVA refuses the exchange → 'Technische storing' with DVA name, phone, Trace ID and Session ID", async () => {
    await faults({ tokenExchangeError: "invalid_scope" });
    try {
      const res = await startTask("task-tom-delinde-intake");
      const html = await res.text();
      expect(html).toContain("<h1>Technische storing</h1>");
      expect(html).toContain("Zorgnet DVA, 030 123 45 67");
      expect(html).toContain("Trace ID");
      expect(html).toContain("Session ID");
      expect(html).toContain("invalid_scope");
    } finally {
      await faults(null);
    }
  });

  test("the DVA is down → the Rc04 text", async () => {
    const page = await (await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake`, { headers: { cookie: tom } })).text();
    await faults({ dvaDown: "zorgnet" });
    try {
      const res = await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-intake/starten`, { method: "POST", headers: { cookie: tom, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: hiddenInput(page, "_csrf") }) });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("is tijdelijk niet beschikbaar");
    } finally {
      await faults(null);
    }
  });

  test("return (SD 3.8): without error the task list with the task highlighted; with error 'Starten mislukt'", async () => {
    const ok = await get(`${pgo()}/launch_callback?zorgaanbieder=delinde%40medmij&taak=task-tom-delinde-intake`, { headers: { cookie: tom } });
    expect(ok.status).toBe(303);
    const list = await (await get(`${pgo()}${ok.headers.get("location")}`, { headers: { cookie: tom } })).text();
    expect(list).toContain("bijgewerkt</span>");
    const failed = await (await get(`${pgo()}/launch_callback?zorgaanbieder=delinde%40medmij&taak=task-tom-delinde-intake&error=temporarily_unavailable`, { headers: { cookie: tom } })).text();
    expect(failed).toContain("<h1>Starten mislukt</h1>");
    expect(failed).toContain("Je kunt de taak niet uitvoeren bij Huisartsenpraktijk De Linde");
    expect(failed).toContain("teruggestuurd naar MijnGezondheid PGO");
    expect(failed).toContain("temporarily_unavailable");
    expect(sandbox.ctx.chain.query({ limit: 10_000 }).some((l) => l.event.type === "receive_redirect_to_pgo_request")).toBe(true);
  });

  test("a completed task opens the module again to view the answers; a cancelled one cannot be started", async () => {
    const done = await (await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-mrc-1`, { headers: { cookie: tom } })).text();
    expect(done).toContain("Antwoorden bekijken");
    const stopped = await (await get(`${pgo()}/taken/delinde%40medmij/task-tom-delinde-phq-9`, { headers: { cookie: tom } })).text();
    expect(stopped).toContain("kan niet meer gestart worden");
  });
});

describe("module down (risk Rc02)", () => {
  test("the PGO does not send the person to a module that is down, and says so", async () => {
    await faults({ moduleDown: true });
    try {
      const res = await startTask("task-tom-delinde-intake");
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("De applicatie (module) waarmee Huisartsenpraktijk De Linde deze taak aanbiedt, is tijdelijk niet beschikbaar");
    } finally {
      await faults(null);
    }
  });
});
