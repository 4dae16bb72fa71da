/**
 * bench/processes.ts rssPartsOf: where a process's RSS is, from /proc/<pid>/smaps (issue 16's RSS
 * row says how much is the executable's pages and how much the allocator's arena).
 */
import { expect, test } from "bun:test";
import { rssPartsOf, rssParts } from "../../../bench/processes.ts";

const mapping = (head: string, rssKb: number) => `${head}\nSize:            1024 kB\nRss:             ${rssKb} kB\nPss:             ${rssKb} kB\nAnonymous:       0 kB\n`;

test("file pages, the largest anonymous mapping and the rest are told apart", () => {
  const smaps = [
    mapping("00400000-00500000 r-xp 00000000 fd:01 123 /usr/local/bin/bun", 30_000),
    mapping("00500000-00600000 r--p 00100000 fd:01 123 /usr/local/bin/bun", 18_000),
    mapping("33247a00000-33287a00000 rw-p 00000000 00:00 0 ", 60_000),
    mapping("7f8550000000-7f8590000000 rwxp 00000000 00:00 0 ", 3_000),
    mapping("7ffd0000-7ffd2000 rw-p 00000000 00:00 0                          [stack]", 100),
    mapping("7f0000000000-7f0000001000 r--p 00000000 fd:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6", 1_000),
  ].join("");
  expect(rssPartsOf(smaps)).toEqual({ files: 49_000 * 1024, arena: 60_000 * 1024, rest: 3_100 * 1024 });
});

test("nothing mapped is nothing resident", () => {
  expect(rssPartsOf("")).toEqual({ files: 0, arena: 0, rest: 0 });
});

test.skipIf(process.platform !== "linux")("this process's own parts add up to its RSS (within what moved between the two reads)", async () => {
  const parts = await rssParts(process.pid);
  const status = await Bun.file(`/proc/${process.pid}/status`).text();
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) * 1024;
  const sum = parts.files + parts.arena + parts.rest;
  expect(Math.abs(sum - rss) / rss).toBeLessThan(0.1);
  expect(parts.files).toBeGreaterThan(0);
});
