/**
 * The only side effects: read the config, load the network, start the sandbox, say it is ready
 * (`ready <url>` on stdout, and `--ready-file`). Exit code 2 on a bad flag, a bad network file, a
 * port in use (issue 2) or a ready file that cannot be written, with a clear message on stderr.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { ConfigError, loadConfig } from "./config.ts";
import { loadNetwork } from "./network-loader.ts";
import { StartError, startSandbox } from "./sandbox.ts";
import { warmCodeInBackground } from "./shared/warm-code.ts";
import { NetworkError } from "./shared/network.ts";

/** The URL and a newline, written to a temporary file and renamed: a script polling for the file never reads half of it. */
function writeReadyFile(file: string, url: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${url}\n`);
  renameSync(temporary, file);
}

/** Remove a ready file (one left by an earlier run, or ours at shutdown); a path that cannot be one stops the start. */
function removeReadyFile(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch (e) {
    throw new StartError(`cannot use --ready-file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  try {
    const config = loadConfig(Bun.argv.slice(2), process.env);
    const network = await loadNetwork(config.networkFile);
    const log = config.quiet ? () => {} : (line: string) => console.log(line);
    // A ready file left by an earlier run must not be read as this run's address.
    if (config.readyFile) removeReadyFile(config.readyFile);
    const sandbox = await startSandbox(config, network, log);
    log(`MedMij Sandbox ready on port ${sandbox.port} in ${Math.round(performance.now() - started)} ms — open ${sandbox.url()}/ (data: ${config.dataPath})`);
    if (config.readyFile) {
      try {
        writeReadyFile(config.readyFile, sandbox.url());
      } catch (e) {
        await sandbox.stop();
        throw new StartError(`cannot write --ready-file ${config.readyFile}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // One machine-readable line, also with --quiet, and the last: how a script learns the port --port 0 chose.
    console.log(`ready ${sandbox.url()}`);
    // The actors' code, read into the page cache elsewhere before their first requests load it (issue 16).
    warmCodeInBackground();
    const shutdown = async () => {
      await sandbox.stop();
      if (config.readyFile) rmSync(config.readyFile, { force: true });
      process.exit(0);
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof NetworkError || e instanceof StartError) {
      console.error(e instanceof ConfigError && e.message.startsWith("Usage:") ? e.message : `medmij-sandbox: ${e.message}`);
      process.exit(e instanceof ConfigError && e.message.startsWith("Usage:") ? 0 : 2);
    }
    throw e;
  }
}

await main();
