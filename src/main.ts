/**
 * The only side effects: read the config, load the network, start the sandbox. Exit code 2 on a
 * bad flag, a bad network file or a port in use (issue 2), with a clear message on stderr.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { loadNetwork } from "./network-loader.ts";
import { StartError, startSandbox } from "./sandbox.ts";
import { NetworkError } from "./shared/network.ts";

async function main(): Promise<void> {
  const started = performance.now();
  try {
    const config = loadConfig(Bun.argv.slice(2), process.env);
    const network = await loadNetwork(config.networkFile);
    const log = config.quiet ? () => {} : (line: string) => console.log(line);
    const sandbox = await startSandbox(config, network, log);
    log(`MedMij Sandbox ready on port ${sandbox.port} in ${Math.round(performance.now() - started)} ms — open ${sandbox.url()}/ (data: ${config.dataPath})`);
    const shutdown = async () => { await sandbox.stop(); process.exit(0); };
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
