import type { Snapshot } from '../data/live-model';
import { OFFCHAIN_WINDOWS } from '../data/live-model';
import { formatAmount, formatDuration, formatTimestamp, shortHash, ZERO_ADDRESS } from '../lib/format';
import { ratio } from '../lib/graph';
import { windowTimeline, type WindowStat } from '../lib/windows';
import { h, svg } from './dom';
import { emptyNote } from './common';

const BOX = { width: 620, height: 150, left: 76, right: 8, top: 10, bottom: 22 };

/** The payment server's view of the selected channel: calls and amount per time window, as bars. */
export function renderOffchain(snapshot: Snapshot, selected: string | null): HTMLElement {
  const offchain = snapshot.offchain;
  if (offchain.status === 'off') return emptyNote('Give a payment server URL and token to see vouchers and calls.');
  if (offchain.status === 'needs-token') {
    return emptyNote('Enter a bearer token of this payment server (above) to see its vouchers and calls.');
  }
  if (offchain.status === 'error' && offchain.channels.size === 0) return emptyNote('The payment server could not be read (see above).');
  const id = selected && offchain.channels.has(selected) ? selected : [...offchain.channels.keys()][0];
  if (!id) return emptyNote('This payment server holds no channel for the token’s accounts.');
  const c = offchain.channels.get(id)!;
  const token = snapshot.channels.find((ch) => ch.id === id)?.token ?? ZERO_ADDRESS;
  const timeline = windowTimeline(c.windows, offchain.windowSeconds, Date.now() / 1000, OFFCHAIN_WINDOWS);
  const span = `last ${formatDuration(offchain.windowSeconds * OFFCHAIN_WINDOWS)}, ${formatDuration(offchain.windowSeconds)} per bar`;
  return h(
    'div',
    { 'data-testid': 'offchain', 'data-channel-id': id },
    h(
      'div',
      { class: 'kv' },
      h('span', {}, 'Channel ', h('b', { class: 'mono' }, shortHash(id)), ` (${c.role}, ${c.state})`),
      h('span', {}, 'Latest voucher ', h('b', {}, c.latestVoucher ? formatAmount(c.latestVoucher.amount, token) : '—')),
      h('span', {}, 'Unclaimed ', h('b', {}, formatAmount(c.unclaimed, token))),
      h('span', {}, 'Calls ', h('b', {}, String(c.calls))),
    ),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        {},
        h('div', { class: 'chart-title' }, `Calls per window (${span})`),
        bars(timeline, (w) => w.calls, String, token),
      ),
      h(
        'div',
        {},
        h('div', { class: 'chart-title' }, `Amount per window (${span})`),
        bars(
          timeline,
          (w) => w.amount,
          (v) => formatAmount(v, token),
          token,
        ),
      ),
    ),
  );
}

function bars<T extends number | bigint>(
  timeline: WindowStat[],
  value: (w: WindowStat) => T,
  label: (v: T) => string,
  token: string,
): SVGElement {
  const values = timeline.map(value);
  const max = values.reduce((m, v) => (v > m ? v : m), values[0]!);
  const plotWidth = BOX.width - BOX.left - BOX.right;
  const plotHeight = BOX.height - BOX.top - BOX.bottom;
  const slot = plotWidth / timeline.length;
  const baseline = BOX.top + plotHeight;
  const share = (v: T) => (typeof v === 'bigint' ? ratio(v, max as bigint) : max ? (v as number) / (max as number) : 0);
  return svg(
    'svg',
    { viewBox: `0 0 ${BOX.width} ${BOX.height}`, class: 'chart' },
    svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: BOX.top, y2: BOX.top, class: 'grid' }),
    svg('text', { x: BOX.left - 6, y: BOX.top, dy: '0.32em', 'text-anchor': 'end', class: 'tick' }, label(max)),
    svg('text', { x: BOX.left - 6, y: baseline, dy: '0.32em', 'text-anchor': 'end', class: 'tick' }, '0'),
    ...timeline.map((w, i) => {
      const height = plotHeight * share(values[i]!);
      return svg(
        'g',
        {},
        svg('title', {}, `${formatTimestamp(w.start)}: ${w.calls} calls, ${formatAmount(w.amount, token)}`),
        svg('rect', {
          x: BOX.left + i * slot + 1,
          y: baseline - height,
          width: Math.max(1, slot - 2),
          height: Math.max(0, height),
          class: 'bar',
        }),
      );
    }),
    svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: baseline, y2: baseline, class: 'baseline' }),
    svg('text', { x: BOX.left, y: BOX.height - 6, class: 'tick' }, formatTimestamp(timeline[0]!.start).slice(11, 16)),
    svg(
      'text',
      { x: BOX.width - BOX.right, y: BOX.height - 6, 'text-anchor': 'end', class: 'tick' },
      `${formatTimestamp(timeline[timeline.length - 1]!.start).slice(11, 16)} UTC`,
    ),
  );
}
