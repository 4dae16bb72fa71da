/**
 * `GET /eagleeye/v1/swagger`: the OpenAPI 3.1 document of the sandbox's logging interface, shaped
 * after the real "MedMij Logging API" 1.0 (POST/GET /logs with HTTP Basic). The Dutch field names
 * (aanlevering, technischOk, regels, problemen) are the sandbox's own and stay stable.
 */
import { CHAIN_LINE_SCHEMA } from "../shared/chain-events.ts";
import { MAX_DELIVERY_CHARS } from "./delivery.ts";

const error = { type: "object", required: ["error", "error_description"], properties: { error: { type: "string" }, error_description: { type: "string" } } };
const json = (schema: unknown) => ({ "application/json": { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export function openApi(base: string): unknown {
  return {
    openapi: "3.1.0",
    info: {
      title: "MedMij Logging API (sandbox)", version: "1.0",
      description: "The logging interface of MedMij Beheer (EagleEye) as the sandbox offers it: participants (PGO/DVP, DVA) deliver their SD 4.5 log lines in batches; each delivery is checked and reported technisch OK or niet OK with the problems per line. Credentials per participant: `GET /api/network` on the cockpit (`beheer` on every PGO and DVA).",
    },
    servers: [{ url: base }],
    security: [{ basic: [] }],
    paths: {
      "/logs": {
        post: {
          summary: "Deliver a batch of log lines (aanlevering)",
          description: `A JSON array of lines, or NDJSON (one line per row; empty rows skipped, not counted). At most ${MAX_DELIVERY_CHARS} characters (60 MB). Every line must have the required attributes and datatypes of /schema, an event the sender's role writes, and event.location = one of the sender's own hosts.`,
          requestBody: { required: true, content: { "application/json": { schema: { type: "array", items: ref("Logregel") } }, "application/x-ndjson": { schema: { type: "string" } } } },
          responses: {
            201: { description: "Received; technischOk says whether it passed", headers: { Location: { schema: { type: "string" } } }, content: json(ref("Resultaat")) },
            401: { description: "Missing or wrong credentials (WWW-Authenticate: Basic)", content: json(error) },
            413: { description: `More than ${MAX_DELIVERY_CHARS} characters`, content: json(error) },
          },
        },
        get: {
          summary: "The sender's delivered lines",
          parameters: [
            { name: "from", in: "query", schema: { type: "string", format: "date-time" }, description: "event.datetime ≥ from (with offset); the result is then in time order" },
            { name: "to", in: "query", schema: { type: "string", format: "date-time" }, description: "event.datetime < to" },
            { name: "count", in: "query", schema: { type: "integer", minimum: 1, maximum: 10_000, default: 100 } },
            { name: "valid", in: "query", schema: { type: "boolean" }, description: "true: lines without a functional error; false: lines with one (an error part, or an event type ending in _error)" },
            { name: "aanlevering", in: "query", schema: { type: "string" }, description: "only the lines of this delivery" },
          ],
          responses: {
            200: { description: "Lines, oldest first", content: json({ type: "object", required: ["aantal", "regels"], properties: { aantal: { type: "integer" }, regels: { type: "array", items: ref("OntvangenRegel") } } }) },
            400: { description: "A parameter that does not parse", content: json(error) },
            401: { description: "Missing or wrong credentials", content: json(error) },
            404: { description: "No such delivery of this sender", content: json(error) },
          },
        },
      },
      "/aanleveringen": {
        get: {
          summary: "The sender's deliveries, newest first",
          parameters: [{ name: "count", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } }],
          responses: { 200: { description: "Deliveries", content: json({ type: "object", properties: { aanleveringen: { type: "array", items: ref("Aanlevering") } } }) }, 401: { description: "Missing or wrong credentials", content: json(error) } },
        },
      },
      "/aanleveringen/{id}": {
        get: {
          summary: "One delivery with its result",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: { description: "The delivery", content: json(ref("Resultaat")) }, 401: { description: "Missing or wrong credentials", content: json(error) }, 404: { description: "Not a delivery of this sender", content: json(error) } },
        },
      },
      "/schema": { get: { summary: "JSON Schema of one log line (derived from SD 4.5; MedMij's own is not public)", security: [], responses: { 200: { description: "JSON Schema", content: json({ type: "object" }) } } } },
      "/swagger": { get: { summary: "This document", security: [], responses: { 200: { description: "OpenAPI 3.1", content: json({ type: "object" }) } } } },
    },
    components: {
      securitySchemes: { basic: { type: "http", scheme: "basic" } },
      schemas: {
        Logregel: CHAIN_LINE_SCHEMA,
        Aanlevering: {
          type: "object", required: ["aanlevering", "ontvangen", "technischOk", "aantalRegels", "regelsMetProblemen", "functioneleFouten"],
          properties: {
            aanlevering: { type: "string", description: "delivery id" }, ontvangen: { type: "string", format: "date-time" }, technischOk: { type: "boolean" },
            aantalRegels: { type: "integer" }, regelsMetProblemen: { type: "integer" }, functioneleFouten: { type: "integer" },
          },
        },
        Resultaat: {
          allOf: [ref("Aanlevering"), {
            type: "object", required: ["regels", "problemen"],
            properties: {
              problemen: { type: "array", items: { type: "string" }, description: "problems of the delivery as a whole (not JSON, no lines)" },
              regels: { type: "array", description: "only the lines with problems", items: { type: "object", required: ["index", "problemen"], properties: { index: { type: "integer", description: "0-based position in the delivery" }, problemen: { type: "array", items: { type: "string" } } } } },
            },
          }],
        },
        OntvangenRegel: {
          type: "object", required: ["aanlevering", "index", "valid", "problemen", "regel"],
          properties: {
            aanlevering: { type: "string" }, index: { type: "integer" }, valid: { type: "boolean", description: "no functional error" },
            problemen: { type: "array", items: { type: "string" }, description: "technical problems found on receipt" },
            regel: { description: "the line as delivered (a string when it was not JSON)" },
          },
        },
      },
    },
  };
}
