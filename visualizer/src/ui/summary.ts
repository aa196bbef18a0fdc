import type { Snapshot } from '../data/live-model';
import { formatAmount, ZERO_ADDRESS } from '../lib/format';
import { h } from './dom';

/** The headline numbers: channel counts and, per token, deposited, paid and still locked. */
export function renderSummary(snapshot: Snapshot): HTMLElement[] {
  const t = snapshot.totals;
  const tokens = [...t.byToken.keys()].sort((a, b) => (a === ZERO_ADDRESS ? -1 : b === ZERO_ADDRESS ? 1 : a.localeCompare(b)));
  const sum = (field: 'deposited' | 'claimed' | 'locked') =>
    tokens.length === 0
      ? [h('div', { class: 'card-value' }, '0 ETH')]
      : tokens.map((token) => h('div', { class: 'card-value' }, formatAmount(t.byToken.get(token)![field], token)));
  return [
    card(
      'Channels',
      [h('div', { class: 'card-value', 'data-field': 'channel-count' }, String(t.channels))],
      `${t.open} open · ${t.closing} closing · ${t.settled} settled`,
    ),
    card('Deposited', sum('deposited'), 'into channels, in total'),
    card('Paid to providers', sum('claimed'), 'claimed on chain'),
    card('Locked', sum('locked'), 'in open and closing channels'),
  ];
}

function card(title: string, values: HTMLElement[], note: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'card-title' }, title), ...values, h('div', { class: 'card-note' }, note));
}
