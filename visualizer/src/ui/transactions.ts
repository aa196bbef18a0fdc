import type { Snapshot } from '../data/live-model';
import type { TxSummary } from '../data/chain-reader';
import { formatArgs } from '../lib/decode';
import { formatTimestamp, formatWei, shortHash } from '../lib/format';
import { h } from './dom';
import { addressTag, emptyNote } from './common';

const MAX_ROWS = 60;

/** The latest transactions with their decoded call and events; `open` keeps expanded rows expanded. */
export function renderTransactions(snapshot: Snapshot, open: Set<string>): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const block of snapshot.blocks) {
    for (const tx of [...block.txs].reverse()) {
      if (rows.length >= MAX_ROWS) break;
      rows.push(
        h(
          'tr',
          { 'data-tx': tx.hash, class: tx.status === 0 ? 'reverted' : '' },
          h('td', { class: 'num', title: formatTimestamp(block.timestamp) }, `#${block.number}`),
          h('td', { class: 'mono', title: tx.hash }, shortHash(tx.hash)),
          h('td', {}, addressTag(snapshot.names, tx.from)),
          h('td', {}, tx.to ? addressTag(snapshot.names, tx.to) : h('span', { class: 'muted' }, 'create')),
          h('td', {}, callCell(tx, open)),
          h('td', { class: 'num' }, tx.value > 0n ? formatWei(tx.value) : h('span', { class: 'muted' }, '0')),
          h('td', { class: 'num' }, tx.gasUsed !== null ? tx.gasUsed.toLocaleString('en-US') : '—'),
        ),
      );
    }
  }
  if (rows.length === 0) return emptyNote('No transactions in the recent blocks.');
  const head = h('tr', {}, ...['Block', 'Transaction', 'From', 'To', 'Call and events', 'Value', 'Gas used'].map((t) => h('th', {}, t)));
  return h('table', { class: 'table transactions' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function callCell(tx: TxSummary, open: Set<string>): HTMLElement {
  const title = tx.deploysPaymentChannels
    ? 'deploy PaymentChannels'
    : tx.to === null
      ? 'deploy contract'
      : tx.call
        ? tx.call.name
        : tx.value > 0n && tx.events.length === 0
          ? 'transfer'
          : 'call';
  const details = h(
    'details',
    { open: open.has(tx.hash) },
    h(
      'summary',
      {},
      h('span', { class: 'method' }, title),
      tx.status === 0 ? h('span', { class: 'badge badge-reverted' }, 'reverted') : null,
      ...tx.events.map((e) => h('span', { class: 'event-chip' }, e.name)),
    ),
    tx.call ? h('div', { class: 'decoded' }, h('code', {}, `${tx.call.name}(${formatArgs(tx.call.args)})`)) : null,
    tx.createdContract ? h('div', { class: 'decoded' }, 'created ', h('code', {}, tx.createdContract)) : null,
    ...tx.events.map((e) => h('div', { class: 'decoded' }, h('code', {}, `${e.name}(${formatArgs(e.args)})`))),
    tx.otherLogs ? h('div', { class: 'muted small' }, `${tx.otherLogs} other log(s) not from PaymentChannels`) : null,
  );
  details.addEventListener('toggle', () => (details.open ? open.add(tx.hash) : open.delete(tx.hash)));
  return details;
}
