import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS, ROOT, run, startUntilReady } from "../helpers/process.ts";

const main = ["bun", "src/main.ts"];

describe("command line (issue 2: clear error and exit code 2)", () => {
  test("starts, prints every actor's URL, all hosts healthy", async () => {
    const { proc, port, output } = await startUntilReady([...main, "--port", "0", "--data", ":memory:"], ROOT);
    try {
      for (const h of DEFAULT_HOSTS) expect(output).toContain(`http://${h}localhost:${port}/`);
      expect(output).toMatch(/seeded \d+ FHIR resources/);
      for (const h of DEFAULT_HOSTS) expect((await fetch(`http://${h}localhost:${port}/health`)).status).toBe(200);
    } finally {
      proc.kill();
      await proc.exited;
    }
  });

  test("a bad flag: usage on stderr, exit 2", async () => {
    const r = await run([...main, "--prot", "8080"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option "--prot"');
    expect(r.stderr).toContain("Usage:");
  });

  test("a bad PORT: exit 2", async () => {
    const r = await run([...main, "--port", "99999"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--port must be a number from 0 to 65535");
  });

  test("--help: usage, exit 0", async () => {
    const r = await run([...main, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--network FILE");
  });

  test("a port in use: exit 2, and no database file is left half-made", async () => {
    const blocker = Bun.serve({ port: 0, fetch: () => new Response("taken") });
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
    try {
      const r = await run([...main, "--port", String(blocker.port), "--data", join(dir, "s.db")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${blocker.port} is already in use`);
    } finally {
      blocker.stop(true);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a malformed network file: every problem listed, exit 2, no database created", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
    try {
      const bad = join(dir, "net.json");
      writeFileSync(bad, JSON.stringify({ name: "x", dvas: [{ id: "Bad Id" }] }));
      const r = await run([...main, "--network", bad, "--data", join(dir, "s.db")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("the network definition has");
      expect(r.stderr).toContain("dvas[0].id: must be lower-case");
      expect(await Bun.file(join(dir, "s.db")).exists()).toBe(false);

      writeFileSync(bad, "{ not json");
      const r2 = await run([...main, "--network", bad]);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toContain("cannot be read");
      const r3 = await run([...main, "--network", join(dir, "missing.ts")]);
      expect(r3.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a network file in TypeScript with an external PGO is honoured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
    const file = join(dir, "net.ts");
    writeFileSync(file, `import base from ${JSON.stringify(`${ROOT}/seed/network.ts`)};
export default { ...base, pgos: [{ host: "http://localhost:3999", displayName: "Team PGO", redirectUris: ["/cb"] }],
  patients: base.patients.map((p) => ({ ...p, pgo: p.pgo ? { ...p.pgo, host: "http://localhost:3999" } : null })) };`);
    const { proc, port } = await startUntilReady([...main, "--port", "0", "--data", ":memory:", "--network", file], ROOT);
    try {
      const ocl = await (await fetch(`http://register.localhost:${port}/MedMij_OAuthclientlist.xml`)).text();
      expect(ocl).toContain("<Hostname>localhost</Hostname>");
      expect(ocl).toContain("Team PGO");
      expect((await fetch(`http://pgo.localhost:${port}/health`)).status).toBe(404);
    } finally {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bun run seed resets a file database and adds a population", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-seed-"));
    try {
      const r = await run(["bun", "seed/cli.ts", "--data", join(dir, "s.db"), "--patients", "20", "--tasks-per-patient", "3"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("added 20 patients with 60 tasks");
      const bad = await run(["bun", "seed/cli.ts", "--patients", "many"]);
      expect(bad.code).toBe(2);
      // A directory or garbage as data file: one line, exit 2, no stack trace.
      writeFileSync(join(dir, "junk.db"), "this is not a database ".repeat(200));
      for (const data of [dir, join(dir, "junk.db")]) {
        const junk = await run(["bun", "seed/cli.ts", "--data", data]);
        expect([data, junk.code]).toEqual([data, 2]);
        expect(junk.stderr).toStartWith("seed: ");
        expect(junk.stderr).not.toContain("    at ");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bun run seed refuses a file a running sandbox serves (its Reset does that)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-seed-live-"));
    const data = join(dir, "live.db");
    const { proc, port } = await startUntilReady(["bun", "src/main.ts", "--port", "0", "--data", data], ROOT);
    try {
      const r = await run(["bun", "seed/cli.ts", "--data", data]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`in use by the sandbox on port ${port}`);
      expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);
    } finally {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
