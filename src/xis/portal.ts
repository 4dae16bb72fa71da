/**
 * What the clinician portal does at its DVA (SD 3.1 "Toewijzen door zorgverlener", SPEC §9), as
 * plain functions over the DVA client: the organisation's catalogue (AM-FE-043/044), a patient's
 * tasks with their status (AM-FE-009/010/012), assigning a module once or weekly with an
 * instruction (AM-FE-001/002/011), cancelling with a reason (AM-FE-007), and the result of a
 * completed questionnaire with the scores of earlier rounds (AM-FE-006/013).
 */
import { AGB_SYSTEM, BSN_SYSTEM, DIGITAL_ACTIVITY_EXTENSIONS, EXT_QUESTIONNAIRE } from "../shared/fhir-profiles.ts";
import { fhirList, fhirObject, fhirText, fhirTextOrNull } from "../shared/fhir-text.ts";
import { executionOrderResource, groupPlanResource, providerTaskResource, type Ref } from "../shared/provider-task.ts";
import { OPEN_STATUSES, isOverdue, statusLabel } from "../shared/task-status.ts";
import type { ResolvedClinician, ResolvedZorgaanbieder } from "../shared/resolved-network.ts";
import type { Trace } from "../shared/trace.ts";
import { entries, type DvaClient, type Resource } from "./dva-client.ts";

const DAY = 86_400_000;

/** Something the clinician asked for that cannot be done (the page says why, 422). */
export class PortalError extends Error {
  override name = "PortalError";
}
export const PATIENT_PAGE = 50;

export interface PatientRow { id: string; name: string; bsn: string | null; birthDate: string | null }
export interface CatalogueItem { id: string; title: string; description: string; kind: string | null }
export interface TaskRow {
  id: string; version: string | undefined; title: string; status: string; statusText: string; start: string | null; end: string | null;
  note: string | null; plan: string | null; reason: string | null; lastModified: string | null; activity: string | null;
  score: { total: number; label: string } | null; response: string | null; cancellable: boolean;
  /** Journey step 16 (SD 4.6): the period has passed without completion, so the clinician may contact the patient. */
  overdue: boolean;
}

const refOf = (v: unknown) => fhirTextOrNull(fhirObject(v).reference);

// FHIR from the DVA → rows through fhirText/fhirList: one element of the wrong type in a resource
// (from a DVA that does not validate) leaves a field empty instead of taking the page down (issue 11).

export function patientName(p: Resource): string {
  const name = fhirObject(fhirList(p.name)[0]);
  return fhirText(name.text) || [...fhirList(name.given).map(fhirText), fhirText(name.family)].filter(Boolean).join(" ") || fhirText(p.id);
}

export function patientBsn(p: Resource): string | null {
  return fhirTextOrNull(fhirList(p.identifier).map(fhirObject).find((i) => i.system === BSN_SYSTEM)?.value);
}

function activityOf(task: Resource): string | null {
  const ext = fhirList(task.extension).map(fhirObject).find((e) => (DIGITAL_ACTIVITY_EXTENSIONS as readonly string[]).includes(fhirText(e.url)));
  return refOf(ext?.valueReference);
}

/** Score of a completed questionnaire from Task.output (written by the module: "Score (band)"). */
function scoreOf(task: Resource): { total: number; label: string } | null {
  const out = fhirList(task.output).map(fhirObject).find((o) => typeof o.valueInteger === "number" && Number.isFinite(o.valueInteger));
  if (!out) return null;
  // "Score (Matige angst)" → the band; a plain "Score" has none.
  const text = fhirText(fhirObject(out.type).text);
  return { total: out.valueInteger as number, label: /^Score \((.+)\)$/.exec(text)?.[1] ?? (text || "Score") };
}

export function taskRow(task: Resource, titles: Map<string, string>, now = Date.now()): TaskRow {
  const activity = activityOf(task);
  const period = fhirObject(task.executionPeriod);
  const status = fhirText(task.status);
  const response = fhirList(task.output).map((o) => refOf(fhirObject(o).valueReference)).find((r) => r?.startsWith("QuestionnaireResponse/")) ?? null;
  return {
    id: fhirText(task.id), version: fhirTextOrNull(fhirObject(task.meta).versionId) ?? undefined, status, statusText: statusLabel(status),
    title: (activity && titles.get(activity)) || fhirText(fhirObject(task.code).text) || fhirText(task.description) || "Taak",
    start: fhirTextOrNull(period.start), end: fhirTextOrNull(period.end),
    note: fhirTextOrNull(fhirObject(fhirList(task.note)[0]).text),
    plan: fhirTextOrNull(fhirObject(fhirList(task.basedOn)[0]).display),
    reason: fhirTextOrNull(fhirObject(task.statusReason).text),
    lastModified: fhirTextOrNull(task.lastModified),
    activity, score: scoreOf(task), response, cancellable: OPEN_STATUSES.includes(status),
    overdue: isOverdue(status, fhirTextOrNull(period.end), now),
  };
}

