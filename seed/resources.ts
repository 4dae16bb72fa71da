/**
 * Builders for the seed's FHIR R4 resources in the MedMij ProviderTasks profiles (SPEC §3).
 * Pure functions of the network and the catalogue; ids are deterministic so the seed is idempotent.
 */
import type { Resource } from "../src/dva/fhir/store.ts";
import {
  ACTIVITY_DEFINITION_PROFILE, AGB_SYSTEM, BSN_SYSTEM, ENDPOINT_PROFILE, EXT_MODULE_TYPE, EXT_QR_TASK, EXT_QUESTIONNAIRE,
} from "../src/shared/fhir-profiles.ts";
import { executionOrderResource, groupPlanResource, providerTaskResource } from "../src/shared/provider-task.ts";
import type { ResolvedClinician, ResolvedModule, ResolvedNetwork, ResolvedPatient, ResolvedZorgaanbieder } from "../src/shared/resolved-network.ts";
import type { CatalogueEntry, TaskSeed } from "./catalogue.ts";

const DAY = 86_400_000;
const short = (za: string) => za.replace(/@medmij$/, "");

export const ids = {
  organization: (za: string) => `org-${short(za)}`,
  practitioner: (c: string) => `practitioner-${c}`,
  practitionerRole: (c: string) => `role-${c}`,
  patient: (p: string) => `patient-${p}`,
  endpoint: (module: string, za: string) => `endpoint-${module}-${short(za)}`,
  activity: (za: string, slug: string) => `ad-${short(za)}-${slug}`,
  groupPlan: (p: string, za: string, slug: string) => `plan-${p}-${short(za)}-${slug}`,
  task: (p: string, za: string, slug: string) => `task-${p}-${short(za)}-${slug}`,
  response: (taskId: string) => `qr-${taskId.replace(/^task-/, "")}`,
};

export function organization(za: ResolvedZorgaanbieder): Resource {
  return {
    resourceType: "Organization",
    id: ids.organization(za.name),
    identifier: [{ system: AGB_SYSTEM, value: za.agb }],
    active: true,
    name: za.displayName,
  };
}

export function practitioner(c: ResolvedClinician): Resource {
  return {
    resourceType: "Practitioner",
    id: ids.practitioner(c.id),
    active: true,
    name: [{ use: "official", text: c.fullName, family: c.family, given: [c.given] }],
  };
}

export function practitionerRole(c: ResolvedClinician): Resource {
  return {
    resourceType: "PractitionerRole",
    id: ids.practitionerRole(c.id),
    active: true,
    practitioner: { reference: `Practitioner/${ids.practitioner(c.id)}`, display: c.fullName },
    organization: { reference: `Organization/${ids.organization(c.zorgaanbieder)}` },
    code: [{ text: c.role }],
  };
}

