import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS, ROOT, run, startUntilReady } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "sandbox-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("single binary (bun run build)", () => {
  test("builds, starts from a directory without node_modules, keeps its data next to the working directory", async () => {
    const outfile = join(dir, "medmij-sandbox");
    // The build exactly as `bun run build` runs it (bytecode, ESM), with the output elsewhere.
    const script: string = (await Bun.file(join(ROOT, "package.json")).json()).scripts.build;
    const args = script.slice(script.indexOf("bun build")).split(/\s+/);
    args[args.indexOf("--outfile") + 1] = outfile;
    const build = await run(args);
    expect(build.code).toBe(0);
    const cwd = join(dir, "work");
    await Bun.write(join(cwd, ".keep"), "");
    expect(existsSync(join(cwd, "node_modules"))).toBe(false);
    const { proc, port } = await startUntilReady([outfile, "--port", "0"], cwd);
    try {
      for (const h of DEFAULT_HOSTS) expect((await fetch(`http://${h}localhost:${port}/health`)).status).toBe(200);
      const css = await fetch(`http://pgo.localhost:${port}/_sandbox/style.css`);
      expect(css.status).toBe(200);
      const htmx = await fetch(`http://localhost:${port}/_sandbox/htmx-2.0.11.min.js`);
      expect(await htmx.text()).toContain("htmx");
      const zal = await (await fetch(`http://register.localhost:${port}/MedMij_Zorgaanbiederslijst.xml`)).text();
      expect(zal).toContain("delinde@medmij");
      expect((await fetch(`http://localhost:${port}/`)).status).toBe(200);
      // Every actor's app is imported on its first request: each must load from the bundle.
      for (const h of DEFAULT_HOSTS) {
        const res = await fetch(`http://${h}localhost:${port}/${h.startsWith("fhir.") ? "fhir/metadata" : ""}`, { redirect: "manual" });
        expect([200, 302, 303, 401]).toContain(res.status);
        expect(await res.text()).not.toContain("at /");
      }
      const metadata = await (await fetch(`http://fhir.zorgnet.localhost:${port}/fhir/metadata`)).json();
      expect(metadata.resourceType).toBe("CapabilityStatement");
      // The reader worker (shared/reader-worker.ts, an entrypoint of the build) starts from the bundle:
      // the trace list (of the lines a refused FHIR search wrote) reads there, and nothing on stderr
      // says it failed (a worker that cannot load is said once, and the read is made on the event loop).
      expect((await fetch(`http://fhir.zorgnet.localhost:${port}/fhir/Task`)).status).toBe(401);
      expect((await fetch(`http://localhost:${port}/logs`)).status).toBe(200);
    } finally {
      proc.kill();
      await proc.exited;
    }
    expect(await new Response(proc.stderr).text()).not.toContain("reader thread failed");
    expect(existsSync(join(cwd, ".sandbox", "sandbox.db"))).toBe(true);
  }, 120_000);
});
