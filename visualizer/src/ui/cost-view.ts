import type { Snapshot } from '../data/live-model';
import { costTrees, type CostNode } from '../lib/costs';
import { h } from './dom';
import { addressTag, amountTag, emptyNote } from './common';

/** For each origin, the tree of what it caused downstream: calls and amount per edge. */
export function renderCosts(snapshot: Snapshot): HTMLElement {
  const offchain = snapshot.offchain;
  if (offchain.status === 'off' || offchain.status === 'needs-token')
    return emptyNote('Give a payment server URL and token to see the costs each origin caused.');
  const trees = costTrees(snapshot.channels, offchain.origins);
  if (!trees.length) return emptyNote('No call recorded by origin yet (the payment server records them in remote mode).');
  const node = (n: CostNode, origin: string): HTMLElement =>
    h(
      'li',
      {},
      h(
        'div',
        {
          class: 'cost-edge',
          'data-testid': 'cost-edge',
          'data-origin': origin,
          'data-channel-id': n.edge.channelId,
          'data-calls': n.edge.calls,
        },
        addressTag(snapshot.names, n.edge.from),
        h('span', { class: 'muted' }, ' → '),
        addressTag(snapshot.names, n.edge.to),
        h('span', { class: 'muted' }, ` · ${n.edge.calls} call${n.edge.calls === 1 ? '' : 's'} · `),
        amountTag(n.edge.amount, n.edge.token, 'amount'),
      ),
      n.children.length ? h('ul', {}, ...n.children.map((c) => node(c, origin))) : null,
    );
  return h(
    'div',
    { 'data-testid': 'costs', class: 'costs' },
    ...trees.map((t) =>
      h(
        'div',
        { class: 'cost-origin', 'data-origin': t.origin },
        h('h3', {}, 'origin ', h('b', {}, t.origin)),
        h('ul', { class: 'cost-tree' }, ...t.roots.map((r) => node(r, t.origin))),
      ),
    ),
  );
}
