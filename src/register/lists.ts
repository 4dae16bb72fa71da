/**
 * The five MedMij lists (SD 3.2, REGISTER.md), built from the network. Builders are pure: they
 * return the list body without Tijdstempel and Volgnummer, which the store stamps per version.
 */
import type { ResolvedNetwork } from "../shared/resolved-network.ts";

export const LIST_NAMES = [
  "MedMij_Zorgaanbiederslijst",
  "MedMij_Zorgaanbiederskoppellijst",
  "MedMij_OAuthclientlist",
  "MedMij_Whitelist",
  "MedMij_Gegevensdienstnamenlijst",
] as const;
export type ListName = (typeof LIST_NAMES)[number];

export interface ListBody {
  root: string;
  namespace: string;
  /** Children after Tijdstempel and Volgnummer, in schema order. */
  content: Record<string, unknown>;
}

/** InterfaceversieId the sandbox implements (REGISTER.md). */
export const INTERFACE_VERSION = "2.8.0";

function zorgaanbiederslijst(n: ResolvedNetwork): ListBody {
  return {
    root: "Zorgaanbiederslijst",
    namespace: "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release3/",
    content: {
      Zorgaanbieders: {
        Zorgaanbieder: n.zorgaanbieders.map((z) => ({
          Zorgaanbiedernaam: z.name,
          Aanbiedertype: "ZA",
          Interfaceversies: {
            Interfaceversie: [{
              InterfaceversieId: INTERFACE_VERSION,
              Gegevensdiensten: {
                Gegevensdienst: z.dataServices.map((id) => ({
                  GegevensdienstId: id,
                  AuthorizationEndpoint: { AuthorizationEndpointuri: `${z.dvaSite.auth.origin}/auth` },
                  TokenEndpoint: { TokenEndpointuri: `${z.dvaSite.auth.origin}/token` },
                  Systeemrollen: {
                    Systeemrol: [{
                      Systeemrolcode: n.dataServices.find((s) => s.id === id)!.systemRole,
                      ResourceEndpoint: { ResourceEndpointuri: z.dvaSite.fhirBase },
                    }],
                  },
                })),
              },
            }],
          },
        })),
      },
    },
  };
}

function zorgaanbiederskoppellijst(n: ResolvedNetwork): ListBody {
  return {
    root: "Zorgaanbiederskoppellijst",
    namespace: "xmlns://register.medmij.nl/Zorgaanbiederskoppellijst/release2/",
    content: {
      Zorgaanbieders: {
        Zorgaanbieder: n.zorgaanbieders.map((z) => ({
          Zorgaanbiedernaam: z.name,
          Aanbiedertype: "ZA",
          IdentificerendeKenmerken: { IdentificerendKenmerk: [{ AGB: z.agb }] },
          Gegevensdiensten: {
            Gegevensdienst: z.dataServices.map((id) => ({
              GegevensdienstId: id,
              Weergavenaam: n.dataServices.find((s) => s.id === id)!.name,
              Interfaceversies: { Interfaceversie: [{ InterfaceversieId: INTERFACE_VERSION }] },
            })),
          },
        })),
      },
    },
  };
}

function oauthclientlist(n: ResolvedNetwork): ListBody {
  return {
    root: "OAuthclientlist",
    namespace: "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/",
    content: {
      OAuthclients: {
        OAuthclient: n.pgos.map((g) => ({ Hostname: g.clientId, OAuthclientOrganisatienaam: g.displayName })),
      },
    },
  };
}

/** Every PGO and DVA host of the network; unique, lower case, without port (REGISTER.md §4). */
export function whitelistHosts(n: ResolvedNetwork): string[] {
  return [...new Set([...n.pgos.map((g) => g.site.hostname), ...n.dvas.flatMap((d) => [d.auth.hostname, d.fhir.hostname])]
    .map((h) => h.toLowerCase()))];
}

function whitelist(n: ResolvedNetwork): ListBody {
  const hosts = whitelistHosts(n);
  return {
    root: "Whitelist",
    namespace: "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/",
    content: { MedMijNodes: { MedMijNode: hosts.map((h) => ({ Hostname: h })) } },
  };
}

function gegevensdienstnamenlijst(n: ResolvedNetwork): ListBody {
  return {
    root: "Gegevensdienstnamenlijst",
    namespace: "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/",
    content: { Gegevensdiensten: { Gegevensdienst: n.dataServices.map((s) => ({ GegevensdienstId: s.id, Weergavenaam: s.name })) } },
  };
}

export const LIST_BUILDERS: Record<ListName, (n: ResolvedNetwork) => ListBody> = {
  MedMij_Zorgaanbiederslijst: zorgaanbiederslijst,
  MedMij_Zorgaanbiederskoppellijst: zorgaanbiederskoppellijst,
  MedMij_OAuthclientlist: oauthclientlist,
  MedMij_Whitelist: whitelist,
  MedMij_Gegevensdienstnamenlijst: gegevensdienstnamenlijst,
};

/** The list as a document object for buildXml, with its stamp. */
export function listDocument(body: ListBody, stamp: { tijdstempel: string; volgnummer: number }): Record<string, unknown> {
  return {
    [body.root]: { "@_xmlns": body.namespace, Tijdstempel: stamp.tijdstempel, Volgnummer: stamp.volgnummer, ...body.content },
  };
}
