import { describe, expect, test } from "bun:test";
import { Sealer } from "../../../src/shared/sealed.ts";

describe("secrets at rest (AES-256-GCM)", () => {
  const sealer = new Sealer("secret-a");

  test("a sealed value opens at its own place only, and every seal differs", () => {
    const a = sealer.seal("token-123", "row 1 access_token");
    expect(a).toStartWith("v1.");
    expect(a).not.toContain("token-123");
    expect(sealer.seal("token-123", "row 1 access_token")).not.toBe(a);
    expect(sealer.open(a, "row 1 access_token")).toBe("token-123");
    expect(() => sealer.open(a, "row 2 access_token")).toThrow();
    expect(() => new Sealer("secret-b").open(a, "row 1 access_token")).toThrow();
  });

  test("a changed value does not open; a plain value from before sealing reads as is", () => {
    const a = sealer.seal("token-123", "p");
    const flipped = `${a.slice(0, -2)}${a.at(-2) === "A" ? "B" : "A"}${a.at(-1)}`;
    expect(() => sealer.open(flipped, "p")).toThrow();
    expect(sealer.open("eyJplain", "p")).toBe("eyJplain");
  });
});
