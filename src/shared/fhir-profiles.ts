/**
 * MedMij ProviderTasks profile and extension URLs (SPEC §3), shared by the DVA, the seed, the PGO
 * and the module. The current generation is emitted; older generations are accepted on input.
 */

export const TASK_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-Task";
export const ACTIVITY_DEFINITION_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-DigitalActivity";
export const ENDPOINT_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-Endpoint";
export const GROUP_PLAN_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-DigitalGroupPlan";
/** ProviderTasks 1.0.0-alpha.2 (issue 15): the patient-specific schedule and instruction a Task names as `focus`. */
export const EXECUTION_ORDER_PROFILE = "http://medmij.nl/fhir/StructureDefinition/pt-ExecutionOrder";

/** meta.tag of every provider task: data service "Verzamelen Aanbiedertaken". */
export const DATA_SERVICE_TAG = { system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.7" } as const;

/**
 * Tags other generations of the ProviderTasks material put on a provider task: the data service's
 * `…5.6` (the pt-PHR/pt-XIS CapabilityStatements) and `information-standard|providertasks` (the
 * IG's technical design, TOOLBOX1-896). The PGO collects these too; the DVA warns a writer that
 * PGOs searching only for DATA_SERVICE_TAG will not.
 */
export const OTHER_PROVIDER_TASK_TAGS = [
  { system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.6" },
  { system: "http://medmij.nl/fhir/CodeSystem/information-standard", code: "providertasks" },
] as const;

/** Task → ActivityDefinition, newest first (SPEC §3: KoppelMij 2025 and older accepted). */
export const DIGITAL_ACTIVITY_EXTENSIONS = [
  "http://medmij.nl/fhir/StructureDefinition/ext-Task.DigitalActivity",
  "http://vzvz.nl/fhir/StructureDefinition/instantiates",
  "http://medmij.nl/fhir/StructureDefinition/ext-DigitalActivity",
  "http://example.org/fhir/StructureDefinition/module-definition",
] as const;

/**
 * ActivityDefinition → Endpoint, newest first. The SD 3.1 example's `smart-app-launch-url` is a
 * Reference to the Endpoint; as a URL it is the launch address itself (LAUNCH_URL_EXTENSIONS).
 */
export const ENDPOINT_EXTENSIONS = [
  "http://medmij.nl/fhir/StructureDefinition/ext-DigitalActivity.Endpoint",
  "http://koppeltaal.nl/fhir/StructureDefinition/KT2EndpointExtension",
  "http://medmij.nl/fhir/StructureDefinition/ext-Endpoint",
  "http://example.org/fhir/StructureDefinition/smart-app-launch-url",
] as const;

/** Endpoint → the module's client_id at this DVA, newest first. */
export const CLIENT_ID_EXTENSIONS = [
  "http://medmij.nl/fhir/StructureDefinition/ext-Endpoint.ClientID",
  "http://medmij.nl/fhir/StructureDefinition/ext-ClientID",
  "http://example.org/fhir/StructureDefinition/client-id",
] as const;

/**
 * SD 3.1 puts the module's client_id on the ActivityDefinition (valueString). An Endpoint's
 * ClientID (CLIENT_ID_EXTENSIONS) wins where both exist.
 */
export const ACTIVITY_CLIENT_ID_EXTENSIONS = ["http://example.org/fhir/StructureDefinition/client-id"] as const;

/** SD 3.1: the module's SMART launch address on the ActivityDefinition (valueUrl, valueUri or valueString), where there is no Endpoint. */
export const LAUNCH_URL_EXTENSIONS = ["http://example.org/fhir/StructureDefinition/smart-app-launch-url"] as const;

/**
 * Sandbox choice (SPEC §3 leaves it open): a questionnaire module's ActivityDefinition names its
 * Questionnaire with this extension (valueCanonical = Questionnaire.url). R4's
 * ActivityDefinition.library is for Library resources, so it does not fit.
 */
export const EXT_QUESTIONNAIRE = "https://medmij-sandbox.example/fhir/StructureDefinition/ext-DigitalActivity.Questionnaire";
/** Sandbox: "questionnaire" or "information" (the "task link" module type of the SD appendix). */
export const EXT_MODULE_TYPE = "https://medmij-sandbox.example/fhir/StructureDefinition/ext-DigitalActivity.ModuleType";

export const BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn";
export const AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z";

/**
 * Sandbox choice: the Task a QuestionnaireResponse answers (R4 QuestionnaireResponse.basedOn only
 * allows CarePlan/ServiceRequest). Searchable as `QuestionnaireResponse?task=Task/<id>`; the
 * completed Task also points at its response through Task.output.
 */
export const EXT_QR_TASK = "https://medmij-sandbox.example/fhir/StructureDefinition/ext-QuestionnaireResponse.Task";
