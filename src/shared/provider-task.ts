/**
 * The MedMij ProviderTasks shapes (SPEC §3) as builders, shared by the seed and the clinician
 * portal so that a Task "klaargezet" in the portal looks exactly like a seeded one: pt-Task with
 * the DataService tag, the DigitalActivity extension, basedOn its group plan (pt-DigitalGroupPlan).
 */
import { DATA_SERVICE_TAG, GROUP_PLAN_PROFILE, TASK_PROFILE } from "./fhir-profiles.ts";

type Resource = { resourceType: string; id?: string; [key: string]: unknown };
export interface Ref { reference: string; display?: string }

export interface GroupPlanInput {
  id?: string;
  identifier: { system: string; value: string };
  label: string;
  patient: Ref;
  requester: Ref;
}

export function groupPlanResource(p: GroupPlanInput): Resource {
  return {
    resourceType: "ServiceRequest",
    ...(p.id ? { id: p.id } : {}),
    meta: { profile: [GROUP_PLAN_PROFILE] },
    identifier: [p.identifier],
    status: "active",
    intent: "plan",
    code: { text: p.label },
    subject: p.patient,
    requester: p.requester,
  };
}

export interface ProviderTaskInput {
  id?: string;
  identifier: { system: string; value: string };
  activity: string;
  plan: { id: string; label: string };
  status: string;
  reason?: string;
  description: string;
  patient: Ref;
  start: Date;
  end: Date;
  authoredOn: Date;
  lastModified: Date;
  requester: Ref;
  /** Instruction for the patient (AM-FE-011). */
  note?: string;
  /** A QuestionnaireResponse already given (seeded completed tasks). */
  outputId?: string;
}

export function providerTaskResource(t: ProviderTaskInput): Resource {
  return {
    resourceType: "Task",
    ...(t.id ? { id: t.id } : {}),
    meta: { profile: [TASK_PROFILE], tag: [{ ...DATA_SERVICE_TAG }] },
    extension: [{
      url: "http://medmij.nl/fhir/StructureDefinition/ext-Task.DigitalActivity",
      valueReference: { reference: `ActivityDefinition/${t.activity}`, type: "ActivityDefinition" },
    }],
    identifier: [t.identifier],
    basedOn: [{ reference: `ServiceRequest/${t.plan.id}`, display: t.plan.label }],
    status: t.status,
    ...(t.reason ? { statusReason: { text: t.reason } } : {}),
    intent: "order",
    priority: "routine",
    description: t.description,
    for: t.patient,
    executionPeriod: { start: t.start.toISOString(), end: t.end.toISOString() },
    authoredOn: t.authoredOn.toISOString(),
    lastModified: t.lastModified.toISOString(),
    requester: t.requester,
    owner: t.patient,
    ...(t.note ? { note: [{ text: t.note }] } : {}),
    ...(t.outputId ? {
      output: [{
        type: { text: "QuestionnaireResponse" },
        valueReference: { reference: `QuestionnaireResponse/${t.outputId}`, type: "QuestionnaireResponse" },
      }],
    } : {}),
  };
}
