/**
 * The Amsterdam offset by the EU rule (shared/time.ts, issue 16: no Intl zone data at start or on
 * the chain log's hot path) agrees with Intl's zone data at every hour around each change from
 * 1996 to 2040, and on ordinary instants.
 */
import { describe, expect, test } from "bun:test";
import { amsterdamOffset, localDateTime } from "../../../src/shared/time.ts";

const intl = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Amsterdam", timeZoneName: "longOffset" });
function byIntl(date: Date): string {
  const name = intl.formatToParts(date).find((p) => p.type === "timeZoneName")!.value;
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name)!;
  return `${m[1]}:${m[2] ?? "00"}`;
}

describe("Amsterdam time", () => {
  test("the EU rule equals the zone data around every change, 1996–2040", () => {
    let checked = 0;
    for (let year = 1996; year <= 2040; year++) {
      for (const month of [2, 9]) {
        const last = new Date(Date.UTC(year, month + 1, 0, 1));
        const change = last.getTime() - last.getUTCDay() * 86_400_000;
        for (let h = -3; h <= 3; h++) {
          for (const ms of [-1, 0, 1]) {
            const at = new Date(change + h * 3_600_000 + ms);
            expect(amsterdamOffset(at)).toBe(byIntl(at));
            checked++;
          }
        }
      }
      for (let day = 0; day < 365; day += 17) {
        const at = new Date(Date.UTC(year, 0, 1 + day, 13, 7));
        expect(amsterdamOffset(at)).toBe(byIntl(at));
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(amsterdamOffset(new Date("1985-07-01T12:00:00Z"))).toBe(byIntl(new Date("1985-07-01T12:00:00Z")));
  });

  test("local xs:dateTime with the offset", () => {
    expect(localDateTime(new Date("2026-12-01T22:14:36.618Z"), true)).toBe("2026-12-01T23:14:36.618+01:00");
    expect(localDateTime(new Date("2026-07-01T22:14:36.618Z"))).toBe("2026-07-02T00:14:36+02:00");
  });
});
