/**
 * Each actor has its own colour and name in the header so a person sees when they leave the PGO
 * (SPEC §7, issue 2 item 13). Colours meet WCAG AA contrast with white text.
 */
export interface Theme {
  /** Shown in the header: "MijnGezondheid PGO". */
  name: string;
  /** Which kind of party this is, shown small above the name: "Persoonlijke gezondheidsomgeving". */
  role: string;
  /** Header background. */
  color: string;
  /** A short mark in the header logo square. */
  mark: string;
}

export const themes = {
  cockpit: { name: "MedMij Sandbox", role: "Cockpit", color: "#1f2937", mark: "MS" },
  register: { name: "MedMij Register", role: "Stelselnode", color: "#5b21b6", mark: "MR" },
  digid: { name: "DigiD-simulator", role: "Nep-inlogdienst voor tests — geen echte DigiD", color: "#3f4a5a", mark: "SIM" },
  pgo: (name: string): Theme => ({ name, role: "Persoonlijke gezondheidsomgeving (PGO)", color: "#1d4ed8", mark: "PGO" }),
  module: (name: string): Theme => ({ name, role: "Aanbiedermodule van uw zorgaanbieder", color: "#15803d", mark: "MOD" }),
  xis: (name: string): Theme => ({ name, role: "Zorgverlener (XIS)", color: "#a16207", mark: "XIS" }),
  /** DVAs get a colour per position so that two DVAs are told apart. */
  dva: (name: string, index: number, part: "auth" | "fhir"): Theme => ({
    name,
    role: part === "auth" ? "Dienstverlener aanbieder (DVA) — inloggen en toestemming" : "Dienstverlener aanbieder (DVA) — FHIR-server",
    color: ["#0f766e", "#9d174d", "#1e40af", "#7c2d12"][index % 4]!,
    mark: "DVA",
  }),
} as const;

/** The colour of an actor by kind (and DVA position), for places that show several actors at once. */
export function actorColor(kind: string, dvaIndex = 0): string {
  switch (kind) {
    case "cockpit": return themes.cockpit.color;
    case "register": return themes.register.color;
    case "digid": return themes.digid.color;
    case "dva-auth": case "dva-fhir": return themes.dva("", dvaIndex, "auth").color;
    case "pgo": return themes.pgo("").color;
    case "module": return themes.module("").color;
    case "xis": return themes.xis("").color;
    default: return "#64748b";
  }
}
