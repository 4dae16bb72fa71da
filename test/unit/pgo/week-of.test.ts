/**
 * The PGO's week view (issue 12 §3): each open task once, on the Amsterdam calendar day its
 * executionPeriod starts (Europe/Amsterdam, with DST), or under "Loopt al" when it started in an
 * earlier week and still runs. Dates around the 2026 DST changes (29 March, 25 October).
 */
import { describe, expect, test } from "bun:test";
import { weekOf } from "../../../src/pgo/task-routes.ts";
import type { TaskRow } from "../../../views/pgo/tasks.tsx";

const row = (id: string, start: string | null, end: string | null, status = "requested"): TaskRow => ({
  zorgaanbieder: "delinde@medmij", providerName: "Huisartsenpraktijk De Linde",
  view: { id, status, title: id, description: null, group: null, requester: null, start, end, lastModified: null, reason: null, note: null, module: null },
});
const placed = (week: ReturnType<typeof weekOf>) => Object.fromEntries(week.days.map((d) => [d.date, d.rows.map((r) => r.view.id)]));

describe("weekOf: Amsterdam days", () => {
  test("a task from Amsterdam midnight (winter time, just after the DST change) is on its own day, once, not the day before nor every day of its period", () => {
    // 28 October 2026 00:00 CET = 27 October 23:00 UTC.
    const week = weekOf("2026-10-28", [row("gad-7", "2026-10-28T00:00:00+01:00", "2026-11-04T23:59:59.999+01:00")]);
    expect(week.days.map((d) => d.date)).toEqual(["2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01"]);
    expect(placed(week)).toEqual({ "2026-10-26": [], "2026-10-27": [], "2026-10-28": ["gad-7"], "2026-10-29": [], "2026-10-30": [], "2026-10-31": [], "2026-11-01": [] });
    expect(week.earlier).toEqual([]);
    expect(week.title).toBe("Week van maandag 26 oktober 2026 tot en met zondag 1 november 2026");
    expect([week.previous, week.next]).toEqual(["2026-10-19", "2026-11-02"]);
  });

  test("summer time and the night of the change itself", () => {
    const week = weekOf("2026-03-26", [
      row("dst-day", "2026-03-29T00:00:00+01:00", "2026-04-05T00:00:00+02:00"), // Sunday of the change, 28 March 23:00 UTC
      row("after", "2026-03-24T00:00:00+01:00", null),
    ]);
    expect(placed(week)["2026-03-29"]).toEqual(["dst-day"]);
    expect(placed(week)["2026-03-28"]).toEqual([]);
    expect(placed(week)["2026-03-24"]).toEqual(["after"]);
    const next = weekOf("2026-03-31", [row("summer", "2026-03-31T00:00:00+02:00", "2026-04-07T00:00:00+02:00")]); // 30 March 22:00 UTC
    expect(placed(next)["2026-03-31"]).toEqual(["summer"]);
    expect(placed(next)["2026-03-30"]).toEqual([]);
  });

  test("a task that started in an earlier week and still runs is listed once under 'Loopt al'; one that ended, or is done, is not", () => {
    const week = weekOf("2026-10-28", [
      row("running", "2026-10-20T09:00:00+02:00", "2026-11-10T09:00:00+01:00"),
      row("ended", "2026-10-10T09:00:00+02:00", "2026-10-25T12:00:00+01:00"),
      row("done", "2026-10-27T09:00:00+01:00", "2026-10-30T09:00:00+01:00", "completed"),
      row("no-dates", null, null),
    ]);
    expect(week.earlier.map((r) => r.view.id)).toEqual(["no-dates", "running"]);
    expect(Object.values(placed(week)).flat()).toEqual([]);
  });

  test("without a week, the week of today in Amsterdam: 00:30 on Monday there is still Sunday in UTC", () => {
    const now = new Date("2026-10-25T23:30:00Z"); // Monday 26 October 00:30 CET
    const week = weekOf(null, [], now);
    expect(week.days[0]!.date).toBe("2026-10-26");
    expect(week.days.filter((d) => d.today).map((d) => d.date)).toEqual(["2026-10-26"]);
    expect(weekOf("2026-13-45", [], now).days[0]!.date).toBe("2026-10-26"); // not a date: this week
  });
});
