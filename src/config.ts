/**
 * One typed, validated configuration for the whole sandbox. This is the only module that reads
 * flags or the environment (SPEC §1): everything else receives a `Config`.
 */

export interface Config {
  /** TCP port every virtual host shares; 0 picks a free port (tests). */
  port: number;
  /** SQLite file, or ":memory:". */
  dataPath: string;
  /** Parent domain of every virtual host: `register.<domain>`, `auth.zorgnet.<domain>`, ... */
  domain: string;
  /** A network definition module (TypeScript or JSON) replacing `seed/network.ts`. */
  networkFile: string | null;
  /** Reseed on start, discarding all data. */
  reset: boolean;
  /** Print only the machine-readable `ready <url>` line on start (tests, scripts). */
  quiet: boolean;
  /** Write the cockpit URL into this file once every host answers (scripts and CI with `--port 0`). */
  readyFile: string | null;
  /** Chain log retention (issue 11): keep at most this many lines (0 = no limit)... */
  logKeepLines: number;
  /** ...and none older than this many hours (0 = no limit). */
  logKeepHours: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const DEFAULTS: Config = {
  port: 8080,
  dataPath: ".sandbox/sandbox.db",
  domain: "localhost",
  networkFile: null,
  reset: false,
  quiet: false,
  readyFile: null,
  // ≈ 530 bytes a line on disk (row + trace index), ≈ 65 lines a journey: 500 000 lines is ≈ 265 MB,
  // ≈ 7 700 journeys — a busy hackathon day — and the file stops growing there.
  logKeepLines: 500_000,
  logKeepHours: 48,
};

export const USAGE = `Usage: medmij-sandbox [options]

  --port N             port for every host (env PORT, default 8080; 0 = any free port)
  --data FILE          SQLite file (env SANDBOX_DATA, default .sandbox/sandbox.db; ":memory:" allowed)
  --domain NAME        parent domain of the virtual hosts (env SANDBOX_DOMAIN, default localhost)
  --network FILE       network definition replacing seed/network.ts (.ts, .js or .json)
  --reset              reseed on start, discarding all data
  --quiet              print only the line "ready http://localhost:PORT" on start
  --ready-file FILE    when ready, write the cockpit URL (http://localhost:PORT) into FILE
  --log-keep-lines N   chain log: keep the last N lines (env SANDBOX_LOG_KEEP_LINES, default 500000; 0 = no limit)
  --log-keep-hours N   chain log: drop lines older than N hours (env SANDBOX_LOG_KEEP_HOURS, default 48; 0 = no limit)
  --help               this text`;

type Env = Record<string, string | undefined>;

/** Parse argv (without the runtime and script) and env into a validated Config. Throws ConfigError. */
export function loadConfig(argv: readonly string[], env: Env): Config {
  const config: Config = { ...DEFAULTS };
  if (env.PORT !== undefined && env.PORT !== "") config.port = parsePort(env.PORT, "PORT");
  if (env.SANDBOX_DATA) config.dataPath = env.SANDBOX_DATA;
  if (env.SANDBOX_DOMAIN) config.domain = parseDomain(env.SANDBOX_DOMAIN, "SANDBOX_DOMAIN");
  if (env.SANDBOX_LOG_KEEP_LINES) config.logKeepLines = parseCount(env.SANDBOX_LOG_KEEP_LINES, "SANDBOX_LOG_KEEP_LINES", 1_000_000_000);
  if (env.SANDBOX_LOG_KEEP_HOURS) config.logKeepHours = parseCount(env.SANDBOX_LOG_KEEP_HOURS, "SANDBOX_LOG_KEEP_HOURS", 100_000);

  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf("=");
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) {
        throw new ConfigError(`${flag} needs a value`);
      }
      return v;
    };
    switch (flag) {
      case "--port": config.port = parsePort(value(), "--port"); break;
      case "--data": config.dataPath = nonEmpty(value(), "--data"); break;
      case "--domain": config.domain = parseDomain(value(), "--domain"); break;
      case "--network": config.networkFile = nonEmpty(value(), "--network"); break;
      case "--reset": config.reset = flagValue(inline, "--reset"); break;
      case "--quiet": config.quiet = flagValue(inline, "--quiet"); break;
      case "--ready-file": config.readyFile = nonEmpty(value(), "--ready-file"); break;
      case "--log-keep-lines": config.logKeepLines = parseCount(value(), "--log-keep-lines", 1_000_000_000); break;
      case "--log-keep-hours": config.logKeepHours = parseCount(value(), "--log-keep-hours", 100_000); break;
      case "--help": case "-h": throw new ConfigError(USAGE);
      default: throw new ConfigError(`unknown option ${JSON.stringify(raw)}\n\n${USAGE}`);
    }
  }
  return config;
}

/** Configuration for tests: in-memory database, any free port, silent. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...DEFAULTS, port: 0, dataPath: ":memory:", quiet: true, ...overrides };
}

function parsePort(text: string, name: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new ConfigError(`${name} must be a number from 0 to 65535, got ${JSON.stringify(text)}`);
  const port = Number(text);
  if (port > 65535) throw new ConfigError(`${name} must be a number from 0 to 65535, got ${port}`);
  return port;
}

/** A whole number from 0 to `max` (0 = no limit). */
function parseCount(text: string, name: string, max: number): number {
  const trimmed = text.trim().replaceAll("_", "");
  if (!/^\d{1,10}$/.test(trimmed) || Number(trimmed) > max) throw new ConfigError(`${name} must be a whole number from 0 (no limit) to ${max}, got ${JSON.stringify(text)}`);
  return Number(trimmed);
}

function parseDomain(text: string, name: string): string {
  const domain = text.toLowerCase();
  // A hostname without port or scheme: labels of letters, digits and hyphens.
  if (!/^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})*$/.test(domain)) {
    throw new ConfigError(`${name} must be a host name such as "localhost" (no scheme or port), got ${JSON.stringify(text)}`);
  }
  return domain;
}

function nonEmpty(text: string, name: string): string {
  if (text.trim() === "") throw new ConfigError(`${name} must not be empty`);
  return text;
}

function flagValue(inline: string | undefined, name: string): boolean {
  if (inline === undefined || inline === "true") return true;
  if (inline === "false") return false;
  throw new ConfigError(`${name} takes no value (or =true/=false), got ${JSON.stringify(inline)}`);
}
