import { describe, expect, test } from "bun:test";
import { openDatabase } from "../../../src/shared/db.ts";
import { FaultError, FaultRegistry, parseFaults } from "../../../src/shared/faults.ts";

const dvas = ["zorgnet", "ggzconnect"];

describe("faults", () => {
  test("parse: every SPEC §9 key with a valid value", () => {
    expect(parseFaults({ dvaDown: "zorgnet", moduleDown: true, tokenExchangeError: "invalid_scope", stepUpAlways: "true",
      launchCodeTtlSeconds: 0, latencyMs: "250", digidCancel: "on", moduleFailAfterLaunch: true }, dvas)).toEqual({
      set: { dvaDown: "zorgnet", moduleDown: true, tokenExchangeError: "invalid_scope", stepUpAlways: true,
        launchCodeTtlSeconds: 0, latencyMs: 250, digidCancel: true, moduleFailAfterLaunch: true },
      clear: [],
    });
  });

  test("null, empty and false clear a key", () => {
    expect(parseFaults({ dvaDown: null, latencyMs: "", moduleDown: false }, dvas)).toEqual({ set: {}, clear: ["dvaDown", "latencyMs", "moduleDown"] });
  });

  test.each([
    [{ nope: true }, /unknown fault "nope"/],
    [{ dvaDown: "elsewhere" }, /dvaDown must be one of the DVA ids: zorgnet, ggzconnect/],
    [{ tokenExchangeError: "oops" }, /RFC 6749 §5.2 error code/],
    [{ latencyMs: -1 }, /whole number from 0 to 600000/],
    [{ launchCodeTtlSeconds: 1.5 }, /whole number/],
    [{ moduleDown: "yes" }, /moduleDown must be true or false/],
    [[], /JSON object/],
    ["x", /JSON object/],
  ])("rejects %p", (input, message) => {
    expect(() => parseFaults(input, dvas)).toThrow(FaultError);
    expect(() => parseFaults(input, dvas)).toThrow(message);
  });

  test("registry persists, clears and reloads", () => {
    const db = openDatabase(":memory:");
    const registry = new FaultRegistry(db);
    registry.apply(parseFaults({ dvaDown: "zorgnet", latencyMs: 5 }, dvas));
    expect(new FaultRegistry(db).get()).toEqual({ dvaDown: "zorgnet", latencyMs: 5 });
    registry.apply(parseFaults({ latencyMs: null }, dvas));
    expect(registry.get()).toEqual({ dvaDown: "zorgnet" });
    registry.clearAll();
    expect(new FaultRegistry(db).get()).toEqual({});
  });
});
