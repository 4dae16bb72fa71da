/**
 * Static assets served on every host under /_sandbox/: htmx from the installed package (pinned to
 * 2.0.11, see ARCHITECTURE.md), the stylesheet, and the questionnaires' enableWhen script.
 * Embedded in the compiled binary.
 */
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import css from "../../views/style.css" with { type: "text" };
import { enableWhenScript } from "../../views/enable-when.ts";
import { pauseRefreshScript } from "../../views/pause-refresh.ts";
import { ASSETS } from "../../views/layout.tsx";

const htmx = Bun.file(htmxPath);
const enableWhen = `(${enableWhenScript.toString()})();\n`;
const pauseRefresh = `(${pauseRefreshScript.toString()})();\n`;
const cacheable = { "Cache-Control": "public, max-age=86400" };

export function serveAsset(pathname: string): Response | null {
  if (pathname === ASSETS.htmx) return new Response(htmx, { headers: { "Content-Type": "text/javascript; charset=utf-8", ...cacheable } });
  if (pathname === ASSETS.css) return new Response(css, { headers: { "Content-Type": "text/css; charset=utf-8", ...cacheable } });
  if (pathname === ASSETS.enableWhen) return new Response(enableWhen, { headers: { "Content-Type": "text/javascript; charset=utf-8", ...cacheable } });
  if (pathname === ASSETS.pauseRefresh) return new Response(pauseRefresh, { headers: { "Content-Type": "text/javascript; charset=utf-8", ...cacheable } });
  // Browsers ask every host for one; an empty answer keeps their consoles (and tests) free of 404s.
  if (pathname === "/favicon.ico") return new Response(null, { status: 204, headers: cacheable });
  return null;
}
