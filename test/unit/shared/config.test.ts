import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, testConfig } from "../../../src/config.ts";

describe("loadConfig", () => {
  test("defaults (SPEC §1)", () => {
    expect(loadConfig([], {})).toEqual({ port: 8080, dataPath: ".sandbox/sandbox.db", domain: "localhost", networkFile: null, reset: false, quiet: false });
  });

  test("env, then flags override env", () => {
    const env = { PORT: "9000", SANDBOX_DATA: "/tmp/x.db", SANDBOX_DOMAIN: "sandbox.test" };
    expect(loadConfig([], env)).toMatchObject({ port: 9000, dataPath: "/tmp/x.db", domain: "sandbox.test" });
    expect(loadConfig(["--port", "9100", "--data=:memory:", "--domain", "Example.Test", "--network", "net.json", "--reset"], env))
      .toEqual({ port: 9100, dataPath: ":memory:", domain: "example.test", networkFile: "net.json", reset: true, quiet: false });
  });

  test("port 0 is allowed (any free port)", () => {
    expect(loadConfig(["--port", "0"], {}).port).toBe(0);
  });

  test.each([
    [["--port", "80808"], /--port must be a number from 0 to 65535/],
    [["--port", "abc"], /--port must be a number/],
    [["--port"], /--port needs a value/],
    [["--port", "--reset"], /--port needs a value/],
    [["--domain", "http://x"], /--domain must be a host name/],
    [["--domain", "a:8080"], /--domain must be a host name/],
    [["--data", " "], /--data must not be empty/],
    [["--reset=maybe"], /--reset takes no value/],
    [["--frobnicate"], /unknown option "--frobnicate"/],
    [["stray"], /unknown option "stray"/],
  ] as [string[], RegExp][])("rejects %p", (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  test("a bad PORT in the environment is named", () => {
    expect(() => loadConfig([], { PORT: "x" })).toThrow(/PORT must be a number/);
  });

  test("--help throws the usage text", () => {
    expect(() => loadConfig(["--help"], {})).toThrow(/^Usage:/);
  });

  test("testConfig: in memory, port 0, quiet", () => {
    expect(testConfig()).toMatchObject({ port: 0, dataPath: ":memory:", quiet: true });
    expect(testConfig({ reset: true }).reset).toBe(true);
  });
});
