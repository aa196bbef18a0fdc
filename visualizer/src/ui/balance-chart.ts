import type { Snapshot } from '../data/live-model';
import { lineChart } from '../lib/chart';
import { formatWei } from '../lib/format';
import { h, svg } from './dom';
import { emptyNote, PALETTE } from './common';

export type BalanceMode = 'change' | 'absolute';

const BOX = { width: 640, height: 250, left: 64, right: 16, top: 12, bottom: 26 };
const WEI_PER_ETH = 1e18;

/** ETH balances of the watched addresses over blocks: change since the first sample, or absolute. */
export function renderBalances(snapshot: Snapshot, mode: BalanceMode, onMode: (mode: BalanceMode) => void): HTMLElement {
  const watched = snapshot.watched.filter((a) => snapshot.balances.points(a).length > 0);
  if (watched.length === 0) return emptyNote('Balances appear once channels (or ?watch= addresses) are known.');

  const series = watched.map((address) => ({
    key: address,
    points: (mode === 'change' ? snapshot.balances.deltas(address) : snapshot.balances.points(address)).map((p) => ({
      x: p.block,
      y: Number(p.balance) / WEI_PER_ETH,
    })),
  }));
  const chart = lineChart(series, BOX);
  const firstBlock = Math.min(...series.map((s) => s.points[0]?.x ?? Infinity));

  const plot = svg(
    'svg',
    { viewBox: `0 0 ${BOX.width} ${BOX.height}`, class: 'chart', 'data-testid': 'balance-chart' },
    ...chart.yTicks.map((t) =>
      svg(
        'g',
        {},
        svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: t.position, y2: t.position, class: 'grid' }),
        svg('text', { x: BOX.left - 6, y: t.position, dy: '0.32em', 'text-anchor': 'end', class: 'tick' }, tickLabel(t.value)),
      ),
    ),
    ...chart.xTicks.map((t) =>
      svg('text', { x: t.position, y: BOX.height - BOX.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, `#${t.value}`),
    ),
    chart.zeroY !== null
      ? svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: chart.zeroY, y2: chart.zeroY, class: 'baseline' })
      : null,
    ...chart.lines.map((line, i) =>
      svg('path', { d: line.d, class: 'series', stroke: PALETTE[i % PALETTE.length]!, 'data-address': line.key }),
    ),
    ...chart.lines.map((line, i) =>
      line.last ? svg('circle', { cx: line.last.x, cy: line.last.y, r: 3, fill: PALETTE[i % PALETTE.length]! }) : null,
    ),
  );

  const legend = h(
    'ul',
    { class: 'chart-legend' },
    ...watched.map((address, i) => {
      const points = snapshot.balances.points(address);
      const last = points[points.length - 1]?.balance ?? 0n;
      const change = last - (points[0]?.balance ?? 0n);
      return h(
        'li',
        { title: address },
        svg(
          'svg',
          { class: 'swatch', viewBox: '0 0 10 10' },
          svg('rect', { width: 10, height: 10, rx: 2, fill: PALETTE[i % PALETTE.length]! }),
        ),
        h('span', { class: 'legend-name' }, snapshot.names.label(address)),
        h('span', { class: 'legend-value' }, formatWei(last)),
        h('span', { class: change < 0n ? 'legend-change negative' : 'legend-change' }, `${change < 0n ? '' : '+'}${formatWei(change)}`),
      );
    }),
  );

  const toggle = h(
    'div',
    { class: 'segmented' },
    ...(['change', 'absolute'] as const).map((m) => {
      const button = h(
        'button',
        { type: 'button', class: m === mode ? 'active' : '' },
        m === 'change' ? `Change since #${firstBlock}` : 'Absolute',
      );
      button.addEventListener('click', () => onMode(m));
      return button;
    }),
  );
  return h('div', {}, toggle, plot, legend);
}

function tickLabel(eth: number): string {
  if (eth === 0) return '0';
  const abs = Math.abs(eth);
  if (abs >= 1000) return `${(eth / 1000).toLocaleString('en-US', { maximumFractionDigits: 3 })}k`;
  if (abs >= 0.001) return eth.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return `${(eth * 1e9).toLocaleString('en-US', { maximumFractionDigits: 3 })} gwei`;
}
