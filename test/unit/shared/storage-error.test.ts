/**
 * Storage failures (issue 11 item 5): one classification, rendered by each edge in its shape — an
 * actor app's onError (page or JSON) and the dispatcher's last resort (FHIR OperationOutcome).
 * The errors are real: SQLite's own SQLITE_FULL from a database at its size limit.
 */
import { Database } from "bun:sqlite";
import { describe, expect, spyOn, test } from "bun:test";
import { createDispatcher, type HostMap } from "../../../src/server.ts";
import { createActorApp } from "../../../src/shared/actor-app.ts";
import type { SandboxContext } from "../../../src/shared/context.ts";
import { isStorageFull, storageFailure } from "../../../src/shared/storage-error.ts";
import { themes } from "../../../views/theme.ts";

/** The error SQLite throws when the disk (here: max_page_count) is full. */
function diskFull(): unknown {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t (x TEXT)");
  db.exec(`PRAGMA max_page_count = ${db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count}`);
  try { db.query("INSERT INTO t VALUES (?)").run("x".repeat(100_000)); } catch (e) { return e; } finally { db.close(); }
  throw new Error("the database did not fill up");
}

const full = diskFull();
const withCode = (code: string) => Object.assign(new Error(code), { code });

describe("storageFailure", () => {
  test("full disk: 507; I/O, read-only, damaged, busy: 503; anything else: not storage", () => {
    expect((full as { code: string }).code).toBe("SQLITE_FULL");
    expect(storageFailure(full)).toMatchObject({ status: 507, full: true, code: "SQLITE_FULL" });
    expect(isStorageFull(full)).toBe(true);
    expect(storageFailure(withCode("ENOSPC"))?.status).toBe(507);
    for (const code of ["SQLITE_IOERR", "SQLITE_IOERR_WRITE", "SQLITE_READONLY", "SQLITE_READONLY_DBMOVED", "SQLITE_CORRUPT", "SQLITE_BUSY", "EIO", "EROFS"]) {
      expect(storageFailure(withCode(code))).toMatchObject({ status: 503, full: false });
    }
    expect(storageFailure(withCode("SQLITE_CONSTRAINT_UNIQUE"))).toBeNull();
    expect(storageFailure(new TypeError("x is undefined"))).toBeNull();
    expect(storageFailure(new Error("wrapped", { cause: full }))?.status).toBe(507);
    expect(isStorageFull(withCode("SQLITE_IOERR"))).toBe(false);
  });
});

describe("rendered at the edges", () => {
  const app = createActorApp("test", themes.cockpit)
    .get("/page", () => { throw full; })
    .post("/token", () => { throw full; });

  test("an actor page: the friendly page, 507, trace id, Retry-After", async () => {
    const errors = spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await app.handle(new Request("http://x.localhost/page", { headers: { accept: "text/html", "X-Correlation-ID": "trace-full" } }));
      expect(res.status).toBe(507);
      expect(res.headers.get("retry-after")).toBe("30");
      const html = await res.text();
      expect(html).toContain("Technische storing");
      expect(html).toContain("schijf van de sandbox is vol");
      expect(html).toContain("trace-full");
      expect(html).not.toMatch(/\bat [^\n<]*\.tsx?:\d+/);
      // One line on stderr, without the stack.
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual(["[test] storage failure SQLITE_FULL (answered 507), trace trace-full"]);
    } finally {
      errors.mockRestore();
    }
  });

  test("an OAuth or API client: temporarily_unavailable JSON", async () => {
    const errors = spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await app.handle(new Request("http://x.localhost/token", { method: "POST" }));
      expect(res.status).toBe(507);
      expect(await res.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("vol"), trace_id: expect.any(String) });
    } finally {
      errors.mockRestore();
    }
  });

  test("the dispatcher's last resort: a FHIR OperationOutcome on /fhir, a page elsewhere", async () => {
    const errors = spyOn(console, "error").mockImplementation(() => {});
    try {
      const ctx = { faults: { get: () => ({}) } } as unknown as SandboxContext;
      const hosts: HostMap = new Map([
        ["fhir.x.localhost", { kind: "dva-fhir", title: "FHIR", origin: "http://fhir.x.localhost", dvaId: "x", handle: () => { throw withCode("SQLITE_IOERR_WRITE"); } }],
        ["pgo.localhost", { kind: "pgo", title: "PGO", origin: "http://pgo.localhost", handle: () => { throw full; } }],
      ]);
      const dispatch = createDispatcher(ctx, hosts);
      const fhir = await dispatch(new Request("http://fhir.x.localhost/fhir/Task", { method: "POST", headers: { host: "fhir.x.localhost" } }));
      expect(fhir.status).toBe(503);
      expect(fhir.headers.get("content-type")).toBe("application/fhir+json");
      expect((await fhir.json()).issue[0]).toMatchObject({ severity: "error", code: "transient" });
      const page = await dispatch(new Request("http://pgo.localhost/", { headers: { host: "pgo.localhost", accept: "text/html" } }));
      expect(page.status).toBe(507);
      expect(await page.text()).toContain("Technische storing");
    } finally {
      errors.mockRestore();
    }
  });
});
