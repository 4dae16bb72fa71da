/**
 * The MedMij Register over HTTP (SPEC §4, REGISTER.md): the five XML lists with their exact
 * structure for the default network, Volgnummer that only rises when a list's content changes
 * (persisted across restarts), and — where xmllint is installed — validation against the
 * official schemas in ../shared/register-xsd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import defaultNetwork from "../../seed/network.ts";
import type { Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";
import { parseXml } from "../../src/shared/xml.ts";
import { get, startTestSandbox } from "../helpers/sandbox.ts";

const LISTS = {
  MedMij_Zorgaanbiederslijst: { root: "Zorgaanbiederslijst", ns: "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release3/" },
  MedMij_Zorgaanbiederskoppellijst: { root: "Zorgaanbiederskoppellijst", ns: "xmlns://register.medmij.nl/Zorgaanbiederskoppellijst/release2/" },
  MedMij_OAuthclientlist: { root: "OAuthclientlist", ns: "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/" },
  MedMij_Whitelist: { root: "Whitelist", ns: "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/" },
  MedMij_Gegevensdienstnamenlijst: { root: "Gegevensdienstnamenlijst", ns: "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/" },
} as const;
type ListName = keyof typeof LISTS;
const LIST_NAMES = Object.keys(LISTS) as ListName[];

/** xs:dateTime with an explicit offset (or Z), at least 20 characters. */
const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Xml = Record<string, any>;

async function fetchList(sandbox: Sandbox, name: string, query = ""): Promise<{ res: Response; xml: string }> {
  const res = await get(`${sandbox.url("register")}/${name}${query}`);
  return { res, xml: await res.text() };
}

function rootOf(xml: string, name: ListName): Xml {
  const doc = parseXml<Xml>(xml);
  const root = doc[LISTS[name].root];
  expect(root).toBeDefined();
  return root as Xml;
}

function volgnummerOf(xml: string, name: ListName): number {
  return Number(rootOf(xml, name).Volgnummer);
}

/** Positions of the given element names in the raw XML, which must appear in this order. */
function expectOrder(xml: string, names: string[]): void {
  let at = -1;
  for (const n of names) {
    const next = xml.indexOf(`<${n}>`, at + 1);
    expect({ element: n, found: next > at }).toEqual({ element: n, found: true });
    at = next;
  }
}

