/**
 * `localhost:8080/api/actors` (issue 14 §1): a team registers, changes and removes its own PGO,
 * module, DVA or zorgaanbieder system while the sandbox runs. The answers carry what the team
 * needs next: its client_ids and secrets, its URLs as the network resolved them, the register
 * lists it is on, its catalogue entries and its check page.
 */
import { ActorError, type RegisteredActor } from "../shared/actor-registry.ts";
import type { SandboxContext } from "../shared/context.ts";
import { jsonResponse } from "../shared/html.ts";
import type { ResolvedNetwork } from "../shared/resolved-network.ts";
import { nameOf, type CheckView } from "../../views/cockpit/actors.tsx";

/** One registration as the API shows it: the entry as stored, and what the network made of it. */
export function actorJson(actor: RegisteredActor, n: ResolvedNetwork) {
  const mine = <T extends { registered?: string }>(list: T[]) => list.filter((e) => e.registered === actor.id);
  const resolved = (() => {
    switch (actor.kind) {
      case "pgo": return mine(n.pgos).map((g) => ({ clientId: g.clientId, clientSecret: g.clientSecret ?? null, base: g.site.origin, redirectUris: g.redirectUris,
        aanbiedermodules: g.aanbiedermodules, beheer: g.beheer,
        // The DVAs it may now collect at (the lists name it: OAuthclientlist, Whitelist).
        dvas: n.dvas.map((d) => ({ id: d.id, authorizationEndpoint: `${d.auth.origin}/auth`, tokenEndpoint: `${d.auth.origin}/token`, fhirBase: d.fhirBase })) }))[0];
      case "module": return mine(n.modules).map((m) => ({ id: m.id, launchUrl: m.launchUrl,
        clients: m.clients.map((c) => {
          const dva = n.dvas.find((d) => d.id === c.dva);
          return { dva: c.dva, clientId: c.clientId, clientSecret: c.clientSecret ?? null, public: c.clientSecret === undefined && !c.jwks,
            tokenEndpointAuthMethod: c.jwks ? "private_key_jwt" : c.clientSecret === undefined ? "none" : "client_secret_basic", redirectUris: c.redirectUris,
            iss: dva?.fhirBase ?? null, smartConfiguration: dva ? `${dva.fhirBase}/.well-known/smart-configuration` : null };
        }) }))[0];
      case "dva": return {
        ...mine(n.dvas).map((d) => ({ authBase: d.auth.origin, fhirBase: d.fhirBase, beheer: d.beheer }))[0],
        zorgaanbieders: mine(n.zorgaanbieders).map((z) => ({ name: z.name, displayName: z.displayName, scope: z.scope, verbindCode: z.verbindCode,
          verbindUrl: `${n.verbind.origin}/code/${z.verbindCode}`, systemClient: z.systemClient })),
      };
      case "system": return mine(n.systems).map((x) => {
        const za = n.zorgaanbieders.find((z) => z.name === x.zorgaanbieder);
        return { clientId: x.clientId, clientSecret: x.clientSecret, zorgaanbieder: x.zorgaanbieder,
          tokenEndpoint: za ? `${za.dvaSite.auth.origin}/connect/token` : null, fhirBase: za?.dvaSite.fhirBase ?? null };
      })[0];
    }
  })();
  return {
    id: actor.id, kind: actor.kind, entry: actor.entry, resolved: resolved ?? null, createdAt: actor.createdAt, updatedAt: actor.updatedAt,
    check: `${n.cockpit.origin}/actors/${actor.id}/check`, api: `${n.cockpit.origin}/api/actors/${actor.id}`,
  };
}

export function actorErrorResponse(e: unknown): Response {
  if (!(e instanceof ActorError)) throw e;
  const error = e.status === 404 ? "not_found" : e.status === 409 ? "conflict" : "invalid_actor";
  return jsonResponse({ error, error_description: e.message, problems: e.problems }, e.status);
}

/** An actor's MedMij-check: its rules with their verdicts; "the lists name it" is judged from the network itself. */
export function checkOf(ctx: SandboxContext, actor: RegisteredActor): CheckView {
  const rules = ctx.checks.report(actor.id, actor.kind).map((r) => {
    if (r.id !== "dva-lists" || r.status !== "unseen") return r;
    const zas = ctx.network.zorgaanbieders.filter((z) => z.registered === actor.id);
    const dva = ctx.network.dvas.find((d) => d.registered === actor.id);
    return { ...r, status: "pass" as const, evidence: `de Zorgaanbiederslijst noemt ${zas.map((z) => z.name).join(", ")} met ${dva?.auth.origin}/auth, /token en ${dva?.fhirBase} (uit de aanmelding gebouwd)` };
  });
  return { id: actor.id, kind: actor.kind, name: nameOf(actor), rules };
}

export function checkJson(ctx: SandboxContext, check: CheckView) {
  return {
    actor: { id: check.id, kind: check.kind, name: check.name },
    rules: check.rules.map((r) => ({ id: r.id, title: r.title, source: r.source, status: r.status, evidence: r.evidence,
      trace: r.traceId ? `${ctx.network.cockpit.origin}/logs?trace_id=${encodeURIComponent(r.traceId)}` : null,
      passes: r.passes, fails: r.fails, lastFailure: r.lastFailure, at: r.at })),
  };
}

/** The API's handlers; `body` is the parsed JSON (the cockpit checks the media type). */
export function actorsApi(ctx: SandboxContext) {
  const attempt = (f: () => Response): Response => { try { return f(); } catch (e) { return actorErrorResponse(e); } };
  return {
    list: () => jsonResponse({ actors: ctx.actors.list().map((a) => actorJson(a, ctx.network)) }),
    get: (id: string) => {
      const actor = ctx.actors.get(id);
      return actor ? jsonResponse(actorJson(actor, ctx.network)) : actorErrorResponse(new ActorError(404, [{ path: "id", message: `no actor ${JSON.stringify(id)} is registered` }]));
    },
    // The owner token is in this answer only (stored as SHA-256): PUT and DELETE need it as a Bearer token.
    create: (body: unknown) => attempt(() => {
      const { ownerToken, ...actor } = ctx.actors.register(body);
      return jsonResponse({ ...actorJson(actor, ctx.network), owner_token: ownerToken }, 201, { Location: `/api/actors/${actor.id}` });
    }),
    replace: (id: string, body: unknown, request: Request) => attempt(() => jsonResponse(actorJson(ctx.actors.change(id, body, bearerOf(request)), ctx.network))),
    remove: (id: string, request: Request) => attempt(() => { ctx.actors.remove(id, bearerOf(request)); return jsonResponse({ id, removed: true }); }),
    check: (id: string) => {
      const actor = ctx.actors.get(id);
      return actor ? jsonResponse(checkJson(ctx, checkOf(ctx, actor))) : actorErrorResponse(new ActorError(404, [{ path: "id", message: `no actor ${JSON.stringify(id)} is registered` }]));
    },
    resetCheck: (id: string, request: Request) => attempt(() => {
      const actor = ctx.actors.get(id);
      if (!actor) throw new ActorError(404, [{ path: "id", message: `no actor ${JSON.stringify(id)} is registered` }]);
      ctx.actors.checkOwner(id, bearerOf(request));
      ctx.checks.reset(id);
      ctx.checks.probe(actor.id);
      return jsonResponse(checkJson(ctx, checkOf(ctx, actor)));
    }),
  };
}

/** `Authorization: Bearer <owner_token>`, or null. */
function bearerOf(request: Request): string | null {
  const header = request.headers.get("authorization") ?? "";
  return /^bearer /i.test(header) ? header.slice(7).trim() : null;
}
