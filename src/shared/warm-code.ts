/**
 * Read the sandbox's own code into the operating system's page cache right after start, in a child
 * process at the lowest priority (issue 16). The actors' modules load on their host's first request
 * (actors.ts: lazily, for the idle RSS — all of them loaded is ~20 MB more), so that first request
 * read the files — and looked up their directories — on the event loop: on a cold disk under load
 * the cockpit's first `/logs` held every actor 563 ms in `folio_wait_bit` (bench table 11), and while
 * another program read the disk 1.5 s (`ext4_read_bh`: the directory and inode lookups). With the
 * files read in advance elsewhere the same first request waited 26 ms in the kernel in all.
 * Compiled: the executable (the modules are in it). From source: Bun's executable, src/, views/,
 * seed/ and the runtime dependencies' packages (package.json "dependencies", and theirs). The child reads and
 * exits, nothing is kept; where it cannot start, the modules load as before.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { setPriority } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The child for the code at `here` (this module's path): from a checkout this very file runs as
 * the child; compiled, the executable holds the modules; bundled any other way, `here` is the
 * bundle itself, which is only read (running it would start a second sandbox).
 */
export function warmCommand(here: string, execPath = process.execPath, exists = existsSync): string[] {
  if (here.startsWith("/$bunfs/")) return ["cat", execPath];
  return basename(here) === "warm-code.ts" && exists(here) ? [execPath, here] : ["cat", here];
}

export function warmCodeInBackground(): void {
  const cmd = warmCommand(fileURLToPath(import.meta.url));
  try {
    const child = Bun.spawn(cmd, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try { setPriority(child.pid, 19); } catch { /* as it is */ }
    child.unref();
  } catch { /* no such program: the modules load as before */ }
}

/** The folders whose files the sandbox may load from a checkout: its own code and its runtime dependencies (never the dev ones). */
export function codeFolders(root: string): string[] {
  const folders = ["src", "views", "seed"].map((d) => join(root, d));
  const seen = new Set<string>();
  const pending = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {});
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const folder = join(root, "node_modules", name);
    try {
      const pkg = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      folders.push(folder);
      pending.push(...Object.keys(pkg.dependencies ?? {}));
    } catch { /* not installed (an optional one) */ }
  }
  return folders;
}

/** Read every file below a folder (and so its directories and inodes), keeping nothing. */
function readAll(folder: string): number {
  let files = 0;
  let entries;
  try { entries = readdirSync(folder, { withFileTypes: true }); } catch { return 0; }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files += readAll(path);
    else if (entry.isFile()) { try { readFileSync(path); files++; } catch { /* gone */ } }
  }
  return files;
}

/** Read a large file in 1 MB chunks, keeping nothing. */
function readThrough(path: string): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    while (readSync(fd, buffer, 0, buffer.length, null) > 0) { /* into the page cache */ }
  } catch { /* not readable */ } finally { if (fd !== null) closeSync(fd); }
}

if (import.meta.main) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  let files = 0;
  // Bun itself too: the parts of its executable a first request needs are read from there.
  readThrough(process.execPath);
  for (const folder of codeFolders(root)) files += readAll(folder);
  if (process.env.SANDBOX_WARM_VERBOSE) console.log(`${files} files read`);
}
