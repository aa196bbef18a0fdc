/** Inline SVG charts for the HTML report (no scripts, no external files): box plots and bar charts. */
import type { BoxStats } from './stats';

export const MODE_COLORS: Record<string, string> = {
  off: '#6b7280',
  'traced-off': '#0891b2',
  local: '#2563eb',
  prepaid: '#7c3aed',
  remote: '#d97706',
  naive: '#dc2626',
  thesis: '#059669',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
};

/** A log-10 axis from lo to hi with ticks at 1, 2, 5 × 10^k. */
function logScale(lo: number, hi: number, top: number, bottom: number) {
  const min = 10 ** Math.floor(Math.log10(Math.max(lo, 1e-3)));
  const max = 10 ** Math.ceil(Math.log10(Math.max(hi, min * 10)));
  const y = (v: number) =>
    bottom - ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (bottom - top);
  const ticks: number[] = [];
  for (let e = Math.log10(min); e <= Math.log10(max) + 1e-9; e++)
    for (const m of [1, 2, 5]) if (m * 10 ** e <= max * 1.0001) ticks.push(m * 10 ** e);
  return { y, ticks };
}

function linearScale(hi: number, top: number, bottom: number) {
  const raw = hi > 0 ? hi : 1;
  const step =
    10 ** Math.floor(Math.log10(raw)) *
    (raw / 10 ** Math.floor(Math.log10(raw)) > 5 ? 2 : raw / 10 ** Math.floor(Math.log10(raw)) > 2 ? 1 : 0.5);
  const max = Math.ceil(raw / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
  return { y: (v: number) => bottom - (v / max) * (bottom - top), ticks };
}

export interface BoxEntry {
  label: string;
  color: string;
  box: BoxStats;
  /** Shown as a small extra mark (the maximum). */
  max: number;
}

/** Box plots in the manner of the thesis's figures: box q1–q3, median line, Tukey whiskers, outliers as dots. */
export function boxPlotSvg(title: string, entries: BoxEntry[], opts: { width?: number; height?: number } = {}): string {
  const width = opts.width ?? 520;
  const height = opts.height ?? 300;
  const left = 60,
    right = 16,
    top = 34,
    bottom = height - 46;
  const all = entries.flatMap((e) => [e.box.whiskerLow, e.box.q1, e.max, ...e.box.outliers]).filter((v) => Number.isFinite(v) && v > 0);
  const { y, ticks } = logScale(Math.min(...all, 1), Math.max(...all, 1), top, bottom);
  const slot = (width - left - right) / Math.max(entries.length, 1);
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${esc(title)}</text>`);
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  parts.push(
    `<text x="14" y="${(top + bottom) / 2}" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle" class="tick">ms (log scale)</text>`,
  );
  entries.forEach((e, i) => {
    const cx = left + slot * (i + 0.5);
    const w = Math.min(60, slot * 0.5);
    const b = e.box;
    const yq1 = y(b.q1),
      yq3 = y(b.q3);
    parts.push(
      `<g><title>${esc(`${e.label}: median ${fmt(b.median)} ms, box ${fmt(b.q1)}–${fmt(b.q3)} ms, whiskers ${fmt(b.whiskerLow)}–${fmt(b.whiskerHigh)} ms, ${b.outlierCount} outliers, max ${fmt(e.max)} ms`)}</title>`,
    );
    parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(b.whiskerHigh).toFixed(1)}" y2="${yq3.toFixed(1)}" stroke="${e.color}"/>`);
    parts.push(`<line x1="${cx}" x2="${cx}" y1="${yq1.toFixed(1)}" y2="${y(b.whiskerLow).toFixed(1)}" stroke="${e.color}"/>`);
    for (const v of [b.whiskerLow, b.whiskerHigh])
      parts.push(`<line x1="${cx - w / 4}" x2="${cx + w / 4}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${e.color}"/>`);
    parts.push(
      `<rect x="${cx - w / 2}" y="${yq3.toFixed(1)}" width="${w}" height="${Math.max(1, yq1 - yq3).toFixed(1)}" fill="${e.color}" fill-opacity="0.25" stroke="${e.color}"/>`,
    );
    parts.push(
      `<line x1="${cx - w / 2}" x2="${cx + w / 2}" y1="${y(b.median).toFixed(1)}" y2="${y(b.median).toFixed(1)}" stroke="${e.color}" stroke-width="2.5"/>`,
    );
    // A small fixed horizontal spread keeps coinciding outliers visible.
    b.outliers.forEach((o, j) =>
      parts.push(
        `<circle cx="${(cx + (((j * 7) % 11) - 5) * (w / 20)).toFixed(1)}" cy="${y(o).toFixed(1)}" r="1.8" fill="none" stroke="${e.color}" stroke-opacity="0.6"/>`,
      ),
    );
    parts.push('</g>');
    const [l1, l2] = splitLabel(e.label);
    parts.push(`<text x="${cx}" y="${bottom + 16}" text-anchor="middle" class="label">${esc(l1)}</text>`);
    if (l2) parts.push(`<text x="${cx}" y="${bottom + 30}" text-anchor="middle" class="label">${esc(l2)}</text>`);
  });
  return svg(width, height, parts, 'box-plot', title);
}

