/**
 * A team's own actors, registered while the sandbox runs (issue 14 §1): an external PGO, module,
 * DVA (with the zorgaanbieders it serves) or zorgaanbieder system. Each is one entry of the
 * network file's shape, kept in `sandbox_actor` (it survives Reset and restarts) and added to the
 * network the sandbox started with; the result is validated by the same `validateNetwork` as a
 * network file, so the messages are the same — with paths relative to the actor where they are
 * about it.
 */
import type { Database } from "bun:sqlite";
import { constantTimeEqual, randomToken, sha256 } from "./crypto.ts";
import {
  NetworkError, validateNetwork, type DvaDefinition, type ModuleDefinition, type NetworkDefinition, type PgoDefinition,
  type SystemDefinition, type ZorgaanbiederDefinition,
} from "./network.ts";

/** The owner the cockpit's own page acts as: the sandbox's operator (its forms carry CSRF tokens). */
export const COCKPIT_OWNER = "\u0000cockpit";

export const ACTOR_KINDS = ["pgo", "module", "dva", "system"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** The entries one registration adds to the network. */
export interface ActorEntries {
  pgos?: PgoDefinition[];
  modules?: ModuleDefinition[];
  dvas?: DvaDefinition[];
  zorgaanbieders?: ZorgaanbiederDefinition[];
  systems?: SystemDefinition[];
}

export interface RegisteredActor {
  id: string;
  kind: ActorKind;
  /** The entry as given (defaults filled in), without `kind`. */
  entry: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface Problem { path: string; message: string }

export class ActorError extends Error {
  override name = "ActorError";
  constructor(readonly status: 400 | 403 | 404 | 409, readonly problems: Problem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  }
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const slug = (text: string) => text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50) || "actor";
const hostnameOf = (host: unknown) => (typeof host === "string" && host.includes("://") ? URL.parse(host)?.hostname ?? null : null);

/**
 * The entry with its defaults: ids and client_ids derived from the host (a PGO's client_id is
 * its host name anyway), a system's secret made once. `previous` keeps what was derived before
 * (a PUT that leaves out the secret keeps it).
 */
function withDefaults(kind: ActorKind, input: Record<string, unknown>, previous: Record<string, unknown> | null): Record<string, unknown> {
  const e: Record<string, unknown> = { ...input };
  delete e.kind;
  if (kind === "pgo" || kind === "system") delete e.id; // the registration's id, not a network field
  switch (kind) {
    case "pgo":
      e.redirectUris ??= ["/auth_callback"];
      break;
    case "module": {
      e.id = previous?.id ?? input.id ?? (typeof e.name === "string" ? slug(e.name) : undefined);
      e.launchPath ??= "/launch";
      e.reIdentify ??= false;
      const host = hostnameOf(e.host);
      if (Array.isArray(e.clients)) {
        e.clients = e.clients.map((c: unknown) => (typeof c === "object" && c !== null && !Array.isArray(c)
          ? { clientId: host ?? undefined, redirectUris: ["/callback"], ...(c as Record<string, unknown>) } : c));
      }
      if (typeof e.name === "string" && e.name.trim()) e.activity ??= { title: e.name, description: "Een module van een eigen actor (aangemeld in de cockpit).", kind: "information" };
      break;
    }
    case "dva": {
      e.phone ??= "niet opgegeven";
      if (Array.isArray(e.zorgaanbieders)) {
        e.zorgaanbieders = e.zorgaanbieders.map((z: unknown, i: number) => {
          if (typeof z !== "object" || z === null || Array.isArray(z)) return z;
          const given = z as Record<string, unknown>;
          const before = (previous?.zorgaanbieders as Record<string, unknown>[] | undefined)?.find((p) => p.name === given.name);
          const scope = typeof given.name === "string" ? given.name.replace(/@medmij$/, "") : `za${i}`;
          return { dataServices: ["99"], systemClient: before?.systemClient ?? { clientId: `${scope}-systeem`, clientSecret: randomToken().slice(0, 24) }, ...given };
        });
      }
      break;
    }
    case "system":
      e.clientSecret ??= previous?.clientSecret ?? randomToken().slice(0, 24);
      break;
  }
  return e;
}

/** The id a registration gets: from what it names (a PGO's host name, a module's or DVA's id, a system's client_id). */
function idOf(kind: ActorKind, e: Record<string, unknown>): string {
  switch (kind) {
    case "pgo": return `pgo-${slug(hostnameOf(e.host) ?? String(e.host ?? "pgo"))}`;
    case "module": return typeof e.id === "string" ? e.id : "module";
    case "dva": return typeof e.id === "string" ? e.id : "dva";
    case "system": return `systeem-${slug(String(e.clientId ?? "systeem"))}`;
  }
}

/** The network entries of one registration, each marked with its id. */
export function entriesOf(actor: Pick<RegisteredActor, "id" | "kind" | "entry">): ActorEntries {
  const e: Record<string, unknown> = { ...actor.entry, registered: actor.id };
  switch (actor.kind) {
    case "pgo": return { pgos: [e as unknown as PgoDefinition] };
    case "module": return { modules: [e as unknown as ModuleDefinition] };
    case "system": return { systems: [e as unknown as SystemDefinition] };
    case "dva": {
      const { zorgaanbieders, ...dva } = e;
      const zas = (Array.isArray(zorgaanbieders) ? zorgaanbieders : [])
        .map((z) => (typeof z === "object" && z !== null ? { ...(z as object), dva: dva.id, registered: actor.id } : z)) as ZorgaanbiederDefinition[];
      return { dvas: [dva as unknown as DvaDefinition], zorgaanbieders: zas };
    }
  }
}

/** The base network with the registrations added, in order. */
export function withActors(base: NetworkDefinition, actors: Pick<RegisteredActor, "id" | "kind" | "entry">[]): NetworkDefinition {
  const n: NetworkDefinition = { ...base, dvas: [...base.dvas], zorgaanbieders: [...base.zorgaanbieders], pgos: [...base.pgos],
    modules: [...base.modules], systems: [...(base.systems ?? [])] };
  for (const a of actors) {
    const add = entriesOf(a);
    n.dvas.push(...add.dvas ?? []);
    n.zorgaanbieders.push(...add.zorgaanbieders ?? []);
    n.pgos.push(...add.pgos ?? []);
    n.modules.push(...add.modules ?? []);
    n.systems!.push(...add.systems ?? []);
  }
  return n;
}

/**
 * Validate the network with `actors`; the problems of `actor` (when given) with paths relative to
 * it ("host", "clients[0].redirectUris"), the rest as the network file would say them.
 */
function check(base: NetworkDefinition, actors: RegisteredActor[], actor: RegisteredActor | null): NetworkDefinition {
  const definition = withActors(base, actors);
  try {
    return validateNetwork(definition);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const own = actor ? ownPrefixes(definition, actor) : [];
    throw new ActorError(400, e.problems.map((text) => {
      const at = text.indexOf(": ");
      let path = at < 0 ? "" : text.slice(0, at);
      const message = at < 0 ? text : text.slice(at + 2);
      for (const [prefix, into] of own) {
        if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) { path = into + path.slice(prefix.length).replace(/^\./, into ? "." : ""); break; }
      }
      return { path: path || "(netwerk)", message };
    }));
  }
}

/** Where the actor's entries sit in the merged network → its own paths. */
function ownPrefixes(n: NetworkDefinition, actor: RegisteredActor): [string, string][] {
  const at = (list: { registered?: string }[] | undefined, name: string) =>
    (list ?? []).flatMap((e, i) => (e?.registered === actor.id ? [i] : [])).map((i, j) => [`${name}[${i}]`, j] as const);
  switch (actor.kind) {
    case "pgo": return at(n.pgos, "pgos").map(([p]) => [p, ""]);
    case "module": return at(n.modules, "modules").map(([p]) => [p, ""]);
    case "system": return at(n.systems, "systems").map(([p]) => [p, ""]);
    case "dva": return [...at(n.dvas, "dvas").map(([p]) => [p, ""] as [string, string]),
      ...at(n.zorgaanbieders, "zorgaanbieders").map(([p, j]) => [p, `zorgaanbieders[${j}]`] as [string, string])];
  }
}

/** A team's derived client_id that is taken: refuse with what to do about it (issue 14: two teams on localhost). */
function derivedClash(base: NetworkDefinition, others: RegisteredActor[], actor: RegisteredActor, input: Record<string, unknown>): Problem[] {
  if (actor.kind !== "module" || !Array.isArray(actor.entry.clients)) return [];
  const n = withActors(base, others);
  const given = Array.isArray(input.clients) ? input.clients as unknown[] : [];
  const problems: Problem[] = [];
  (actor.entry.clients as unknown[]).forEach((raw, j) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return; // the validation names it
    const c = raw as Record<string, unknown>;
    const mine = given[j];
    if (typeof mine === "object" && mine !== null && (mine as Record<string, unknown>).clientId !== undefined) return; // an explicit one is the validation's to judge
    const holder = n.modules.find((m) => m.clients?.some((x) => x.dva === c.dva && x.clientId === c.clientId))
      ?? n.zorgaanbieders.find((z) => z.dva === c.dva && z.systemClient?.clientId === c.clientId);
    if (holder) {
      problems.push({ path: `clients[${j}].clientId`, message: `the client_id derived from the host, ${JSON.stringify(c.clientId)}, is already that of ${"clients" in holder ? `module ${holder.id}` : holder.name} at DVA ${String(c.dva)}: run your module on a host name of its own (http://<team>.localhost:<port>) or give clientId` });
    }
  });
  return problems;
}

