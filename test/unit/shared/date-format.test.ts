/** One date format per language (issue 12 §3): "1 december 2026", "20:13", in Amsterdam time, never ISO. */
import { describe, expect, test } from "bun:test";
import { periodNote, statusLabel } from "../../../src/shared/task-status.ts";
import { addDays, amsterdamDay, clockTime, formatDateTime, formatDay, weekdayLabel } from "../../../src/shared/time.ts";

describe("Dutch dates", () => {
  test("a day, a time, both; the Amsterdam day of an instant (DST included)", () => {
    expect(formatDay("2026-12-01T00:00:00+01:00")).toBe("1 december 2026");
    expect(formatDay("2026-10-24T22:30:00Z")).toBe("25 oktober 2026"); // 00:30 summer time in Amsterdam
    expect(formatDay("2026-12-31T23:30:00Z")).toBe("1 januari 2027");
    expect(formatDateTime("2026-12-01T19:13:00Z")).toBe("1 december 2026 om 20:13");
    expect(formatDateTime(new Date("2026-07-01T18:13:00Z"))).toBe("1 juli 2026 om 20:13");
    expect(clockTime(new Date("2026-07-01T18:13:00Z"))).toBe("20:13");
  });

  test("a FHIR date is that calendar day; nothing or garbage is empty, never 'Invalid Date'", () => {
    expect(formatDay("1962-03-14")).toBe("14 maart 1962");
    expect(formatDay(null)).toBe("");
    expect(formatDay("")).toBe("");
    expect(formatDay("gisteren")).toBe("");
    expect(formatDateTime("2026-99-99T00:00:00Z")).toBe("");
  });

  test("calendar arithmetic for the week view", () => {
    expect(amsterdamDay(new Date("2026-03-28T23:00:00Z"))).toBe("2026-03-29");
    expect(addDays("2026-03-28", 1)).toBe("2026-03-29");
    expect(addDays("2026-10-26", -7)).toBe("2026-10-19");
    expect(weekdayLabel("2026-11-30")).toBe("maandag 30 november");
  });
});

describe("status labels and periods (SPEC §3)", () => {
  test("one label per status for every actor", () => {
    expect(["requested", "received", "accepted", "ready", "in-progress", "completed", "cancelled", "failed"].map((s) => statusLabel(s)))
      .toEqual(["aangevraagd", "ontvangen", "geaccepteerd", "gereed", "bezig", "voltooid", "geannuleerd", "mislukt"]);
    expect(statusLabel("something-else")).toBe("something-else");
  });

  test("before and after the period; a period bound at the start or end of a day shows the day alone", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(periodNote("requested", { start: "2026-12-08T00:00:00+01:00", end: "2026-12-15T23:59:59.999+01:00" }, now)).toBe("Te starten vanaf 8 december 2026");
    expect(periodNote("requested", { start: "2026-12-08T14:05:00+01:00", end: null }, now)).toBe("Te starten vanaf 8 december 2026 om 14:05");
    expect(periodNote("in-progress", { start: "2026-11-01T00:00:00+01:00", end: "2026-11-20T23:59:59.999+01:00" }, now)).toBe("Verlopen op 20 november 2026");
    expect(periodNote("completed", { start: "2026-11-01T00:00:00+01:00", end: "2026-11-20T23:59:59.999+01:00" }, now)).toBeNull();
    expect(periodNote("requested", { start: "2026-11-01T00:00:00+01:00", end: "2026-12-20T00:00:00+01:00" }, now)).toBeNull();
  });
});
