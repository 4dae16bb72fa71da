/**
 * The base every actor's Elysia app starts from: the html plugin for JSX pages and one error
 * handler that renders a friendly page (or JSON for API paths) and never leaks a stack trace.
 */
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { ErrorPage } from "../../views/error-page.tsx";
import type { Theme } from "../../views/theme.ts";
import { htmlResponse, jsonResponse } from "./html.ts";
import { incomingIds } from "./trace.ts";

export function createActorApp(name: string, theme: Theme) {
  return new Elysia({ name })
    .use(html({ autoDetect: true }))
    .onError(({ code, error, request }) => {
      const { traceId } = incomingIds(request);
      const url = new URL(request.url);
      const wantsJson = url.pathname.startsWith("/api/") || !(request.headers.get("accept") ?? "").includes("text/html");
      const [status, heading, message] =
        code === "NOT_FOUND" ? [404, "Pagina niet gevonden", `Op ${url.host} bestaat ${url.pathname} niet.`]
        : code === "PARSE" || code === "VALIDATION" ? [400, "Ongeldig verzoek", "Het verzoek kon niet worden gelezen."]
        : [500, "Er ging iets mis", "Er is een onverwachte fout opgetreden. Noem de Trace ID als u hulp vraagt."];
      if (status === 500) console.error(`[${name}] trace ${traceId}:`, error);
      if (wantsJson) return jsonResponse({ error: status === 404 ? "not_found" : status === 400 ? "invalid_request" : "server_error", error_description: message, trace_id: traceId }, status);
      return htmlResponse(ErrorPage({ theme, heading, message, traceId }), { status });
    });
}
