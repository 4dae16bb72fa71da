/**
 * Trace export in a real browser (issue 13 §3): on /logs, a trace's "Download NDJSON" and
 * "Download HAR" and the list's per-trace links download the files; the HAR is valid HAR 1.2 and
 * a HAR consumer built on Chromium's (Playwright's routeFromHAR) replays a page from it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import type { Sandbox } from "../../src/sandbox.ts";
import type { Har } from "../../src/shared/har.ts";
import { harProblems } from "../helpers/har.ts";
import { pgoSession, runJourney } from "../helpers/journey.ts";
import { startTestSandbox } from "../helpers/sandbox.ts";
import { launch, OUTPUT, screenshot } from "./helpers.ts";

let sandbox: Sandbox;
let browser: Browser;
let traceId: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launch();
  const pgo = await pgoSession(sandbox, "tom");
  await runJourney(sandbox, { pgo, zorgaanbieder: "delinde@medmij", bsn: "999991012", task: "task-tom-delinde-intake", action: { answers: { "intake-beroep": "Timmerman" } } });
  const lines = (await (await fetch(`${sandbox.url()}/api/logs?limit=10000`)).text()).trim().split("\n").map((l) => JSON.parse(l) as { event: { type: string; trace_id: string } });
  traceId = lines.filter((l) => l.event.type === "send_smart_launch_request").at(-1)!.event.trace_id;
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

/** Click a link and return the downloaded file's name and text. */
async function downloadVia(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string; path: string }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const path = `${OUTPUT}/${download.suggestedFilename()}`;
  await download.saveAs(path);
  return { name: download.suggestedFilename(), text: readFileSync(path, "utf8"), path };
}

describe("trace export on /logs", () => {
  test("the trace view's Download HAR and Download NDJSON; the HAR replays in a HAR consumer", async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${sandbox.url()}/logs?trace_id=${encodeURIComponent(traceId)}`);
    await screenshot(page, "trace-export-01-trace");

    const har = await downloadVia(page, () => page.getByRole("link", { name: "Download HAR" }).click());
    expect(har.name).toBe(`trace-${traceId}.har`);
    const parsed = JSON.parse(har.text) as Har;
    expect(harProblems(parsed)).toEqual([]);
    expect(parsed.log.entries.length).toBeGreaterThan(10);

    const ndjson = await downloadVia(page, () => page.getByRole("link", { name: "Download NDJSON" }).click());
    expect(ndjson.name).toBe(`trace-${traceId}.ndjson`);
    const lines = ndjson.text.trim().split("\n").map((l) => JSON.parse(l) as { event: { trace_id: string } });
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.event.trace_id === traceId)).toBe(true);

    // Playwright's HAR replay answers the module's task page from the file, as recorded (redacted).
    const replay = await browser.newContext();
    await replay.routeFromHAR(har.path, { notFound: "abort" });
    const taak = parsed.log.entries.find((e) => e.request.method === "GET" && new URL(e.request.url).pathname === "/taak")!;
    const replayed = await replay.newPage();
    await replayed.goto(taak.request.url);
    await replayed.getByRole("heading", { name: "Intakevragenlijst kortademigheid" }).waitFor();
    expect(await replayed.getByText("Hallo Tom,").isVisible()).toBe(true);
    await screenshot(replayed, "trace-export-02-replayed-from-har");
    await replay.close();
    await context.close();
  });

  test("the list's HAR and NDJSON links per trace", async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${sandbox.url()}/logs`);
    const har = await downloadVia(page, () => page.getByRole("link", { name: `HAR van trace ${traceId}` }).click());
    expect(har.name).toBe(`trace-${traceId}.har`);
    expect(harProblems(JSON.parse(har.text))).toEqual([]);
    const ndjson = await downloadVia(page, () => page.getByRole("link", { name: `NDJSON van trace ${traceId}` }).click());
    expect(ndjson.text.trim().split("\n").length).toBeGreaterThan(10);
    await context.close();
  });
});
