/** Load and validate the network definition: the default one, or `--network FILE` (.ts, .js or .json). */
import { resolve } from "node:path";
import defaultNetwork from "../seed/network.ts";
import { NetworkError, validateNetwork, type NetworkDefinition } from "./shared/network.ts";

export async function loadNetwork(file: string | null): Promise<NetworkDefinition> {
  if (!file) return validateNetwork(defaultNetwork);
  const path = resolve(file);
  let loaded: unknown;
  try {
    if (path.endsWith(".json")) {
      loaded = JSON.parse(await Bun.file(path).text());
    } else {
      const mod = (await import(path)) as { default?: unknown };
      loaded = mod.default ?? mod;
    }
  } catch (e) {
    throw new NetworkError([`${file}: cannot be read (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`]);
  }
  return validateNetwork(loaded);
}