export function patient(p: ResolvedPatient, generalPractitioner?: string): Resource {
  return {
    resourceType: "Patient",
    id: ids.patient(p.id),
    identifier: [{ system: BSN_SYSTEM, value: p.bsn }],
    active: true,
    name: [{
      use: "official", text: p.fullName, family: p.family, given: [p.given],
      ...(p.familyPrefix ? { _family: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix", valueString: p.familyPrefix }] } } : {}),
    }],
    gender: p.gender,
    birthDate: p.birthDate,
    ...(generalPractitioner ? { generalPractitioner: [{ reference: `Organization/${generalPractitioner}` }] } : {}),
  };
}

/** The module's launch URL and its client_id at this DVA (pt-Endpoint, ext-Endpoint.ClientID). */
export function endpoint(m: ResolvedModule, za: ResolvedZorgaanbieder): Resource | null {
  const client = m.clients.find((c) => c.dva === za.dva);
  if (!client) return null;
  return {
    resourceType: "Endpoint",
    id: ids.endpoint(m.id, za.name),
    meta: { profile: [ENDPOINT_PROFILE] },
    extension: [{ url: "http://medmij.nl/fhir/StructureDefinition/ext-Endpoint.ClientID", valueString: client.clientId }],
    status: "active",
    // A module that authenticates as Koppeltaal 2.0 modules do (a JWK set, private_key_jwt): Koppeltaal's connection type (issue 15 §3).
    connectionType: client.jwks ? { system: "http://vzvz.nl/fhir/CodeSystem/koppeltaal-endpoint-connection-type", code: "hti-smart-on-fhir" }
      : { system: "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", code: "hl7-fhir-rest" },
    name: m.name,
    managingOrganization: { reference: `Organization/${ids.organization(za.name)}` },
    payloadType: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/endpoint-payload-type", code: "any" }] }],
    address: m.launchUrl,
  };
}

export function activityDefinition(za: ResolvedZorgaanbieder, entry: CatalogueEntry, questionnaireUrl: string | null): Resource {
  const extension: unknown[] = [
    { url: "http://medmij.nl/fhir/StructureDefinition/ext-DigitalActivity.Endpoint", valueReference: { reference: `Endpoint/${ids.endpoint(entry.module, za.name)}`, type: "Endpoint" } },
    { url: EXT_MODULE_TYPE, valueCode: entry.kind },
  ];
  if (questionnaireUrl) extension.push({ url: EXT_QUESTIONNAIRE, valueCanonical: questionnaireUrl });
  return {
    resourceType: "ActivityDefinition",
    id: ids.activity(za.name, entry.slug),
    meta: { profile: [ACTIVITY_DEFINITION_PROFILE] },
    extension,
    url: `https://medmij-sandbox.example/fhir/ActivityDefinition/${short(za.name)}-${entry.slug}`,
    version: "1.0.0",
    name: entry.slug.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()),
    title: entry.title,
    status: "active",
    kind: "Task",
    publisher: za.displayName,
    description: entry.description,
    ...(entry.text ? { usage: entry.text } : {}),
    ...(entry.video ? { relatedArtifact: [{ type: "documentation", display: entry.video }] } : {}),
  };
}

export function groupPlan(p: ResolvedPatient, za: ResolvedZorgaanbieder, c: ResolvedClinician, slug: string, label: string): Resource {
  return groupPlanResource({
    id: ids.groupPlan(p.id, za.name, slug),
    identifier: { system: `https://medmij-sandbox.example/fhir/NamingSystem/${short(za.name)}/plan`, value: `${p.id}-${slug}` },
    label,
    patient: { reference: `Patient/${ids.patient(p.id)}`, display: p.fullName },
    requester: { reference: `PractitionerRole/${ids.practitionerRole(c.id)}`, display: `${c.fullName}, ${c.role}` },
  });
}

export interface TaskInput {
  patient: ResolvedPatient;
  za: ResolvedZorgaanbieder;
  clinician: ResolvedClinician;
  plan: { id: string; label: string };
  activity: CatalogueEntry;
  seed: TaskSeed;
  now: number;
  outputId?: string;
  /** The series' pt-ExecutionOrder id (Task.focus). */
  focus?: string;
}

/**
 * A repeated activity within one plan (the weekly MRC, the GAD-7 rounds): its pt-ExecutionOrder
 * with the weekly schedule from the first round and the first round's instruction (issue 15).
 */
export function executionOrder(p: ResolvedPatient, za: ResolvedZorgaanbieder, c: ResolvedClinician, planId: string, activitySlug: string, rounds: TaskSeed[], now: number): Resource | null {
  const sorted = [...rounds].sort((a, b) => a.start - b.start);
  const first = sorted[0]!;
  // The rounds' spacing, when it is regular: every n weeks, else every n days; irregular rounds have no schedule.
  const gaps = new Set(sorted.slice(1).map((r, i) => r.start - sorted[i]!.start));
  const gap = gaps.size === 1 ? [...gaps][0]! : 0;
  const every = gap > 0 ? (gap % 7 === 0 ? { period: gap / 7, unit: "wk" as const } : { period: gap, unit: "d" as const }) : null;
  if (!every && !first.note) return null;
  return executionOrderResource({
    id: `order-${planId.replace(/^plan-/, "")}-${activitySlug}`,
    identifier: { system: `https://medmij-sandbox.example/fhir/NamingSystem/${short(za.name)}/order`, value: `${p.id}-${planId}-${activitySlug}` },
    patient: { reference: `Patient/${ids.patient(p.id)}`, display: p.fullName },
    requester: { reference: `PractitionerRole/${ids.practitionerRole(c.id)}`, display: `${c.fullName}, ${c.role}` },
    ...(every ? { weekly: { count: rounds.length, start: new Date(now + first.start * DAY), ...every } } : {}),
    ...(first.note ? { instruction: first.note } : {}),
  });
}

export function task(t: TaskInput): Resource {
  const start = new Date(t.now + t.seed.start * DAY);
  const end = new Date(t.now + t.seed.end * DAY);
  const authored = new Date(Math.min(t.now, start.getTime()) - 2 * DAY);
  return providerTaskResource({
    id: ids.task(t.patient.id, t.za.name, t.seed.slug),
    identifier: { system: `https://medmij-sandbox.example/fhir/NamingSystem/${short(t.za.name)}/task`, value: `${t.patient.id}-${t.seed.slug}` },
    activity: ids.activity(t.za.name, t.activity.slug),
    plan: t.plan,
    status: t.seed.status,
    reason: t.seed.reason,
    description: t.seed.description ?? t.activity.description,
    patient: { reference: `Patient/${ids.patient(t.patient.id)}`, display: t.patient.fullName },
    start, end, authoredOn: authored,
    lastModified: new Date(t.seed.status === "requested" ? authored.getTime() : Math.min(t.now, end.getTime())),
    requester: { reference: `PractitionerRole/${ids.practitionerRole(t.clinician.id)}`, display: `${t.clinician.fullName}, ${t.clinician.role}` },
    note: t.seed.note,
    outputId: t.outputId,
    focus: t.focus,
  });
}

type QItem = { linkId: string; type: string; text?: string; item?: QItem[]; answerOption?: { valueCoding?: unknown; valueString?: string }[];
  enableWhen?: unknown[]; required?: boolean };

/**
 * A completed QuestionnaireResponse with plausible answers: the `pick`-th option of each choice,
 * fixed values for the other types. Items with enableWhen are left out (keeps it consistent).
 */
export function questionnaireResponse(q: { url: string; item?: QItem[] }, taskId: string, p: ResolvedPatient, authored: string, pick = 1): Resource {
  const answer = (item: QItem): unknown[] | null => {
    switch (item.type) {
      case "choice": case "open-choice": {
        const options = item.answerOption ?? [];
        const option = options[Math.min(pick, options.length - 1)];
        if (!option) return null;
        return [option.valueCoding ? { valueCoding: option.valueCoding } : { valueString: option.valueString }];
      }
      case "boolean": return [{ valueBoolean: false }];
      case "integer": return [{ valueInteger: 2 }];
      case "decimal": return [{ valueDecimal: 80.5 }];
      case "date": return [{ valueDate: authored.slice(0, 10) }];
      case "string": return [{ valueString: "Geen bijzonderheden" }];
      case "text": return [{ valueString: "Ik heb hier niets aan toe te voegen." }];
      default: return null;
    }
  };
  const items = (list: QItem[] | undefined): unknown[] => (list ?? []).flatMap((item): unknown[] => {
    if (item.enableWhen || item.type === "display") return [];
    if (item.type === "group") {
      const children = items(item.item);
      return children.length ? [{ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), item: children }] : [];
    }
    const a = answer(item);
    return a ? [{ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), answer: a }] : [];
  });
  return {
    resourceType: "QuestionnaireResponse",
    id: ids.response(taskId),
    questionnaire: q.url,
    status: "completed",
    extension: [{ url: EXT_QR_TASK, valueReference: { reference: `Task/${taskId}`, type: "Task" } }],
    subject: { reference: `Patient/${ids.patient(p.id)}`, display: p.fullName },
    authored,
    author: { reference: `Patient/${ids.patient(p.id)}` },
    item: items(q.item),
  };
}
