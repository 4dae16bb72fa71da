/**
 * The PGO (SPEC §7) at `pgo.localhost`, composed of its route groups: accounts (account-routes.ts),
 * connecting zorgaanbieders (connection-routes.ts) and the tasks (task-routes.ts), over shared
 * dependencies (deps.ts). Every network read goes through the register lists and the DVA over HTTP.
 */
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import type { ResolvedPgo } from "../shared/resolved-network.ts";
import { htmlResponse } from "../shared/html.ts";
import { personaLoginPurpose } from "../shared/tickets.ts";
import { PrivacyPage } from "../../views/pgo/privacy.tsx";
import { accountRoutes } from "./account-routes.ts";
import { connectionRoutes } from "./connection-routes.ts";
import { createPgoDeps } from "./deps.ts";
import { taskRoutes } from "./task-routes.ts";

export function createPgo(ctx: SandboxContext, pgo: ResolvedPgo) {
  const d = createPgoDeps(ctx, pgo);
  const { theme, store, accountOf, startSession, failure, expired } = d;
  return createActorApp(`pgo:${pgo.clientId}`, theme)
    .get("/", ({ request }) => new Response(null, { status: 303, headers: { Location: accountOf(request) ? "/taken" : "/login" } }))
    // The cockpit's one-click "Start als Tom" (SPEC §9): a signed single-use ticket for one persona.
    .get("/persona-login", ({ request }) => {
      const username = ctx.tickets.redeem(personaLoginPurpose(pgo.clientId), new URL(request.url).searchParams.get("ticket"));
      const account = username ? store.findAccount(pgo.clientId, username) : null;
      if (!account) {
        return failure(request, "Startlink verlopen", "Deze startlink uit de cockpit is verlopen of al gebruikt. Start opnieuw vanuit de cockpit, of log in met gebruikersnaam en wachtwoord.", 400);
      }
      return new Response(null, { status: 303, headers: { Location: "/taken", "Set-Cookie": startSession(account.id) } });
    })
    // AM-FE-042: the privacy statement (what the PGO stores; modules run under the zorgaanbieder's responsibility).
    .get("/privacy", ({ request }) => htmlResponse(PrivacyPage({ theme, pgoName: pgo.displayName, loggedIn: accountOf(request) !== null })))
    .use(taskRoutes(d))
    .use(connectionRoutes(d))
    .use(accountRoutes({ ctx, pgo, theme, store, expired, startSession, accountOf }));
}
