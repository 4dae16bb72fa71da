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
  /** Links in the footer of every page of this actor (the PGO's privacy statement, AM-FE-042). */
  links?: { href: string; label: string }[];
}

/** Colours of the actors whose theme carries a name from the network; DVAs by their position. */
const COLORS = { pgo: "#1d4ed8", module: "#15803d", xis: "#a16207" } as const;
/** PGOs by their position, so that a second PGO (issue 14) is told apart from the first: blue, then cyan. */
const PGO_COLORS = ["#1d4ed8", "#0e7490", "#6d28d9", "#be123c"] as const;
const DVA_COLORS = ["#0f766e", "#9d174d", "#1e40af", "#7c2d12"] as const;

export const themes = {
  cockpit: { name: "MedMij Sandbox", role: "Cockpit", color: "#1f2937", mark: "MS" },
  register: { name: "MedMij Register", role: "Stelselnode", color: "#5b21b6", mark: "MR" },
  digid: { name: "DigiD-simulator", role: "Nep-inlogdienst voor tests — geen echte DigiD", color: "#3f4a5a", mark: "SIM" },
  /** Stichting MedMij's own colour, orange (#c2410c: 5.2:1 with white), apart from every participant's. */
  beheer: { name: "MedMij Beheer", role: "Stichting MedMij — ketenmonitoring en logging interface", color: "#c2410c", mark: "MB" },
  /** Verbind.MedMij (issue 14): neutral slate, no participant's colour — the person has not chosen a PGO yet. */
  verbind: { name: "Verbind.MedMij", role: "Stichting MedMij — kies een PGO", color: "#475569", mark: "VM" },
  pgo: (name: string, index = 0): Theme => ({ name, role: "Persoonlijke gezondheidsomgeving (PGO)", color: PGO_COLORS[index % PGO_COLORS.length]!, mark: "PGO",
    links: [{ href: "/privacy", label: "Privacyverklaring" }] }),
  module: (name: string): Theme => ({ name, role: "Aanbiedermodule van uw zorgaanbieder", color: COLORS.module, mark: "MOD" }),
  xis: (name: string): Theme => ({ name, role: "Zorgverlener (XIS)", color: COLORS.xis, mark: "XIS" }),
  /** DVAs get a colour per position so that two DVAs are told apart. */
  dva: (name: string, index: number, part: "auth" | "fhir"): Theme => ({
    name,
    role: part === "auth" ? "Dienstverlener aanbieder (DVA) — inloggen en toestemming" : "Dienstverlener aanbieder (DVA) — FHIR-server",
    color: DVA_COLORS[index % DVA_COLORS.length]!,
    mark: "DVA",
  }),
} as const;

/** The colour of an actor by kind (and DVA position), for places that show several actors at once. */
export function actorColor(kind: string, dvaIndex = 0, pgoIndex = 0): string {
  switch (kind) {
    case "cockpit": case "register": case "digid": case "beheer": case "verbind": return themes[kind].color;
    case "pgo": return PGO_COLORS[pgoIndex % PGO_COLORS.length]!;
    case "dva-auth": case "dva-fhir": return DVA_COLORS[dvaIndex % DVA_COLORS.length]!;
    case "module": case "xis": return COLORS[kind];
    default: return "#64748b";
  }
}
