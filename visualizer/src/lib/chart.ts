/** Geometry of a small line chart (axes, ticks, polylines) as plain numbers, for an SVG to draw. */

export interface Series {
  key: string;
  points: { x: number; y: number }[];
}

export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Tick {
  value: number;
  position: number;
}

export interface ChartGeometry {
  lines: { key: string; d: string; last: { x: number; y: number } | null }[];
  xTicks: Tick[];
  yTicks: Tick[];
  /** Pixel y of value 0 when 0 is inside the range, for a baseline. */
  zeroY: number | null;
}

export function lineChart(series: readonly Series[], box: ChartBox, tickCount = 5): ChartGeometry {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  if (xs.length === 0) return { lines: [], xTicks: [], yTicks: [], zeroY: null };

  const yTickValues = niceTicks(Math.min(0, ...ys), Math.max(0, ...ys), tickCount);
  const yMin = yTickValues[0]!;
  const yMax = yTickValues[yTickValues.length - 1]!;
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }

  const plotWidth = box.width - box.left - box.right;
  const plotHeight = box.height - box.top - box.bottom;
  const px = (x: number) => box.left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const py = (y: number) => box.top + (1 - (y - yMin) / (yMax - yMin || 1)) * plotHeight;

  const lines = series.map((s) => {
    const points = s.points.map((p) => ({ x: round(px(p.x)), y: round(py(p.y)) }));
    // A step line: a balance holds until the block that changes it.
    const d = points.map((p, i) => (i === 0 ? `M ${p.x} ${p.y}` : `H ${p.x} V ${p.y}`)).join(' ');
    return { key: s.key, d, last: points[points.length - 1] ?? null };
  });

  const xTicks = integerTicks(xMin, xMax, tickCount).map((value) => ({ value, position: round(px(value)) }));
  const yTicks = yTickValues.map((value) => ({ value, position: round(py(value)) }));
  const zeroY = yMin <= 0 && yMax >= 0 ? round(py(0)) : null;
  return { lines, xTicks, yTicks, zeroY };
}

/** Round tick values (1, 2 or 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [0, 1];
  if (min === max) {
    const pad = Math.abs(min) || 1;
    min -= pad;
    max += pad;
  }
  const rawStep = (max - min) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep) ?? 10 * magnitude;
  // Count in whole steps, so that adding floats cannot turn 0 into 1.7e-18.
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last && ticks.length < 50; i++) ticks.push(cleanFloat(i * step));
  return ticks;
}

/** Whole-number ticks (block numbers) within [min, max]. */
export function integerTicks(min: number, max: number, count: number): number[] {
  const span = Math.max(1, max - min);
  const rawStep = Math.max(1, span / Math.max(1, count - 1));
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max && ticks.length < 50; v += step) ticks.push(v);
  return ticks;
}

function cleanFloat(v: number): number {
  return Number.parseFloat(v.toPrecision(12)) + 0; // + 0 turns -0 into 0
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
