/**
 * The default network (SPEC §2). Replace it with `--network FILE` (same shape, .ts or .json); a
 * host may be an absolute URL to point at an external implementation, e.g. a hackathon team's PGO:
 *   pgos: [{ host: "http://localhost:3000", displayName: "Team PGO", redirectUris: ["/callback"] }]
 * All people, BSNs, AGB codes and phone numbers here are fictional; the BSNs pass the 11-check.
 */
import type { NetworkDefinition } from "../src/shared/network.ts";

const network: NetworkDefinition = {
  name: "MedMij Sandbox — standaardnetwerk",
  register: { host: "register" },
  digid: { host: "digid" },
  xis: { host: "xis", displayName: "Zorgverlenersportaal" },
  // MedMij Beheer (issue 13): the logging interface every PGO and DVA delivers its SD 4.5 lines to.
  beheer: { host: "beheer" },
  // Verbind.MedMij (issue 14): the neutral page an invitation links to, where a person picks a PGO.
  verbind: { host: "verbind" },

  dataServices: [
    { id: "99", name: "Verzamelen Aanbiedertaken 1.0", systemRole: "PT-TGB-1.0.0-alpha.2" },
  ],

  dvas: [
    { id: "zorgnet", name: "Zorgnet DVA", phone: "030 123 45 67", authHost: "auth.zorgnet", fhirHost: "fhir.zorgnet" },
    { id: "ggzconnect", name: "GGZ Connect DVA", phone: "010 765 43 21", authHost: "auth.ggzconnect", fhirHost: "fhir.ggzconnect" },
  ],

  zorgaanbieders: [
    {
      name: "delinde@medmij",
      displayName: "Huisartsenpraktijk De Linde",
      agb: "01012345",
      dva: "zorgnet",
      dataServices: ["99"],
      systemClient: { clientId: "his-delinde", clientSecret: "his-delinde-secret" },
    },
    {
      // A second zorgaanbieder on DVA zorgnet (issue 10): a DVA serves several, and a consent is
      // for one of them. Tom connects to De Linde and to De Berk separately.
      name: "fysiodeberk@medmij",
      displayName: "Fysiotherapie De Berk",
      agb: "04012345",
      dva: "zorgnet",
      dataServices: ["99"],
      systemClient: { clientId: "epd-deberk", clientSecret: "epd-deberk-secret" },
    },
    {
      name: "ggzoostland@medmij",
      displayName: "GGZ Oostland",
      agb: "22220001",
      dva: "ggzconnect",
      dataServices: ["99"],
      systemClient: { clientId: "ecd-ggzoostland", clientSecret: "ecd-ggzoostland-secret" },
    },
  ],

  pgos: [
    // /callback_stepup: where a KoppelMij 2026 DVA sends the launch authorization code (issue 15).
    { host: "pgo", displayName: "MijnGezondheid PGO", redirectUris: ["/auth_callback", "/callback_stepup"] },
    // A second PGO (issue 14), so that choosing one on Verbind.MedMij is real. No persona has an
    // account here: an invited person creates one (AM-FE-016).
    { host: "mijnzorgapp", displayName: "MijnZorgApp", redirectUris: ["/auth_callback", "/callback_stepup"] },
  ],

  modules: [
    {
      id: "zorgmodules",
      name: "ZorgModules",
      host: "module",
      launchPath: "/launch",
      reIdentify: false,
      clients: [
        { dva: "zorgnet", clientId: "zorgmodules-zorgnet", clientSecret: "zorgmodules-zorgnet-secret", redirectUris: ["/callback"] },
        { dva: "ggzconnect", clientId: "zorgmodules-ggzconnect", clientSecret: "zorgmodules-ggzconnect-secret", redirectUris: ["/callback"] },
      ],
    },
    {
      // A module that handles sensitive data: the DVA re-identifies the person first (SD 3.4 step-up).
      id: "medicatiecheck",
      name: "Medicatiecheck",
      host: "module",
      launchPath: "/secure/launch",
      reIdentify: true,
      clients: [
        { dva: "zorgnet", clientId: "medicatiecheck-zorgnet", clientSecret: "medicatiecheck-zorgnet-secret", redirectUris: ["/secure/callback"] },
        { dva: "ggzconnect", clientId: "medicatiecheck-ggzconnect", clientSecret: "medicatiecheck-ggzconnect-secret", redirectUris: ["/secure/callback"] },
      ],
    },
  ],

  patients: [
    {
      id: "tom", given: "Tom", family: "van Duinen", familyPrefix: "van", bsn: "999991012",
      birthDate: "1962-03-14", gender: "male",
      zorgaanbieders: ["delinde@medmij", "fysiodeberk@medmij"],
      pgo: { host: "pgo", username: "tom", password: "tom" },
    },
    {
      id: "koos", given: "Koos", family: "de Groot", familyPrefix: "de", bsn: "999991024",
      birthDate: "1973-06-02", gender: "male",
      zorgaanbieders: ["ggzoostland@medmij", "delinde@medmij"],
      pgo: { host: "pgo", username: "koos", password: "koos" },
    },
    {
      // No PGO account yet: for the "create an account from the invitation link" journey.
      id: "sanne", given: "Sanne", family: "van Dijk", familyPrefix: "van", bsn: "999991036",
      birthDate: "1958-11-21", gender: "female",
      zorgaanbieders: ["delinde@medmij"],
      pgo: null,
    },
  ],

  clinicians: [
    { id: "dehaard", given: "Anna", family: "de Haard", role: "Huisarts", zorgaanbieder: "delinde@medmij", username: "dehaard", password: "dehaard" },
    { id: "jansen", given: "Mirjam", family: "Jansen", role: "Fysiotherapeut", zorgaanbieder: "fysiodeberk@medmij", username: "jansen", password: "jansen" },
    { id: "vanrijn", given: "Ruben", family: "van Rijn", role: "Psychiater", zorgaanbieder: "ggzoostland@medmij", username: "vanrijn", password: "vanrijn" },
  ],
};

export default network;
