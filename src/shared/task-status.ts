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
