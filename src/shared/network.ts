/**
 * The network definition (SPEC §2): data, not code. Every actor is instantiated from it.
 *
 * A "host" in the definition is either a label such as "auth.zorgnet", served by this process as
 * `auth.zorgnet.<domain>:<port>`, or an absolute URL ("http://localhost:9000") of an external
 * implementation (a hackathon team's own PGO, say), which this process then does not serve.
 */
import { isValidBsn } from "./bsn.ts";

export interface DataServiceDefinition {
  /** GegevensdienstId in the MedMij lists ("99"). */
  id: string;
  /** Weergavenaam ("Verzamelen Aanbiedertaken 1.0"). */
  name: string;
  /** Systeemrolcode of the provider side (ZAL). */
  systemRole: string;
}

export interface DvaDefinition {
  id: string;
  name: string;
  /** Shown on error pages (SD 4.2.1). */
  phone: string;
  authHost: string;
  fhirHost: string;
  /**
   * PKCE (RFC 7636, S256) on the collect flow's `/auth`: "optional" (default; MedMij does not
   * mandate it) checks a challenge when the PGO sends one, "required" refuses a request without.
   */
  pkce?: PkcePolicy;
  /** HTTP Basic credentials at MedMij Beheer's logging interface; derived when absent (beheerCredentials). */
  beheer?: BeheerCredentials;
  /**
   * Which design the DVA follows for the token exchange and launch (issue 15): "sd-0.2" (default,
   * the solution design v0.2 of seed 004) or "koppelmij-2026" (the KoppelMij technical
   * walkthroughs with ProviderTasks 1.0.0-alpha.2). Switchable at run time (cockpit, PATCH /api/dvas).
   */
  flavour?: Flavour;
  /** Also accept Koppeltaal 2.0 launches (an HTI launch token as `launch`). Default false. */
  koppeltaal?: boolean;
  /** Set on an entry a team registered at run time (issue 14): the id of its registration. */
  registered?: string;
}

export type Flavour = "sd-0.2" | "koppelmij-2026";
export const FLAVOURS: readonly Flavour[] = ["sd-0.2", "koppelmij-2026"];

/** A DVA's flavour and Koppeltaal switch, with the defaults. */
export function flavourOf(dva: Pick<DvaDefinition, "flavour" | "koppeltaal">): { flavour: Flavour; koppeltaal: boolean } {
  return { flavour: dva.flavour ?? "sd-0.2", koppeltaal: dva.koppeltaal ?? false };
}

/** The problems of a flavour setting (network file, PATCH /api/dvas), each with its field. */
export function flavourProblems(v: { flavour?: unknown; koppeltaal?: unknown }): { field: "flavour" | "koppeltaal"; message: string }[] {
  const out: { field: "flavour" | "koppeltaal"; message: string }[] = [];
  if (v.flavour !== undefined && !FLAVOURS.includes(v.flavour as Flavour)) out.push({ field: "flavour", message: `must be ${FLAVOURS.map((f) => `"${f}"`).join(" or ")}, got ${JSON.stringify(v.flavour)}` });
  if (v.koppeltaal !== undefined && typeof v.koppeltaal !== "boolean") out.push({ field: "koppeltaal", message: `must be true or false, got ${JSON.stringify(v.koppeltaal)}` });
  return out;
}

export type PkcePolicy = "optional" | "required";
export const PKCE_POLICIES: readonly PkcePolicy[] = ["optional", "required"];

/** A DVA's PKCE policy, with the default. */
export function pkcePolicy(dva: Pick<DvaDefinition, "pkce">): PkcePolicy {
  return dva.pkce ?? "optional";
}

export interface ZorgaanbiederDefinition {
  /** Zorgaanbiedernaam, `[a-z]+@medmij`. */
  name: string;
  displayName: string;
  agb: string;
  dva: string;
  /** GegevensdienstIds offered. */
  dataServices: string[];
  /** The zorgaanbieder's own systems (clinician portal) at its DVA: client_credentials. */
  systemClient: { clientId: string; clientSecret: string };
  /**
   * Its code on Verbind.MedMij (`verbind.<domain>/code/<code>`, issue 14): 7 digits, the last a
   * check digit (verbindCodeValid). Derived from the name when absent (verbindCodeOf).
   */
  verbindCode?: string;
  registered?: string;
}

