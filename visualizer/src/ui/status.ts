import type { Snapshot } from '../data/live-model';
import { shortAddress } from '../lib/format';
import { h } from './dom';

export function renderStatus(snapshot: Snapshot): HTMLElement {
  const phase = snapshot.phase;
  const label = phase === 'live' ? 'live' : phase === 'connecting' ? 'connecting…' : 'error';
  return h(
    'div',
    { class: `status status-${phase}`, 'data-phase': phase },
    h('span', { class: 'dot' }),
    h('span', { class: 'status-label' }, label),
    snapshot.chainId !== null ? h('span', { class: 'status-item' }, `chain ${snapshot.chainId}`) : null,
    snapshot.head !== null ? h('span', { class: 'status-item', 'data-field': 'head' }, `block #${snapshot.head}`) : null,
    snapshot.contract
      ? h(
          'span',
          { class: 'status-item', title: `${snapshot.contract} (from ${snapshot.contractSource})` },
          `contract ${shortAddress(snapshot.contract)}`,
        )
      : snapshot.head !== null
        ? h('span', { class: 'status-item warn' }, 'no PaymentChannels contract found yet')
        : null,
  );
}

/** The errors and warnings above the panels. */
export function renderProblems(snapshot: Snapshot, configProblems: string[]): HTMLElement[] {
  const lines: HTMLElement[] = configProblems.map((p) => h('div', { class: 'problem' }, p));
  if (snapshot.error) lines.push(h('div', { class: 'problem', 'data-testid': 'chain-error' }, snapshot.error));
  if (snapshot.offchain.status === 'error' && snapshot.offchain.error) {
    lines.push(h('div', { class: 'problem' }, `payment server: ${snapshot.offchain.error}`));
  }
  return lines;
}
