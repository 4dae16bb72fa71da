/**
 * The data file (issue 11 item 5): one sandbox per file, with a lock that a kill -9 does not leave
 * stuck; a file that cannot serve (random bytes, a directory, read-only, a damaged page), a port
 * in use, or a network that would not start: one clear line and exit 2, nothing written.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import defaultNetwork from "../../seed/network.ts";
import { Database } from "bun:sqlite";
import { spyOn } from "bun:test";
import { QUICK_CHECK_MAX_BYTES, openDatabase, openDataFile, quickCheckInBackground } from "../../src/shared/db.ts";
import { ROOT, run, startUntilReady } from "../helpers/process.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const dir = mkdtempSync(join(tmpdir(), "medmij-data-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const main = [process.execPath, "src/main.ts"];
/** "at foo (/x/y.ts:12:3)": a stack trace on stderr. */
const STACK_TRACE = /\bat [^\n]*\.tsx?:\d+/;

async function refuses(args: string[], message: string | RegExp): Promise<string> {
  const r = await run([...main, "--port", "0", ...args]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stdout).not.toContain("ready on port");
  return r.stderr;
}

/** A seeded data file made by a sandbox that was stopped properly. */
async function seededFile(name: string): Promise<string> {
  const path = join(dir, name);
  const r = await run(["bun", "seed/cli.ts", "--data", path]);
  expect(r.code).toBe(0);
  return path;
}

describe("one sandbox per data file", () => {
  test("a second sandbox on the same file refuses (exit 2, port and pid); after a kill -9 of the first, a new start succeeds", async () => {
    const data = join(dir, "shared.db");
    const first = await startUntilReady([...main, "--port", "0", "--data", data], ROOT);
    try {
      const before = await (await fetch(`http://localhost:${first.port}/api/network`)).json();
      const stderr = await refuses(["--data", data], `this data file is in use by the sandbox on port ${first.port} (pid ${first.proc.pid}`);
      expect(stderr).toContain(data);
      // The first one is untouched: still serving, its module Endpoints on its own port.
      expect((await fetch(`http://pgo.localhost:${first.port}/health`)).status).toBe(200);
      expect(await (await fetch(`http://localhost:${first.port}/api/network`)).json()).toEqual(before);
    } finally {
      first.proc.kill(9);
      await first.proc.exited;
    }
    // The lock row is still in the file, but its pid is gone: not stuck.
    const second = await startUntilReady([...main, "--port", "0", "--data", data], ROOT);
    try {
      expect((await fetch(`http://localhost:${second.port}/health`)).status).toBe(200);
      expect(second.output).toContain(`updated 6 module Endpoint addresses`);
    } finally {
      second.proc.kill();
      await second.proc.exited;
    }
    // A clean stop releases the file at once.
    const third = await startUntilReady([...main, "--port", "0", "--data", data], ROOT);
    third.proc.kill();
    await third.proc.exited;
  }, 30_000);

  test("with the port in use, no data file is created or migrated", async () => {
    const blocker = Bun.serve({ port: 0, fetch: () => new Response("taken") });
    try {
      const data = join(dir, "never", "s.db");
      await refuses(["--port", String(blocker.port), "--data", data], `port ${blocker.port} is already in use`);
      expect(existsSync(join(dir, "never"))).toBe(false);
    } finally {
      blocker.stop(true);
    }
  });
});

