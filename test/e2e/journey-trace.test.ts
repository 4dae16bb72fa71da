/**
 * One journey is one trace across PGO, DVA and module (issue 12 §4, SD 3.7, SPEC §10): the DVA's
 * /connect/token names the trace in `X-Correlation-ID`, and the module sends it on every FHIR
 * call afterwards, so the DVA logs those calls in the journey's trace instead of one two-line
 * trace per call.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

interface Line { event: { type: string; location: string; trace_id: string }; request?: { method?: string; uri?: string } }
async function logs(query = ""): Promise<Line[]> {
  const text = await (await fetch(`${sandbox.url()}/api/logs?limit=10000${query}`)).text();
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
}

describe("the journey's trace", () => {
  test("after a journey over HTTP the module's FHIR calls are in the journey's trace", async () => {
    const pgo = await pgoSession(sandbox, "tom");
    await runJourney(sandbox, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-intake",
      action: { answers: { "intake-beroep": "Timmerman" } } });
    const launch = (await logs()).filter((l) => l.event.type === "send_smart_launch_request").at(-1)!;
    const traceId = launch.event.trace_id;
    const journey = await logs(`&trace_id=${encodeURIComponent(traceId)}`);
    const fhir = journey.filter((l) => l.event.location === "fhir.zorgnet.localhost" && l.event.type === "receive_resource_request")
      .map((l) => `${l.request!.method} ${new URL(l.request!.uri!).pathname}`);
    // The module: read and PATCH the Task (SD 3.7), its ActivityDefinition, Questionnaire, the patient, the response it saves.
    expect(fhir).toEqual(expect.arrayContaining(["patch /fhir/Task/task-tom-delinde-intake", "get /fhir/Questionnaire", "get /fhir/QuestionnaireResponse",
      "post /fhir/QuestionnaireResponse", "get /fhir/Patient/patient-tom"]));
    // PGO, DVA (authorization server and FHIR) and the module's calls: one trace.
    expect(new Set(journey.map((l) => l.event.location))).toEqual(new Set(["pgo.localhost", "auth.zorgnet.localhost", "fhir.zorgnet.localhost"]));
    // The PGO puts the trace on the launch URL, so the module's SMART discovery is in it too.
    expect(journey.some((l) => l.event.type === "receive_smart_configuration_request")).toBe(true);
    // No module call is left in a trace of its own (the PGO's writes none of these).
    const elsewhere = (await logs()).filter((l) => l.event.trace_id !== traceId && l.event.type === "receive_resource_request"
      && /\/fhir\/(Questionnaire|QuestionnaireResponse|Patient)\b/.test(l.request?.uri ?? ""));
    expect(elsewhere).toEqual([]);
  });

  test("/connect/token names the trace it logged the request under, also on an error", async () => {
    const res = await fetch(`${sandbox.url("auth.zorgnet")}/connect/token`, { method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "X-Correlation-ID": "trace-token-echo" }, body: "grant_type=authorization_code&code=nope" });
    expect(res.status).toBe(401);
    expect(res.headers.get("x-correlation-id")).toBe("trace-token-echo");
    expect((await logs("&trace_id=trace-token-echo")).map((l) => l.event.type)).toEqual(["receive_token_request", "send_token_request_error"]);
  });

  test("a PGO that puts X-Correlation-ID on the launch URL brings the module's discovery into the trace too", async () => {
    const launch = await fetch(`${sandbox.url("module")}/launch?iss=${encodeURIComponent(`${sandbox.url("fhir.zorgnet")}/fhir`)}&launch=not-a-real-code&X-Correlation-ID=trace-launch-param`,
      { redirect: "manual" });
    expect(launch.status).toBe(303);
    expect((await logs("&trace_id=trace-launch-param")).map((l) => l.event.type)).toEqual(["receive_smart_configuration_request", "send_smart_configuration_response"]);
  });
});

describe("the Session ID an error page shows finds the person's lines (SD 4.5 session_id)", () => {
  test("the PGO writes the Session ID of its pages on the lines of a person's request; /logs finds the journey by it", async () => {
    const pgo = await pgoSession(sandbox, "koos");
    await runJourney(sandbox, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991024", task: "task-koos-delinde-stress" });
    const cookie = /pgo_session=([^;]+)/.exec(pgo)?.[1];
    expect(cookie).toBeString();
    const sessionId = new Bun.CryptoHasher("sha256").update(decodeURIComponent(cookie!)).digest("hex").slice(0, 16);
    const lines = (await logs()) as (Line & { event: { session_id: string | null } })[];
    const launch = lines.filter((l) => l.event.type === "send_smart_launch_request").at(-1)!;
    expect(launch.event.session_id).toBe(sessionId);
    expect(lines.some((l) => l.event.type === "receive_redirect_to_pgo_request" && l.event.session_id === sessionId)).toBe(true);
    const page = await (await fetch(`${sandbox.url()}/logs?q=${encodeURIComponent(`Session ID: ${sessionId}`)}`)).text();
    expect(page).toContain(launch.event.trace_id);
  });
});
