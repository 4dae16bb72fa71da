import { describe, expect, test } from "bun:test";
import { syncProvider, taskView } from "../../../src/pgo/sync.ts";
import { PgoStore } from "../../../src/pgo/store.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import type { HttpClient } from "../../../src/shared/http-client.ts";
import { Sealer } from "../../../src/shared/sealed.ts";

const provider = { name: "delinde@medmij", scope: "delinde", authorizationEndpoint: "http://auth/auth", tokenEndpoint: "http://auth/token", resourceEndpoint: "http://fhir/fhir" };

function setup(answer: () => Response) {
  const store = new PgoStore(openDatabase(":memory:"), new Sealer("test"));
  const account = store.createAccount({ pgo: "pgo.localhost", username: "t", passwordHash: "x", displayName: "T" });
  const connection = { accountId: account.id, zorgaanbieder: provider.name, accessToken: "at", accessExpiresAt: Date.now() + 600_000,
    refreshToken: null, scope: "delinde", patient: "p", connectedAt: Date.now() };
  store.saveConnection(connection);
  store.saveTasks(account.id, provider.name, [taskView({ resourceType: "Task", id: "t1", status: "requested" }, new Map())]);
  const http: HttpClient = { send: async () => answer() };
  return { store, run: () => syncProvider({ store, http, clientId: "pgo.localhost", accountId: account.id, connection, provider }), accountId: account.id };
}

describe("collecting tasks: a DVA answering badly loses nothing (issue 5, bad input)", () => {
  test.each([
    ["HTTP 500", () => new Response("boom", { status: 500 }), "HTTP 500"],
    ["garbage", () => new Response("<html>not json", { status: 200 }), "geen geldige FHIR JSON"],
    ["not a Bundle", () => Response.json({ resourceType: "Patient" }), "geen Bundle"],
  ] as [string, () => Response, string][])("%s → failed with a message; the PGO's copy stays", async (_n, answer, message) => {
    const { store, run, accountId } = setup(answer);
    const result = await run();
    expect(result).toMatchObject({ status: "failed", message: expect.stringContaining(message) });
    expect(store.tasksOf(accountId).map((t) => t.view.id)).toEqual(["t1"]);
  });

  test("401 without a refresh token → re-consent", async () => {
    const { run } = setup(() => new Response(null, { status: 401 }));
    expect(await run()).toEqual({ status: "reconsent" });
  });

  test("one row per business identifier", () => {
    const a = taskView({ resourceType: "Task", id: "a", status: "requested", identifier: [{ system: "s", value: "1" }] }, new Map());
    const b = taskView({ resourceType: "Task", id: "b", status: "completed", identifier: [{ system: "s", value: "1" }] }, new Map());
    expect(a.key).toBe(b.key);
  });
});
