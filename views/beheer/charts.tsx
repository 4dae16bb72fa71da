/**
 * MedMij Beheer's charts: SVG drawn on the server (like the portal's score chart), each with a
 * title for screen readers and the same figures in text next to it; no client chart code.
 */
import { clockTime } from "../../src/shared/time.ts";
import type { ChainKind } from "../../src/beheer/chains.ts";

export const OK_COLOR = "#15803d";
export const BAD_COLOR = "#b91c1c";

/** Deliveries per bucket: technisch OK (green) under niet OK (red), stacked. */
export function DeliveriesChart({ id, buckets }: { id: string; buckets: { startMs: number; ok: number; nietOk: number }[] }): JSX.Element {
  const w = 560;
  const h = 180;
  const left = 40;
  const right = 12;
  const top = 16;
  const bottom = 28;
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.nietOk));
  const slot = (w - left - right) / Math.max(1, buckets.length);
  const y = (v: number) => (v / max) * (h - top - bottom);
  const base = h - bottom;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby={`${id}-titel`}>
        <title id={`${id}-titel`} safe>{`Aanleveringen per 5 minuten, het laatste uur: ${buckets.reduce((n, b) => n + b.ok, 0)} technisch OK, ${buckets.reduce((n, b) => n + b.nietOk, 0)} niet OK`}</title>
        <line x1={String(left)} y1={String(base)} x2={String(w - right)} y2={String(base)} stroke="#94a3b8" />
        <text x={String(left - 6)} y={String(base + 4)} text-anchor="end" font-size="12">0</text>
        <text x={String(left - 6)} y={String(top + 4)} text-anchor="end" font-size="12" safe>{String(max)}</text>
        {buckets.map((b, i) => {
          const x = left + i * slot + slot * 0.15;
          const bw = slot * 0.7;
          return (
            <g>
              {b.ok ? <rect x={x.toFixed(1)} y={(base - y(b.ok)).toFixed(1)} width={bw.toFixed(1)} height={y(b.ok).toFixed(1)} fill={OK_COLOR} /> : ""}
              {b.nietOk ? <rect x={x.toFixed(1)} y={(base - y(b.ok) - y(b.nietOk)).toFixed(1)} width={bw.toFixed(1)} height={y(b.nietOk).toFixed(1)} fill={BAD_COLOR} /> : ""}
              {i % 3 === 0 ? <text x={(x + bw / 2).toFixed(1)} y={String(h - 8)} text-anchor="middle" font-size="12" safe>{clockTime(new Date(b.startMs))}</text> : ""}
            </g>
          );
        })}
      </svg>
      <figcaption><span style={`color: ${OK_COLOR}`}>■</span> technisch OK · <span style={`color: ${BAD_COLOR}`}>■</span> technisch niet OK</figcaption>
    </figure>
  );
}

export interface Bar { label: string; value: number; total: number; color: string; note: string }

/** Horizontal bars of a share (0–1), each with its label and note in text. */
export function ShareBars({ id, title, bars }: { id: string; title: string; bars: Bar[] }): JSX.Element {
  const w = 560;
  const row = 30;
  const left = 150;
  const right = 150;
  const h = bars.length * row + 8;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby={`${id}-titel`}>
        <title id={`${id}-titel`} safe>{`${title}: ${bars.map((b) => `${b.label} ${b.note}`).join("; ")}`}</title>
        {bars.map((b, i) => {
          const y = 4 + i * row;
          const share = b.total > 0 ? b.value / b.total : 0;
          return (
            <g>
              <text x={String(left - 8)} y={String(y + 19)} text-anchor="end" font-size="13" safe>{b.label}</text>
              <rect x={String(left)} y={String(y + 4)} width={String(w - left - right)} height="20" fill="#e2e8f0" />
              {share > 0 ? <rect x={String(left)} y={String(y + 4)} width={(share * (w - left - right)).toFixed(1)} height="20" fill={b.color} /> : ""}
              <text x={String(w - right + 8)} y={String(y + 19)} font-size="13" safe>{b.note}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** How each kind of chain is named and coloured (pill: dark text on a light background, AA). */
export const KIND_LABELS: Record<ChainKind, string> = {
  happy: "Happy flow", alternatief: "Alternatieve flow", eenzijdig: "Eenzijdig aangeleverd", afgehaakt: "Afgehaakt", lopend: "Lopend",
};
const KIND_STYLE: Record<ChainKind, { bg: string; fg: string; bar: string }> = {
  happy: { bg: "#dcfce7", fg: "#166534", bar: OK_COLOR },
  alternatief: { bg: "#ffedd5", fg: "#9a3412", bar: "#c2410c" },
  eenzijdig: { bg: "#ede9fe", fg: "#5b21b6", bar: "#6d28d9" },
  afgehaakt: { bg: "#e2e8f0", fg: "#334155", bar: "#475569" },
  lopend: { bg: "#dbeafe", fg: "#1e40af", bar: "#2563eb" },
};
export const kindColor = (k: ChainKind) => KIND_STYLE[k].bar;

export function KindPill({ kind }: { kind: ChainKind }): JSX.Element {
  const s = KIND_STYLE[kind];
  return <span class="status" style={`background: ${s.bg}; color: ${s.fg}`} safe>{KIND_LABELS[kind]}</span>;
}
