import { describe, expect, test } from "bun:test";
import network from "../../../seed/network.ts";
import { NetworkError, validateNetwork, type NetworkDefinition } from "../../../src/shared/network.ts";
import { resolveNetwork, siteOf } from "../../../src/shared/resolved-network.ts";

const copy = (): NetworkDefinition => structuredClone(network);

function problems(n: unknown): string[] {
  try { validateNetwork(n); return []; } catch (e) { expect(e).toBeInstanceOf(NetworkError); return (e as NetworkError).problems; }
}

describe("validateNetwork", () => {
  test("the default network is valid", () => {
    expect(problems(network)).toEqual([]);
  });

  test("not an object", () => {
    expect(problems(null)).toEqual(["the network must be an object"]);
  });

  test("reports every problem at once, each with its path", () => {
    const n = copy();
    n.zorgaanbieders[0]!.name = "De Linde";
    n.zorgaanbieders[1]!.dva = "nowhere";
    n.patients[0]!.bsn = "123456789";
    n.pgos[0]!.displayName = "X";
    n.modules[0]!.clients[0]!.dva = "ghost";
    n.clinicians[0]!.zorgaanbieder = "ghost@medmij";
    const found = problems(n);
    expect(found).toContainEqual(expect.stringMatching(/^zorgaanbieders\[0\]\.name: must match \[a-z\]\+@medmij/));
    expect(found).toContainEqual(expect.stringMatching(/^zorgaanbieders\[1\]\.dva: names no DVA/));
    expect(found).toContainEqual(expect.stringMatching(/^patients\[0\]\.bsn: is not a valid BSN/));
    expect(found).toContainEqual(expect.stringMatching(/^pgos\[0\]\.displayName: must be a text of 3 to 50/));
    expect(found).toContainEqual(expect.stringMatching(/^modules\[0\]\.clients\[0\]\.dva: names no DVA/));
    expect(found).toContainEqual(expect.stringMatching(/^clinicians\[0\]\.zorgaanbieder: names no zorgaanbieder/));
  });

  test("duplicates: ids, BSNs, client_ids per DVA, usernames", () => {
    const n = copy();
    n.dvas[1]!.id = n.dvas[0]!.id;
    n.patients[1]!.bsn = n.patients[0]!.bsn;
    n.modules[1]!.clients[0]!.clientId = n.modules[0]!.clients[0]!.clientId;
    const found = problems(n);
    expect(found).toContainEqual(expect.stringMatching(/dvas\[\]\.id: "zorgnet" appears more than once/));
    expect(found).toContainEqual(expect.stringMatching(/patients\[\]\.bsn: "999991012" appears more than once/));
    expect(found).toContainEqual(expect.stringMatching(/client_id at DVA zorgnet: "zorgmodules-zorgnet" appears more than once/));
  });

  test("two actors on one host", () => {
    const n = copy();
    n.pgos[0]!.host = "register";
    expect(problems(n)).toContainEqual(expect.stringMatching(/host "register" is already used by register\.host/));
  });

  test("hosts: labels or absolute URLs", () => {
    const n = copy();
    n.digid.host = "Not A Host";
    n.register.host = "http://[bad";
    const found = problems(n);
    expect(found).toContainEqual(expect.stringMatching(/^digid\.host: must be a host label/));
    expect(found).toContainEqual(expect.stringMatching(/^register\.host: is not a valid URL/));
  });

  test("missing lists and fields", () => {
    const found = problems({ name: "x" });
    expect(found).toContainEqual("dvas: must be a list");
    expect(found).toContainEqual(expect.stringMatching(/^register\.host: must be a text/));
  });
});

describe("resolveNetwork", () => {
  test("places every host on the domain and port", () => {
    const n = resolveNetwork(validateNetwork(network), "localhost", 8080);
    expect(n.cockpit.origin).toBe("http://localhost:8080");
    expect(n.register.origin).toBe("http://register.localhost:8080");
    expect(n.dvas[0]!.auth.origin).toBe("http://auth.zorgnet.localhost:8080");
    expect(n.dvas[0]!.fhirBase).toBe("http://fhir.zorgnet.localhost:8080/fhir");
    expect(n.pgos[0]!.clientId).toBe("pgo.localhost");
    expect(n.pgos[0]!.redirectUris).toEqual(["http://pgo.localhost:8080/auth_callback", "http://pgo.localhost:8080/callback_stepup"]);
    expect(n.modules[0]!.launchUrl).toBe("http://module.localhost:8080/launch");
    expect(n.modules[0]!.clients[0]!.redirectUris).toEqual(["http://module.localhost:8080/callback"]);
    expect(n.zorgaanbieders.map((z) => z.scope)).toEqual(["delinde", "fysiodeberk", "ggzoostland"]);
    expect(n.patients[0]!.fullName).toBe("Tom van Duinen");
  });

  test("port 80 is left out; external URLs are kept and marked", () => {
    expect(siteOf("pgo", "sandbox.test", 80)).toEqual({ hostname: "pgo.sandbox.test", origin: "http://pgo.sandbox.test", internal: true });
    expect(siteOf("http://localhost:3000", "localhost", 8080)).toEqual({ hostname: "localhost", origin: "http://localhost:3000", internal: false });
  });
});
