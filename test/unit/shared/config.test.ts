import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, testConfig } from "../../../src/config.ts";

describe("loadConfig", () => {
  test("defaults (SPEC §1)", () => {
    expect(loadConfig([], {})).toEqual({ port: 8080, dataPath: ".sandbox/sandbox.db", domain: "localhost", networkFile: null, reset: false, quiet: false,
      readyFile: null, logKeepLines: 500_000, logKeepHours: 48 });
  });

  test("env, then flags override env", () => {
    const env = { PORT: "9000", SANDBOX_DATA: "/tmp/x.db", SANDBOX_DOMAIN: "sandbox.test" };
    expect(loadConfig([], env)).toMatchObject({ port: 9000, dataPath: "/tmp/x.db", domain: "sandbox.test" });
    expect(loadConfig(["--port", "9100", "--data=:memory:", "--domain", "Example.Test", "--network", "net.json", "--reset"], env))
      .toEqual({ port: 9100, dataPath: ":memory:", domain: "example.test", networkFile: "net.json", reset: true, quiet: false,
        readyFile: null, logKeepLines: 500_000, logKeepHours: 48 });
  });

  test("--ready-file FILE (issue 12 §5): a path, never empty", () => {
    expect(loadConfig(["--ready-file", "/tmp/sandbox.url"], {}).readyFile).toBe("/tmp/sandbox.url");
    expect(loadConfig(["--ready-file=ready.txt", "--quiet"], {})).toMatchObject({ readyFile: "ready.txt", quiet: true });
    expect(() => loadConfig(["--ready-file"], {})).toThrow("--ready-file needs a value");
    expect(() => loadConfig(["--ready-file="], {})).toThrow("--ready-file must not be empty");
  });

  test("chain log retention: env, then flags; 0 turns a limit off (issue 11)", () => {
    const env = { SANDBOX_LOG_KEEP_LINES: "1000", SANDBOX_LOG_KEEP_HOURS: "6" };
    expect(loadConfig([], env)).toMatchObject({ logKeepLines: 1000, logKeepHours: 6 });
    expect(loadConfig(["--log-keep-lines", "0", "--log-keep-hours=0"], env)).toMatchObject({ logKeepLines: 0, logKeepHours: 0 });
    expect(loadConfig(["--log-keep-lines", "1_000_000"], {}).logKeepLines).toBe(1_000_000);
    expect(() => loadConfig([], { SANDBOX_LOG_KEEP_HOURS: "a day" })).toThrow(/SANDBOX_LOG_KEEP_HOURS must be a whole number from 0/);
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
    [["--log-keep-lines", "-5"], /--log-keep-lines must be a whole number/],
    [["--log-keep-lines", "1.5"], /--log-keep-lines must be a whole number from 0 \(no limit\) to 1000000000/],
    [["--log-keep-lines", "99999999999"], /--log-keep-lines must be a whole number/],
    [["--log-keep-hours", "200000"], /--log-keep-hours must be a whole number from 0 \(no limit\) to 100000/],
    [["--log-keep-hours"], /--log-keep-hours needs a value/],
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
