/**
 * Time formatting. MedMij lists and chain-log lines use xs:dateTime with an explicit offset
 * (REGISTER.md, SD 4.5 "2023-09-28T22:14:36.618+01:00"); the sandbox writes Dutch local time.
 */

const ZONE = "Europe/Amsterdam";

const offsetFormat = new Intl.DateTimeFormat("en-US", { timeZone: ZONE, timeZoneName: "longOffset" });
const partsFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE, hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

/** "+01:00" or "+02:00": the Amsterdam offset at that instant. */
export function amsterdamOffset(date: Date): string {
  const name = offsetFormat.formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
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
  const p = Object.fromEntries(partsFormat.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}`;
}
