/**
 * The data-file lock (issue 11): a claim holds only while its process lives and its port takes
 * connections, so a kill -9 or a recycled pid never leaves the file stuck; two claims at once
 * have one winner; a clean release frees the file.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimDataFile, DataFileInUse } from "../../../src/shared/data-lock.ts";
import { dataTables, openDatabase } from "../../../src/shared/db.ts";

const dir = mkdtempSync(join(tmpdir(), "medmij-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const holder = (db: ReturnType<typeof openDatabase>) => db.query<{ pid: number; port: number }, []>("SELECT pid, port FROM sandbox_lock").get();
const forge = (db: ReturnType<typeof openDatabase>, pid: number, port: number) =>
  db.query("INSERT OR REPLACE INTO sandbox_lock (id, pid, port, started_at, token) VALUES (1, ?, ?, '2026-01-01T00:00:00Z', 'forged')").run(pid, port);

/** A pid that is certainly gone: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

describe("data-file lock", () => {
  test("a live sandbox's claim refuses another; release frees it", async () => {
    const db = openDatabase(join(dir, "live.db"));
    const server = Bun.serve({ port: 0, fetch: () => new Response("ok") });
    try {
      const release = await claimDataFile(db, server.port!);
      expect(holder(db)).toEqual({ pid: process.pid, port: server.port! });
      const other = openDatabase(join(dir, "live.db"));
      const refused = await claimDataFile(other, 1).catch((e) => e);
      expect(refused).toBeInstanceOf(DataFileInUse);
      expect(refused.message).toStartWith(`this data file is in use by the sandbox on port ${server.port} (pid ${process.pid}`);
      release();
      expect(holder(db)).toBeNull();
      (await claimDataFile(other, 2))();
      other.close();
    } finally {
      server.stop(true);
      db.close();
    }
  });

  test("a claim whose process is gone (kill -9) is taken over", async () => {
    const db = openDatabase(join(dir, "dead.db"));
    await claimDataFile(db, 1);
    forge(db, await deadPid(), 1);
    await claimDataFile(db, 4242);
    expect(holder(db)).toEqual({ pid: process.pid, port: 4242 });
    db.close();
  });

  test("a live pid whose port refuses connections (a recycled pid) is taken over", async () => {
    const db = openDatabase(join(dir, "recycled.db"));
    const closed = Bun.serve({ port: 0, fetch: () => new Response("") });
    const port = closed.port!;
    closed.stop(true);
    await claimDataFile(db, 1);
    forge(db, process.pid, port);
    await claimDataFile(db, 4343);
    expect(holder(db)?.port).toBe(4343);
    db.close();
  });

  test("two claims at once over a stale one: one wins (the claim re-reads in its IMMEDIATE transaction)", async () => {
    const a = openDatabase(join(dir, "race.db"));
    const b = openDatabase(join(dir, "race.db"));
    await claimDataFile(a, 1);
    forge(a, await deadPid(), 1);
    // Both see the stale claim and check its process before either writes.
    const results = await Promise.allSettled([claimDataFile(a, 5001), claimDataFile(b, 5002)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(DataFileInUse);
    a.close();
    b.close();
  });

  test("a reset keeps the lock: it is bookkeeping, not data", async () => {
    const db = openDatabase(join(dir, "reset.db"));
    await claimDataFile(db, 1);
    expect(dataTables(db)).not.toContain("sandbox_lock");
    db.close();
  });
});
