/**
 * The JSON Schema of one log line, served at `/eagleeye/v1/schema`. MedMij's own schema is not
 * public; the SD 4.5 table (shared/chain-events.ts) publishes one derived from SD 4.5 as
 * `CHAIN_LINE_SCHEMA`, and this is served when it is there. Until then, the shape SD 4.5 shows.
 */
import * as chainEvents from "../shared/chain-events.ts";

/** SD 4.5 (seed 004 §4.5.3–4.5.7): event{type, location, datetime, session_id, trace_id} and one of request, response, error. */
const SD_LINE_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://beheer.localhost/eagleeye/v1/schema",
  title: "MedMij ketenmonitoring: logregel (afgeleid uit SD 4.5)",
  type: "object",
  required: ["event"],
  properties: {
    event: {
      type: "object",
      required: ["type", "location", "datetime", "trace_id"],
      properties: {
        type: { type: "string", minLength: 1, description: "send_token_request, receive_token_response, ..." },
        location: { type: "string", minLength: 1, description: "host name of the participant writing the line" },
        datetime: { type: "string", format: "date-time", description: "xs:dateTime with offset, e.g. 2025-09-22T14:35:12.789+02:00" },
        session_id: { type: ["string", "null"] },
        trace_id: { type: "string", minLength: 1, description: "X-Correlation-ID of the journey" },
      },
    },
    request: {
      type: "object",
      required: ["id"],
      properties: {
        id: { type: "string" }, method: { type: "string" }, client_id: { type: "string" }, server_id: { type: "string" }, uri: { type: "string" },
        grant_type: { type: "string" }, request_token_type: { type: "string" }, initiated_by: { enum: ["person", "machine"] },
        smart_on_fhir_launch_code: { type: "string" },
      },
    },
    response: { type: "object", required: ["request_id", "status"], properties: { request_id: { type: "string" }, status: { type: "integer" } } },
    error: {
      type: "object", required: ["code", "description"],
      properties: { request_id: { type: "string" }, code: { type: "string" }, description: { type: "string" }, status: { type: "integer" } },
    },
  },
} as const;

/** The line schema: the SD 4.5 table's when it publishes one, else the shape above. */
export function lineSchema(): unknown {
  return (chainEvents as { CHAIN_LINE_SCHEMA?: unknown }).CHAIN_LINE_SCHEMA ?? SD_LINE_SCHEMA;
}
