/**
 * Start the real sandbox on port 0 with an in-memory database (or a given file), as tests of
 * flows must: the real server, driven over HTTP like a client would.
 */
import { testConfig, type Config } from "../../src/config.ts";
import { loadNetwork } from "../../src/network-loader.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox.ts";
import type { NetworkDefinition } from "../../src/shared/network.ts";

export async function startTestSandbox(overrides: Partial<Config> = {}, network?: NetworkDefinition): Promise<Sandbox> {
  return startSandbox(testConfig(overrides), network ?? (await loadNetwork(null)));
}

/** fetch that never follows redirects (tests assert them). */
export function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: "manual", ...init });
}

/** Pull the value of a hidden input (e.g. the CSRF token) out of a page. */
export function hiddenInput(html: string, name: string): string {
  const match = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!match) throw new Error(`no input ${name} in page`);
  return match[1]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

/** The name=value part of each Set-Cookie header, joined for a Cookie header. */
export function cookiesOf(response: Response, previous = ""): string {
  const jar = new Map(previous.split("; ").filter(Boolean).map((c) => [c.split("=")[0]!, c] as const));
  for (const c of response.headers.getSetCookie()) {
    const pair = c.split(";")[0]!;
    jar.set(pair.split("=")[0]!, pair);
  }
  return [...jar.values()].join("; ");
}

/** Switch faults over the sandbox API (`POST /api/faults`), or clear them all with null (`DELETE`). */
export function setFaults(sandbox: Pick<Sandbox, "url">, body: object | null): Promise<Response> {
  return fetch(`${sandbox.url()}/api/faults`, body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : { method: "DELETE" });
}

