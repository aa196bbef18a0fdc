import { hasUnclaimedVoucher, inBatches, isClaimDue, unclaimedWei, type ClaimPolicy } from '../../src/core/claim-rules';
import { accepted, channelRecord } from './records';

const NO_POLICY: ClaimPolicy = { thresholdWei: 0n, intervalSeconds: 0 };
const CHAIN_NOW = 5_000;
const NOW = 10_000;

describe('hasUnclaimedVoucher', () => {
  test('true only for a voucher above the claimed amount on a channel that is not settled', () => {
    expect(hasUnclaimedVoucher(channelRecord())).toBe(false);
    expect(hasUnclaimedVoucher(accepted(10n))).toBe(true);
    expect(hasUnclaimedVoucher(accepted(10n, { claimed: 10n }))).toBe(false);
    expect(hasUnclaimedVoucher(accepted(10n, { claimed: 4n }))).toBe(true);
    expect(hasUnclaimedVoucher(accepted(10n, { state: 'closing', closesAt: CHAIN_NOW + 1 }))).toBe(true);
    expect(hasUnclaimedVoucher(accepted(10n, { state: 'settled' }))).toBe(false);
  });

  test('an amount without a signature is not claimable', () => {
    expect(hasUnclaimedVoucher(channelRecord({ acceptedAmount: 10n }))).toBe(false);
  });
});

describe('unclaimedWei', () => {
  test('what the provider can still collect', () => {
    expect(unclaimedWei(channelRecord())).toBe(0n);
    expect(unclaimedWei(accepted(10n, { claimed: 4n }))).toBe(6n);
    expect(unclaimedWei(accepted(10n, { claimed: 10n }))).toBe(0n);
    expect(unclaimedWei(accepted(10n, { claimed: 4n, state: 'settled' }))).toBe(0n);
  });
});

describe('isClaimDue', () => {
  test('nothing to claim is never due, whatever the policy', () => {
    const eager: ClaimPolicy = { thresholdWei: 1n, intervalSeconds: 1 };
    expect(isClaimDue(channelRecord(), eager, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(10n, { claimed: 10n }), eager, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(10n, { state: 'settled' }), eager, CHAIN_NOW, NOW)).toBe(false);
  });

  test('a closing channel is due at once until its challenge period ends (by the chain clock)', () => {
    expect(isClaimDue(accepted(10n, { state: 'closing', closesAt: CHAIN_NOW + 1 }), NO_POLICY, CHAIN_NOW, NOW)).toBe(true);
    expect(isClaimDue(accepted(10n, { state: 'closing', closesAt: CHAIN_NOW }), NO_POLICY, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(10n, { state: 'closing', closesAt: CHAIN_NOW - 1 }), NO_POLICY, CHAIN_NOW, NOW)).toBe(false);
    // The server's clock far ahead of the chain's does not matter for the deadline.
    expect(isClaimDue(accepted(10n, { state: 'closing', closesAt: CHAIN_NOW + 1 }), NO_POLICY, CHAIN_NOW, CHAIN_NOW + 1_000_000)).toBe(
      true,
    );
  });

  test('a closing channel whose deadline is not known yet is due', () => {
    expect(isClaimDue(accepted(10n, { state: 'closing', closesAt: null }), NO_POLICY, CHAIN_NOW, NOW)).toBe(true);
  });

  test('an open channel without a policy is never due', () => {
    expect(isClaimDue(accepted(10n), NO_POLICY, CHAIN_NOW, NOW)).toBe(false);
  });

  test('threshold: due once the unclaimed amount reaches it', () => {
    const policy: ClaimPolicy = { thresholdWei: 5n, intervalSeconds: 0 };
    expect(isClaimDue(accepted(4n), policy, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(5n), policy, CHAIN_NOW, NOW)).toBe(true);
    expect(isClaimDue(accepted(9n, { claimed: 5n }), policy, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(10n, { claimed: 5n }), policy, CHAIN_NOW, NOW)).toBe(true);
  });

  test('interval: due once that long has passed since the last claim, or since the first accepted voucher', () => {
    const policy: ClaimPolicy = { thresholdWei: 0n, intervalSeconds: 60 };
    expect(isClaimDue(accepted(1n, {}, NOW - 59), policy, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(1n, {}, NOW - 60), policy, CHAIN_NOW, NOW)).toBe(true);
    expect(isClaimDue(accepted(1n, { lastClaimAt: NOW - 30 }, NOW - 600), policy, CHAIN_NOW, NOW)).toBe(false);
    expect(isClaimDue(accepted(1n, { lastClaimAt: NOW - 61 }, NOW - 600), policy, CHAIN_NOW, NOW)).toBe(true);
  });

  test('threshold or interval, whichever comes first', () => {
    const policy: ClaimPolicy = { thresholdWei: 100n, intervalSeconds: 60 };
    expect(isClaimDue(accepted(100n, {}, NOW), policy, CHAIN_NOW, NOW)).toBe(true);
    expect(isClaimDue(accepted(1n, {}, NOW - 60), policy, CHAIN_NOW, NOW)).toBe(true);
    expect(isClaimDue(accepted(1n, {}, NOW), policy, CHAIN_NOW, NOW)).toBe(false);
  });
});

describe('inBatches', () => {
  test('consecutive batches of at most the given size, in order', () => {
    expect(inBatches([], 3)).toEqual([]);
    expect(inBatches([1, 2, 3], 3)).toEqual([[1, 2, 3]]);
    expect(inBatches([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(inBatches([1, 2], 1)).toEqual([[1], [2]]);
  });
});
