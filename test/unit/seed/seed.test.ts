import { describe, expect, test } from "bun:test";
import network from "../../../seed/network.ts";
import { addPopulation } from "../../../seed/population.ts";
import { isSeeded, relocateEndpoints, seedDatabase } from "../../../seed/seed.ts";
import { FhirStore } from "../../../src/dva/fhir/store.ts";
import { PgoStore } from "../../../src/pgo/store.ts";
import { openDatabase } from "../../../src/shared/db.ts";
import { validateNetwork } from "../../../src/shared/network.ts";
import { resolveNetwork } from "../../../src/shared/resolved-network.ts";
import { Sealer } from "../../../src/shared/sealed.ts";

const resolved = resolveNetwork(validateNetwork(network), "localhost", 8080);

describe("seed", () => {
  test("personas' tasks in every status, with reasons, outputs and current periods", async () => {
    const db = openDatabase(":memory:");
    const now = Date.now();
    const summary = await seedDatabase(db, resolved, now);
    expect(isSeeded(db)).toBe(true);
    expect(summary.accounts).toBe(2);
    const fhir = new FhirStore(db);
    const tom = fhir.byPatient("zorgnet", "Task", "Patient/patient-tom").map((s) => s.resource as any);
    expect(new Set(tom.map((t) => t.status))).toEqual(new Set(["requested", "in-progress", "completed", "cancelled"]));
    const intake = tom.find((t) => t.id === "task-tom-delinde-intake");
    expect(Date.parse(intake.executionPeriod.start)).toBeLessThan(now);
    expect(Date.parse(intake.executionPeriod.end)).toBeGreaterThan(now);
    expect(intake.meta.profile).toEqual(["http://medmij.nl/fhir/StructureDefinition/pt-Task"]);
    expect(intake.basedOn[0].display).toBe("Diagnostiek kortademigheid (vermoeden COPD)");
    expect(tom.find((t) => t.status === "cancelled").statusReason.text).toMatch(/Niet meer nodig/);
    const done = tom.find((t) => t.status === "completed");
    const qrRef = done.output[0].valueReference.reference as string;
    expect(fhir.read("zorgnet", "QuestionnaireResponse", qrRef.split("/")[1]!)!.resource.status).toBe("completed");

    // Every reference of every Task resolves within its DVA.
    for (const dva of resolved.dvas) {
      const rows = db.query<{ json: string }, [string]>("SELECT json FROM fhir_resource WHERE dva = ? AND type = 'Task'").all(dva.id);
      for (const { json } of rows) {
        const refs = [...json.matchAll(/"reference":"([A-Za-z]+)\/([^"]+)"/g)];
        for (const [, type, id] of refs) expect(fhir.read(dva.id, type!, id!)).not.toBeNull();
      }
    }
    // Endpoint: the module's launch URL and its client_id at this DVA.
    const endpoint = fhir.read("ggzconnect", "Endpoint", "endpoint-zorgmodules-ggzoostland")!.resource as any;
    expect(endpoint.address).toBe("http://module.localhost:8080/launch");
    expect(endpoint.extension[0].valueString).toBe("zorgmodules-ggzconnect");
    // Koos has tasks at both providers, on both DVAs.
    expect(fhir.byPatient("ggzconnect", "Task", "Patient/patient-koos").length).toBeGreaterThan(0);
    expect(fhir.byPatient("zorgnet", "Task", "Patient/patient-koos").length).toBeGreaterThan(0);
    const account = new PgoStore(db, new Sealer("test")).findAccount("pgo.localhost", "tom")!;
    expect(await Bun.password.verify("tom", account.passwordHash)).toBe(true);
  });

  test("idempotent: seeding twice gives the same resources, one version each", async () => {
    const db = openDatabase(":memory:");
    await seedDatabase(db, resolved);
    const first = db.query("SELECT dva, type, id, version_id FROM fhir_resource ORDER BY dva, type, id").all();
    await seedDatabase(db, resolved);
    expect(db.query("SELECT dva, type, id, version_id FROM fhir_resource ORDER BY dva, type, id").all()).toEqual(first);
    expect(new PgoStore(db, new Sealer("test")).countAccounts("pgo.localhost")).toBe(2);
  });

  test("a restart on another port rewrites the seeded Endpoint addresses", async () => {
    const db = openDatabase(":memory:");
    await seedDatabase(db, resolved);
    const moved = resolveNetwork(validateNetwork(network), "localhost", 9090);
    expect(relocateEndpoints(db, moved)).toBe(6); // two modules × three zorgaanbieders
    expect((new FhirStore(db).read("zorgnet", "Endpoint", "endpoint-zorgmodules-delinde")!.resource as any).address).toBe("http://module.localhost:9090/launch");
    expect(relocateEndpoints(db, moved)).toBe(0);
  });

  test("synthetic population with progress", async () => {
    const db = openDatabase(":memory:");
    await seedDatabase(db, resolved);
    const progress: number[] = [];
    const result = addPopulation(db, resolved, { patients: 50, tasksPerPatient: 4, onProgress: (done) => progress.push(done) });
    expect(result).toEqual({ patients: 50, tasks: 200 });
    expect(progress.at(-1)).toBe(200);
    const fhir = new FhirStore(db);
    expect(fhir.byPatient("zorgnet", "Task", "Patient/patient-synth-0")).toHaveLength(4);
    expect(fhir.byPatient("zorgnet", "Task", "Patient/patient-synth-1")).toHaveLength(4); // De Berk, the second zorgaanbieder on zorgnet
    expect(fhir.byPatient("ggzconnect", "Task", "Patient/patient-synth-2")).toHaveLength(4);
  });
});

describe("network fingerprint", () => {
  test("a changed definition is noticed; a changed port is not", async () => {
    const { networkChangedSinceSeed } = await import("../../../seed/seed.ts");
    const db = openDatabase(":memory:");
    await seedDatabase(db, resolved);
    expect(networkChangedSinceSeed(db, resolveNetwork(validateNetwork(network), "localhost", 9999))).toBe(false);
    const changed = structuredClone(network);
    changed.dvas[0]!.phone = "020 000 00 00";
    expect(networkChangedSinceSeed(db, resolveNetwork(validateNetwork(changed), "localhost", 8080))).toBe(true);
  });

  test("MedMij Beheer's settings are not part of it: a database seeded before Beheer existed still matches", async () => {
    const { networkChangedSinceSeed } = await import("../../../seed/seed.ts");
    const db = openDatabase(":memory:");
    const { beheer: _beheer, ...before } = structuredClone(network);
    await seedDatabase(db, resolveNetwork(validateNetwork(before), "localhost", 8080));
    const withBeheer = structuredClone(network);
    withBeheer.beheer = { host: "toezicht", abandonAfterSeconds: 60 };
    withBeheer.pgos[0]!.beheer = { username: "mijn-pgo", password: "geheim-wachtwoord" };
    expect(networkChangedSinceSeed(db, resolveNetwork(validateNetwork(withBeheer), "localhost", 8080))).toBe(false);
  });
});
