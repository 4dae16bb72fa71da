import { describe, expect, test } from "bun:test";
import network from "../../../seed/network.ts";
import { LIST_BUILDERS, LIST_NAMES, listDocument, whitelistHosts } from "../../../src/register/lists.ts";
import { validateNetwork } from "../../../src/shared/network.ts";
import { resolveNetwork } from "../../../src/shared/resolved-network.ts";
import { buildXml, parseXml } from "../../../src/shared/xml.ts";

const n = resolveNetwork(validateNetwork(network), "localhost", 8080);
const stamp = { tijdstempel: "2026-11-23T09:12:51+01:00", volgnummer: 7 };
const xmlOf = (name: (typeof LIST_NAMES)[number]) => buildXml(listDocument(LIST_BUILDERS[name](n), stamp));

describe("MedMij list builders (REGISTER.md)", () => {
  test("every list: declaration, root with default namespace, Tijdstempel and Volgnummer first", () => {
    const roots = {
      MedMij_Zorgaanbiederslijst: ["Zorgaanbiederslijst", "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release3/"],
      MedMij_Zorgaanbiederskoppellijst: ["Zorgaanbiederskoppellijst", "xmlns://register.medmij.nl/Zorgaanbiederskoppellijst/release2/"],
      MedMij_OAuthclientlist: ["OAuthclientlist", "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/"],
      MedMij_Whitelist: ["Whitelist", "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/"],
      MedMij_Gegevensdienstnamenlijst: ["Gegevensdienstnamenlijst", "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/"],
    } as const;
    for (const name of LIST_NAMES) {
      const xml = xmlOf(name);
      const [root, ns] = roots[name];
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
      expect(xml).toContain(`<${root} xmlns="${ns}">\n  <Tijdstempel>2026-11-23T09:12:51+01:00</Tijdstempel>\n  <Volgnummer>7</Volgnummer>`);
    }
  });

  test("Zorgaanbiederslijst: exact structure for De Linde", () => {
    const doc = parseXml(xmlOf("MedMij_Zorgaanbiederslijst"));
    const za = doc.Zorgaanbiederslijst.Zorgaanbieders.Zorgaanbieder;
    expect(za.map((z: any) => z.Zorgaanbiedernaam)).toEqual(["delinde@medmij", "fysiodeberk@medmij", "ggzoostland@medmij"]);
    expect(za[0]).toEqual({
      Zorgaanbiedernaam: "delinde@medmij",
      Aanbiedertype: "ZA",
      Interfaceversies: { Interfaceversie: [{
        InterfaceversieId: "2.8.0",
        Gegevensdiensten: { Gegevensdienst: [{
          GegevensdienstId: "99",
          AuthorizationEndpoint: { AuthorizationEndpointuri: "http://auth.zorgnet.localhost:8080/auth" },
          TokenEndpoint: { TokenEndpointuri: "http://auth.zorgnet.localhost:8080/token" },
          Systeemrollen: { Systeemrol: [{ Systeemrolcode: "PT-TGB-1.0.0-alpha.2", ResourceEndpoint: { ResourceEndpointuri: "http://fhir.zorgnet.localhost:8080/fhir" } }] },
        }] },
      }] },
    });
    // De Berk shares DVA zorgnet with De Linde; GGZ Oostland has its own.
    expect(za[1].Interfaceversies.Interfaceversie[0].Gegevensdiensten.Gegevensdienst[0].TokenEndpoint.TokenEndpointuri)
      .toBe("http://auth.zorgnet.localhost:8080/token");
    expect(za[2].Interfaceversies.Interfaceversie[0].Gegevensdiensten.Gegevensdienst[0].TokenEndpoint.TokenEndpointuri)
      .toBe("http://auth.ggzconnect.localhost:8080/token");
  });

  test("element order inside a Zorgaanbieder follows the schema", () => {
    const xml = xmlOf("MedMij_Zorgaanbiederslijst");
    const order = ["<Zorgaanbiedernaam>", "<Aanbiedertype>", "<Interfaceversies>", "<InterfaceversieId>", "<Gegevensdiensten>",
      "<GegevensdienstId>", "<AuthorizationEndpoint>", "<TokenEndpoint>", "<Systeemrollen>", "<Systeemrolcode>", "<ResourceEndpoint>"];
    const positions = order.map((tag) => xml.indexOf(tag));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test("Zorgaanbiederskoppellijst carries AGB and Weergavenaam", () => {
    const za = parseXml(xmlOf("MedMij_Zorgaanbiederskoppellijst")).Zorgaanbiederskoppellijst.Zorgaanbieders.Zorgaanbieder;
    expect(za[0]).toEqual({
      Zorgaanbiedernaam: "delinde@medmij",
      Aanbiedertype: "ZA",
      IdentificerendeKenmerken: { IdentificerendKenmerk: [{ AGB: "01012345" }] },
      Gegevensdiensten: { Gegevensdienst: [{ GegevensdienstId: "99", Weergavenaam: "Verzamelen Aanbiedertaken 1.0", Interfaceversies: { Interfaceversie: [{ InterfaceversieId: "2.8.0" }] } }] },
    });
  });

  test("OAuthclientlist, Whitelist, Gegevensdienstnamenlijst", () => {
    expect(parseXml(xmlOf("MedMij_OAuthclientlist")).OAuthclientlist.OAuthclients.OAuthclient)
      .toEqual([{ Hostname: "pgo.localhost", OAuthclientOrganisatienaam: "MijnGezondheid PGO" }, { Hostname: "mijnzorgapp.localhost", OAuthclientOrganisatienaam: "MijnZorgApp" }]);
    expect(parseXml(xmlOf("MedMij_Whitelist")).Whitelist.MedMijNodes.MedMijNode.map((x: any) => x.Hostname))
      .toEqual(["pgo.localhost", "mijnzorgapp.localhost", "auth.zorgnet.localhost", "fhir.zorgnet.localhost", "auth.ggzconnect.localhost", "fhir.ggzconnect.localhost"]);
    expect(whitelistHosts(n).every((h) => h === h.toLowerCase() && !h.includes(":"))).toBe(true);
    expect(parseXml(xmlOf("MedMij_Gegevensdienstnamenlijst")).Gegevensdienstnamenlijst.Gegevensdiensten.Gegevensdienst)
      .toEqual([{ GegevensdienstId: "99", Weergavenaam: "Verzamelen Aanbiedertaken 1.0" }]);
  });

  test("names with markup are escaped", () => {
    const def = validateNetwork(structuredClone(network));
    def.pgos[0]!.displayName = "A & B <PGO>";
    const xml = buildXml(listDocument(LIST_BUILDERS.MedMij_OAuthclientlist(resolveNetwork(def, "localhost", 8080)), stamp));
    expect(xml).toContain("<OAuthclientOrganisatienaam>A &amp; B &lt;PGO&gt;</OAuthclientOrganisatienaam>");
    expect(parseXml(xml).OAuthclientlist.OAuthclients.OAuthclient[0].OAuthclientOrganisatienaam).toBe("A & B <PGO>");
  });
});
