/**
 * The seed (SPEC §2–§3): per DVA realistic FHIR resources, the personas' tasks and PGO accounts.
 * Idempotent: it wipes the data tables and writes the same state again (dates relative to now),
 * in one transaction, so a failure leaves the previous state intact.
 */
import { flushAccessTokens } from "../src/dva/auth/store.ts";
import type { Database } from "bun:sqlite";
import { FhirStore, type Resource } from "../src/dva/fhir/store.ts";
import { dataWasReset, tablesChildrenFirst } from "../src/shared/db.ts";
import { PASSWORD_OPTIONS, PgoStore } from "../src/pgo/store.ts";
import type { ResolvedModule, ResolvedNetwork, ResolvedZorgaanbieder } from "../src/shared/resolved-network.ts";
import { CATALOGUE, PERSONA_TASKS, type CatalogueEntry, type TaskSeed } from "./catalogue.ts";
import * as build from "./resources.ts";
import { QUESTIONNAIRES } from "./questionnaires.ts";

/**
 * Tables that survive a reset: signing keys (tokens and assertions stay verifiable), list
 * versions (Volgnummer never goes down, REGISTER.md), sandbox secrets, and the single-use marks of
 * DigiD assertions and cockpit tickets (both stay verifiable across a reset, so a redeemed one
 * must stay redeemed until it expires), and the actors teams registered (issue 14: a reset
 * restores the seed data, not the teams' registrations, nor their MedMij-check).
 */
export function keptOnReset(table: string): boolean {
  // fhir_token_param: the search index's parameter numbers (DVA, type, parameter, system; no personal data), valid for the file's life (migration 23).
  return table.endsWith("_key") || ["register_list", "sandbox_meta", "sandbox_used_ticket", "dva_used_assertion", "sandbox_actor", "check_result", "sandbox_dva_setting", "fhir_token_param"].includes(table);
}

export interface SeedSummary { resources: number; tasks: number; accounts: number }

const DEFAULT_CATALOGUE = CATALOGUE["delinde@medmij"]!;

function catalogueOf(za: ResolvedZorgaanbieder, network: ResolvedNetwork): CatalogueEntry[] {
  const moduleIds = new Set(network.modules.map((m) => m.id));
  return [...(CATALOGUE[za.name] ?? DEFAULT_CATALOGUE).filter((e) => moduleIds.has(e.module)), ...network.modules.flatMap((m) => {
    const entry = activityEntryOf(m);
    return entry && m.clients.some((c) => c.dva === za.dva) ? [entry] : [];
  })];
}

/** A module's own catalogue entry (a team's module, issue 14): offered by every zorgaanbieder at a DVA it has a client at. */
export function activityEntryOf(m: ResolvedModule): CatalogueEntry | null {
  if (!m.activity) return null;
  const kind = m.activity.kind ?? (m.activity.questionnaire ? "questionnaire" : "information");
  return { slug: `module-${m.id}`, title: m.activity.title, description: m.activity.description ?? "", module: m.id, kind,
    ...(m.activity.questionnaire ? { questionnaire: m.activity.questionnaire } : {}) };
}

/** The Endpoint and ActivityDefinition of a module with its own catalogue entry, per zorgaanbieder of an internal DVA it has a client at. */
function moduleCatalogue(network: ResolvedNetwork, m: ResolvedModule): { dva: string; resources: Resource[] }[] {
  const entry = activityEntryOf(m);
  if (!entry) return [];
  return network.zorgaanbieders.filter((za) => za.dvaSite.fhir.internal).flatMap((za) => {
    const endpoint = build.endpoint(m, za);
    if (!endpoint) return [];
    const q = entry.questionnaire ? QUESTIONNAIRES.find((x) => x.id === entry.questionnaire) : undefined;
    return [{ dva: za.dva, resources: [endpoint, build.activityDefinition(za, entry, (q?.url as string | undefined) ?? null)] }];
  });
}

/**
 * Write a module's catalogue entries as `next` says (given what is stored, or null to leave it),
 * in one transaction; unchanged ones are left alone. Returns how many resources were written.
 */
function rewriteCatalogue(db: Database, network: ResolvedNetwork, m: ResolvedModule, next: (wanted: Resource, stored: Resource | null) => Resource | null): number {
  const fhir = new FhirStore(db);
  let written = 0;
  db.transaction(() => {
    for (const { dva, resources } of moduleCatalogue(network, m)) {
      for (const r of resources) {
        const stored = fhir.read(dva, r.resourceType, r.id!)?.resource ?? null;
        const value = next(r, stored);
        if (!value || (stored && JSON.stringify({ ...stored, meta: undefined }) === JSON.stringify({ ...value, meta: undefined }))) continue;
        fhir.save(dva, value);
        written++;
      }
    }
  })();
  return written;
}

