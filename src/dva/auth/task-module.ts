/**
 * Which module runs a Task: Task → ActivityDefinition (ext-Task.DigitalActivity or an older
 * generation) → Endpoint (ext-DigitalActivity.Endpoint) → its ClientID extension (SPEC §3). The
 * token exchange's `audience` must be that client_id (SD 3.4).
 */
import { CLIENT_ID_EXTENSIONS, DIGITAL_ACTIVITY_EXTENSIONS, ENDPOINT_EXTENSIONS } from "../../shared/fhir-profiles.ts";
import { extensionReference, type Resource } from "../fhir/search-index.ts";
import type { FhirStore } from "../fhir/store.ts";

export interface TaskModule { activityDefinition: Resource; endpoint: Resource; clientId: string; address: string }

function readRef(fhir: FhirStore, dva: string, ref: string | null): Resource | null {
  if (!ref) return null;
  const [type, id] = ref.split("/");
  return type && id ? fhir.read(dva, type, id)?.resource ?? null : null;
}

export function moduleOfTask(fhir: FhirStore, dva: string, task: Resource): TaskModule | null {
  const activityDefinition = readRef(fhir, dva, extensionReference(task, DIGITAL_ACTIVITY_EXTENSIONS));
  if (!activityDefinition) return null;
  const endpoint = readRef(fhir, dva, extensionReference(activityDefinition, ENDPOINT_EXTENSIONS));
  if (!endpoint) return null;
  const extensions = (endpoint.extension ?? []) as { url?: string; valueString?: string }[];
  const clientId = CLIENT_ID_EXTENSIONS.map((url) => extensions.find((e) => e.url === url)?.valueString).find((v) => typeof v === "string");
  if (!clientId || typeof endpoint.address !== "string") return null;
  return { activityDefinition, endpoint, clientId, address: endpoint.address };
}
