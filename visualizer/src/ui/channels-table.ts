import type { Snapshot } from '../data/live-model';
import { closeCountdown, type ChannelView } from '../lib/channels';
import { formatDuration, formatTimestamp, shortHash, ZERO_ADDRESS, shortAddress } from '../lib/format';
import { h } from './dom';
import { addressTag, amountTag, chainNow, emptyNote } from './common';

export function renderChannels(snapshot: Snapshot, selected: string | null, onSelect: (id: string) => void): HTMLElement {
  if (snapshot.channels.length === 0) {
    return emptyNote(snapshot.contract ? 'No channel has been opened on this contract yet.' : 'Waiting for a contract…');
  }
  const offchain = snapshot.offchain.status === 'ok' || snapshot.offchain.status === 'error';
  const now = chainNow(snapshot);
  const head = h(
    'tr',
    {},
    ...['Channel', 'Consumer', 'Provider', 'Signer', 'Token', 'Deposit', 'Claimed', 'Remaining', 'State'].map((t) => h('th', {}, t)),
    offchain ? [h('th', {}, 'Latest voucher'), h('th', {}, 'Calls')] : [],
  );
  const rows = snapshot.channels.map((c) => {
    const off = snapshot.offchain.channels.get(c.id);
    const row = h(
      'tr',
      {
        'data-channel-id': c.id,
        'data-state': c.state,
        class: c.id === selected ? 'selected' : '',
        title: `opened in block ${c.openedAtBlock}; ${c.topUps} top-ups, ${c.claims} claims; challenge period ${formatDuration(c.challengePeriod)}`,
      },
      h('td', { class: 'mono' }, shortHash(c.id)),
      h('td', {}, addressTag(snapshot.names, c.consumer)),
      h('td', {}, addressTag(snapshot.names, c.provider)),
      h('td', {}, c.signer === c.consumer ? h('span', { class: 'muted' }, 'consumer') : addressTag(snapshot.names, c.signer)),
      h('td', {}, c.token === ZERO_ADDRESS ? 'ETH' : h('span', { class: 'mono', title: c.token }, shortAddress(c.token))),
      h('td', { class: 'num' }, amountTag(c.deposit, c.token, 'deposit')),
      h('td', { class: 'num' }, amountTag(c.claimed, c.token, 'claimed')),
      h('td', { class: 'num' }, amountTag(c.remaining, c.token, 'remaining')),
      h('td', {}, stateCell(c, now)),
      offchain
        ? [
            h(
              'td',
              { class: 'num' },
              off?.latestVoucher ? amountTag(off.latestVoucher.amount, c.token, 'voucher') : h('span', { class: 'muted' }, '—'),
            ),
            h('td', { class: 'num', 'data-field': 'calls' }, off ? String(off.calls) : '—'),
          ]
        : [],
    );
    row.addEventListener('click', () => onSelect(c.id));
    return row;
  });
  return h('table', { class: 'table channels', 'data-testid': 'channels' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function stateCell(c: ChannelView, now: number): HTMLElement {
  const badge = h('span', { class: `badge badge-${c.state}`, 'data-field': 'state' }, c.state);
  const countdown = closeCountdown(c, now);
  if (countdown) {
    const text = countdown.canWithdraw ? 'challenge over: consumer can withdraw' : `closes in ${formatDuration(countdown.secondsLeft)}`;
    return h(
      'span',
      { class: 'state' },
      badge,
      h('span', { class: 'countdown', 'data-field': 'countdown', title: `at ${formatTimestamp(c.closesAt!)}` }, text),
    );
  }
  if (c.state === 'settled' && c.refund !== null) {
    return h('span', { class: 'state' }, badge, h('span', { class: 'muted small' }, 'refund '), amountTag(c.refund, c.token, 'refund'));
  }
  return badge;
}