/**
 * Another system of a zorgaanbieder at its DVA (issue 14: a team's EPD or script), with its own
 * client_credentials; the zorgaanbieder's `systemClient` stays the sandbox portal's.
 */
export interface SystemDefinition {
  zorgaanbieder: string;
  clientId: string;
  clientSecret: string;
  registered?: string;
}

export interface PgoDefinition {
  host: string;
  displayName: string;
  /** Optional: if set and a request carries HTTP Basic credentials, they must match (SPEC §5). */
  clientSecret?: string;
  /** Paths on the PGO host (or absolute URLs) registered as redirect URIs. */
  redirectUris: string[];
  /** HTTP Basic credentials at MedMij Beheer's logging interface; derived when absent (beheerCredentials). */
  beheer?: BeheerCredentials;
  /**
   * Whether the PGO supports Aanbiedermodules (data service 99; default true). The OAuthclientlist
   * carries no data services, so Verbind.MedMij lists a PGO by this flag (AM-FE-015).
   */
  aanbiedermodules?: boolean;
  registered?: string;
}

/** A participant's login at MedMij Beheer's logging interface (issue 13: `POST /eagleeye/v1/logs`, HTTP Basic). */
export interface BeheerCredentials {
  /** RFC 7617: no colon. */
  username: string;
  password: string;
}

/**
 * MedMij Beheer (issue 13): the logging interface (EagleEye-shaped) and its chain dashboards.
 * Optional in a network file: without it the host is "beheer".
 */
export interface BeheerDefinition {
  host: string;
  /**
   * A chain is "afgehaakt" when the person does not continue within this many seconds; default
   * 900, the 15 minutes a DVA keeps an authorization request open (after that it cannot go on).
   */
  abandonAfterSeconds?: number;
}

export const DEFAULT_BEHEER: Required<BeheerDefinition> = { host: "beheer", abandonAfterSeconds: 15 * 60 };

/**
 * A PGO's or DVA's credentials at MedMij Beheer: as the network gives them, else derived from the
 * participant's name — username = the PGO's host name (its client_id) or the DVA's id, password =
 * "<username>-beheer-secret" — so they are the same on every start and for every database.
 */
export function beheerCredentials(p: { beheer?: BeheerCredentials }, username: string): BeheerCredentials {
  return p.beheer ?? { username, password: `${username}-beheer-secret` };
}

export interface ModuleClientDefinition {
  dva: string;
  clientId: string;
  /**
   * Absent: a public client (issue 14: a browser-only SMART app) — no client authentication,
   * PKCE S256 required, and the DVA answers CORS requests from the module's origin.
   */
  clientSecret?: string;
  /**
   * Instead of a secret: the public keys the module signs its client assertions with (RFC 7523,
   * `private_key_jwt`, as Koppeltaal 2.0 modules authenticate; issue 15 §3).
   */
  jwks?: { keys: Record<string, unknown>[] };
  /** Paths on the module host (or absolute URLs). */
  redirectUris: string[];
}

export interface ModuleDefinition {
  id: string;
  name: string;
  host: string;
  /** Path on the module host (or absolute URL) of the SMART launch. */
  launchPath: string;
  /** DVA demands a DigiD login of at most 15 minutes ago before issuing a launch code (SD 3.4). */
  reIdentify: boolean;
  clients: ModuleClientDefinition[];
  /**
   * What the portal's catalogue offers for it (issue 14: a team's module). The seed's own modules
   * take theirs from seed/catalogue.ts; a module with `activity` gets one ActivityDefinition and
   * one Endpoint per zorgaanbieder at each DVA it has a client at.
   */
  activity?: { title: string; description?: string; kind?: "questionnaire" | "information"; questionnaire?: string };
  registered?: string;
}

export interface PatientDefinition {
  id: string;
  given: string;
  family: string;
  /** Voorvoegsel as in "van Duinen" is part of family; `prefix` keeps it apart for FHIR. */
  familyPrefix?: string;
  bsn: string;
  birthDate: string;
  gender: "male" | "female" | "other" | "unknown";
  /** Zorgaanbiedernamen where this person is a patient. */
  zorgaanbieders: string[];
  pgo: { host: string; username: string; password: string } | null;
}

