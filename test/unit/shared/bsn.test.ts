import { describe, expect, test } from "bun:test";
import { bsnSequence, isValidBsn, normalizeBsn } from "../../../src/shared/bsn.ts";
import network from "../../../seed/network.ts";

describe("BSN 11-check", () => {
  test.each(["111222333", "123456782", "999991012", "999991024", "999991036", "12345672"])("%s is valid", (bsn) => {
    expect(isValidBsn(bsn)).toBe(true);
  });

  test.each(["123456789", "111222334", "000000000", "abc", "", "12", "1234567890", "99999101x"])("%p is invalid", (bsn) => {
    expect(isValidBsn(bsn)).toBe(false);
  });

  test("normalize strips spaces, dots and dashes and pads 8 digits", () => {
    expect(normalizeBsn("1234.56.782")).toBe("123456782");
    expect(normalizeBsn(" 12345672 ")).toBe("012345672");
    expect(normalizeBsn("12-34")).toBeNull();
  });

  test("every persona's BSN passes", () => {
    for (const p of network.patients) expect(isValidBsn(p.bsn)).toBe(true);
  });

  test("sequence yields only valid, increasing numbers", () => {
    const seq = bsnSequence(100_000_000);
    const first = Array.from({ length: 50 }, () => seq.next().value!);
    expect(first.every(isValidBsn)).toBe(true);
    expect([...first].sort()).toEqual(first);
    expect(new Set(first).size).toBe(50);
  });
});
