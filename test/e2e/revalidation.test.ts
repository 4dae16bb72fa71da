/**
 * A search's 304 before the search runs (issue 16): the DVA keeps each search's ETag by the
 * token's reach and the request while nothing in the FHIR store was written. It must never serve
 * a stale answer: any write (also of an included resource) ends it, another token's reach never
 * shares it, and a revoked token never reaches it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, systemToken } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());

const COLLECT = "Task?_tag=http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7&_include=Task:digital-activity&_include=Task:based-on";
const search = (token: string, etag?: string) => fetch(`${sandbox.url("fhir.zorgnet")}/fhir/${COLLECT}`, { headers: { authorization: `Bearer ${token}`, ...(etag ? { "if-none-match": etag } : {}) } });

describe("search revalidation", () => {
  test("304 while nothing changed; a write to a Task or to an included ActivityDefinition ends it", async () => {
    const tom = (await collectTokens(sandbox, { bsn: "999991012" })).access_token;
    const first = await search(tom);
    const etag = first.headers.get("etag")!;
    expect(etag).toBeString();
    expect((await search(tom, etag)).status).toBe(304);
    expect((await search(tom, etag)).status).toBe(304);

    const his = await systemToken(sandbox, "his-delinde");
    const task = await fhir(sandbox, his, "GET", "Task/task-tom-delinde-intake");
    expect((await fhir(sandbox, his, "PATCH", "Task/task-tom-delinde-intake", { body: [{ op: "replace", path: "/description", value: "Nieuwe omschrijving" }],
      headers: { "content-type": "application/json-patch+json", "if-match": task.headers.get("etag")! } })).status).toBe(200);
    const after = await search(tom, etag);
    expect(after.status).toBe(200);
    const etag2 = after.headers.get("etag")!;
    expect(etag2).not.toBe(etag);
    expect((await search(tom, etag2)).status).toBe(304);

    // An included resource changes: the collection's answer changes with it.
    const ad = await fhir(sandbox, his, "GET", "ActivityDefinition/ad-delinde-copd-intake");
    expect((await fhir(sandbox, his, "PUT", "ActivityDefinition/ad-delinde-copd-intake", { body: { ...ad.json, title: "Intake (nieuw)" },
      headers: { "if-match": ad.headers.get("etag")! } })).status).toBe(200);
    expect((await search(tom, etag2)).status).toBe(200);
  });

  test("another token's reach never shares a 304; a revoked token gets 401, not 304", async () => {
    const tom = (await collectTokens(sandbox, { bsn: "999991012" })).access_token;
    const koos = (await collectTokens(sandbox, { bsn: "999991024" })).access_token;
    const tomEtag = (await search(tom)).headers.get("etag")!;
    expect((await search(tom, tomEtag)).status).toBe(304);
    expect((await search(koos, tomEtag)).status).toBe(200);
    await fetch(`${sandbox.url("auth.zorgnet")}/connect/revocation`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tom, client_id: "pgo.localhost" }) });
    expect((await search(tom, tomEtag)).status).toBe(401);
  });
});