describe("the five lists of the default network", () => {
  let sandbox: Sandbox;
  const xml = new Map<ListName, string>();

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    for (const name of LIST_NAMES) xml.set(name, (await fetchList(sandbox, `${name}.xml`)).xml);
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  for (const name of LIST_NAMES) {
    test(`${name}.xml: 200, application/xml, declaration, root, namespace, stamp`, async () => {
      const { res, xml: body } = await fetchList(sandbox, `${name}.xml`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/xml");
      expect(body).toStartWith('<?xml version="1.0" encoding="UTF-8"?>');
      expect(XMLValidator.validate(body)).toBe(true);
      // The root element is the first element after the declaration and carries the default namespace.
      const rootTag = /<\?xml[^>]*\?>\s*<([A-Za-z]+)\s+xmlns="([^"]+)"\s*>/.exec(body);
      expect(rootTag?.[1]).toBe(LISTS[name].root);
      expect(rootTag?.[2]).toBe(LISTS[name].ns);

      const doc = parseXml<Xml>(body);
      expect(Object.keys(doc).filter((k) => k !== "?xml")).toEqual([LISTS[name].root]);
      const root = doc[LISTS[name].root] as Xml;
      // The project's parseXml drops namespace declarations; check it with a namespace-keeping parser.
      const withNs = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" }).parse(body) as Xml;
      expect(withNs[LISTS[name].root]["@_xmlns"]).toBe(LISTS[name].ns);
      const tijdstempel = String(root.Tijdstempel);
      expect(tijdstempel.length).toBeGreaterThanOrEqual(20);
      expect(tijdstempel).toMatch(DATE_TIME_WITH_OFFSET);
      expect(Number.isNaN(Date.parse(tijdstempel))).toBe(false);
      expect(String(root.Volgnummer)).toMatch(/^[1-9]\d*$/);
      // Tijdstempel and Volgnummer come first, in that order.
      expectOrder(body, ["Tijdstempel", "Volgnummer"]);
      expect(body.indexOf("<Tijdstempel>")).toBeLessThan(body.indexOf("<Volgnummer>"));
    });

    test(`${name}: ?api=2 and the name without .xml give the same body`, async () => {
      const plain = (await fetchList(sandbox, `${name}.xml`)).xml;
      const api2 = await fetchList(sandbox, `${name}.xml`, "?api=2");
      const bare = await fetchList(sandbox, name);
      const bareApi2 = await fetchList(sandbox, name, "?api=2");
      for (const r of [api2, bare, bareApi2]) {
        expect(r.res.status).toBe(200);
        expect(r.res.headers.get("content-type")).toBe("application/xml");
        expect(r.xml).toBe(plain);
      }
    });

    test(`${name}: Volgnummer and Tijdstempel stay the same across fetches`, async () => {
      const first = rootOf((await fetchList(sandbox, `${name}.xml`)).xml, name);
      const second = rootOf((await fetchList(sandbox, `${name}.xml`)).xml, name);
      expect(second.Volgnummer).toBe(first.Volgnummer);
      expect(second.Tijdstempel).toBe(first.Tijdstempel);
      expect(String(first.Volgnummer)).toBe(String(rootOf(xml.get(name)!, name).Volgnummer));
    });
  }

  test("Zorgaanbiederslijst: every zorgaanbieder with service 99 at its own DVA (two share zorgnet)", () => {
    const body = xml.get("MedMij_Zorgaanbiederslijst")!;
    const root = rootOf(body, "MedMij_Zorgaanbiederslijst");
    const port = sandbox.port;
    const expected = [
      { name: "delinde@medmij", dva: "zorgnet" },
      { name: "fysiodeberk@medmij", dva: "zorgnet" },
      { name: "ggzoostland@medmij", dva: "ggzconnect" },
    ];
    const zas = root.Zorgaanbieders.Zorgaanbieder as Xml[];
    expect(zas.map((z) => z.Zorgaanbiedernaam)).toEqual(expected.map((e) => e.name));
    for (const [i, e] of expected.entries()) {
      expect(zas[i]).toEqual({
        Zorgaanbiedernaam: e.name,
        Aanbiedertype: "ZA",
        Interfaceversies: {
          Interfaceversie: [{
            InterfaceversieId: "2.8.0",
            Gegevensdiensten: {
              Gegevensdienst: [{
                GegevensdienstId: "99",
                AuthorizationEndpoint: { AuthorizationEndpointuri: `http://auth.${e.dva}.localhost:${port}/auth` },
                TokenEndpoint: { TokenEndpointuri: `http://auth.${e.dva}.localhost:${port}/token` },
                Systeemrollen: {
                  Systeemrol: [{
                    Systeemrolcode: "PT-TGB-1.0.0-alpha.2",
                    ResourceEndpoint: { ResourceEndpointuri: `http://fhir.${e.dva}.localhost:${port}/fhir` },
                  }],
                },
              }],
            },
          }],
        },
      });
    }
  });

  test("Zorgaanbiederslijst: element order inside Zorgaanbieder follows REGISTER.md", () => {
    const body = xml.get("MedMij_Zorgaanbiederslijst")!;
    const blocks = body.split("<Zorgaanbieder>").slice(1);
    expect(blocks.length).toBe(3);
    for (const block of blocks) {
      expectOrder(block, [
        "Zorgaanbiedernaam", "Aanbiedertype", "Interfaceversies", "Interfaceversie", "InterfaceversieId",
        "Gegevensdiensten", "Gegevensdienst", "GegevensdienstId",
        "AuthorizationEndpoint", "AuthorizationEndpointuri", "TokenEndpoint", "TokenEndpointuri",
        "Systeemrollen", "Systeemrol", "Systeemrolcode", "ResourceEndpoint", "ResourceEndpointuri",
      ]);
    }
    expectOrder(body, ["Tijdstempel", "Volgnummer", "Zorgaanbieders", "Zorgaanbieder"]);
  });

  test("Zorgaanbiederskoppellijst: names, AGB codes from the network, service 99 with its name", () => {
    const body = xml.get("MedMij_Zorgaanbiederskoppellijst")!;
    const root = rootOf(body, "MedMij_Zorgaanbiederskoppellijst");
    const zas = root.Zorgaanbieders.Zorgaanbieder as Xml[];
    const expected = defaultNetwork.zorgaanbieders.map((z) => ({ name: z.name, agb: z.agb }));
    expect(expected).toEqual([{ name: "delinde@medmij", agb: "01012345" }, { name: "fysiodeberk@medmij", agb: "04012345" }, { name: "ggzoostland@medmij", agb: "22220001" }]);
    expect(zas).toEqual(expected.map((e) => ({
      Zorgaanbiedernaam: e.name,
      Aanbiedertype: "ZA",
      IdentificerendeKenmerken: { IdentificerendKenmerk: [{ AGB: e.agb }] },
      Gegevensdiensten: {
        Gegevensdienst: [{
          GegevensdienstId: "99",
          Weergavenaam: "Verzamelen Aanbiedertaken 1.0",
          Interfaceversies: { Interfaceversie: [{ InterfaceversieId: "2.8.0" }] },
        }],
      },
    })));
    // AGB keeps its leading zero (text, not a number).
    expect(body).toContain("<AGB>01012345</AGB>");
    for (const block of body.split("<Zorgaanbieder>").slice(1)) {
      expectOrder(block, [
        "Zorgaanbiedernaam", "Aanbiedertype", "IdentificerendeKenmerken", "IdentificerendKenmerk", "AGB",
        "Gegevensdiensten", "Gegevensdienst", "GegevensdienstId", "Weergavenaam", "Interfaceversies", "Interfaceversie", "InterfaceversieId",
      ]);
    }
  });

  test("OAuthclientlist: the PGOs by host name and organisation name", () => {
    const body = xml.get("MedMij_OAuthclientlist")!;
    const root = rootOf(body, "MedMij_OAuthclientlist");
    expect(root.OAuthclients).toEqual({ OAuthclient: [{ Hostname: "pgo.localhost", OAuthclientOrganisatienaam: "MijnGezondheid PGO" },
      { Hostname: "mijnzorgapp.localhost", OAuthclientOrganisatienaam: "MijnZorgApp" }] });
    expectOrder(body, ["Tijdstempel", "Volgnummer", "OAuthclients", "OAuthclient", "Hostname", "OAuthclientOrganisatienaam"]);
  });

  test("Whitelist: the two PGOs and the four DVA hosts, lower case, without port", () => {
    const body = xml.get("MedMij_Whitelist")!;
    const root = rootOf(body, "MedMij_Whitelist");
    const hosts = (root.MedMijNodes.MedMijNode as Xml[]).map((n) => n.Hostname as string);
    expect(hosts.toSorted()).toEqual([
      "auth.ggzconnect.localhost", "auth.zorgnet.localhost", "fhir.ggzconnect.localhost", "fhir.zorgnet.localhost", "mijnzorgapp.localhost", "pgo.localhost",
    ]);
    for (const h of hosts) {
      expect(h).toBe(h.toLowerCase());
      expect(h).not.toContain(":");
    }
    expect(body).not.toContain(`:${sandbox.port}`);
    expectOrder(body, ["Tijdstempel", "Volgnummer", "MedMijNodes", "MedMijNode", "Hostname"]);
  });

  test("Gegevensdienstnamenlijst: 99 Verzamelen Aanbiedertaken 1.0", () => {
    const body = xml.get("MedMij_Gegevensdienstnamenlijst")!;
    const root = rootOf(body, "MedMij_Gegevensdienstnamenlijst");
    const services = root.Gegevensdiensten.Gegevensdienst as Xml[];
    expect(services).toContainEqual({ GegevensdienstId: "99", Weergavenaam: "Verzamelen Aanbiedertaken 1.0" });
    expect(new Set(services.map((s) => s.GegevensdienstId)).size).toBe(services.length);
    expectOrder(body, ["Tijdstempel", "Volgnummer", "Gegevensdiensten", "Gegevensdienst", "GegevensdienstId", "Weergavenaam"]);
  });

  test("the register home page shows the lists as tables", async () => {
    const res = await get(`${sandbox.url("register")}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const html = await res.text();
    for (const name of LIST_NAMES) expect(html).toContain(name);
    expect(html).toContain("delinde@medmij");
    expect(html).toContain("<table");
  });

  test("an unknown list is a 404", async () => {
    const res = await get(`${sandbox.url("register")}/MedMij_Bestaatniet.xml`);
    expect(res.status).toBe(404);
  });

  // The schemas exist for three of the lists (register-xsd/README.md). They require https://
  // URIs; these three lists hold none, so they must validate as served.
  const xsdDir = resolve(import.meta.dir, "../../../shared/register-xsd");
  const canValidate = existsSync("/usr/bin/xmllint") && existsSync(xsdDir);
  for (const name of ["MedMij_OAuthclientlist", "MedMij_Whitelist", "MedMij_Gegevensdienstnamenlijst"] as const) {
    test.skipIf(!canValidate)(`${name} validates against the MedMij schema (xmllint)`, () => {
      const dir = mkdtempSync(join(tmpdir(), "medmij-xsd-"));
      try {
        const file = join(dir, `${name}.xml`);
        writeFileSync(file, xml.get(name)!);
        const result = Bun.spawnSync(["xmllint", "--noout", "--schema", join(xsdDir, `${name}.xsd`), file]);
        expect({ exitCode: result.exitCode, stderr: result.stderr.toString() }).toEqual({ exitCode: 0, stderr: `${file} validates\n` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("Volgnummer across restarts", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "medmij-register-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("a network with one more zorgaanbieder bumps the ZAL's Volgnummer by one, not the OAuthclientlist's", async () => {
    const dataPath = join(dir, "s.db");

    const first = await startTestSandbox({ dataPath });
    // Restart on the same port, so that only the added zorgaanbieder changes the ZAL (its URIs carry the port).
    const port = first.port;
    let zal: number, ocl: number, gnl: number;
    try {
      zal = volgnummerOf((await fetchList(first, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst");
      ocl = volgnummerOf((await fetchList(first, "MedMij_OAuthclientlist.xml")).xml, "MedMij_OAuthclientlist");
      gnl = volgnummerOf((await fetchList(first, "MedMij_Gegevensdienstnamenlijst.xml")).xml, "MedMij_Gegevensdienstnamenlijst");
      expect(zal).toBeGreaterThanOrEqual(1);
    } finally {
      await first.stop();
    }

    const bigger: NetworkDefinition = structuredClone(defaultNetwork);
    bigger.zorgaanbieders.push({
      name: "ziekenhuisnoord@medmij", displayName: "Ziekenhuis Noord", agb: "06010001", dva: "zorgnet", dataServices: ["99"],
      systemClient: { clientId: "zis-noord", clientSecret: "zis-noord-secret" },
    });

    const unchanged = await startTestSandbox({ dataPath, port });
    try {
      expect(volgnummerOf((await fetchList(unchanged, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst")).toBe(zal);
    } finally {
      await unchanged.stop();
    }

    const second = await startTestSandbox({ dataPath, port }, bigger);
    try {
      const zalXml = (await fetchList(second, "MedMij_Zorgaanbiederslijst.xml")).xml;
      expect(volgnummerOf(zalXml, "MedMij_Zorgaanbiederslijst")).toBe(zal + 1);
      const names = (rootOf(zalXml, "MedMij_Zorgaanbiederslijst").Zorgaanbieders.Zorgaanbieder as Xml[]).map((z) => z.Zorgaanbiedernaam);
      expect(names).toEqual(["delinde@medmij", "fysiodeberk@medmij", "ggzoostland@medmij", "ziekenhuisnoord@medmij"]);
      // A second fetch of the changed list does not bump it again.
      expect(volgnummerOf((await fetchList(second, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst")).toBe(zal + 1);

      const zklXml = (await fetchList(second, "MedMij_Zorgaanbiederskoppellijst.xml")).xml;
      expect(zklXml).toContain("<AGB>06010001</AGB>");

      expect(volgnummerOf((await fetchList(second, "MedMij_OAuthclientlist.xml")).xml, "MedMij_OAuthclientlist")).toBe(ocl);
      expect(volgnummerOf((await fetchList(second, "MedMij_Gegevensdienstnamenlijst.xml")).xml, "MedMij_Gegevensdienstnamenlijst")).toBe(gnl);
    } finally {
      await second.stop();
    }
  });

  test("a reset keeps Volgnummer (it never goes down)", async () => {
    const dataPath = join(dir, "reset.db");
    const first = await startTestSandbox({ dataPath });
    let zal: number;
    try {
      zal = volgnummerOf((await fetchList(first, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst");
      const res = await get(`${first.url()}/api/reset`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(res.status).toBe(200);
      expect(volgnummerOf((await fetchList(first, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst")).toBe(zal);
    } finally {
      await first.stop();
    }
    const again = await startTestSandbox({ dataPath, reset: true });
    try {
      expect(volgnummerOf((await fetchList(again, "MedMij_Zorgaanbiederslijst.xml")).xml, "MedMij_Zorgaanbiederslijst")).toBeGreaterThanOrEqual(zal);
    } finally {
      await again.stop();
    }
  });
});
