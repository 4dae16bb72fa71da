/**
 * The host map: every internal site of the network → its actor app (SPEC §2). External sites
 * (absolute URLs in the network) are not served here.
 */
import { actorSites, type ActorSite } from "./shared/actor-sites.ts";
import type { SandboxContext } from "./shared/context.ts";
import type { HostMap, HostRoute } from "./server.ts";

type Handler = (request: Request, url: URL) => Response | Promise<Response>;

/** The actor's app; its modules are imported on first use, so a sandbox used as a FHIR double never loads the cockpit's views. */
async function appFor(ctx: SandboxContext, a: ActorSite): Promise<Handler> {
  const n = ctx.network;
  const handler = (app: { handle: (request: Request) => Response | Promise<Response> }): Handler => (request) => app.handle(request);
  switch (a.kind) {
    case "cockpit": return handler((await import("./cockpit/index.ts")).createCockpit(ctx));
    case "register": return handler((await import("./register/index.ts")).createRegister(ctx).app);
    case "digid": return handler((await import("./digid/index.ts")).createDigid(ctx).app);
    case "dva-auth": {
      const dva = n.dvas[a.dvaIndex!]!;
      const [{ createDvaAuth }, { moduleOrigins, withModuleCors }] = await Promise.all([import("./dva/auth/index.ts"), import("./dva/auth/cors.ts")]);
      return withModuleCors(handler(createDvaAuth(ctx, dva, a.dvaIndex!)), () => moduleOrigins(ctx.network, dva));
    }
    case "dva-fhir": return (await import("./dva/fhir/index.ts")).createDvaFhir(ctx, n.dvas[a.dvaIndex!]!, a.dvaIndex!);
    case "pgo": return handler((await import("./pgo/index.ts")).createPgo(ctx, n.pgos[a.pgoIndex!]!));
    case "module": return handler((await import("./module/index.ts")).createModuleApp(ctx, n.modules.filter((m) => m.site.origin === a.site.origin)));
    case "xis": return handler((await import("./xis/index.ts")).createXis(ctx));
    case "beheer": return (await import("./beheer/index.ts")).createBeheer(ctx);
    case "verbind": return handler((await import("./verbind/index.ts")).createVerbind(ctx));
  }
}

/**
 * The actor's app is built on its first request (issue 16: building and loading every app was a
 * large part of a cold start and of the idle memory; /health is answered by the dispatcher, not the
 * app), once. Requests that arrive while it loads wait for it; a failed load is tried again.
 */
function lazyApp(load: () => Promise<Handler>): Handler {
  let handler: Handler | null = null;
  let loading: Promise<Handler> | null = null;
  return (request, url) => {
    if (handler) return handler(request, url);
    loading ??= load().then((h) => (handler = h), (e) => { loading = null; throw e; });
    return loading.then((h) => h(request, url));
  };
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
