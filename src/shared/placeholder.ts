/**
 * A host whose actor is planned but not built yet: it answers `/health` (server.ts) and shows what
 * it will be at `/`, and 404 elsewhere. Replaced by the actor's own app in its issue.
 */
import { createActorApp } from "./actor-app.ts";
import { htmlResponse } from "./html.ts";
import { PlaceholderPage } from "../../views/placeholder.tsx";
import type { Theme } from "../../views/theme.ts";

export function createPlaceholderApp(theme: Theme, what: string, cockpit: string) {
  return createActorApp(`placeholder:${theme.name}`, theme)
    .get("/", () => htmlResponse(PlaceholderPage({ theme, what, cockpit })));
}
