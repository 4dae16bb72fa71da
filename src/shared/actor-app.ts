/**
 * The base every actor's Elysia app starts from: the html plugin for JSX pages and one error
 * handler that renders a friendly page (or JSON for API paths) and never leaks a stack trace. A
 * storage failure (disk full, I/O error) is a 507/503 in the same shapes (shared/storage-error.ts).
 */
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { ErrorPage } from "../../views/error-page.tsx";
import type { Theme } from "../../views/theme.ts";
import { htmlResponse, jsonResponse } from "./html.ts";
import { STORAGE_RETRY_AFTER, logStorageFailure, storageFailure, storageFailureJson } from "./storage-error.ts";
import { incomingIds } from "./trace.ts";

export function createActorApp(name: string, theme: Theme) {
  return new Elysia({ name })
    .use(html({ autoDetect: true }))
    .onError(({ code, error, request }) => {
      const { traceId } = incomingIds(request);
      const url = new URL(request.url);
      const wantsJson = url.pathname.startsWith("/api/") || !(request.headers.get("accept") ?? "").includes("text/html");
      const storage = code === "NOT_FOUND" || code === "PARSE" || code === "VALIDATION" ? null : storageFailure(error);
      if (storage) {
        logStorageFailure(name, storage, traceId);
        if (wantsJson) return storageFailureJson(storage, traceId);
        return htmlResponse(ErrorPage({ theme, heading: "Technische storing", message: storage.message, traceId }),
          { status: storage.status, headers: { "Retry-After": STORAGE_RETRY_AFTER } });
      }
      const [status, heading, message] =
        code === "NOT_FOUND" ? [404, "Pagina niet gevonden", `Op ${url.host} bestaat ${url.pathname} niet.`]
        : code === "PARSE" || code === "VALIDATION" ? [400, "Ongeldig verzoek", "Het verzoek kon niet worden gelezen."]
        : [500, "Er ging iets mis", "Er is een onverwachte fout opgetreden. Noem de Trace ID als u hulp vraagt."];
      if (status === 500) console.error(`[${name}] trace ${traceId}:`, error);
      if (wantsJson) return jsonResponse({ error: status === 404 ? "not_found" : status === 400 ? "invalid_request" : "server_error", error_description: message, trace_id: traceId }, status);
      return htmlResponse(ErrorPage({ theme, heading, message, traceId }), { status });
    });
}
