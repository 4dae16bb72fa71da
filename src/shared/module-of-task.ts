/**
 * Which module runs a Task (SPEC §3, SD 3.1 and 3.4), as pure steps over the resources: Task →
 * ActivityDefinition → Endpoint → the module's client_id and launch address. The DVA (token
 * exchange: `audience` must be this client_id) and the PGO (launch: the code goes to this module)
 * read the resources their own way — the store, or the DVA's FHIR API — and decide with these
 * same functions, so the two can never disagree.
 *
 * Every generation of SPEC §3 is read, newest first, and the SD 3.1 example shape too: the
 * client_id on the ActivityDefinition (`…/client-id`) and `…/smart-app-launch-url` as a Reference to
 * an Endpoint without ClientID, or as the launch URL itself with no Endpoint at all. An Endpoint's
 * ClientID wins over the ActivityDefinition's.
 */
import { ACTIVITY_CLIENT_ID_EXTENSIONS, CLIENT_ID_EXTENSIONS, DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS, LAUNCH_URL_EXTENSIONS } from "./fhir-profiles.ts";

/** Another party's JSON: nothing about its shape is assumed. */
type Json = Record<string, unknown>;

export interface ModuleOfTask {
  /** The module's client_id at this DVA (the token exchange's `audience`). */
  clientId: string;
  /** The module's SMART launch URL. */
  address: string;
}

/** The object extensions of a resource (stored or received JSON may hold anything). */
function extensions(resource: unknown): Json[] {
  const list = (resource as Json | null | undefined)?.extension;
  return Array.isArray(list) ? list.filter((e): e is Json => typeof e === "object" && e !== null && !Array.isArray(e)) : [];
}

/** "Type/id" of a reference to that type, relative or absolute ("…/fhir/Type/id/_history/2"); anything else null. */
function referenceTo(type: string, value: unknown): string | null {
  const reference = (value as Json | null | undefined)?.reference;
  if (typeof reference !== "string") return null;
  const match = new RegExp(`(?:^|/)${type}/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]+)?$`).exec(reference);
  return match ? `${type}/${match[1]}` : null;
}

/** The first of these extensions (in this order) whose value passes `pick`. */
function firstValue<T>(resource: unknown, urls: readonly string[], pick: (e: Json) => T | null): T | null {
  const list = extensions(resource);
  for (const url of urls) {
    for (const e of list) {
      if (e.url !== url) continue;
      const value = pick(e);
      if (value !== null) return value;
    }
  }
  return null;
}

const text = (v: unknown): string | null => typeof v === "string" && v.trim() !== "" ? v : null;

/** `ActivityDefinition/<id>` the Task's DigitalActivity extension names (any generation), or null. */
export function activityDefinitionOfTask(task: unknown): string | null {
  return firstValue(task, DIGITAL_ACTIVITY_EXTENSIONS, (e) => referenceTo("ActivityDefinition", e.valueReference));
}

/** `Endpoint/<id>` the ActivityDefinition names (ext-DigitalActivity.Endpoint, an older one, or SD 3.1's smart-app-launch-url as a Reference), or null. */
export function endpointOfActivity(activityDefinition: unknown): string | null {
  return firstValue(activityDefinition, ENDPOINT_EXTENSIONS, (e) => referenceTo("Endpoint", e.valueReference));
}

/**
 * The module of an ActivityDefinition and its Endpoint (null when it names none, or it could not
 * be read): client_id from the Endpoint's ClientID, else from the ActivityDefinition's client-id
 * (SD 3.1); the address is the Endpoint's, else the ActivityDefinition's smart-app-launch-url.
 * Null when either is missing.
 */
export function moduleOfActivity(activityDefinition: unknown, endpoint: unknown): ModuleOfTask | null {
  const clientId = firstValue(endpoint, CLIENT_ID_EXTENSIONS, (e) => text(e.valueString))
    ?? firstValue(activityDefinition, ACTIVITY_CLIENT_ID_EXTENSIONS, (e) => text(e.valueString));
  const address = text((endpoint as Json | null | undefined)?.address)
    ?? firstValue(activityDefinition, LAUNCH_URL_EXTENSIONS, (e) => text(e.valueUrl) ?? text(e.valueUri) ?? text(e.valueString));
  return clientId && address ? { clientId, address } : null;
}
