/**
 * One trace as a file for triage (issue 13 §3): `GET /api/traces/<trace_id>.ndjson` (its SD 4.5
 * lines, as `GET /api/logs?trace_id=` gives them) and `.har` (HAR 1.2 of the HTTP exchanges the
 * sandbox saw in it, redacted). 400 for an id the sandbox would never take over from a caller,
 * 404 JSON for a trace with neither lines nor exchanges.
 */
import type { SandboxContext } from "../shared/context.ts";
import type { StoredChainLine } from "../shared/chain-log.ts";
import { buildHar } from "../shared/har.ts";
import { jsonResponse } from "../shared/html.ts";
import { yieldToOthers } from "../shared/yield.ts";
import { version } from "../../package.json" with { type: "json" };

/** As trace.ts takes a trace id over from a caller: anything else was never a trace. */
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PAGE = 5_000;
/**
 * A trace longer than this is cut (a runaway loop of one id, a load tool that sends one
 * X-Correlation-ID); the export says so in its header. A journey has about fifty lines.
 */
const MAX_LINES = 50_000;
const MAX_EXCHANGES = 10_000;

/** The trace's lines a page at a time, letting other requests run between pages (issue 16). */
async function linesOf(ctx: SandboxContext, traceId: string): Promise<{ lines: StoredChainLine[]; cut: boolean }> {
  const lines: StoredChainLine[] = [];
  let since: string | undefined;
  for (;;) {
    const page = ctx.chain.query({ traceId, since, limit: PAGE });
    lines.push(...page);
    if (page.length < PAGE) return { lines, cut: false };
    if (lines.length >= MAX_LINES) return { lines, cut: true };
    since = String(page.at(-1)!.seq);
    await yieldToOthers();
  }
}

export async function traceExport(ctx: SandboxContext, file: string): Promise<Response> {
  const match = /^(.*)\.(har|ndjson)$/.exec(file);
  if (!match) return jsonResponse({ error: "not_found", error_description: "use /api/traces/<trace_id>.har or /api/traces/<trace_id>.ndjson" }, 404);
  const [, traceId = "", format] = match;
  if (!TRACE_ID.test(traceId)) {
    return jsonResponse({ error: "invalid_request", error_description: "a trace id is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'" }, 400);
  }
  const { lines, cut } = await linesOf(ctx, traceId);
  const exchanges = format === "har" ? ctx.exchanges.ofTrace(traceId, MAX_EXCHANGES + 1) : [];
  const cutExchanges = exchanges.length > MAX_EXCHANGES;
  if (cutExchanges) exchanges.length = MAX_EXCHANGES;
  if (lines.length === 0 && exchanges.length === 0 && (format === "har" || !ctx.exchanges.hasTrace(traceId))) {
    return jsonResponse({ error: "not_found", error_description: `no trace ${traceId}: no log lines or exchanges (kept as long as the chain log keeps lines)`, trace_id: traceId }, 404);
  }
  const headers: Record<string, string> = { "Content-Disposition": `attachment; filename="trace-${traceId}.${format}"` };
  if (cut || cutExchanges) headers["X-Sandbox-Warning"] = `only the first ${MAX_LINES} lines and ${MAX_EXCHANGES} exchanges of this trace`;
  if (format === "ndjson") {
    const body = lines.map(({ seq: _seq, ...line }) => JSON.stringify(line)).join("\n") + (lines.length ? "\n" : "");
    return new Response(body, { headers: { ...headers, "Content-Type": "application/x-ndjson" } });
  }
  const har = buildHar({ traceId, exchanges, lines, creator: { name: "MedMij Sandbox", version } });
  return new Response(JSON.stringify(har, null, 1), { headers: { ...headers, "Content-Type": "application/json; charset=utf-8" } });
}