describe("a data file that cannot serve: one clear line, exit 2", () => {
  test("random bytes", async () => {
    const path = join(dir, "garbage.db");
    writeFileSync(path, crypto.getRandomValues(new Uint8Array(16_384)));
    await refuses(["--data", path], `${path} is not a SQLite database`);
    expect(statSync(path).size).toBe(16_384);
  });

  test("a directory", async () => {
    mkdirSync(join(dir, "a-folder"));
    await refuses(["--data", join(dir, "a-folder")], `${join(dir, "a-folder")} is a directory; --data needs the path of a file`);
  });

  test("a path below a file", async () => {
    writeFileSync(join(dir, "plain"), "x");
    await refuses(["--data", join(dir, "plain", "s.db")], "a file of that name is in the way");
  });

  test("another program's SQLite database is left alone", async () => {
    const path = join(dir, "other.db");
    const db = new Database(path);
    db.exec("CREATE TABLE contacts (name TEXT)");
    db.close();
    await refuses(["--data", path], "is a SQLite database of another program");
  });

  test("a damaged page (PRAGMA quick_check at start)", async () => {
    const path = await seededFile("damaged.db");
    // Overwrite interior pages with random bytes, as a torn write or a bad disk would.
    const pages = statSync(path).size / 4096;
    const fd = openSync(path, "r+");
    for (const at of [0.4, 0.6, 0.8]) writeSync(fd, crypto.getRandomValues(new Uint8Array(4096)), 0, 4096, Math.floor(pages * at) * 4096);
    closeSync(fd);
    await refuses(["--data", path], new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is damaged \\((PRAGMA quick_check|database disk image is malformed)`));
  });

  test("a read-only file", async () => {
    const path = await seededFile("read-only.db");
    const undo = makeReadOnly(path);
    if (!undo) {
      console.warn("skipped: cannot make a file read-only for this user (root without chattr)");
      return;
    }
    try {
      await refuses(["--data", path], `${path} is read-only`);
    } finally {
      undo();
    }
  });
});

describe("quick_check of a large file runs in the background", () => {
  /** A sandbox file above QUICK_CHECK_MAX_BYTES: the schema plus a filler table; page numbers of the filler returned. */
  async function largeFile(name: string): Promise<{ path: string; fillerPage: number }> {
    const path = await seededFile(name);
    const db = openDatabase(path);
    db.exec("CREATE TABLE test_filler (x BLOB)");
    const insert = db.query("INSERT INTO test_filler VALUES (?)");
    db.transaction(() => { for (let i = 0; i < QUICK_CHECK_MAX_BYTES / 3000 + 100; i++) insert.run(new Uint8Array(3000)); })();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const pages = db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
    db.close();
    return { path, fillerPage: Math.floor(pages * 0.7) };
  }

  test("a large damaged file starts, and the check in a worker warns on stderr", async () => {
    const { path, fillerPage } = await largeFile("large-damaged.db");
    expect(openDataFile(path).checkLater).toBe(true);
    const fd = openSync(path, "r+");
    writeSync(fd, crypto.getRandomValues(new Uint8Array(4096)), 0, 4096, (fillerPage - 1) * 4096);
    closeSync(fd);
    // As a sandbox that was killed leaves it: its run never stopped cleanly.
    markUnclean(path);
    const errors = spyOn(console, "error").mockImplementation(() => {});
    const sandbox = await startTestSandbox({ dataPath: path });
    try {
      expect((await fetch(`${sandbox.url()}/health`)).status).toBe(200);
      const deadline = Date.now() + 5_000;
      while (!errors.mock.calls.length && Date.now() < deadline) await Bun.sleep(20);
      expect(String(errors.mock.calls[0]?.[0])).toStartWith(`medmij-sandbox: warning: ${path} is damaged (PRAGMA quick_check:`);
    } finally {
      errors.mockRestore();
      await sandbox.stop();
    }
  });

  test("a large file is read after a run that did not stop cleanly, and marked sound; a clean stop says so", async () => {
    const { path } = await largeFile("large-clean.db");
    markUnclean(path);
    const metaOf = (key: string) => { const db = new Database(path, { readonly: true }); try { return db.query<{ value: string }, [string]>("SELECT value FROM sandbox_meta WHERE key = ?").get(key)?.value; } finally { db.close(); } };
    const first = await startTestSandbox({ dataPath: path });
    const deadline = Date.now() + 10_000;
    const seen = () => first.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'quick_check'").get()?.value;
    while (seen() !== "ok" && Date.now() < deadline) await Bun.sleep(20);
    expect(seen()).toBe("ok");
    expect(first.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'clean_stop'").get()?.value).toBe("0");
    await first.stop();
    expect(metaOf("clean_stop")).toBe("1");
    // A start after a clean stop marks the run as under way (a kill -9 leaves it so: the next start checks).
    const second = await startTestSandbox({ dataPath: path });
    try {
      expect(second.ctx.db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'clean_stop'").get()?.value).toBe("0");
    } finally {
      await second.stop();
    }
  });

  test("the worker answers null for a sound file", async () => {
    const { path } = await largeFile("large-sound.db");
    expect(await quickCheckInBackground(path).damage).toBeNull();
  });
});

/** What a sandbox killed with -9 leaves in its file: a run that never stopped cleanly. */
function markUnclean(path: string): void {
  const db = new Database(path);
  try {
    db.exec("CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    db.query("INSERT INTO sandbox_meta (key, value) VALUES ('clean_stop', '0') ON CONFLICT (key) DO UPDATE SET value = '0'").run();
  } finally {
    db.close();
  }
}

describe("a network that passes validation starts", () => {
  test("every module with clients: [] is a validation problem: exit 2, nothing written", async () => {
    const net = join(dir, "no-clients.json");
    writeFileSync(net, JSON.stringify({ ...defaultNetwork, modules: defaultNetwork.modules.map((m) => ({ ...m, clients: [] })) }));
    const data = join(dir, "no-clients", "s.db");
    await refuses(["--network", net, "--data", data], "modules[0].clients: needs at least one client");
    expect(existsSync(join(dir, "no-clients"))).toBe(false);
  });

  test("a DVA without zorgaanbieder and a zorgaanbieder without clinician are valid and start", async () => {
    const net = join(dir, "sparse.json");
    const dva = { ...defaultNetwork.dvas[0]!, id: "leeg", name: "Lege DVA", authHost: "auth.leeg", fhirHost: "fhir.leeg" };
    writeFileSync(net, JSON.stringify({ ...defaultNetwork, dvas: [...defaultNetwork.dvas, dva], clinicians: defaultNetwork.clinicians.slice(0, 1) }));
    const { proc, port } = await startUntilReady([...main, "--port", "0", "--data", ":memory:", "--network", net], ROOT);
    try {
      for (const host of ["auth.leeg.", "fhir.leeg.", "xis.", ""]) {
        const res = await fetch(`http://${host}localhost:${port}/`, { headers: { accept: "text/html" } });
        expect(res.status).toBeLessThan(500);
      }
    } finally {
      proc.kill();
      await proc.exited;
    }
  });
});

/** Make a file unwritable for this process; returns how to undo it, or null when that cannot be done (root without chattr). */
function makeReadOnly(path: string): (() => void) | null {
  chmodSync(path, 0o444);
  if (!writable(path)) return () => chmodSync(path, 0o644);
  chmodSync(path, 0o644);
  // root ignores modes; the immutable attribute binds root too (ext4, xfs, btrfs).
  if (spawnSync("chattr", ["+i", path]).status === 0 && !writable(path)) return () => { spawnSync("chattr", ["-i", path]); };
  return null;
}

function writable(path: string): boolean {
  try { closeSync(openSync(path, "r+")); return true; } catch { return false; }
}
