import { ChannelBook, closeCountdown } from '../src/lib/channels';
import type { ChannelEvent } from '../src/lib/events';

const ETH = '0x0000000000000000000000000000000000000000';
const TOKEN = '0x9999999999999999999999999999999999999999';
const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';
const C = '0x3333333333333333333333333333333333333333';

let position = 0;
/** Events at increasing positions, one per transaction. */
function at(blockNumber: number) {
  position++;
  return { blockNumber, logIndex: 0, transactionHash: `0x${position.toString(16).padStart(64, '0')}` };
}

function opened(id: string, consumer: string, provider: string, deposit: bigint, blockNumber: number, token = ETH): ChannelEvent {
  return {
    ...at(blockNumber),
    kind: 'ChannelOpened',
    channelId: id,
    consumer,
    provider,
    signer: consumer,
    token,
    challengePeriod: 3600,
    salt: '0x00',
    deposit,
  };
}

describe('ChannelBook', () => {
  it('follows a channel through open, top-up, claims, close and settlement', () => {
    const book = new ChannelBook();
    book.apply([opened('0xc1', A, B, 100n, 1)]);
    expect(book.channel('0xc1')).toMatchObject({
      state: 'open',
      deposit: 100n,
      claimed: 0n,
      remaining: 100n,
      closesAt: null,
      openedAtBlock: 1,
    });

    book.apply([{ ...at(2), kind: 'ChannelToppedUp', channelId: '0xc1', payer: C, amount: 50n, deposit: 150n }]);
    book.apply([{ ...at(3), kind: 'ChannelClaimed', channelId: '0xc1', amount: 40n, claimed: 40n }]);
    book.apply([{ ...at(4), kind: 'ChannelClaimed', channelId: '0xc1', amount: 20n, claimed: 60n }]);
    expect(book.channel('0xc1')).toMatchObject({ state: 'open', deposit: 150n, claimed: 60n, remaining: 90n, topUps: 1, claims: 2 });

    book.apply([{ ...at(5), kind: 'ChannelCloseStarted', channelId: '0xc1', closesAt: 1_000 }]);
    expect(book.channel('0xc1')).toMatchObject({ state: 'closing', closesAt: 1_000, remaining: 90n });

    // The provider may still claim during the challenge period.
    book.apply([{ ...at(6), kind: 'ChannelClaimed', channelId: '0xc1', amount: 10n, claimed: 70n }]);
    book.apply([{ ...at(7), kind: 'ChannelSettled', channelId: '0xc1', providerTotal: 70n, consumerRefund: 80n }]);
    expect(book.channel('0xc1')).toMatchObject({ state: 'settled', claimed: 70n, refund: 80n, remaining: 0n, lastEventBlock: 7 });
  });

  it('applies a batch in chain order whatever order it comes in, and skips logs already applied', () => {
    const book = new ChannelBook();
    const open = opened('0xc2', A, B, 10n, 1);
    const claim: ChannelEvent = { ...at(2), kind: 'ChannelClaimed', channelId: '0xc2', amount: 4n, claimed: 4n };
    book.apply([claim, open]);
    book.apply([open, claim]);
    expect(book.channel('0xc2')).toMatchObject({ claimed: 4n, claims: 1 });
    expect(book.orphanEvents).toBe(0);
  });

  it('counts events of channels it never saw opened instead of inventing them', () => {
    const book = new ChannelBook();
    book.apply([{ ...at(9), kind: 'ChannelClaimed', channelId: '0xdead', amount: 1n, claimed: 1n }]);
    expect(book.channels()).toEqual([]);
    expect(book.orphanEvents).toBe(1);
  });

  it('lists newest channels first and returns copies', () => {
    const book = new ChannelBook();
    book.apply([opened('0xa1', A, B, 1n, 1), opened('0xa2', B, C, 2n, 5)]);
    const list = book.channels();
    expect(list.map((c) => c.id)).toEqual(['0xa2', '0xa1']);
    list[0]!.deposit = 999n;
    expect(book.channel('0xa2')!.deposit).toBe(2n);
  });

  it('totals per token and per state', () => {
    const book = new ChannelBook();
    book.apply([
      opened('0xb1', A, B, 100n, 1),
      opened('0xb2', A, C, 50n, 2),
      opened('0xb3', B, C, 7n, 3, TOKEN),
      { ...at(4), kind: 'ChannelClaimed', channelId: '0xb1', amount: 30n, claimed: 30n },
      { ...at(5), kind: 'ChannelCloseStarted', channelId: '0xb2', closesAt: 10 },
      { ...at(6), kind: 'ChannelSettled', channelId: '0xb3', providerTotal: 2n, consumerRefund: 5n },
    ]);
    const totals = book.totals();
    expect(totals).toMatchObject({ channels: 3, open: 1, closing: 1, settled: 1 });
    expect(totals.byToken.get(ETH)).toEqual({ deposited: 150n, claimed: 30n, locked: 120n });
    expect(totals.byToken.get(TOKEN)).toEqual({ deposited: 7n, claimed: 2n, locked: 0n });
  });

  it('tracks deferred payouts until they are withdrawn', () => {
    const book = new ChannelBook();
    book.apply([
      { ...at(1), kind: 'PayoutDeferred', token: ETH, account: B, amount: 5n },
      { ...at(2), kind: 'PayoutDeferred', token: ETH, account: B, amount: 3n },
    ]);
    expect(book.owed()).toEqual([{ token: ETH, account: B, amount: 8n }]);
    book.apply([{ ...at(3), kind: 'OwedWithdrawn', token: ETH, account: B, amount: 8n }]);
    expect(book.owed()).toEqual([]);
  });
});

describe('closeCountdown', () => {
  it('counts down to the end of the challenge period, then allows the withdrawal', () => {
    const closing = { state: 'closing' as const, closesAt: 1_000 };
    expect(closeCountdown(closing, 400.7)).toEqual({ secondsLeft: 600, canWithdraw: false });
    expect(closeCountdown(closing, 1_000)).toEqual({ secondsLeft: 0, canWithdraw: true });
    expect(closeCountdown(closing, 5_000)).toEqual({ secondsLeft: 0, canWithdraw: true });
  });

  it('has nothing to say about open or settled channels', () => {
    expect(closeCountdown({ state: 'open', closesAt: null }, 0)).toBeNull();
    expect(closeCountdown({ state: 'settled', closesAt: 1_000 }, 0)).toBeNull();
  });
});
