/**
 * A large synthetic population for load tests (`bun run seed -- --patients N --tasks-per-patient M`):
 * patients spread over the zorgaanbieders, each with a group plan and M tasks in mixed statuses,
 * written in batches with a progress callback. No PGO accounts: these patients exist for the
 * FHIR store and search benchmarks.
 */
import type { Database } from "bun:sqlite";
import { FhirStore, type Resource } from "../src/dva/fhir/store.ts";
import { bsnSequence } from "../src/shared/bsn.ts";
import type { ResolvedNetwork, ResolvedPatient } from "../src/shared/resolved-network.ts";
import { CATALOGUE, type TaskSeed } from "./catalogue.ts";
import * as build from "./resources.ts";

const STATUSES: TaskSeed["status"][] = ["requested", "in-progress", "completed", "cancelled", "requested"];
const GIVEN = ["Anna", "Bram", "Chantal", "Daan", "Eva", "Fatima", "Gert", "Hanna", "Ivo", "Julia", "Kees", "Lotte", "Mohamed", "Noor", "Otto", "Priya"];
const FAMILY = ["Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters"];

export interface PopulationOptions { patients: number; tasksPerPatient: number; now?: number; onProgress?: (tasksDone: number, total: number) => void }

export function addPopulation(db: Database, network: ResolvedNetwork, opts: PopulationOptions): { patients: number; tasks: number } {
  const fhir = new FhirStore(db);
  const zas = network.zorgaanbieders.filter((z) => network.clinicians.some((c) => c.zorgaanbieder === z.name));
  if (zas.length === 0) throw new Error("the network has no zorgaanbieder with a clinician to assign tasks");
  const now = opts.now ?? Date.now();
  const at = new Date(now);
  const bsns = bsnSequence(100_000_000);
  const total = opts.patients * opts.tasksPerPatient;
  const batchPatients = Math.max(1, Math.floor(20_000 / Math.max(1, opts.tasksPerPatient)));
  let done = 0;
  let batch = new Map<string, Resource[]>();

  const flush = () => {
    db.transaction(() => { for (const [dva, list] of batch) fhir.saveAll(dva, list, at); })();
    batch = new Map();
    opts.onProgress?.(done, total);
  };

  for (let n = 0; n < opts.patients; n++) {
    const za = zas[n % zas.length]!;
    const clinician = network.clinicians.find((c) => c.zorgaanbieder === za.name)!;
    const catalogue = (CATALOGUE[za.name] ?? CATALOGUE["delinde@medmij"]!).filter((e) => network.modules.some((m) => m.id === e.module));
    const given = GIVEN[n % GIVEN.length]!;
    const family = FAMILY[Math.floor(n / GIVEN.length) % FAMILY.length]!;
    const p: ResolvedPatient = {
      id: `synth-${n}`, given, family, bsn: bsns.next().value!, birthDate: `19${40 + (n % 60)}-0${1 + (n % 9)}-1${n % 10}`,
      gender: n % 2 ? "female" : "male", zorgaanbieders: [za.name], pgo: null, fullName: `${given} ${family}`,
    };
    const list = batch.get(za.dva) ?? [];
    batch.set(za.dva, list);
    const plan = build.groupPlan(p, za, clinician, "zorgpad", "Digitaal zorgpad");
    list.push(build.patient(p, build.ids.organization(za.name)), plan);
    for (let t = 0; t < opts.tasksPerPatient; t++) {
      const status = STATUSES[(n + t) % STATUSES.length]!;
      const activity = catalogue[t % catalogue.length]!;
      const seed: TaskSeed = {
        slug: `t${t}`, activity: activity.slug, status, start: t * 7 - 14, end: t * 7 - 7 + 14,
        ...(status === "cancelled" ? { reason: "Geannuleerd door de zorgverlener." } : {}),
      };
      list.push(build.task({ patient: p, za, clinician, plan: { id: plan.id!, label: "Digitaal zorgpad" }, activity, seed, now }));
      done++;
    }
    if ((n + 1) % batchPatients === 0) flush();
  }
  flush();
  return { patients: opts.patients, tasks: done };
}
