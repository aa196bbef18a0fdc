import type { Snapshot } from '../data/live-model';
import { layoutGraph } from '../lib/graph';
import { formatAmount, shortAddress } from '../lib/format';
import { svg } from './dom';
import { emptyNote } from './common';

const WIDTH = 640;
const HEIGHT = 320;

/** The letters inside a circle: a short name whole (s10), else its first two letters; the address's else. */
function initialOf(named: string | undefined, address: string): string {
  if (named && named.length <= 3) return named.toUpperCase();
  return (named ?? address.slice(2, 4)).slice(0, 2).toUpperCase();
}

/** Services as circles, channels as arrows from consumer to provider, as thick as the money that flowed. */
export function renderGraph(snapshot: Snapshot): Element {
  if (snapshot.channels.length === 0) return emptyNote('The graph appears once a channel is opened.');
  const vouchers = new Map<string, bigint>();
  for (const [id, c] of snapshot.offchain.channels) if (c.latestVoucher) vouchers.set(id, c.latestVoucher.amount);
  const layout = layoutGraph(snapshot.channels, {
    width: WIDTH,
    height: HEIGHT - 24,
    label: (a) => snapshot.names.label(a),
    vouchers,
    nodeRadius: 24,
  });
  const height = layout.height + 24;
  const consumers = new Set(layout.edges.map((e) => e.from));
  const providers = new Set(layout.edges.map((e) => e.to));

  const edges = layout.edges.map((e) =>
    svg(
      'g',
      {
        class: `edge${e.flow === 0n ? ' edge-idle' : ''}`,
        'data-from': e.from,
        'data-to': e.to,
        'data-flow': e.flow.toString(),
        'data-channels': e.channels,
      },
      svg(
        'title',
        {},
        `${snapshot.names.label(e.from)} → ${snapshot.names.label(e.to)}: ${e.channels} channel(s), paid ${formatAmount(e.claimed, e.token)} of ${formatAmount(e.deposit, e.token)} deposited`,
      ),
      svg('path', { d: e.path, 'stroke-width': e.width.toFixed(1), class: 'edge-line' }),
      svg('polygon', { points: e.arrow, class: 'edge-arrow' }),
      svg(
        'text',
        { x: e.labelX, y: e.labelY, class: 'edge-label', 'text-anchor': 'middle', 'dominant-baseline': 'central' },
        formatAmount(e.flow, e.token),
      ),
    ),
  );
  const nodes = layout.nodes.map((n) => {
    const role = consumers.has(n.address) && providers.has(n.address) ? 'both' : consumers.has(n.address) ? 'consumer' : 'provider';
    const named = snapshot.names.get(n.address);
    return svg(
      'g',
      { class: `node node-${role}`, 'data-address': n.address, transform: `translate(${n.x} ${n.y})` },
      svg('title', {}, n.address),
      svg('circle', { r: n.r }),
      svg('text', { class: 'node-initial', 'text-anchor': 'middle', dy: '0.35em' }, initialOf(named, n.address)),
      svg('text', { class: 'node-label', 'text-anchor': 'middle', y: n.r + 16 }, n.label),
      named ? svg('text', { class: 'node-address', 'text-anchor': 'middle', y: n.r + 29 }, shortAddress(n.address)) : null,
    );
  });
  const legend = svg(
    'g',
    { class: 'legend', transform: `translate(10 ${height - 10})` },
    svg('circle', { r: 5, cx: 5, cy: -4, class: 'legend-consumer' }),
    svg('text', { x: 14, y: 0 }, 'pays'),
    svg('circle', { r: 5, cx: 55, cy: -4, class: 'legend-provider' }),
    svg('text', { x: 64, y: 0 }, 'is paid'),
    svg('circle', { r: 5, cx: 120, cy: -4, class: 'legend-both' }),
    svg('text', { x: 129, y: 0 }, 'both'),
    svg('text', { x: 170, y: 0 }, `· arrow width ∝ √ amount paid${vouchers.size ? ' (vouchers included)' : ''}`),
  );
  return svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${height}`, class: 'graph', role: 'img', 'aria-label': 'payment graph', 'data-testid': 'graph' },
    ...edges,
    ...nodes,
    legend,
  );
}
