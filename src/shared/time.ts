/**
 * Time formatting. MedMij lists and chain-log lines use xs:dateTime with an explicit offset
 * (REGISTER.md, SD 4.5 "2023-09-28T22:14:36.618+01:00"); the sandbox writes Dutch local time.
 */

const ZONE = "Europe/Amsterdam";

/** An Intl formatter built on first use: building one for a time zone loads ICU's zone data (~15 ms of a cold start, issue 16). */
function lazy(make: () => Intl.DateTimeFormat): () => Intl.DateTimeFormat {
  let format: Intl.DateTimeFormat | null = null;
  return () => (format ??= make());
}
const offsetFormat = lazy(() => new Intl.DateTimeFormat("en-US", { timeZone: ZONE, timeZoneName: "longOffset" }));
const partsFormat = lazy(() => new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE, hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
}));

/** 01:00 UTC on the last Sunday of a month (month 0–11): when EU summer time starts (March) or ends (October). */
function lastSundayOneUtc(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0, 1));
  return last.getTime() - last.getUTCDay() * 86_400_000;
}

/**
 * "+01:00" or "+02:00": the Amsterdam offset at that instant. Since 1996 the EU rule (summer time
 * from the last Sunday of March to the last Sunday of October, 01:00 UTC) — no Intl needed on the
 * hot path or at start; earlier instants ask Intl's zone data.
 */
export function amsterdamOffset(date: Date): string {
  const year = date.getUTCFullYear();
  if (year >= 1996) {
    const t = date.getTime();
    return t >= lastSundayOneUtc(year, 2) && t < lastSundayOneUtc(year, 9) ? "+02:00" : "+01:00";
  }
  const name = offsetFormat().formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const match = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return match ? `${match[1]}:${match[2] ?? "00"}` : "+00:00";
}

/** The offset changes only on whole hours (DST), so it is computed once per UTC hour (hot path: chain log). */
const offsetCache = new Map<number, string>();
function cachedOffset(date: Date): string {
  const hour = Math.floor(date.getTime() / 3_600_000);
  let offset = offsetCache.get(hour);
  if (offset === undefined) {
    if (offsetCache.size > 48) offsetCache.clear();
    offset = amsterdamOffset(date);
    offsetCache.set(hour, offset);
  }
  return offset;
}

/** xs:dateTime in Amsterdam local time with offset; `ms` adds milliseconds (chain log). */
export function localDateTime(date: Date = new Date(), ms = false): string {
  const offset = cachedOffset(date);
  const minutes = (offset.startsWith("-") ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(date.getTime() + minutes * 60_000).toISOString();
  return `${local.slice(0, 19)}${ms ? local.slice(19, 23) : ""}${offset}`;
}

/** "HH:MM" in Amsterdam time, as the PGO shows "bijgewerkt om HH:MM" (AM-FE-040). */
export function clockTime(date: Date): string {
  const p = Object.fromEntries(partsFormat().formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}`;
}

// Dates as pages show them (issue 12 §3): one format per language, never ISO in a page.
// Dutch: "1 december 2026", times "20:13", both "1 december 2026 om 20:13"; calendar days in Amsterdam.
const dayFormat = lazy(() => new Intl.DateTimeFormat("nl-NL", { timeZone: ZONE, day: "numeric", month: "long", year: "numeric" }));
const calendarFormat = lazy(() => new Intl.DateTimeFormat("nl-NL", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" }));
const weekdayFormat = lazy(() => new Intl.DateTimeFormat("nl-NL", { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" }));
const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** An instant (or FHIR date/dateTime text) as a Date; a FHIR `date` ("1962-03-14") is that calendar day, not a UTC instant. */
function instant(value: Date | string): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  const d = new Date(CALENDAR_DAY.test(value) ? `${value}T12:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "1 december 2026": the Amsterdam calendar day of an instant; a FHIR `date` as written. Empty for nothing or garbage. */
export function formatDay(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "string" && CALENDAR_DAY.test(value)) {
    const d = instant(value);
    return d ? calendarFormat().format(d) : "";
  }
  const d = instant(value);
  return d ? dayFormat().format(d) : "";
}

/** "1 december 2026 om 20:13" in Amsterdam time. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const d = instant(value);
  return d ? `${dayFormat().format(d)} om ${clockTime(d)}` : "";
}

/** "2026-12-01": the Amsterdam calendar day of an instant, for comparing and for URLs (not for reading). */
export function amsterdamDay(date: Date): string {
  return localDateTime(date).slice(0, 10);
}

/** True when the instant is 00:00 in Amsterdam (a period that starts with its day: show the day alone). */
export function isAmsterdamMidnight(date: Date): boolean {
  return clockTime(date) === "00:00";
}

/** The calendar day `days` after `day` (both "YYYY-MM-DD"); calendar arithmetic, so DST changes nothing. */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "maandag 30 november" for a calendar day "YYYY-MM-DD". */
export function weekdayLabel(day: string): string {
  return weekdayFormat().format(new Date(`${day}T12:00:00Z`));
}
