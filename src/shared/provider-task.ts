/**
 * The MedMij ProviderTasks shapes (SPEC §3) as builders, shared by the seed and the clinician
 * portal so that a Task "klaargezet" in the portal looks exactly like a seeded one: pt-Task with
 * the DataService tag, the DigitalActivity extension, basedOn its group plan (pt-DigitalGroupPlan).
 */
import { DATA_SERVICE_TAG, EXECUTION_ORDER_PROFILE, GROUP_PLAN_PROFILE, TASK_PROFILE } from "./fhir-profiles.ts";

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

export interface ExecutionOrderInput {
  id?: string;
  identifier: { system: string; value: string };
  patient: Ref;
  requester: Ref;
  /** A series: `count` times from `start`, every `period` `unit` (occurrenceTiming; default every week). */
  weekly?: { count: number; start: Date; period?: number; unit?: "d" | "wk" };
  /** What the patient should do (patientInstruction). */
  instruction?: string;
}

/**
 * pt-ExecutionOrder (ProviderTasks 1.0.0-alpha.2, ProviderTasks-ExecutionOrder.fsh; issue 15): a
 * ServiceRequest with the schedule (`occurrenceTiming`) and/or the instruction of a Task's work,
 * which the Task names as `focus`; invariant pt-ExecutionOrder-01 "occurrence or patientInstruction".
 */
export function executionOrderResource(e: ExecutionOrderInput): Resource {
  if (!e.weekly && !e.instruction) throw new Error("pt-ExecutionOrder-01: occurrence or patientInstruction");
  return {
    resourceType: "ServiceRequest",
    ...(e.id ? { id: e.id } : {}),
    meta: { profile: [EXECUTION_ORDER_PROFILE] },
    identifier: [e.identifier],
    status: "active",
    intent: "order",
    subject: e.patient,
    requester: e.requester,
    ...(e.weekly ? { occurrenceTiming: { repeat: { boundsPeriod: { start: e.weekly.start.toISOString() }, count: e.weekly.count, frequency: 1, period: e.weekly.period ?? 1, periodUnit: e.weekly.unit ?? "wk" } } } : {}),
    ...(e.instruction ? { patientInstruction: e.instruction } : {}),
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
  /** Its pt-ExecutionOrder (schedule, instruction), as `Task.focus`. */
  focus?: string;
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
    ...(t.focus ? { focus: { reference: `ServiceRequest/${t.focus}`, type: "ServiceRequest" } } : {}),
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
