/**
 * The JSON Schema (draft 2020-12) of one chain-monitoring line, derived from the event table in
 * chain-events.ts. MedMij's own schema is not public; this one says what SD 4.5 and the
 * Afsprakenstelsel's event list say. The sandbox carries the generated chain-line.schema.json
 * (chain-events.ts imports it, so the binary embeds it and needs no schema compiler at run time).
 *
 *   bun src/shared/chain-line-schema.ts     regenerate after changing CHAIN_EVENTS
 *
 * test/unit/shared/chain-events.test.ts fails while the committed file differs from what this makes.
 */
import { CHAIN_EVENTS, DATE_TIME, TOKEN_EXCHANGE_GRANT, type ChainEventSpec, type FieldType } from "./chain-events.ts";

const TEXT = { type: "string", minLength: 1 } as const;
const typeSchema = (type: FieldType) => (type === "integer" ? { type: "integer" } : TEXT);
const WRITER = { pgo: "the PGO (DVP)", "dva-auth": "the DVA's authorization server", "dva-fhir": "the DVA's FHIR (resource) server" } as const;

/** The rule of one event: its part with its required fields, and a session where the person has one. */
function eventRule(spec: ChainEventSpec) {
  return {
    $comment: `${spec.sd}; written by ${WRITER[spec.host]}`,
    if: { type: "object", required: ["event"], properties: { event: { type: "object", required: ["type"], properties: { type: { const: spec.type } } } } },
    then: {
      type: "object",
      required: [spec.part],
      properties: {
        ...(spec.session === "person" ? { event: { type: "object", properties: { session_id: TEXT } } } : {}),
        [spec.part]: {
          type: "object",
          required: Object.keys(spec.required),
          properties: Object.fromEntries(Object.entries(spec.required).map(([field, type]) => [field, typeSchema(type)])),
        },
      },
    },
  };
}

export function buildChainLineSchema(events: readonly ChainEventSpec[] = CHAIN_EVENTS) {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "urn:medmij-sandbox:ketenmonitoring:logregel",
    title: "MedMij ketenmonitoring: one log line (derived from SD 4.5, not MedMij's own schema)",
    description: "The line format of section 4.5 of the solution design 'Aanbiedermodules' (MedMij/Koppeltaal, v0.2) and the events of the Afsprakenstelsel page 'Logging interface'. "
      + "MedMij's own schema is not public. Extra attributes are allowed (SD 4.5.1 f). Which role may write which event is checked by the logging interface, not here.",
    type: "object",
    required: ["event"],
    properties: {
      event: { $ref: "#/$defs/event" },
      request: { $ref: "#/$defs/request" },
      response: { $ref: "#/$defs/answer" },
      error: { $ref: "#/$defs/answer" },
    },
    allOf: events.map(eventRule),
    $defs: {
      event: {
        type: "object",
        required: ["type", "location", "datetime", "session_id", "trace_id"],
        properties: {
          type: { enum: events.map((e) => e.type) },
          location: TEXT,
          datetime: { type: "string", pattern: DATE_TIME.source },
          session_id: { type: ["string", "null"], minLength: 1 },
          trace_id: TEXT,
        },
      },
      request: {
        type: "object",
        properties: { initiated_by: { enum: ["person", "machine"] } },
        if: { type: "object", required: ["grant_type"], properties: { grant_type: { const: TOKEN_EXCHANGE_GRANT } } },
        then: { type: "object", required: ["request_token_type"], properties: { request_token_type: TEXT } },
      },
      answer: { type: "object", properties: { status: { type: "integer" } } },
    },
  };
}

export const SCHEMA_FILE = new URL("./chain-line.schema.json", import.meta.url);

if (import.meta.main) {
  await Bun.write(SCHEMA_FILE, `${JSON.stringify(buildChainLineSchema(), null, 2)}\n`);
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
