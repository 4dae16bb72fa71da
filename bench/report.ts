/**
 * Numbers and tables for `bun run bench`: percentiles, formatting, and aligned text tables with
 * the measured value, the SPEC §11 target and a verdict. The bench reports; it never gates.
 */

export interface Row {
  measure: string;
  value: string;
  target: string;
  result: string;
}

/** Nearest-rank percentile of an unsorted sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** "p50 0.375 ms · p95 0.467 ms" */
export const pcts = (times: readonly number[], ps: readonly number[]) => ps.map((p) => `p${p} ${ms(percentile(times, p))}`).join(" · ");

/** A note for a row sampled fewer times than planned because its time budget ran out. */
export const sampled = (times: readonly number[], planned: number) => times.length < planned ? ` (time budget: ${times.length} of ${planned})` : "";

/** A small deterministic PRNG (mulberry32), so runs sample the same patients. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const min = (values: readonly number[]) => (values.length ? Math.min(...values) : Number.NaN);
export const max = (values: readonly number[]) => (values.length ? Math.max(...values) : Number.NaN);

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value)} ms`;
}

export function seconds(valueMs: number): string {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(1)} s` : "—";
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : "—";
}

export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "—";
}

/** "pass" when value is below the limit, "OVER" otherwise. */
export function under(value: number, limit: number): string {
  if (!Number.isFinite(value)) return "failed";
  return value < limit ? "pass" : "OVER";
}

/** "pass" when value reaches the floor, "UNDER" otherwise (throughput targets). */
export function atLeast(value: number, floor: number): string {
  if (!Number.isFinite(value)) return "failed";
  return value >= floor ? "pass" : "UNDER";
}

export function pending(issue: string): string {
  return `not yet measurable — arrives with ${issue}`;
}

export function failedRow(measure: string, error: unknown, target = ""): Row {
  const message = error instanceof Error ? error.message : String(error);
  return { measure, value: "—", target, result: `failed: ${message.split("\n")[0]!.slice(0, 160)}` };
}

export function printTable(title: string, rows: readonly Row[], notes: readonly string[] = []): void {
  const header: Row = { measure: "Measure", value: "Value", target: "SPEC target", result: "Result" };
  const all = [header, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length));
  const w = { measure: width("measure"), value: width("value"), target: width("target") };
  const line = (r: Row) => `  ${r.measure.padEnd(w.measure)}  ${r.value.padStart(w.value)}  ${r.target.padEnd(w.target)}  ${r.result}`;
  const rule = `  ${"─".repeat(w.measure)}  ${"─".repeat(w.value)}  ${"─".repeat(w.target)}  ${"─".repeat(Math.max(6, width("result")))}`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(rule);
  for (const r of rows) console.log(line(r));
  for (const n of notes) console.log(`  · ${n}`);
}
