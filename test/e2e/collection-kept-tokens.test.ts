/**
 * The kept index rows of a collection (FhirStore.keptTokensOf, from an outside review), over HTTP on the real sandbox: a PGO's
 * collection (the query src/pgo/sync.ts sends, with `status:not=completed`) between system
 * PATCHes, PUTs, creates, concurrent requests and a cockpit reset.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { collectTokens } from "../helpers/dva.ts";
import { fhir, systemToken, type Json } from "../helpers/fhir.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";

const TAG = "http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7";
let sandbox: Sandbox;
let tom: string;
let his: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tom = (await collectTokens(sandbox)).access_token;
  his = await systemToken(sandbox, "his-delinde");
});
afterAll(() => sandbox.stop());

const query = `Task?_tag=${encodeURIComponent(TAG)}&status:not=completed&_include=Task:digital-activity&_include=Task:based-on&_include=Task:focus&_count=500`;
const collect = async () => {
  const res = await fhir(sandbox, tom, "GET", query);
  expect(res.status).toBe(200);
  const entries = (res.json.entry ?? []) as Json[];
  const of = (mode: string) => entries.filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  return { match: of("match"), include: of("include") };
};
/** What the collection should be, from the stored JSON (parsed, not the index). */
const expected = async () => {
  const all = (await fhir(sandbox, tom, "GET", "Task?_count=500")).json.entry as Json[];
  return all.map((e) => e.resource).filter((t) => t.status !== "completed" && (t.meta?.tag ?? []).some((c: Json) => `${c.system}|${c.code}` === TAG))
    .map((t) => `Task/${t.id}`).sort();
};
const patch = (id: string, ops: unknown[]) => fhir(sandbox, his, "PATCH", `Task/${id}`, { body: ops, headers: { "content-type": "application/json-patch+json" } });

describe("a PGO collection over HTTP sees the index rows as stored", () => {
  test("PATCHes, a PUT that drops the tag, a create, concurrent collections, then a cockpit reset", async () => {
    const first = await collect();
    expect(first.match).toEqual(await expected());
    const open = first.match.map((m) => m.slice("Task/".length));
    const target = (await Promise.all(open.map(async (id) => (await fhir(sandbox, his, "GET", `Task/${id}`)).json))).find((t) => t.status === "requested" || t.status === "ready")!;
    expect(target).toBeDefined();

    // in-progress, concurrently with collections in the same turn
    const [p1] = await Promise.all([patch(target.id, [{ op: "replace", path: "/status", value: "in-progress" }]), collect(), collect()]);
    expect(p1.status).toBe(200);
    expect((await collect()).match).toEqual(await expected());
    // completed: leaves the collection
    const [p2, during] = await Promise.all([patch(target.id, [{ op: "replace", path: "/status", value: "completed" }]), collect()]);
    expect(p2.status).toBe(200);
    expect(during.match.length).toBeGreaterThan(0);
    const after = await collect();
    expect(after.match).not.toContain(`Task/${target.id}`);
    expect(after.match).toEqual(await expected());

    // a PUT of another open Task without the DataService tag
    const other = (await fhir(sandbox, his, "GET", `Task/${open.find((id) => id !== target.id)}`)).json;
    const put = await fhir(sandbox, his, "PUT", `Task/${other.id}`, { body: { ...other, meta: { ...other.meta, tag: [] } } });
    expect(put.status).toBe(200);
    expect((await collect()).match).not.toContain(`Task/${other.id}`);
    expect((await collect()).match).toEqual(await expected());

    // a create for the same patient (a copy of an open Task, without id)
    const { id: _id, meta: _meta, ...copy } = (await fhir(sandbox, his, "GET", `Task/${open.at(-1)}`)).json;
    const created = await fhir(sandbox, his, "POST", "Task", { body: { ...copy, status: "requested", meta: { tag: [{ system: TAG.split("|")[0], code: TAG.split("|")[1] }] } } });
    expect(created.status).toBe(201);
    expect((await collect()).match).toContain(`Task/${created.json.id}`);

    // the cockpit reset, with a collection while it runs (it awaits the password hashes first)
    const [, whileResetting] = await Promise.all([sandbox.ctx.reset(), collect()]);
    expect(whileResetting.match.length).toBeGreaterThan(0);
    tom = (await collectTokens(sandbox)).access_token; // a reset revokes the tokens issued before it
    his = await systemToken(sandbox, "his-delinde");
    const reset = await collect();
    expect(reset).toEqual(first);
    expect(reset.match).not.toContain(`Task/${created.json.id}`);
    expect(reset.match).toContain(`Task/${target.id}`);
  });
});
