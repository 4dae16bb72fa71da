/**
 * Running it from scripts and CI (issue 12 §5): with `--port 0 --quiet` a script still learns the
 * port — one machine-readable line `ready http://localhost:<port>` on stdout — and
 * `--ready-file FILE` holds the URL once every host answers.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS, ROOT, run, startUntilReady } from "../helpers/process.ts";

const main = ["bun", "src/main.ts"];

async function stop(proc: { kill(): void; exited: Promise<number> }) {
  proc.kill();
  await proc.exited;
}

describe("the ready line and --ready-file", () => {
  test("--port 0 --quiet prints exactly one line: ready http://localhost:<port>", async () => {
    const { proc, port, output } = await startUntilReady([...main, "--port", "0", "--data", ":memory:", "--quiet"], ROOT);
    try {
      expect(output).toBe(`ready http://localhost:${port}\n`);
      expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);
    } finally {
      await stop(proc);
    }
  });

  test("without --quiet the start lines stay, the human one included, and the ready line comes last", async () => {
    const proc = Bun.spawn([...main, "--port", "0", "--data", ":memory:"], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let output = "";
    try {
      while (!/^ready http:\/\/localhost:\d+\n/m.test(output)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        output += new TextDecoder().decode(chunk.value);
      }
      const lines = output.trimEnd().split("\n");
      const port = /ready on port (\d+) in \d+ ms/.exec(output)![1];
      expect(lines.at(-1)).toBe(`ready http://localhost:${port}`);
      expect(lines.at(-2)).toStartWith(`MedMij Sandbox ready on port ${port} in `);
    } finally {
      reader.releaseLock();
      await stop(proc);
    }
  });

  test("--ready-file: written once every host answers, a stale one from an earlier run is gone first, removed on exit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-ready-"));
    const file = join(dir, "sandbox.url");
    writeFileSync(file, "http://localhost:1\n");
    const proc = Bun.spawn([...main, "--port", "0", "--data", ":memory:", "--quiet", "--ready-file", file], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    try {
      let url = "";
      for (let i = 0; i < 200 && !url; i++) {
        const text = existsSync(file) ? readFileSync(file, "utf8") : "";
        if (text !== "" && text !== "http://localhost:1\n") url = text;
        else await Bun.sleep(25);
      }
      expect(url).toMatch(/^http:\/\/localhost:\d+\n$/);
      const origin = url.trim();
      for (const h of DEFAULT_HOSTS) expect((await fetch(origin.replace("//", `//${h}`) + "/health")).status).toBe(200);
      proc.kill("SIGTERM");
      await proc.exited;
      expect(existsSync(file)).toBe(false);
    } finally {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a ready file that cannot be written: one clear line, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-ready-"));
    try {
      const missing = await run([...main, "--port", "0", "--data", ":memory:", "--quiet", "--ready-file", join(dir, "no-such-dir", "url")]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("medmij-sandbox: cannot write --ready-file");
      expect(missing.stdout).toBe("");
      mkdirSync(join(dir, "a-directory"));
      const directory = await run([...main, "--port", "0", "--data", ":memory:", "--quiet", "--ready-file", join(dir, "a-directory")]);
      expect(directory.code).toBe(2);
      expect(directory.stderr).toContain("medmij-sandbox: cannot use --ready-file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
