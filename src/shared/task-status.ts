/** The one place that maps Task status to Dutch labels and PGO groups (SPEC §3, STYLE habit 12). */

export type TaskGroup = "te-doen" | "klaar" | "gestopt";

export const STATUS_LABELS: Record<string, string> = {
  draft: "concept", requested: "aangevraagd", received: "ontvangen", accepted: "geaccepteerd", rejected: "afgewezen",
  ready: "gereed", cancelled: "geannuleerd", "in-progress": "bezig", "on-hold": "gepauzeerd", failed: "mislukt",
  completed: "voltooid", "entered-in-error": "foutief ingevoerd",
};

export const GROUP_LABELS: Record<TaskGroup, string> = { "te-doen": "Te doen", klaar: "Klaar", gestopt: "Gestopt" };

export function groupOf(status: string): TaskGroup {
  if (status === "completed") return "klaar";
  if (["cancelled", "failed", "rejected", "entered-in-error"].includes(status)) return "gestopt";
  return "te-doen";
}

/** Not started yet (SPEC §6): these may go to in-progress, or be cancelled by the clinician (AM-FE-007). */
export const OPEN_STATUSES: readonly string[] = ["requested", "received", "accepted", "ready"];

/** How the clinician portal names a status (the zorgverlener's view: what they set out and where it stands). */
export const CLINICIAN_STATUS_LABELS: Record<string, string> = {
  draft: "Concept", requested: "Klaargezet", received: "Klaargezet", accepted: "Klaargezet", ready: "Klaargezet",
  "in-progress": "Bezig", completed: "Afgerond", cancelled: "Geannuleerd", failed: "Mislukt", "on-hold": "Gepauzeerd",
  rejected: "Afgewezen", "entered-in-error": "Foutief ingevoerd",
};

/** From these a module may be launched: the open ones, and completed to view the answers (SD 4.6 step 17). */
export const LAUNCHABLE_STATUSES: readonly string[] = [...OPEN_STATUSES, "in-progress", "completed"];

/** Why a task cannot be started, in the PGO's words; null when it can. */
export function notStartable(status: string): string | null {
  if (LAUNCHABLE_STATUSES.includes(status)) return null;
  if (status === "draft") return "Deze taak is nog niet klaargezet door de zorgaanbieder.";
  if (status === "on-hold") return "De zorgaanbieder heeft deze taak gepauzeerd. U kunt hem later starten.";
  return "Deze taak is gestopt en kan niet meer gestart worden.";
}
