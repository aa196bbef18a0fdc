import { compareLogPositions, type ChannelEvent } from './events';

export type ChannelState = 'open' | 'closing' | 'settled';

/** One channel as its events tell it. Amounts are in the channel's token (wei for ETH). */
export interface ChannelView {
  id: string;
  consumer: string;
  provider: string;
  signer: string;
  token: string;
  challengePeriod: number;
  salt: string;
  deposit: bigint;
  /** Paid to the provider so far (the contract's `claimed`). */
  claimed: bigint;
  /** Still locked in the channel: deposit − claimed while open or closing, 0 once settled. */
  remaining: bigint;
  state: ChannelState;
  /** End of the challenge period (unix seconds) once the consumer started closing. */
  closesAt: number | null;
  /** What went back to the consumer at settlement. */
  refund: bigint | null;
  openedAtBlock: number;
  lastEventBlock: number;
  topUps: number;
  claims: number;
}

/** A settlement payout the recipient refused, waiting in the contract to be pulled. */
export interface OwedEntry {
  token: string;
  account: string;
  amount: bigint;
}

export interface ChannelTotals {
  channels: number;
  open: number;
  closing: number;
  settled: number;
  /** Per token: sum of deposits, of claimed and of what is still locked. */
  byToken: Map<string, { deposited: bigint; claimed: bigint; locked: bigint }>;
}

/**
 * Builds channel state from the contract's events, incrementally. Logs may be fed in any batches and may
 * overlap (a log already applied is skipped), but must not go back before what was already applied: polling
 * fetches each block range once, in order.
 */
export class ChannelBook {
  private readonly byId = new Map<string, ChannelView>();
  private readonly owedByKey = new Map<string, OwedEntry>();
  private readonly seen = new Set<string>();
  /** Events for channels whose opening was never seen (e.g. logs fetched from a later block). */
  orphanEvents = 0;

  apply(events: readonly ChannelEvent[]): void {
    for (const event of [...events].sort(compareLogPositions)) {
      const key = `${event.transactionHash}:${event.logIndex}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.applyOne(event);
    }
  }

  channel(id: string): ChannelView | undefined {
    const view = this.byId.get(id.toLowerCase());
    return view && { ...view };
  }

  /** Newest first. */
  channels(): ChannelView[] {
    return [...this.byId.values()].map((c) => ({ ...c })).sort((a, b) => b.openedAtBlock - a.openedAtBlock || a.id.localeCompare(b.id));
  }

  owed(): OwedEntry[] {
    return [...this.owedByKey.values()].filter((o) => o.amount > 0n).map((o) => ({ ...o }));
  }

  totals(): ChannelTotals {
    const totals: ChannelTotals = { channels: 0, open: 0, closing: 0, settled: 0, byToken: new Map() };
    for (const c of this.byId.values()) {
      totals.channels++;
      totals[c.state]++;
      const t = totals.byToken.get(c.token) ?? { deposited: 0n, claimed: 0n, locked: 0n };
      t.deposited += c.deposit;
      t.claimed += c.claimed;
      t.locked += c.remaining;
      totals.byToken.set(c.token, t);
    }
    return totals;
  }

  private applyOne(event: ChannelEvent): void {
    if (event.kind === 'PayoutDeferred' || event.kind === 'OwedWithdrawn') {
      const key = `${event.token}:${event.account}`;
      const entry = this.owedByKey.get(key) ?? { token: event.token, account: event.account, amount: 0n };
      // OwedWithdrawn always pays out the whole balance owed.
      entry.amount = event.kind === 'PayoutDeferred' ? entry.amount + event.amount : 0n;
      this.owedByKey.set(key, entry);
      return;
    }
    if (event.kind === 'ChannelOpened') {
      this.byId.set(event.channelId, {
        id: event.channelId,
        consumer: event.consumer,
        provider: event.provider,
        signer: event.signer,
        token: event.token,
        challengePeriod: event.challengePeriod,
        salt: event.salt,
        deposit: event.deposit,
        claimed: 0n,
        remaining: event.deposit,
        state: 'open',
        closesAt: null,
        refund: null,
        openedAtBlock: event.blockNumber,
        lastEventBlock: event.blockNumber,
        topUps: 0,
        claims: 0,
      });
      return;
    }
    const channel = this.byId.get(event.channelId);
    if (!channel) {
      this.orphanEvents++;
      return;
    }
    channel.lastEventBlock = event.blockNumber;
    switch (event.kind) {
      case 'ChannelToppedUp':
        channel.deposit = event.deposit;
        channel.topUps++;
        break;
      case 'ChannelClaimed':
        channel.claimed = event.claimed;
        channel.claims++;
        break;
      case 'ChannelCloseStarted':
        channel.state = 'closing';
        channel.closesAt = event.closesAt;
        break;
      case 'ChannelSettled':
        channel.state = 'settled';
        channel.claimed = event.providerTotal;
        channel.refund = event.consumerRefund;
        break;
    }
    channel.remaining = channel.state === 'settled' ? 0n : channel.deposit - channel.claimed;
  }
}

/** Where a closing channel stands at chain time `now` (unix seconds). */
export function closeCountdown(
  channel: Pick<ChannelView, 'state' | 'closesAt'>,
  now: number,
): { secondsLeft: number; canWithdraw: boolean } | null {
  if (channel.state !== 'closing' || channel.closesAt === null) return null;
  const secondsLeft = Math.max(0, channel.closesAt - Math.floor(now));
  return { secondsLeft, canWithdraw: secondsLeft === 0 };
}
