/**
 * The code read into the page cache after start (shared/warm-code.ts, issue 16): the sandbox's own
 * folders and its runtime dependencies, never the dev ones (606 MB of node_modules in all).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { codeFolders, warmCommand } from "../../../src/shared/warm-code.ts";

const root = join(import.meta.dir, "..", "..", "..");

describe("warming the actors' code", () => {
  test("its own folders and the runtime dependencies, transitively; no dev dependency", () => {
    const folders = codeFolders(root).map((f) => f.slice(root.length + 1));
    expect(folders.slice(0, 3)).toEqual(["src", "views", "seed"]);
    for (const runtime of ["node_modules/elysia", "node_modules/jose", "node_modules/@elysiajs/html", "node_modules/fast-xml-parser"]) expect(folders).toContain(runtime);
    for (const dev of ["node_modules/playwright-core", "node_modules/typescript", "node_modules/@medplum/fhir-router", "node_modules/oidc-provider"]) expect(folders).not.toContain(dev);
    // A dependency of a dependency is there too (fast-xml-parser's strnum).
    expect(folders).toContain("node_modules/strnum");
  });

  test("the child: this file from a checkout, the executable when compiled, only a read of any other bundle (never a second sandbox)", () => {
    expect(warmCommand(join(root, "src", "shared", "warm-code.ts"), "/usr/bin/bun")).toEqual(["/usr/bin/bun", join(root, "src", "shared", "warm-code.ts")]);
    expect(warmCommand("/$bunfs/root/medmij-sandbox", "/opt/medmij-sandbox")).toEqual(["cat", "/opt/medmij-sandbox"]);
    expect(warmCommand("/srv/out/main.js", "/usr/bin/bun", () => true)).toEqual(["cat", "/srv/out/main.js"]);
    expect(warmCommand("/gone/warm-code.ts", "/usr/bin/bun", () => false)).toEqual(["cat", "/gone/warm-code.ts"]);
  });

  test("the child reads them and exits", () => {
    const run = Bun.spawnSync([process.execPath, join(root, "src", "shared", "warm-code.ts")], { env: { ...process.env, SANDBOX_WARM_VERBOSE: "1" } });
    expect(run.exitCode).toBe(0);
    expect(Number(/(\d+) files read/.exec(run.stdout.toString())?.[1])).toBeGreaterThan(300);
  });
});