export interface AssignInput {
  patientId: string;
  activityId: string;
  instruction: string;
  start: Date;
  end: Date;
  /** 1 = once; n = weekly, n times (AM-FE-002). */
  times: number;
  planLabel: string;
  /** The form's one-time id: submitting the same form twice sets out the tasks once (If-None-Exist). */
  request: string;
}

export function createPortal(dva: DvaClient, za: ResolvedZorgaanbieder, clinician: ResolvedClinician) {
  let organisation: string | null = null;

  /** The zorgaanbieder's Organization at the DVA, found by its AGB code. */
  async function organisationId(trace: Trace): Promise<string> {
    if (organisation) return organisation;
    const found = entries(await dva.search("Organization", { identifier: `${AGB_SYSTEM}|${za.agb}` }, trace))[0];
    if (!found?.id) throw new PortalError(`de DVA kent geen Organization met AGB ${za.agb}`);
    organisation = found.id;
    return organisation;
  }

  /** Who assigns: the clinician's PractitionerRole at this organisation, else the organisation. */
  async function requester(trace: Trace): Promise<Ref> {
    const roles = entries(await dva.search("PractitionerRole", { organization: `Organization/${await organisationId(trace)}` }, trace));
    const mine = roles.find((r) => r.id === `role-${clinician.id}`) ?? null;
    return mine ? { reference: `PractitionerRole/${mine.id}`, display: `${clinician.fullName}, ${clinician.role}` }
      : { reference: `Organization/${await organisationId(trace)}`, display: za.displayName };
  }

  /** A patient's tasks of this organisation, soonest period first, with their module titles. */
  async function tasks(patientId: string, trace: Trace): Promise<TaskRow[]> {
    const bundle = await dva.search("Task", { patient: `Patient/${patientId}`, _include: "Task:digital-activity", _sort: "period", _count: "500" }, trace);
    const titles = new Map(entries(bundle, "include").filter((r) => r.resourceType === "ActivityDefinition").map((a) => [`ActivityDefinition/${a.id}`, fhirText(a.title) || fhirText(a.name)]));
    return entries(bundle).map((t) => taskRow(t, titles));
  }

  return {
    organisationId,

    /** AM-FE-010: by name (FHIR string search) or BSN, or the first page; `total` says how many match. */
    async patients(q: string, trace: Trace): Promise<{ rows: PatientRow[]; total: number }> {
      const needle = q.trim();
      const query: Record<string, string> = { _count: String(PATIENT_PAGE) };
      if (/^\d{9}$/.test(needle)) query.identifier = `${BSN_SYSTEM}|${needle}`;
      else if (needle) query.name = needle;
      const bundle = await dva.search("Patient", query, trace);
      return { total: bundle.total ?? 0, rows: entries(bundle).map((p) => ({
        id: fhirText(p.id), name: patientName(p), birthDate: fhirTextOrNull(p.birthDate),
        bsn: patientBsn(p),
      })).sort((a, b) => a.name.localeCompare(b.name, "nl")) };
    },

    /**
     * Register a person at the DVA (Patient with BSN). An existing Patient with that BSN is
     * returned instead (If-None-Exist): one person, one Patient.
     */
    async addPatient(p: { given: string; family: string; bsn: string; birthDate: string; gender: string }, trace: Trace): Promise<{ id: string; created: boolean }> {
      const { resource, created } = await dva.create({
        resourceType: "Patient", identifier: [{ system: BSN_SYSTEM, value: p.bsn }], active: true,
        name: [{ use: "official", text: `${p.given} ${p.family}`, family: p.family, given: [p.given] }], gender: p.gender, birthDate: p.birthDate,
        generalPractitioner: [{ reference: `Organization/${await organisationId(trace)}`, display: za.displayName }],
      }, trace, `identifier=${encodeURIComponent(`${BSN_SYSTEM}|${p.bsn}`)}`);
      return { id: resource.id!, created };
    },

    async patient(id: string, trace: Trace): Promise<Resource | null> {
      return dva.read("Patient", id, trace);
    },

    /** The modules this organisation offers: ActivityDefinitions pointing at its own Endpoints. */
    async catalogue(trace: Trace): Promise<CatalogueItem[]> {
      const endpoints = entries(await dva.search("Endpoint", { organization: `Organization/${await organisationId(trace)}` }, trace));
      if (endpoints.length === 0) return [];
      const activities = entries(await dva.search("ActivityDefinition", { endpoint: endpoints.map((e) => `Endpoint/${e.id}`).join(","), status: "active" }, trace));
      return activities.map((a) => ({
        id: fhirText(a.id), title: fhirText(a.title) || fhirText(a.name) || fhirText(a.id), description: fhirText(a.description),
        kind: fhirTextOrNull(fhirList(a.extension).map(fhirObject).find((e) => e.valueCode === "questionnaire" || e.valueCode === "information")?.valueCode),
      })).sort((a, b) => a.title.localeCompare(b.title, "nl"));
    },

    tasks,

    /**
     * A group plan and its Tasks (weekly repeats shift the period by a week each); `fresh` is false
     * when this form was already submitted (the DVA returned the existing resources).
     */
    async assign(a: AssignInput, now: Date, trace: Trace): Promise<{ tasks: Resource[]; fresh: boolean; patient: Resource }> {
      const patient = await dva.read("Patient", a.patientId, trace);
      if (!patient) throw new PortalError("deze patiënt bestaat niet (meer) bij de DVA");
      const activity = await dva.read("ActivityDefinition", a.activityId, trace);
      if (!activity) throw new PortalError("deze module bestaat niet (meer) bij de DVA");
      const who = await requester(trace);
      const patientRef = { reference: `Patient/${patient.id}`, display: patientName(patient) };
      const system = `https://medmij-sandbox.example/fhir/NamingSystem/${za.name.replace(/@medmij$/, "")}`;
      const once = (kind: string, value: string) => ({ identifier: { system: `${system}/${kind}`, value }, ifNoneExist: `identifier=${encodeURIComponent(`${system}/${kind}|${value}`)}` });
      const planId = once("plan", `${patient.id}-${a.request}`);
      const { resource: plan, created: fresh } = await dva.create(groupPlanResource({ identifier: planId.identifier, label: a.planLabel, patient: patientRef, requester: who }), trace, planId.ifNoneExist);
      // The series' schedule and the instruction as a pt-ExecutionOrder the Tasks name as focus (issue 15, ProviderTasks 1.0.0-alpha.2).
      const orderId = once("order", `${patient.id}-${a.request}`);
      const order = a.times > 1 || a.instruction
        ? (await dva.create(executionOrderResource({ identifier: orderId.identifier, patient: patientRef, requester: who,
          ...(a.times > 1 ? { weekly: { count: a.times, start: a.start } } : {}), ...(a.instruction ? { instruction: a.instruction } : {}) }), trace, orderId.ifNoneExist)).resource
        : null;
      const tasks: Resource[] = [];
      for (let i = 0; i < a.times; i++) {
        const taskId = once("task", `${patient.id}-${a.request}-${i + 1}`);
        tasks.push((await dva.create(providerTaskResource({
          identifier: taskId.identifier,
          activity: activity.id!, plan: { id: plan.id!, label: a.planLabel }, status: "requested",
          description: a.times > 1 ? `${String(activity.description ?? activity.title)} (${i + 1} van ${a.times})` : String(activity.description ?? activity.title),
          patient: patientRef, start: new Date(a.start.getTime() + i * 7 * DAY), end: new Date(a.end.getTime() + i * 7 * DAY),
          authoredOn: now, lastModified: now, requester: who, note: a.instruction || undefined, ...(order?.id ? { focus: order.id } : {}),
        }) as Resource, trace, taskId.ifNoneExist)).resource);
      }
      return { tasks, fresh, patient };
    },

    /** AM-FE-007: cancel a task that has not started, with the reason the patient will see. */
    async cancel(taskId: string, reason: string, trace: Trace): Promise<Resource> {
      const task = await dva.read("Task", taskId, trace);
      if (!task) throw new PortalError("deze taak bestaat niet (meer)");
      if (!OPEN_STATUSES.includes(String(task.status))) throw new PortalError("alleen een taak die nog niet is gestart kan worden geannuleerd");
      return dva.patch("Task", taskId, [
        { op: "replace", path: "/status", value: "cancelled" },
        { op: "add", path: "/statusReason", value: { text: reason } },
      ], task.meta?.versionId, trace);
    },

    /** A completed task's answers, its questionnaire, and the scores of the same module over time. */
    async result(taskId: string, trace: Trace) {
      const task = await dva.read("Task", taskId, trace);
      if (!task) return null;
      const patientId = refOf(task.for)?.replace(/^Patient\//, "") ?? "";
      const activityRef = activityOf(task);
      const activity = activityRef ? await dva.read("ActivityDefinition", activityRef.replace(/^ActivityDefinition\//, ""), trace) : null;
      const row = taskRow(task, new Map(activity ? [[activityRef!, fhirText(activity.title) || fhirText(activity.name)]] : []));
      const response = row.response ? await dva.read("QuestionnaireResponse", row.response.replace(/^QuestionnaireResponse\//, ""), trace) : null;
      const canonical = fhirTextOrNull(fhirList(activity?.extension).map(fhirObject).find((e) => e.url === EXT_QUESTIONNAIRE)?.valueCanonical)
        ?? fhirTextOrNull(response?.questionnaire);
      const questionnaire = canonical ? entries(await dva.search("Questionnaire", { url: canonical }, trace))[0] ?? null : null;
      const all = patientId && activityRef ? await tasks(patientId, trace) : [];
      const series = all.filter((t) => t.activity === activityRef && t.status === "completed" && t.score)
        .map((t) => ({ taskId: t.id, at: t.lastModified ?? t.end ?? "", total: t.score!.total, label: t.score!.label }))
        .sort((a, b) => a.at.localeCompare(b.at));
      return { task: row, patientId, response, questionnaire, series };
    },
  };
}

export type Portal = ReturnType<typeof createPortal>;
