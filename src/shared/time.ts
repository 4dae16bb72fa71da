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

/** xs:dateTime in Amsterdam local time with offset; `ms` adds milliseconds (chain log). */
export function localDateTime(date: Date = new Date(), ms = false): string {
  const p = Object.fromEntries(partsFormat.formatToParts(date).map((x) => [x.type, x.value]));
  const fraction = ms ? `.${String(date.getUTCMilliseconds()).padStart(3, "0")}` : "";
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${fraction}${amsterdamOffset(date)}`;
}

/** "HH:MM" in Amsterdam time, as the PGO shows "bijgewerkt om HH:MM" (AM-FE-040). */
export function clockTime(date: Date): string {
  const p = Object.fromEntries(partsFormat.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}`;
}
