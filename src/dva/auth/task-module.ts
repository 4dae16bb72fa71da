/**
 * Which module runs a Task, read from the DVA's own store: Task → ActivityDefinition → Endpoint →
 * client_id and launch address, decided by shared/module-of-task.ts, the same rule the PGO's
 * launch follows (SPEC §3, SD 3.1). The token exchange's `audience` must be that client_id (SD 3.4).
 */
import { activityDefinitionOfTask, endpointOfActivity, moduleOfActivity } from "../../shared/module-of-task.ts";
import type { Resource } from "../fhir/search-index.ts";
import type { FhirStore } from "../fhir/store.ts";

export interface TaskModule { activityDefinition: Resource; endpoint: Resource | null; clientId: string; address: string }

function readRef(fhir: FhirStore, dva: string, ref: string | null): Resource | null {
  if (!ref) return null;
  const [type, id] = ref.split("/");
  return type && id ? fhir.read(dva, type, id)?.resource ?? null : null;
}

export function moduleOfTask(fhir: FhirStore, dva: string, task: Resource): TaskModule | null {
  const activityDefinition = readRef(fhir, dva, activityDefinitionOfTask(task));
  if (!activityDefinition) return null;
  const endpoint = readRef(fhir, dva, endpointOfActivity(activityDefinition));
  const module = moduleOfActivity(activityDefinition, endpoint);
  return module ? { activityDefinition, endpoint, ...module } : null;
}
