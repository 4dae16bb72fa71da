/**
 * What the wrk rows ask a sandbox for (tables 10 and 12): a synthetic patient of De Linde in the
 * population file (seed/population.ts: zorgaanbieder n mod those with a clinician, the n-th BSN)
 * and its Tasks, and for a running sandbox the requests with their tokens — a read with a PGO, a
 * system and a module token, the PGO's collection and its 304, a selective and a non-selective
 * system search, the token endpoint and a write.
 */
import { Database } from "bun:sqlite";
import defaultNetwork from "../seed/network.ts";
import { bsnSequence } from "../src/shared/bsn.ts";
import { validateNetwork } from "../src/shared/network.ts";
import { resolveNetwork } from "../src/shared/resolved-network.ts";
import { collectTokens, moduleToken } from "../test/helpers/dva.ts";
import { systemToken } from "../test/helpers/fhir.ts";
import { COLLECTION_QUERY } from "./fhir.ts";
import type { Target } from "./wrk.ts";

export interface PopulationPatient {
  bsn: string;
  patient: string;
  taskIds: string[];
  /** Another patient of the same zorgaanbieder: the write row's Tasks are for it, so that the rows reading `patient` read the same Tasks before and after. */
  writtenFor: string;
}

/** The patient the rows ask about, and its Tasks at zorgnet (read from the population file). */
export function populationPatient(populationPath: string): PopulationPatient {
  const resolved = resolveNetwork(validateNetwork(defaultNetwork), "localhost", 0);
  const zas = resolved.zorgaanbieders.filter((z) => resolved.clinicians.some((c) => c.zorgaanbieder === z.name));
  const n = zas.findIndex((z) => z.name === "delinde@medmij");
  const bsns = bsnSequence(100_000_000);
  let bsn = "";
  for (let i = 0; i <= n; i++) bsn = bsns.next().value!;
  const patient = `Patient/patient-synth-${n}`;
  const db = new Database(populationPath, { readonly: true });
  try {
    const taskIds = db.query<{ id: string }, [string]>("SELECT id FROM fhir_resource WHERE dva = 'zorgnet' AND type = 'Task' AND patient = ? ORDER BY id").all(patient).map((r) => r.id);
    if (n < 0 || taskIds.length === 0) throw new Error(`no Tasks of ${patient} at zorgnet in the population file`);
    return { bsn, patient, taskIds, writtenFor: `Patient/patient-synth-${n + zas.length}` };
  } finally {
    db.close();
  }
}

export interface SandboxTargets {
  readPgo: Target;
  readSystem: Target;
  /** Null when none of the patient's Tasks took a module launch. */
  readModule: Target | null;
  collection: Target;
  revalidation: Target;
  search: Target;
  nonSelective: Target;
  token: Target;
  write: Target;
  /** A stored Task as the system reads it (the write row's body is a copy without id and meta). */
  written: Record<string, unknown>;
}

export const basicAuth = `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`;

/** The token endpoint's request (client_credentials with his-delinde's secret) at `url`. */
export const tokenRequest = (url: string): Target => ({ url, method: "POST", body: "grant_type=client_credentials&scope=system%2F*.*",
  headers: { Authorization: basicAuth, "Content-Type": "application/x-www-form-urlencoded" } });

/** The requests of the rows against the sandbox on `port`, with fresh tokens. */
export async function sandboxTargets(port: number, p: PopulationPatient): Promise<SandboxTargets> {
  const urls = { url: (label = "") => `http://${label ? `${label}.` : ""}localhost:${port}` };
  const network = resolveNetwork(validateNetwork(defaultNetwork), "localhost", port);
  const fhirBase = `${urls.url("fhir.zorgnet")}/fhir`;
  const pgo = await collectTokens(urls, { bsn: p.bsn, dva: "zorgnet", scope: "delinde" });
  const system = await systemToken(urls, "his-delinde");
  // A module token needs a Task of the module: try the patient's Tasks until the exchange takes one.
  let module: string | null = null;
  for (const id of p.taskIds) {
    try {
      const t = await moduleToken({ ...urls, ctx: { network } }, { task: id, bsn: p.bsn, scope: "delinde" });
      if (typeof t.module.access_token === "string") { module = t.module.access_token; break; }
    } catch { /* not this module's Task */ }
  }
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const collection = await fetch(`${fhirBase}/Task?${COLLECTION_QUERY}`, { headers: bearer(pgo.access_token) });
  await collection.arrayBuffer();
  const etag = collection.headers.get("etag") ?? "";
  const task = `${fhirBase}/Task/${p.taskIds[0]}`;
  const written = await (await fetch(task, { headers: bearer(system) })).json() as Record<string, unknown>;
  // The write row's body: the stored Task without its id and version, with its tag and profile, for the other patient.
  const { id: _id, meta, ...copy } = written as { id?: string; meta?: { tag?: unknown; profile?: unknown } };
  const newTask = JSON.parse(JSON.stringify({ ...copy, meta: { tag: meta?.tag, profile: meta?.profile } })
    .replaceAll(JSON.stringify(p.patient), JSON.stringify(p.writtenFor))) as Record<string, unknown>;
  return {
    readPgo: { url: task, headers: bearer(pgo.access_token) },
    readSystem: { url: task, headers: bearer(system) },
    readModule: module ? { url: task, headers: bearer(module) } : null,
    collection: { url: `${fhirBase}/Task?${COLLECTION_QUERY}`, headers: bearer(pgo.access_token) },
    revalidation: { url: `${fhirBase}/Task?${COLLECTION_QUERY}`, headers: { ...bearer(pgo.access_token), "If-None-Match": etag } },
    search: { url: `${fhirBase}/Task?patient=${encodeURIComponent(p.patient)}`, headers: bearer(system) },
    nonSelective: { url: `${fhirBase}/Task?status:not=completed&_count=10`, headers: bearer(system), connections: 4 },
    token: tokenRequest(`${urls.url("auth.zorgnet")}/token`),
    write: { url: `${fhirBase}/Task`, method: "POST", body: JSON.stringify(newTask), headers: { ...bearer(system), "Content-Type": "application/fhir+json", Prefer: "return=minimal" } },
    written,
  };
}
