/**
 * The CapabilityStatement: exactly what this server supports (issue 4), with the SMART security
 * extension (SMART App Launch 2.x §Conformance, "oauth-uris").
 */
import type { ResolvedDva } from "../../shared/resolved-network.ts";
import { RESOURCE_TYPES } from "./rest.ts";
import { INCLUDES, STRING_PARAMS, TOKEN_PARAMS } from "./search-params.ts";

const PATIENT_SEARCH: Record<string, string> = { Task: "patient", ServiceRequest: "patient", QuestionnaireResponse: "patient" };

export function capabilityStatement(dva: ResolvedDva, softwareVersion: string) {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2026-11-23",
    publisher: "MedMij Sandbox",
    kind: "instance",
    // ProviderTasks 1.0.0-alpha.2 (issue 15): the XIS server role (the canonical SUSHI gives
    // CapabilityStatements.fsh's pt-XIS instance; the IG sets no url of its own).
    instantiates: ["http://medmij.nl/fhir/CapabilityStatement/pt-XIS"],
    software: { name: "MedMij Sandbox DVA FHIR server", version: softwareVersion },
    implementation: { description: `FHIR R4-server van ${dva.name}`, url: dva.fhirBase },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json"],
    patchFormat: ["application/json-patch+json", "application/fhir+json"],
    rest: [{
      mode: "server",
      // search.html#total (issue 16): a zorgaanbieder's search over a large DVA walks an index in order and stops at the page.
      documentation: "Bundle.total staat in een zoekresultaat wanneer de server het kent zonder de hele DVA te tellen: bij een patiënttoken, "
        + "een selectieve zoekvraag, of een laatste pagina. _total=accurate en _summary=count tellen altijd; _total=estimate en none geven "
        + "dan geen total. Zoekvragen van een systeemtoken over veel resources lopen de index in zoekvolgorde af en stoppen bij de pagina "
        + "(_sort: _lastUpdated of period, gelijke waarden op id).",
      security: {
        cors: true,
        service: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "SMART-on-FHIR" }] }],
        extension: [{
          url: "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
          extension: [
            { url: "authorize", valueUri: `${dva.auth.origin}/connect/authorize` },
            { url: "token", valueUri: `${dva.auth.origin}/connect/token` },
            { url: "introspect", valueUri: `${dva.auth.origin}/connect/introspect` },
            { url: "revoke", valueUri: `${dva.auth.origin}/connect/revocation` },
          ],
        }],
      },
      resource: RESOURCE_TYPES.map((type) => ({
        type,
        versioning: "versioned",
        readHistory: true,
        conditionalRead: "full-support", // If-None-Match and If-Modified-Since
        conditionalCreate: true,
        updateCreate: true,
        interaction: [
          { code: "read" }, { code: "vread" }, { code: "search-type" }, { code: "create" }, { code: "update" }, { code: "history-instance" },
          ...(type === "Task" ? [{ code: "patch" }] : []),
        ],
        searchInclude: INCLUDES[type] ?? [],
        searchParam: [
          ...(TOKEN_PARAMS[type] ?? ["_id"]).map((name) => ({ name, type: name === "url" || name === "_profile" ? "uri" : name === "_id" || /status|_tag|identifier|code/.test(name) ? "token" : "reference" })),
          ...(STRING_PARAMS[type] ?? []).map((name) => ({ name, type: "string", documentation: "begint met (per naamdeel), :contains, :exact; hoofdletter- en accentongevoelig" })),
          { name: "_lastUpdated", type: "date" },
          ...(PATIENT_SEARCH[type] ? [{ name: PATIENT_SEARCH[type], type: "reference", documentation: "alleen de patiënt van het token (MedMij)" }] : []),
        ],
      })),
    }],
  };
}