/** A module registered (or changed) while the sandbox runs: its catalogue entries are written at once, so that a clinician can assign it (issue 14). */
export function provisionModule(db: Database, network: ResolvedNetwork, m: ResolvedModule): number {
  return rewriteCatalogue(db, network, m, (wanted) => wanted);
}

/**
 * A module removed while the sandbox runs: its Endpoints go "off" and its ActivityDefinitions
 * "retired" (Tasks that name them keep their references; the PGO no longer launches it, the portal
 * no longer offers it).
 */
export function retireModule(db: Database, network: ResolvedNetwork, m: ResolvedModule): number {
  return rewriteCatalogue(db, network, m, (wanted, stored) => (stored ? { ...stored, status: wanted.resourceType === "Endpoint" ? "off" : "retired" } : null));
}

export async function seedDatabase(db: Database, network: ResolvedNetwork, now = Date.now()): Promise<SeedSummary> {
  const accounts = await Promise.all(network.patients.filter((p) => p.pgo).map(async (p) => ({
    pgo: network.pgos.find((g) => g.host === p.pgo!.host)!.clientId,
    username: p.pgo!.username,
    passwordHash: await Bun.password.hash(p.pgo!.password, PASSWORD_OPTIONS),
    displayName: p.fullName,
  })));

  const perDva = new Map<string, Resource[]>(network.dvas.map((d) => [d.id, []]));
  /** Each zorgaanbieder registered its own patients (access.ts: a Patient belongs to the organisations that know the person). */
  const registrations: { dva: string; patient: string; organisation: string }[] = [];
  let tasks = 0;
  for (const dva of network.dvas) {
    const out = perDva.get(dva.id)!;
    const zas = network.zorgaanbieders.filter((z) => z.dva === dva.id);
    out.push(...QUESTIONNAIRES);
    for (const za of zas) {
      out.push(build.organization(za));
      for (const c of network.clinicians.filter((c) => c.zorgaanbieder === za.name)) out.push(build.practitioner(c), build.practitionerRole(c));
      for (const m of network.modules) { const e = build.endpoint(m, za); if (e) out.push(e); }
      for (const entry of catalogueOf(za, network)) {
        const q = entry.questionnaire ? QUESTIONNAIRES.find((x) => x.id === entry.questionnaire) : undefined;
        out.push(build.activityDefinition(za, entry, (q?.url as string | undefined) ?? null));
      }
    }
    const patients = network.patients.filter((p) => p.zorgaanbieders.some((z) => zas.some((za) => za.name === z)));
    for (const p of patients) {
      const gp = zas.find((za) => p.zorgaanbieders.includes(za.name));
      out.push(build.patient(p, gp ? build.ids.organization(gp.name) : undefined));
      for (const za of zas.filter((z) => p.zorgaanbieders.includes(z.name))) {
        registrations.push({ dva: dva.id, patient: build.ids.patient(p.id), organisation: `Organization/${build.ids.organization(za.name)}` });
      }
    }
  }

  for (const za of network.zorgaanbieders) {
    const out = perDva.get(za.dva)!;
    const catalogue = catalogueOf(za, network);
    const clinician = network.clinicians.find((c) => c.zorgaanbieder === za.name);
    if (!clinician || catalogue.length === 0) continue;
    for (const p of network.patients.filter((p) => p.zorgaanbieders.includes(za.name))) {
      const seeds = PERSONA_TASKS.filter((s) => s.patient === p.id && s.zorgaanbieder === za.name);
      // Patients of a custom network get one open task with the first questionnaire on offer.
      const plans = seeds.length > 0 ? seeds : [{
        patient: p.id, zorgaanbieder: za.name, clinician: clinician.id, plan: { slug: "zorgpad", label: "Digitaal zorgpad" },
        tasks: [{ slug: "vragenlijst", activity: (catalogue.find((e) => e.kind === "questionnaire") ?? catalogue[0]!).slug, status: "requested", start: -1, end: 14 } as TaskSeed],
      }];
      for (const s of plans) {
        const c = network.clinicians.find((x) => x.id === s.clinician) ?? clinician;
        const plan = build.groupPlan(p, za, c, s.plan.slug, s.plan.label);
        out.push(plan);
        // A repeated activity's rounds share a pt-ExecutionOrder with the schedule (issue 15, Task.focus).
        const orders = new Map<string, string>();
        for (const activity of new Set(s.tasks.map((t) => t.activity))) {
          const rounds = s.tasks.filter((t) => t.activity === activity);
          if (rounds.length < 2 || !catalogue.some((e) => e.slug === activity)) continue;
          const order = build.executionOrder(p, za, c, plan.id!, activity, rounds, now);
          if (!order) continue;
          out.push(order);
          orders.set(activity, order.id!);
        }
        for (const t of s.tasks) {
          const activity = catalogue.find((e) => e.slug === t.activity);
          if (!activity) continue;
          const taskId = build.ids.task(p.id, za.name, t.slug);
          const q = activity.questionnaire ? QUESTIONNAIRES.find((x) => x.id === activity.questionnaire) : undefined;
          const withAnswers = t.status === "completed" && q;
          if (withAnswers) out.push(build.questionnaireResponse(q as never, taskId, p, new Date(now + t.end * 86_400_000 - 3_600_000).toISOString()));
          out.push(build.task({ patient: p, za, clinician: c, plan: { id: plan.id!, label: s.plan.label }, activity, seed: t, now, focus: orders.get(t.activity),
            outputId: withAnswers ? build.ids.response(taskId) : undefined }));
          tasks++;
        }
      }
    }
  }

  const fhir = new FhirStore(db);
  const pgo = new PgoStore(db);
  let resources = 0;
  flushAccessTokens(db); // issued just before the reset: written now, so that the reset deletes them too
  db.transaction(() => {
    for (const table of tablesChildrenFirst(db)) if (!keptOnReset(table)) db.exec(`DELETE FROM "${table}"`);
    const at = new Date(now);
    for (const [dva, list] of perDva) resources += fhir.saveAll(dva, list, at);
    for (const r of registrations) fhir.register(r.dva, "Patient", r.patient, r.organisation, at);
    for (const a of accounts) pgo.createAccount(a);
    const meta = db.query("INSERT INTO sandbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    fhir.markIndexCurrent();
    meta.run("seeded_at", at.toISOString());
    meta.run("seeded_for", seededFor(network));
    meta.run("seeded_network", networkFingerprint(network));
  })();
  dataWasReset(db);
  return { resources, tasks, accounts: accounts.length };
}

/** Which host names and port the seeded URLs (Endpoint.address) point at. */
export function seededFor(network: ResolvedNetwork): string {
  return JSON.stringify(network.modules.map((m) => [m.id, m.launchUrl]));
}

/**
 * Identifies the network definition the seed was made from (ports and domain left out). MedMij
 * Beheer's and Verbind.MedMij's settings (`beheer` at the top and on each PGO and DVA, `verbind`)
 * are left out as well: the seed holds nothing of them, so a database seeded before they existed
 * still matches.
 */
export function networkFingerprint(network: ResolvedNetwork): string {
  // Actors registered at run time (issue 14) are no part of it either: they bring their own
  // catalogue entries when registered and survive a reset, so they never make the seed stale.
  const text = JSON.stringify(network.definition, (key, value: unknown) => (key === "beheer" || key === "verbind" || key === "flavour" || key === "koppeltaal" ? undefined
    : Array.isArray(value) ? value.filter((e) => !(typeof e === "object" && e !== null && "registered" in e)) : value));
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** True when the database was seeded from another network definition than this one. */
export function networkChangedSinceSeed(db: Database, network: ResolvedNetwork): boolean {
  const seeded = db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'seeded_network'").get()?.value;
  return seeded !== undefined && seeded !== networkFingerprint(network);
}

export function isSeeded(db: Database): boolean {
  return db.query("SELECT 1 FROM sandbox_meta WHERE key = 'seeded_at'").get() !== null;
}

/**
 * A restart on another port or domain: rewrite the seeded Endpoints' addresses (new versions) so
 * that launches reach this process. Returns how many Endpoints changed.
 */
export function relocateEndpoints(db: Database, network: ResolvedNetwork): number {
  const current = seededFor(network);
  const previous = db.query<{ value: string }, []>("SELECT value FROM sandbox_meta WHERE key = 'seeded_for'").get()?.value;
  if (!previous || previous === current) return 0;
  const fhir = new FhirStore(db);
  let changed = 0;
  db.transaction(() => {
    for (const za of network.zorgaanbieders) {
      for (const m of network.modules) {
        const stored = fhir.read(za.dva, "Endpoint", build.ids.endpoint(m.id, za.name));
        if (stored && stored.resource.address !== m.launchUrl) {
          fhir.save(za.dva, { ...stored.resource, address: m.launchUrl });
          changed++;
        }
      }
    }
    db.query("UPDATE sandbox_meta SET value = ? WHERE key = 'seeded_for'").run(current);
  })();
  return changed;
}
