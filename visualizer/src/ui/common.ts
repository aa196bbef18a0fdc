import type { Snapshot } from '../data/live-model';
import type { AddressBook } from '../lib/names';
import { formatAmount, shortAddress } from '../lib/format';
import { h } from './dom';

/** Colours of the chart lines and graph accents; readable on white. */
export const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/** An address as its name (if known) with the short address, the full one on hover. */
export function addressTag(names: AddressBook, address: string | null): HTMLElement {
  if (!address) return h('span', { class: 'muted' }, '—');
  const name = names.get(address);
  // A known name stands alone (the address is on hover); an unknown address shows in short form.
  return h(
    'span',
    { class: 'address', title: address, 'data-address': address },
    name ? h('span', { class: 'name' }, name) : h('span', { class: 'short' }, shortAddress(address)),
  );
}

/** An amount with its exact value kept in `data-amount` (for tests and copy-paste). */
export function amountTag(amount: bigint, token: string, field?: string): HTMLElement {
  return h('span', { class: 'amount', 'data-field': field, 'data-amount': amount.toString() }, formatAmount(amount, token));
}

/** Chain time now, extrapolated from the head's timestamp by the wall clock since it was read. */
export function chainNow(snapshot: Snapshot): number {
  if (snapshot.headTimestamp === null || snapshot.headSeenAt === null) return Date.now() / 1000;
  return snapshot.headTimestamp + (Date.now() - snapshot.headSeenAt) / 1000;
}

export function emptyNote(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}