function splitLabel(label: string): [string, string?] {
  const i = label.indexOf(' (');
  return i > 0 ? [label.slice(0, i), label.slice(i + 1)] : [label];
}

export interface BarGroup {
  label: string;
  bars: { series: string; value: number | null; color: string }[];
}

/** Grouped bars (e.g. requests per second per shape, one bar per mode). */
export function groupedBarSvg(title: string, unit: string, groups: BarGroup[], opts: { width?: number; height?: number } = {}): string {
  const width = opts.width ?? 720;
  const left = 60,
    right = 16,
    top = 34;
  const series = [...new Map(groups.flatMap((g) => g.bars.map((b) => [b.series, b.color] as const))).entries()];
  const legend = legendLayout(
    series.map(([name]) => name),
    width - left - right,
  );
  const legendRows = Math.max(2, legend.rows);
  // Each legend row beyond two makes the chart taller, not the plot smaller.
  const height = opts.height ?? 320 + (legendRows - 2) * 16;
  const bottom = height - 38 - legendRows * 16;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value ?? 0));
  const { y, ticks } = linearScale(Math.max(...values, 0), top, bottom);
  const slot = (width - left - right) / Math.max(groups.length, 1);
  const parts: string[] = [`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${esc(title)}</text>`];
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  parts.push(
    `<text x="14" y="${(top + bottom) / 2}" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle" class="tick">${esc(unit)}</text>`,
  );
  groups.forEach((g, i) => {
    const x0 = left + slot * i + slot * 0.1;
    const bw = (slot * 0.8) / Math.max(g.bars.length, 1);
    g.bars.forEach((b, j) => {
      if (b.value === null) return;
      const x = x0 + bw * j;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${(bw * 0.9).toFixed(1)}" height="${(bottom - y(b.value)).toFixed(1)}" fill="${b.color}"><title>${esc(`${g.label}, ${b.series}: ${fmt(b.value)} ${unit}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(left + slot * (i + 0.5)).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="label">${esc(g.label)}</text>`,
    );
  });
  series.forEach(([name, color], i) => {
    const x = left + legend.at[i]!.x;
    const yy = bottom + 34 + legend.at[i]!.row * 16;
    parts.push(
      `<rect x="${x}" y="${yy - 9}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${yy}" class="label" text-anchor="start">${esc(name)}</text>`,
    );
  });
  return svg(width, height, parts, 'bar-chart', title);
}

/** Legend entries left to right, wrapped to the next row when a row is full (text width estimated from its length). */
function legendLayout(names: string[], rowWidth: number): { at: { x: number; row: number }[]; rows: number } {
  const at: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const name of names) {
    const w = 14 + name.length * 6 + 24;
    if (x > 0 && x + w > rowWidth) {
      x = 0;
      row++;
    }
    at.push({ x, row });
    x += w;
  }
  return { at, rows: names.length ? row + 1 : 0 };
}

