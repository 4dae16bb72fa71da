/**
 * Bun's hello world, the baseline for SPEC §11 "FHIR read ≥ 1/3 of Bun's hello-world throughput".
 * Run as a child of the bench: `bun bench/hello-server.ts <port>`; it answers every host.
 */
const port = Number(Bun.argv[2] ?? 0);
Bun.serve({ port, fetch: () => new Response("Hello World!") });
