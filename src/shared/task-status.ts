/**
 * The one place that maps Task status to Dutch labels and PGO groups (SPEC §3, STYLE habit 12), for
 * the PGO, the module and the clinician portal alike, and that says whether a task can start now.
 */
import { formatDateTime, formatDay, clockTime } from "./time.ts";

import type { Flavour } from "./network.ts";

/** "overig": in no group — the KoppelMij 2026 display guideline's draft, accepted, rejected, on-hold and entered-in-error. */
export type TaskGroup = "te-doen" | "klaar" | "gestopt" | "overig";

export const STATUS_LABELS: Record<string, string> = {
  draft: "concept", requested: "aangevraagd", received: "ontvangen", accepted: "geaccepteerd", rejected: "afgewezen",
  ready: "gereed", cancelled: "geannuleerd", "in-progress": "bezig", "on-hold": "gepauzeerd", failed: "mislukt",
  completed: "voltooid", "entered-in-error": "foutief ingevoerd",
};

export const GROUP_LABELS: Record<TaskGroup, string> = { "te-doen": "Te doen", klaar: "Klaar", gestopt: "Gestopt", overig: "Niet ingedeeld" };

/**
 * The ProviderTasks 1.0.0-alpha.2 display guideline (issue 15; MedMij-R4-AanbiedersModule
 * Functional-Design/Display-guideline.page.md, the KoppelMij 2026 flavour): Te doen = ready,
 * requested, received, in-progress; Klaar = completed; Gestopt = failed, cancelled; the rest in no group.
 */
const NO_GROUP_2026 = new Set(["draft", "accepted", "rejected", "on-hold", "entered-in-error"]);
const LABELS_2026: Record<string, string> = { "on-hold": "in de wacht", "entered-in-error": "per ongeluk ingevoerd" };

/** A status's group by the guideline of the provider's DVA flavour (SPEC §3's groups for sd-0.2). */
export function groupOf(status: string, flavour: Flavour = "sd-0.2"): TaskGroup {
  if (flavour === "koppelmij-2026") {
    if (NO_GROUP_2026.has(status)) return "overig";
    return status === "completed" ? "klaar" : status === "cancelled" || status === "failed" ? "gestopt" : "te-doen";
  }
  if (status === "completed") return "klaar";
  if (["cancelled", "failed", "rejected", "entered-in-error"].includes(status)) return "gestopt";
  return "te-doen";
}

/** Not started yet (SPEC §6): these may go to in-progress, or be cancelled by the clinician (AM-FE-007). */
export const OPEN_STATUSES: readonly string[] = ["requested", "received", "accepted", "ready"];

/** A status as every page shows it (SPEC §3 labels; an unknown code as it is). */
export function statusLabel(status: string, flavour: Flavour = "sd-0.2"): string {
  return (flavour === "koppelmij-2026" ? LABELS_2026[status] : undefined) ?? STATUS_LABELS[status] ?? status;
}

/** From these a module may be launched: the open ones, and completed to view the answers (SD 4.6 step 17). */
export const LAUNCHABLE_STATUSES: readonly string[] = [...OPEN_STATUSES, "in-progress", "completed"];

/**
 * The statuses that start only within Task.executionPeriod: the DVA refuses a launch code for
 * them before or after it (token exchange); a completed task opens its answers at any time.
 */
export const PERIOD_BOUND_STATUSES: readonly string[] = [...OPEN_STATUSES, "in-progress"];

export interface Period { start: string | null; end: string | null }

/** Where `now` lies against a period: before its start, within it, or after its end (unreadable bounds count as absent). */
export function periodState(period: Period, now = Date.now()): "before" | "during" | "after" {
  const start = period.start ? Date.parse(period.start) : NaN;
  const end = period.end ? Date.parse(period.end) : NaN;
  if (!Number.isNaN(start) && start > now) return "before";
  if (!Number.isNaN(end) && end < now) return "after";
  return "during";
}

/** A period bound as a person reads it: the day, and the time too unless the bound is the day's start or end. */
function bound(iso: string): string {
  const clock = clockTime(new Date(iso));
  return clock === "00:00" || clock === "23:59" ? formatDay(iso) : formatDateTime(iso);
}

/** "Te starten vanaf 8 december 2026" / "Verlopen op 15 december 2026" for a period-bound task outside its period; null within it. */
export function periodNote(status: string, period: Period, now = Date.now()): string | null {
  if (!PERIOD_BOUND_STATUSES.includes(status)) return null;
  const state = periodState(period, now);
  if (state === "before") return `Te starten vanaf ${bound(period.start!)}`;
  if (state === "after") return `Verlopen op ${bound(period.end!)}`;
  return null;
}

/** Why a task cannot be started now, in the PGO's words; null when it can. */
export function notStartable(status: string, period: Period = { start: null, end: null }, now = Date.now()): string | null {
  if (LAUNCHABLE_STATUSES.includes(status)) {
    const state = PERIOD_BOUND_STATUSES.includes(status) ? periodState(period, now) : "during";
    if (state === "before") return `${periodNote(status, period, now)}. Je kunt deze taak nog niet starten.`;
    if (state === "after") return `${periodNote(status, period, now)}. De uitvoeringsperiode is voorbij: je kunt deze taak niet meer starten. Neem contact op met je zorgaanbieder als dat nog wel moet.`;
    return null;
  }
  if (status === "draft") return "Deze taak is nog niet klaargezet door de zorgaanbieder.";
  if (status === "on-hold") return "De zorgaanbieder heeft deze taak gepauzeerd. Je kunt hem later starten.";
  return "Deze taak is gestopt en kan niet meer gestart worden.";
}

/** Journey step 16 (SD 4.6): the period has passed and the task was not done, so the clinician may contact the patient. */
export function isOverdue(status: string, end: string | null, now = Date.now()): boolean {
  return PERIOD_BOUND_STATUSES.includes(status) && periodState({ start: null, end }, now) === "after";
}

export const OVERDUE_LABEL = "Verlopen, niet afgerond";
