/**
 * The event table and its two checkers (issue 13 §1): validateLine in plain TypeScript, which the
 * sandbox runs, and the published JSON Schema, which teams run with their own validator. Both
 * take every example line of SD 4.5.3–4.5.7 and refuse the same broken lines; the committed
 * schema is the one the table makes.
 */
import { describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import { CHAIN_EVENTS, CHAIN_LINE_SCHEMA, chainEvent, statusOfOAuthError, validateLine, type ChainRole } from "../../../src/shared/chain-events.ts";
import { buildChainLineSchema, SCHEMA_FILE } from "../../../src/shared/chain-line-schema.ts";
import examples from "../../fixtures/sd-4.5-example-lines.json";

const schemaCheck = new Ajv2020({ strict: true, allErrors: true }).compile(CHAIN_LINE_SCHEMA);

const good = () => ({
  event: { type: "send_token_request", location: "pgo.localhost", datetime: "2026-01-05T10:00:00.123+01:00", session_id: "0123456789abcdef", trace_id: "t-1" },
  request: { id: "r-1", method: "post", client_id: "pgo.localhost", server_id: "auth.zorgnet.localhost", uri: "http://auth.zorgnet.localhost/token",
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", initiated_by: "machine", request_token_type: "medmij:token-type:one-time-code" },
});

describe("the event table (CHAIN_EVENTS)", () => {
  test("one row per event, each with its section, writer, part and required fields", () => {
    expect(new Set(CHAIN_EVENTS.map((e) => e.type)).size).toBe(CHAIN_EVENTS.length);
    for (const e of CHAIN_EVENTS) {
      expect(e.sd).toMatch(/^(SD 4\.5|AS Logging interface)/);
      expect(e.writers).toHaveLength(1);
      expect(Object.keys(e.required).length).toBeGreaterThan(0);
      if (e.part === "request") expect(e.required.id).toBe("string");
      else expect(e.required.request_id).toBe("string");
      // An answer names the requests it answers, of its own writer.
      for (const type of e.answers ?? []) expect(chainEvent(type)).toMatchObject({ part: "request", host: e.host });
      if (e.peer) expect(chainEvent(e.peer)!.peer).toBe(e.type);
    }
  });

  test("every event of SD 4.5.3–4.5.7 and the core Verzamelen events are in it", () => {
    for (const type of ["send_token_request", "receive_token_request", "send_token_response", "receive_token_response", "send_token_request_error",
      "receive_token_request_error", "receive_availability_check_error", "send_smart_launch_request", "receive_smart_launch_response",
      "receive_smart_launch_request_error", "receive_authorize_request", "send_authorize_response", "send_authorize_request_error",
      "receive_smart_configuration_request", "send_smart_configuration_response", "send_smart_configuration_request_error", "receive_redirect_to_pgo_request",
      "send_authorization_request", "receive_authorization_request", "show_landing_page", "authorization_request_error", "show_authorization_request_error_page",
      "send_authorization_request_error", "send_authentication_request", "receive_authentication_response", "receive_authorization_cancellation",
      "send_resource_request", "receive_resource_request", "send_resource_response", "receive_resource_response"]) {
      expect(chainEvent(type)?.type).toBe(type);
    }
    // The names an earlier sandbox wrote, which neither the SD nor the Afsprakenstelsel has.
    expect(chainEvent("receive_resource_response_error")).toBeUndefined();
  });

  test("the committed JSON Schema is the one the table makes (bun src/shared/chain-line-schema.ts)", async () => {
    expect(JSON.parse(await Bun.file(SCHEMA_FILE).text())).toEqual(buildChainLineSchema());
    expect(CHAIN_LINE_SCHEMA.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });
});

describe("validateLine and the JSON Schema agree", () => {
  test("every example line of SD 4.5.3–4.5.7 passes both", () => {
    expect(examples.length).toBe(21);
    for (const { sd, role, line } of examples) {
      expect({ sd, problems: validateLine(line, role as ChainRole) }).toEqual({ sd, problems: [] });
      expect({ sd, valid: schemaCheck(line) }).toEqual({ sd, valid: true });
    }
  });

  const broken: [string, (l: any) => unknown, RegExp][] = [
    ["not an object", () => [1], /geen JSON-object/],
    ["no event", (l) => ({ request: l.request }), /event ontbreekt/],
    ["an unknown event", (l) => ({ ...l, event: { ...l.event, type: "receive_resource_response_error" } }), /onbekend event receive_resource_response_error/],
    ["no trace id", (l) => ({ ...l, event: { ...l.event, trace_id: "" } }), /event.trace_id/],
    ["a date without time zone", (l) => ({ ...l, event: { ...l.event, datetime: "2026-01-05T10:00:00" } }), /xs:dateTime/],
    ["no session_id at all", (l) => { const { session_id: _, ...event } = l.event; return { ...l, event }; }, /session_id ontbreekt/],
    ["a session_id that is a number", (l) => ({ ...l, event: { ...l.event, session_id: 5 } }), /session_id is geen tekst/],
    ["no request", (l) => ({ event: l.event }), /request ontbreekt/],
    ["no request id", (l) => ({ ...l, request: { ...l.request, id: undefined } }), /request.id ontbreekt/],
    ["a client_id that is a number", (l) => ({ ...l, request: { ...l.request, client_id: 7 } }), /request.client_id is geen tekst/],
    ["initiated_by user", (l) => ({ ...l, request: { ...l.request, initiated_by: "user" } }), /initiated_by is niet person of machine/],
    ["a token exchange without request_token_type", (l) => ({ ...l, request: { ...l.request, request_token_type: undefined } }), /request_token_type ontbreekt/],
    ["a response status as text", () => ({ event: { ...good().event, type: "receive_token_response" }, response: { request_id: "r-1", status: "200" } }), /response.status is geen geheel getal/],
    ["an error without status", () => ({ event: { ...good().event, type: "receive_token_request_error" }, error: { request_id: "r-1", code: "invalid_grant", description: "x" } }),
      /error.status ontbreekt/],
    ["a launch without a session", () => ({ event: { ...good().event, type: "send_smart_launch_request", session_id: null },
      request: { ...good().request, grant_type: undefined, initiated_by: "person", smart_on_fhir_launch_code: "abc" } }), /hoort bij de sessie van een persoon/],
  ];
  for (const [what, breakIt, problem] of broken) {
    test(`refused by both: ${what}`, () => {
      const line = JSON.parse(JSON.stringify(breakIt(good()) ?? null));
      expect(validateLine(line, "pgo").join("; ")).toMatch(problem);
      expect(schemaCheck(line)).toBe(false);
    });
  }

  test("a good line passes both; the role is the logging interface's check only", () => {
    expect(validateLine(good(), "pgo")).toEqual([]);
    expect(schemaCheck(good())).toBe(true);
    expect(validateLine(good(), "dva")).toEqual(["event send_token_request hoort niet bij de rol dva"]);
    // Extra attributes are allowed (SD 4.5.1 f), such as the DVA's launch context.
    expect(validateLine({ ...good(), request: { ...good().request, launch_context: { task: "Task/1" } } }, "pgo")).toEqual([]);
  });
});

test("a front-channel error gets the status its code has on the back channel (RFC 6749 §5.2)", () => {
  expect(["invalid_request", "access_denied", "temporarily_unavailable", "server_error", "invalid_client", "anders"].map(statusOfOAuthError))
    .toEqual([400, 403, 503, 500, 401, 400]);
});
