/**
 * The host map: every internal site of the network → its actor app (SPEC §2). External sites
 * (absolute URLs in the network) are not served here.
 */
import { createCockpit } from "./cockpit/index.ts";
import { createDigid } from "./digid/index.ts";
import { createDvaAuth } from "./dva/auth/index.ts";
import { createDvaFhir } from "./dva/fhir/index.ts";
import { moduleOrigins, withModuleCors } from "./dva/auth/cors.ts";
import { createModuleApp } from "./module/index.ts";
import { createPgo } from "./pgo/index.ts";
import { createRegister } from "./register/index.ts";
import { createXis } from "./xis/index.ts";
import { createBeheer } from "./beheer/index.ts";
import { createVerbind } from "./verbind/index.ts";
import { actorSites, type ActorSite } from "./shared/actor-sites.ts";
import type { SandboxContext } from "./shared/context.ts";
import type { HostMap, HostRoute } from "./server.ts";

type Handler = (request: Request, url: URL) => Response | Promise<Response>;

function appFor(ctx: SandboxContext, a: ActorSite): Handler {
  const n = ctx.network;
  const handler = (app: { handle: (request: Request) => Response | Promise<Response> }): Handler => (request) => app.handle(request);
  switch (a.kind) {
    case "cockpit": return handler(createCockpit(ctx));
    case "register": return handler(createRegister(ctx).app);
    case "digid": return handler(createDigid(ctx).app);
    case "dva-auth": {
      const dva = n.dvas[a.dvaIndex!]!;
      return withModuleCors(handler(createDvaAuth(ctx, dva, a.dvaIndex!)), () => moduleOrigins(ctx.network, dva));
    }
    case "dva-fhir": return createDvaFhir(ctx, n.dvas[a.dvaIndex!]!, a.dvaIndex!);
    case "pgo": return handler(createPgo(ctx, n.pgos[a.pgoIndex!]!));
    case "module": return handler(createModuleApp(ctx, n.modules.filter((m) => m.site.origin === a.site.origin)));
    case "xis": return handler(createXis(ctx));
    case "beheer": return createBeheer(ctx);
    case "verbind": return handler(createVerbind(ctx));
  }
}

/**
 * The actor's app is built on its first request (issue 16: building every app took a quarter of a
 * cold start; /health is answered by the dispatcher, not the app), and once.
 */
function lazyApp(make: () => Handler): Handler {
  let handler: Handler | null = null;
  return (request, url) => (handler ??= make())(request, url);
}

export function buildHostMap(ctx: SandboxContext): HostMap {
  const hosts: HostMap = new Map();
  for (const a of actorSites(ctx.network)) {
    if (!a.site.internal) continue;
    const route: HostRoute = { kind: a.kind, title: a.title, origin: a.site.origin, dvaId: a.dvaId, handle: lazyApp(() => appFor(ctx, a)) };
    hosts.set(a.site.hostname, route);
    if (a.kind === "cockpit") for (const alias of ["127.0.0.1", "[::1]"]) hosts.set(alias, route);
  }
  return hosts;
}
