/** Run the sandbox as a child process (CLI and binary tests). */
import type { Subprocess } from "bun";

export const ROOT = `${import.meta.dir}/../..`;

/**
 * Start a command and wait until it says it is ready: the human start line ("… ready on port N …")
 * or the machine-readable one (`ready http://localhost:N`, printed also with --quiet); returns the port.
 */
export async function startUntilReady(cmd: string[], cwd: string, timeoutMs = 20_000): Promise<{ proc: Subprocess<"ignore", "pipe", "pipe">; port: number; output: string }> {
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const decoder = new TextDecoder();
  let output = "";
  const reader = proc.stdout.getReader();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
    if (!chunk || chunk.done) break;
    output += decoder.decode(chunk.value);
    // A whole number only (a chunk may end inside it): something must follow the digits.
    const match = /ready on port (\d+)\D/.exec(output) ?? /^ready https?:\/\/[^\s/]+:(\d+)\r?\n/m.exec(output);
    if (match) { reader.releaseLock(); return { proc, port: Number(match[1]), output }; }
  }
  proc.kill();
  throw new Error(`not ready within ${timeoutMs} ms:\n${output}\n${await new Response(proc.stderr).text()}`);
}

export async function run(cmd: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export const DEFAULT_HOSTS = ["", "register.", "digid.", "auth.zorgnet.", "fhir.zorgnet.", "auth.ggzconnect.", "fhir.ggzconnect.", "pgo.", "module.", "xis.", "beheer."];