export interface ClinicianDefinition {
  id: string;
  given: string;
  family: string;
  /** e.g. "Huisarts", "Psychiater". */
  role: string;
  zorgaanbieder: string;
  username: string;
  password: string;
}

export interface NetworkDefinition {
  name: string;
  register: { host: string };
  digid: { host: string };
  xis: { host: string; displayName: string };
  /** MedMij Beheer; `{ host: "beheer" }` when absent. */
  beheer?: BeheerDefinition;
  /** Verbind.MedMij (issue 14); `{ host: "verbind" }` when absent. */
  verbind?: { host: string };
  dataServices: DataServiceDefinition[];
  dvas: DvaDefinition[];
  zorgaanbieders: ZorgaanbiederDefinition[];
  pgos: PgoDefinition[];
  modules: ModuleDefinition[];
  /** Further systems of zorgaanbieders (client_credentials), besides each one's `systemClient`. */
  systems?: SystemDefinition[];
  patients: PatientDefinition[];
  clinicians: ClinicianDefinition[];
}

export const DEFAULT_VERBIND = { host: "verbind" } as const;

/** The check digit of a Verbind.MedMij code: the 11-check's weights 7..2 over the first six digits, as a BSN's (0 for a remainder of 10). */
function verbindCheckDigit(six: string): number {
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(six[i]) * (7 - i);
  return (11 - (sum % 11)) % 11 % 10;
}

/** 7 digits whose last is the check digit of the first six. */
export function verbindCodeValid(code: string): boolean {
  return /^\d{7}$/.test(code) && verbindCheckDigit(code.slice(0, 6)) === Number(code[6]);
}

/** A zorgaanbieder's Verbind.MedMij code as the network gives it, else six digits from its name's SHA-256 and a check digit. */
export function verbindCodeOf(z: Pick<ZorgaanbiederDefinition, "name" | "verbindCode">): string {
  if (z.verbindCode) return z.verbindCode;
  const hash = new Bun.CryptoHasher("sha256").update(z.name).digest();
  const six = String(hash.readUInt32BE(0) % 900_000 + 100_000);
  return six + verbindCheckDigit(six);
}

export class NetworkError extends Error {
  override name = "NetworkError";
  constructor(readonly problems: string[]) {
    super(`the network definition has ${problems.length} problem(s):\n  - ${problems.join("\n  - ")}`);
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})*$/;
const ZORGAANBIEDERNAAM = /^[a-z]+@medmij$/;
const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Check everything a running network relies on and report all problems at once, each with its
 * path, so a hackathon team editing a network file sees what to fix. Throws NetworkError.
 */
