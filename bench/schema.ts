/**
 * What the FHIR R4 structure check (src/dva/fhir/schema.ts, issue 11 item 2) costs a write: the
 * same Task POSTed over HTTP to an in-process sandbox with and without it (interleaved blocks, so
 * drift hits both), the check alone, and the one-off load of the precompiled validators on a
 * process's first write (in a child process, where nothing has loaded them yet). Info only.
 */
import { join } from "node:path";
import { schemaIssues, schemaTuning } from "../src/dva/fhir/schema.ts";
import { systemToken } from "../test/helpers/fhir.ts";
import { startTestSandbox } from "../test/helpers/sandbox.ts";
import { median, ms, type Row } from "./report.ts";

const BLOCK = 25;

type Json = Record<string, unknown>;

/** A seeded Task as a new one: what a zorgaanbieder's system writes (the seed's and the portal's shape). */
const fresh = (template: Json, n: number): Json => ({ ...template, id: undefined, meta: { profile: (template.meta as Json).profile, tag: (template.meta as Json).tag },
  identifier: [{ system: "https://medmij-sandbox.example/bench/schema", value: String(n) }] });

/** The first schemaIssues() call in a fresh process: reading and evaluating schema-validators.js. */
async function firstLoadMs(root: string): Promise<number> {
  const script = `const { schemaIssues } = await import(${JSON.stringify(join(root, "src/dva/fhir/schema.ts"))});`
    + `const t = performance.now(); schemaIssues("Task", { resourceType: "Task" }); console.log(performance.now() - t);`;
  const child = Bun.spawn(["bun", "-e", script], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(await new Response(child.stderr).text());
  return Number(out.trim());
}

export async function benchSchema(root: string, writes: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  log(`schema: ${writes} Task writes with and ${writes} without the FHIR R4 check …`);
  const sandbox = await startTestSandbox();
  const times = { with: [] as number[], without: [] as number[] };
  let sample: Json = {};
  try {
    const token = await systemToken(sandbox, "his-delinde");
    const url = `${sandbox.url("fhir.zorgnet")}/fhir/Task`;
    const template = await (await fetch(`${url}/task-tom-delinde-intake`, { headers: { authorization: `Bearer ${token}` } })).json() as Json;
    sample = fresh(template, 0);
    const post = async (n: number) => {
      const started = performance.now();
      const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", prefer: "return=minimal" },
        body: JSON.stringify(fresh(template, n)) });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST /fhir/Task: HTTP ${res.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 2 * BLOCK; i++) await post(-i); // warm-up, validators loaded
    for (let n = 0; n < 2 * writes; n++) {
      const checked = Math.floor(n / BLOCK) % 2 === 0;
      schemaTuning.enabled = checked;
      times[checked ? "with" : "without"].push(await post(n));
    }
  } finally {
    schemaTuning.enabled = true;
    await sandbox.stop();
  }
  const loops = 20_000;
  const started = performance.now();
  for (let i = 0; i < loops; i++) schemaIssues("Task", sample);
  const checkUs = (performance.now() - started) * 1000 / loops;
  const load = await firstLoadMs(root).catch(() => Number.NaN);
  const withMs = median(times.with);
  const withoutMs = median(times.without);
  return {
    rows: [{ measure: "FHIR write with / without schema validation (POST /fhir/Task, in-process, sequential)",
      value: `with ${ms(withMs)} · without ${ms(withoutMs)} (median, n=${times.with.length} each) · the check alone ${checkUs.toFixed(1)} µs`,
      target: "—", result: "info" }],
    notes: [`first write of a process loads the precompiled validators once: ${Number.isNaN(load) ? "not measured" : ms(load)} (compiling fhir.schema.json with Ajv at run time instead: ~110 ms and ~30 MB for the first type)`],
  };
}

if (import.meta.main) {
  const { printTable } = await import("./report.ts");
  const result = await benchSchema(join(import.meta.dir, ".."), Bun.argv.includes("--quick") ? 100 : 500, (line) => console.error(line));
  printTable("FHIR R4 structure check on writes", result.rows, result.notes);
}