/** A team's actor runs elsewhere: its hosts are absolute URLs (a label would be a host this sandbox serves). */
function externalHosts(kind: ActorKind, e: Record<string, unknown>): Problem[] {
  const fields = kind === "pgo" || kind === "module" ? ["host"] : kind === "dva" ? ["authHost", "fhirHost"] : [];
  return fields.filter((f) => typeof e[f] === "string" && !/^https?:\/\//.test(e[f] as string))
    .map((f) => ({ path: f, message: `must be the absolute URL of your own actor, e.g. http://<team>.localhost:<port>; ${JSON.stringify(e[f])} would be a host of this sandbox` }));
}

export class ActorRegistry {
  constructor(private readonly db: Database, private readonly base: NetworkDefinition) {}

  list(): RegisteredActor[] {
    return this.db.query<{ id: string; kind: ActorKind; entry: string; created_at: string; updated_at: string }, []>(
      "SELECT id, kind, entry, created_at, updated_at FROM sandbox_actor ORDER BY created_at, id").all()
      .map((r) => ({ id: r.id, kind: r.kind, entry: JSON.parse(r.entry) as Record<string, unknown>, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  get(id: string): RegisteredActor | null {
    return this.list().find((a) => a.id === id) ?? null;
  }

  /**
   * The network to start with: the base plus every registration that still fits (one added at a
   * time, in order; a registration the base network now contradicts is left out and reported).
   */
  startNetwork(): { definition: NetworkDefinition; skipped: { actor: RegisteredActor; problems: Problem[] }[] } {
    const kept: RegisteredActor[] = [];
    const skipped: { actor: RegisteredActor; problems: Problem[] }[] = [];
    for (const a of this.list()) {
      try { check(this.base, [...kept, a], a); kept.push(a); } catch (e) {
        if (!(e instanceof ActorError)) throw e;
        skipped.push({ actor: a, problems: e.problems });
      }
    }
    return { definition: withActors(this.base, kept), skipped };
  }

  /**
   * Check a registration (new, or `id` to replace one) against the network; returns the actor and
   * the network with it, or throws ActorError with every problem. Stores nothing.
   */
  prepare(input: unknown, id: string | null = null): { actor: RegisteredActor; definition: NetworkDefinition } {
    if (typeof input !== "object" || input === null || Array.isArray(input)) throw new ActorError(400, [{ path: "(actor)", message: "must be a JSON object" }]);
    const body = input as Record<string, unknown>;
    const existing = id === null ? null : this.get(id);
    if (id !== null && !existing) throw new ActorError(404, [{ path: "id", message: `no actor ${JSON.stringify(id)} is registered` }]);
    const kind = (body.kind ?? existing?.kind) as ActorKind;
    if (!ACTOR_KINDS.includes(kind)) throw new ActorError(400, [{ path: "kind", message: `must be one of ${ACTOR_KINDS.map((k) => `"${k}"`).join(", ")}, got ${JSON.stringify(body.kind)}` }]);
    if (existing && kind !== existing.kind) throw new ActorError(400, [{ path: "kind", message: `actor ${existing.id} is a ${existing.kind}; remove it and register a ${kind} instead` }]);
    const entry = withDefaults(kind, body, existing?.entry ?? null);
    if (existing && kind === "module" && body.id !== undefined && body.id !== existing.entry.id) {
      throw new ActorError(400, [{ path: "id", message: `a module keeps its id (${JSON.stringify(existing.entry.id)}): Tasks and Endpoints name it; remove it and register a new one instead` }]);
    }
    const now = new Date().toISOString();
    const actorId = existing?.id ?? (typeof body.id === "string" && kind !== "module" ? body.id : idOf(kind, entry));
    if (!ID.test(actorId)) throw new ActorError(400, [{ path: "id", message: `must be lower-case letters, digits and hyphens, got ${JSON.stringify(actorId)}` }]);
    const actor: RegisteredActor = { id: actorId, kind, entry, createdAt: existing?.createdAt ?? now, updatedAt: now };
    const external = externalHosts(kind, entry);
    if (external.length) throw new ActorError(400, external);
    const registered = this.list();
    if (!existing && registered.some((a) => a.id === actorId)) {
      // A second PGO on the same host name: say that first (its id is derived from the host name).
      if (kind === "pgo") { const probe = { ...actor, id: `${actorId}-nieuw` }; check(this.base, [...registered, probe], probe); }
      throw new ActorError(409, [{ path: "id", message: `an actor ${JSON.stringify(actorId)} is registered already; change it with PUT /api/actors/${actorId} or remove it first` }]);
    }
    const others = registered.filter((a) => a.id !== actorId);
    const clash = derivedClash(this.base, others, actor, body);
    if (clash.length) throw new ActorError(400, clash);
    // A change keeps its place, a new one comes last: the lists and Volgnummers do not reshuffle.
    const all = existing ? registered.map((a) => (a.id === actorId ? actor : a)) : [...others, actor];
    return { actor, definition: check(this.base, all, actor) };
  }

  /** Store a registration; `ownerHash` is kept from its first save (a change does not replace it). */
  save(actor: RegisteredActor, ownerHash: string | null = null): void {
    this.db.query(`INSERT INTO sandbox_actor (id, kind, entry, created_at, updated_at, owner_hash) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET entry = excluded.entry, updated_at = excluded.updated_at`)
      .run(actor.id, actor.kind, JSON.stringify(actor.entry), actor.createdAt, actor.updatedAt, ownerHash);
  }

  /**
   * May the caller with `token` change or remove `id`? Yes with its owner token; a registration
   * made before owner tokens existed (NULL) has no owner. Throws ActorError 403 otherwise.
   */
  checkOwner(id: string, token: string | null): void {
    const row = this.db.query<{ owner_hash: string | null }, [string]>("SELECT owner_hash FROM sandbox_actor WHERE id = ?").get(id);
    if (!row || row.owner_hash === null) return;
    if (!token || !constantTimeEqual(sha256(token), row.owner_hash)) {
      throw new ActorError(403, [{ path: "Authorization", message: `only the team that registered ${id} may change or remove it: send its owner_token as Authorization: Bearer <owner_token> (or use the cockpit's Eigen actor page)` }]);
    }
  }

  /** The network without `id`; throws ActorError 404, or 409 when others depend on it (a module's client at a DVA being removed). */
  prepareRemoval(id: string): NetworkDefinition {
    if (!this.get(id)) throw new ActorError(404, [{ path: "id", message: `no actor ${JSON.stringify(id)} is registered` }]);
    try {
      return check(this.base, this.list().filter((a) => a.id !== id), null);
    } catch (e) {
      if (e instanceof ActorError) throw new ActorError(409, e.problems.map((p) => ({ path: p.path, message: `${p.message} (remove or change that actor first)` })));
      throw e;
    }
  }

  remove(id: string): void {
    this.db.query("DELETE FROM sandbox_actor WHERE id = ?").run(id);
  }
}