export function validateNetwork(input: unknown): NetworkDefinition {
  const problems: string[] = [];
  const p = (path: string, message: string) => problems.push(`${path}: ${message}`);
  if (typeof input !== "object" || input === null) throw new NetworkError(["the network must be an object"]);
  const n = input as Partial<NetworkDefinition>;

  const str = (path: string, v: unknown, min = 1, max = 200): v is string => {
    if (typeof v !== "string" || v.trim().length < min || v.length > max) {
      p(path, `must be a text of ${min} to ${max} characters, got ${JSON.stringify(v)}`);
      return false;
    }
    return true;
  };
  const host = (path: string, v: unknown) => {
    if (!str(path, v)) return;
    if (v.includes("://")) {
      try { new URL(v); } catch { p(path, `is not a valid URL: ${JSON.stringify(v)}`); }
    } else if (!LABEL.test(v)) {
      p(path, `must be a host label such as "auth.zorgnet" or an absolute URL, got ${JSON.stringify(v)}`);
    }
  };
  const list = <T>(path: string, v: unknown): T[] => {
    if (!Array.isArray(v)) { p(path, "must be a list"); return []; }
    return v as T[];
  };
  const unique = (path: string, values: string[]) => {
    const seen = new Set<string>();
    for (const v of values) {
      if (seen.has(v)) p(path, `${JSON.stringify(v)} appears more than once`);
      seen.add(v);
    }
  };
  const pathOrUrl = (path: string, v: unknown) => {
    if (!str(path, v)) return;
    if (!v.startsWith("/") && !/^https?:\/\//.test(v)) p(path, `must be a path starting with "/" or an http(s) URL, got ${JSON.stringify(v)}`);
  };

  str("name", n.name);
  host("register.host", n.register?.host);
  host("digid.host", n.digid?.host);
  host("xis.host", n.xis?.host);
  str("xis.displayName", n.xis?.displayName);
  if (n.verbind !== undefined) host("verbind.host", n.verbind?.host);
  if (n.beheer !== undefined) {
    host("beheer.host", n.beheer?.host);
    const s = n.beheer?.abandonAfterSeconds;
    if (s !== undefined && (typeof s !== "number" || !Number.isFinite(s) || s <= 0 || s > 7 * 86_400)) {
      p("beheer.abandonAfterSeconds", `must be a number of seconds above 0 and at most 604800 (a week), got ${JSON.stringify(s)}`);
    }
  }
  /** Issue 13: explicit Beheer credentials; the usernames (explicit or derived) must tell participants apart. */
  const beheerUsers: [string, string][] = [];
  const beheerLogin = (path: string, v: unknown, derived: string | null) => {
    if (v === undefined) { if (derived) beheerUsers.push([path, derived]); return; }
    const c = v as Partial<BeheerCredentials> | null;
    if (str(`${path}.username`, c?.username, 1, 100) && c!.username!.includes(":")) p(`${path}.username`, "must not contain a colon (HTTP Basic, RFC 7617)");
    str(`${path}.password`, c?.password, 8);
    if (typeof c?.username === "string") beheerUsers.push([path, c.username]);
  };

  const services = list<DataServiceDefinition>("dataServices", n.dataServices);
  services.forEach((s, i) => {
    if (!/^\d{1,4}$/.test(String(s?.id))) p(`dataServices[${i}].id`, `must be a GegevensdienstId (digits), got ${JSON.stringify(s?.id)}`);
    str(`dataServices[${i}].name`, s?.name);
    str(`dataServices[${i}].systemRole`, s?.systemRole);
  });
  unique("dataServices[].id", services.map((s) => String(s?.id)));

  const dvas = list<DvaDefinition>("dvas", n.dvas);
  if (Array.isArray(n.dvas) && dvas.length === 0) p("dvas", "needs at least one DVA");
  dvas.forEach((d, i) => {
    if (typeof d?.id !== "string" || !ID.test(d.id)) p(`dvas[${i}].id`, `must be lower-case letters, digits and hyphens, got ${JSON.stringify(d?.id)}`);
    str(`dvas[${i}].name`, d?.name);
    str(`dvas[${i}].phone`, d?.phone, 6, 30);
    host(`dvas[${i}].authHost`, d?.authHost);
    host(`dvas[${i}].fhirHost`, d?.fhirHost);
    if (d?.pkce !== undefined && !PKCE_POLICIES.includes(d.pkce)) {
      p(`dvas[${i}].pkce`, `must be "optional" (the default: PKCE checked when a PGO sends it) or "required" (PGOs must send S256), got ${JSON.stringify(d.pkce)}`);
    }
    beheerLogin(`dvas[${i}].beheer`, d?.beheer, typeof d?.id === "string" ? d.id : null);
    for (const f of flavourProblems(d ?? {})) p(`dvas[${i}].${f.field}`, f.message);
  });
  unique("dvas[].id", dvas.map((d) => d?.id));
  const dvaIds = new Set(dvas.map((d) => d?.id));

  const zas = list<ZorgaanbiederDefinition>("zorgaanbieders", n.zorgaanbieders);
  zas.forEach((z, i) => {
    const at = `zorgaanbieders[${i}]`;
    if (typeof z?.name !== "string" || !ZORGAANBIEDERNAAM.test(z.name) || z.name.length < 10 || z.name.length > 57) {
      p(`${at}.name`, `must match [a-z]+@medmij and be 10 to 57 characters (MedMij ZAL), got ${JSON.stringify(z?.name)}`);
    }
    str(`${at}.displayName`, z?.displayName);
    if (typeof z?.agb !== "string" || !/^\d{8}$/.test(z.agb)) p(`${at}.agb`, `must be an 8-digit AGB code, got ${JSON.stringify(z?.agb)}`);
    if (!dvaIds.has(z?.dva)) p(`${at}.dva`, `names no DVA of this network: ${JSON.stringify(z?.dva)}`);
    for (const [j, s] of list<string>(`${at}.dataServices`, z?.dataServices).entries()) {
      if (!services.some((d) => String(d?.id) === String(s))) p(`${at}.dataServices[${j}]`, `names no data service of this network: ${JSON.stringify(s)}`);
    }
    str(`${at}.systemClient.clientId`, z?.systemClient?.clientId);
    str(`${at}.systemClient.clientSecret`, z?.systemClient?.clientSecret, 8);
    if (z?.verbindCode !== undefined && (typeof z.verbindCode !== "string" || !verbindCodeValid(z.verbindCode))) {
      p(`${at}.verbindCode`, `must be 7 digits whose last is the check digit of the first six (weights 7..2, modulo 11), got ${JSON.stringify(z.verbindCode)}`);
    }
  });
  unique("zorgaanbieders[].name", zas.map((z) => z?.name));
  {
    const owner = new Map<string, string>();
    zas.forEach((z, i) => {
      if (typeof z?.name !== "string") return;
      const code = verbindCodeOf(z);
      const other = owner.get(code);
      if (other) p(`zorgaanbieders[${i}].verbindCode`, `Verbind.MedMij code ${code} is also that of ${other}; give one of them its own verbindCode`);
      owner.set(code, `zorgaanbieders[${zas.indexOf(z)}] (${z.name})`);
    });
  }
  const zaNames = new Set(zas.map((z) => z?.name));

  const pgos = list<PgoDefinition>("pgos", n.pgos);
  pgos.forEach((g, i) => {
    host(`pgos[${i}].host`, g?.host);
    // OAuthclientOrganisatienaam is 3..50 characters in the OAuthclientlist schema.
    str(`pgos[${i}].displayName`, g?.displayName, 3, 50);
    if (g?.clientSecret !== undefined) str(`pgos[${i}].clientSecret`, g.clientSecret, 8);
    if (g?.aanbiedermodules !== undefined && typeof g.aanbiedermodules !== "boolean") p(`pgos[${i}].aanbiedermodules`, "must be true or false");
    const uris = list<string>(`pgos[${i}].redirectUris`, g?.redirectUris);
    if (Array.isArray(g?.redirectUris) && uris.length === 0) p(`pgos[${i}].redirectUris`, "needs at least one redirect URI");
    uris.forEach((u, j) => pathOrUrl(`pgos[${i}].redirectUris[${j}]`, u));
    // The derived username is the PGO's host name: a label is unique in the network, a URL's host may not be.
    beheerLogin(`pgos[${i}].beheer`, g?.beheer, typeof g?.host !== "string" ? null : g.host.includes("://") ? URL.parse(g.host)?.hostname ?? null : `${g.host}.<domain>`);
  });
  {
    // A PGO's client_id is its host name (the OAuthclientlist's Hostname), without the port: two
    // PGOs on one host name would be one client to every DVA (issue 14).
    const owner = new Map<string, string>();
    pgos.forEach((g, i) => {
      if (typeof g?.host !== "string" || !g.host.includes("://")) return;
      const name = URL.parse(g.host)?.hostname;
      if (!name) return;
      const other = owner.get(name);
      if (other) {
        p(`pgos[${i}].host`, `its client_id would be ${JSON.stringify(name)}, which is already that of ${other}: MedMij names a PGO by its host name, not its port; run each PGO on a name of its own, e.g. http://<team>.localhost:<port>`);
        // One message for the clash, not a second about the Beheer username derived from it.
        if (g.beheer === undefined) beheerUsers.splice(beheerUsers.findIndex(([path]) => path === `pgos[${i}].beheer`), 1);
      }
      owner.set(name, `pgos[${i}] (${g.host})`);
    });
  }
  {
    const owner = new Map<string, string>();
    for (const [path, username] of beheerUsers) {
      const other = owner.get(username);
      if (other) p(path, `MedMij Beheer username ${JSON.stringify(username.replace(".<domain>", ""))} is also that of ${other}; give one of them beheer: { username, password }`);
      owner.set(username, path);
    }
  }
  const pgoHosts = new Set(pgos.map((g) => g?.host));

  const modules = list<ModuleDefinition>("modules", n.modules);
  modules.forEach((m, i) => {
    const at = `modules[${i}]`;
    if (typeof m?.id !== "string" || !ID.test(m.id)) p(`${at}.id`, `must be lower-case letters, digits and hyphens, got ${JSON.stringify(m?.id)}`);
    str(`${at}.name`, m?.name);
    host(`${at}.host`, m?.host);
    pathOrUrl(`${at}.launchPath`, m?.launchPath);
    if (typeof m?.reIdentify !== "boolean") p(`${at}.reIdentify`, "must be true or false");
    const clients = list<ModuleClientDefinition>(`${at}.clients`, m?.clients);
    // The module's OAuth callback is its first client's redirect URI; without a client it can be
    // launched at no DVA and would not start (issue 11).
    if (Array.isArray(m?.clients) && clients.length === 0) p(`${at}.clients`, "needs at least one client (the module's client_id at a DVA where it is registered)");
    clients.forEach((c, j) => {
      if (!dvaIds.has(c?.dva)) p(`${at}.clients[${j}].dva`, `names no DVA of this network: ${JSON.stringify(c?.dva)}`);
      str(`${at}.clients[${j}].clientId`, c?.clientId);
      // No secret: a public client (PKCE S256 required at the DVA).
      if (c?.clientSecret !== undefined) str(`${at}.clients[${j}].clientSecret`, c.clientSecret, 8);
      if (c?.jwks !== undefined) {
        const keys = (c.jwks as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "object" && k !== null && typeof (k as { kty?: unknown }).kty === "string")) {
          p(`${at}.clients[${j}].jwks`, "must be a JWK set {\"keys\": [{\"kty\": ...}, ...]} of the module's public keys");
        }
        if (c.clientSecret !== undefined) p(`${at}.clients[${j}].jwks`, "give either clientSecret or jwks, not both");
      }
      const uris = list<string>(`${at}.clients[${j}].redirectUris`, c?.redirectUris);
      if (Array.isArray(c?.redirectUris) && uris.length === 0) p(`${at}.clients[${j}].redirectUris`, "needs at least one redirect URI");
      uris.forEach((u, k) => pathOrUrl(`${at}.clients[${j}].redirectUris[${k}]`, u));
    });
    unique(`${at}.clients[].dva`, clients.map((c) => c?.dva));
    if (m?.activity !== undefined) {
      const a = m.activity as Partial<NonNullable<ModuleDefinition["activity"]>> | null;
      str(`${at}.activity.title`, a?.title);
      if (a?.description !== undefined) str(`${at}.activity.description`, a.description, 1, 1000);
      if (a?.kind !== undefined && a.kind !== "questionnaire" && a.kind !== "information") p(`${at}.activity.kind`, `must be "questionnaire" or "information", got ${JSON.stringify(a.kind)}`);
      if (a?.questionnaire !== undefined && (typeof a.questionnaire !== "string" || !ID.test(a.questionnaire))) p(`${at}.activity.questionnaire`, `must be the id of a Questionnaire the DVAs hold, got ${JSON.stringify(a.questionnaire)}`);
    }
  });
  unique("modules[].id", modules.map((m) => m?.id));
  const systems = n.systems === undefined ? [] : list<SystemDefinition>("systems", n.systems);
  systems.forEach((x, i) => {
    if (!zaNames.has(x?.zorgaanbieder)) p(`systems[${i}].zorgaanbieder`, `names no zorgaanbieder of this network: ${JSON.stringify(x?.zorgaanbieder)}`);
    str(`systems[${i}].clientId`, x?.clientId);
    str(`systems[${i}].clientSecret`, x?.clientSecret, 8);
  });
  const dvaOf = (za: unknown) => zas.find((z) => z?.name === za)?.dva;
  // client_ids are unique per DVA across modules, PGOs and zorgaanbieder systems.
  for (const dva of dvaIds) {
    unique(`client_id at DVA ${dva}`, [
      ...modules.flatMap((m) => (m?.clients ?? []).filter((c) => c?.dva === dva).map((c) => c.clientId)),
      ...zas.filter((z) => z?.dva === dva).map((z) => z?.systemClient?.clientId),
      ...systems.filter((x) => dvaOf(x?.zorgaanbieder) === dva).map((x) => x?.clientId),
      // A PGO's host name once (two PGOs on one name are reported above).
      ...new Set(pgos.map((g) => (typeof g?.host !== "string" ? undefined : g.host.includes("://") ? URL.parse(g.host)?.hostname : undefined))),
    ].filter((id) => id !== undefined));
  }

  const patients = list<PatientDefinition>("patients", n.patients);
  patients.forEach((t, i) => {
    const at = `patients[${i}]`;
    if (typeof t?.id !== "string" || !ID.test(t.id)) p(`${at}.id`, `must be lower-case letters, digits and hyphens, got ${JSON.stringify(t?.id)}`);
    str(`${at}.given`, t?.given);
    str(`${at}.family`, t?.family);
    if (typeof t?.bsn !== "string" || !isValidBsn(t.bsn)) p(`${at}.bsn`, `is not a valid BSN (9 digits passing the 11-check), got ${JSON.stringify(t?.bsn)}`);
    if (typeof t?.birthDate !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(t.birthDate)) p(`${at}.birthDate`, "must be YYYY-MM-DD");
    if (!["male", "female", "other", "unknown"].includes(t?.gender)) p(`${at}.gender`, "must be male, female, other or unknown");
    for (const [j, z] of list<string>(`${at}.zorgaanbieders`, t?.zorgaanbieders).entries()) {
      if (!zaNames.has(z)) p(`${at}.zorgaanbieders[${j}]`, `names no zorgaanbieder of this network: ${JSON.stringify(z)}`);
    }
    if (t?.pgo) {
      if (!pgoHosts.has(t.pgo.host)) p(`${at}.pgo.host`, `names no PGO of this network: ${JSON.stringify(t.pgo.host)}`);
      str(`${at}.pgo.username`, t.pgo.username);
      str(`${at}.pgo.password`, t.pgo.password);
    }
  });
  unique("patients[].id", patients.map((t) => t?.id));
  unique("patients[].bsn", patients.map((t) => t?.bsn));
  unique("patients[].pgo.username", patients.filter((t) => t?.pgo).map((t) => `${t.pgo!.host}/${t.pgo!.username}`));

  const clinicians = list<ClinicianDefinition>("clinicians", n.clinicians);
  clinicians.forEach((c, i) => {
    const at = `clinicians[${i}]`;
    if (typeof c?.id !== "string" || !ID.test(c.id)) p(`${at}.id`, `must be lower-case letters, digits and hyphens, got ${JSON.stringify(c?.id)}`);
    str(`${at}.given`, c?.given);
    str(`${at}.family`, c?.family);
    str(`${at}.role`, c?.role);
    if (!zaNames.has(c?.zorgaanbieder)) p(`${at}.zorgaanbieder`, `names no zorgaanbieder of this network: ${JSON.stringify(c?.zorgaanbieder)}`);
    str(`${at}.username`, c?.username);
    str(`${at}.password`, c?.password);
  });
  unique("clinicians[].id", clinicians.map((c) => c?.id));
  unique("clinicians[].username", clinicians.map((c) => c?.username));

  {
    // Two actors must not share a host (modules may share theirs: one module application).
    const hosts = ([
      ["register.host", n.register?.host], ["digid.host", n.digid?.host], ["xis.host", n.xis?.host], ["beheer.host", n.beheer?.host ?? DEFAULT_BEHEER.host],
      ["verbind.host", n.verbind?.host ?? DEFAULT_VERBIND.host],
      ...dvas.flatMap((d, i) => [[`dvas[${i}].authHost`, d?.authHost], [`dvas[${i}].fhirHost`, d?.fhirHost]]),
      ...pgos.map((g, i) => [`pgos[${i}].host`, g?.host]),
      ...[...new Set(modules.map((m) => m?.host))].map((h) => ["modules[].host", h]),
    ] as [string, unknown][]).filter((e): e is [string, string] => typeof e[1] === "string");
    const owner = new Map<string, string>();
    for (const [path, h] of hosts) {
      const other = owner.get(h);
      if (other) p(path, `host ${JSON.stringify(h)} is already used by ${other}`);
      owner.set(h, path);
    }
  }

  if (problems.length > 0) throw new NetworkError(problems);
  return n as NetworkDefinition;
}