/** Stacked bars: one bar per series (e.g. mode), one segment per part (e.g. process). */
export function stackedBarSvg(
  title: string,
  unit: string,
  bars: { label: string; segments: { part: string; value: number }[] }[],
  colors: Record<string, string>,
  opts: { width?: number; height?: number } = {},
): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 320;
  const left = 60,
    right = 200,
    top = 34,
    bottom = height - 40;
  const totals = bars.map((b) => b.segments.reduce((a, s) => a + Math.max(0, s.value), 0));
  const { y, ticks } = linearScale(Math.max(...totals, 0), top, bottom);
  const slot = (width - left - right) / Math.max(bars.length, 1);
  const parts: string[] = [`<text x="${(width - right + left) / 2}" y="18" text-anchor="middle" class="title">${esc(title)}</text>`];
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  parts.push(
    `<text x="14" y="${(top + bottom) / 2}" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle" class="tick">${esc(unit)}</text>`,
  );
  bars.forEach((b, i) => {
    const x = left + slot * i + slot * 0.2;
    let acc = 0;
    for (const s of b.segments) {
      if (s.value <= 0) continue;
      const y1 = y(acc + s.value),
        y0 = y(acc);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${colors[s.part] ?? '#999'}"><title>${esc(`${b.label}, ${s.part}: ${fmt(s.value)} ${unit}`)}</title></rect>`,
      );
      acc += s.value;
    }
    parts.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="label">${esc(b.label)}</text>`);
  });
  Object.entries(colors).forEach(([part, color], i) => {
    const yy = top + 10 + i * 18;
    parts.push(
      `<rect x="${width - right + 16}" y="${yy - 9}" width="10" height="10" fill="${color}"/><text x="${width - right + 30}" y="${yy}" class="label" text-anchor="start">${esc(part)}</text>`,
    );
  });
  return svg(width, height, parts, 'stacked-bar-chart', title);
}

function svg(width: number, height: number, parts: string[], kind: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** A linear axis over [lo, hi] (lo ≤ 0 ≤ hi) with ticks at round steps, 0 among them. */
function signedScale(lo: number, hi: number, top: number, bottom: number) {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = mag * (raw / mag > 5 ? 10 : raw / mag > 2 ? 5 : raw / mag > 1 ? 2 : 1);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step || step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  return { ticks, y: (v: number) => bottom - ((v - min) / (max - min)) * (bottom - top) };
}

export interface LineSeries {
  name: string;
  color: string;
  /** One point per x label (null: not measured); `low`/`high` draw a confidence interval. */
  points: ({ value: number; low?: number; high?: number } | null)[];
}

/**
 * Lines over evenly spaced x labels (rates, connections, depths), one per series, with confidence intervals as
 * vertical whiskers; the y axis linear from 0 (or from the lowest value when some are negative, e.g. added latency).
 */
export function lineChartSvg(
  title: string,
  unit: string,
  xLabels: string[],
  series: LineSeries[],
  opts: { width?: number; height?: number; xTitle?: string } = {},
): string {
  const width = opts.width ?? 500;
  const left = 60,
    right = 16,
    top = 34;
  const legend = legendLayout(
    series.map((s) => s.name),
    width - left - right,
  );
  const legendRows = Math.max(1, legend.rows);
  const height = opts.height ?? 300 + (legendRows - 1) * 16;
  const bottom = height - 52 - legendRows * 16;
  const all = series
    .flatMap((s) => s.points.flatMap((p) => (p ? [p.value, p.low ?? p.value, p.high ?? p.value] : [])))
    .filter(Number.isFinite);
  const { ticks, y } = signedScale(Math.min(0, ...all), Math.max(0, ...all), top, bottom);
  const xAt = (i: number) => left + ((width - left - right) * (i + 0.5)) / Math.max(xLabels.length, 1);
  const parts: string[] = [`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${esc(title)}</text>`];
  for (const v of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(v)}</text>`);
  }
  parts.push(
    `<text x="14" y="${(top + bottom) / 2}" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle" class="tick">${esc(unit)}</text>`,
  );
  xLabels.forEach((label, i) => {
    parts.push(`<text x="${xAt(i).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="label">${esc(label)}</text>`);
  });
  if (opts.xTitle)
    parts.push(`<text x="${(left + width - right) / 2}" y="${bottom + 32}" text-anchor="middle" class="tick">${esc(opts.xTitle)}</text>`);
  for (const s of series) {
    const pts = s.points.map((p, i) => (p ? ([xAt(i), y(p.value)] as const) : null));
    const path = pts.filter((p) => p !== null).map(([x, yy], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${yy.toFixed(1)}`);
    if (path.length > 1) parts.push(`<path d="${path.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    s.points.forEach((p, i) => {
      if (!p) return;
      const x = xAt(i);
      if (p.low !== undefined && p.high !== undefined && p.high > p.low)
        parts.push(
          `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y(p.low).toFixed(1)}" y2="${y(p.high).toFixed(1)}" stroke="${s.color}"/>`,
        );
      const ci = p.low !== undefined && p.high !== undefined ? ` (95 % CI ${fmt(p.low)}–${fmt(p.high)})` : '';
      parts.push(
        `<rect x="${(x - 3).toFixed(1)}" y="${(y(p.value) - 3).toFixed(1)}" width="6" height="6" fill="${s.color}"><title>${esc(`${s.name}, ${xLabels[i]}: ${fmt(p.value)} ${unit}${ci}`)}</title></rect>`,
      );
    });
  }
  series.forEach((s, i) => {
    const x = left + legend.at[i]!.x;
    const yy = bottom + 48 + legend.at[i]!.row * 16;
    parts.push(
      `<rect x="${x}" y="${yy - 9}" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="${yy}" class="label" text-anchor="start">${esc(s.name)}</text>`,
    );
  });
  return svg(width, height, parts, 'line-chart', title);
}
