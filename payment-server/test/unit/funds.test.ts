import { channelTotals } from '../../src/core/funds';
import { CONSUMER, OTHER, PROVIDER, accepted, channelRecord } from './records';

describe('channelTotals', () => {
  const open = accepted(300n, { claimed: 100n, signedAmount: 300n, signedSignature: '0x01' });
  const closing = accepted(50n, { deposit: 500n, state: 'closing', closesAt: 1 });
  const settled = accepted(200n, { claimed: 200n, state: 'settled', deposit: 400n });
  const notMine = channelRecord({ terms: { ...channelRecord().terms, consumer: OTHER, provider: OTHER } });
  const records = [open, closing, settled, notMine];

  test('as consumer: deposited, claimed, signed, and refundable from channels not settled', () => {
    expect(channelTotals(CONSUMER, records).asConsumer).toEqual({
      channels: 3,
      deposited: 1000n + 500n + 400n,
      claimed: 100n + 0n + 200n,
      signed: 300n,
      refundable: 1000n - 100n + 500n,
    });
  });

  test('as provider: claimed, and unclaimed vouchers that can still be claimed', () => {
    expect(channelTotals(PROVIDER, records).asProvider).toEqual({ channels: 3, claimed: 300n, unclaimed: 200n + 50n });
  });

  test('an address with no channels has zero everywhere', () => {
    expect(channelTotals('0x00000000000000000000000000000000000000f5', records)).toEqual({
      asConsumer: { channels: 0, deposited: 0n, claimed: 0n, signed: 0n, refundable: 0n },
      asProvider: { channels: 0, claimed: 0n, unclaimed: 0n },
    });
  });
});
