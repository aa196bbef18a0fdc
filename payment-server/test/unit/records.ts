import type { Address } from '@chanpay/protocol';
import type { ChannelRecord } from '../../src/store/channel-store';

export const CONSUMER = '0x00000000000000000000000000000000000000c1' as Address;
export const PROVIDER = '0x00000000000000000000000000000000000000b2' as Address;
export const OTHER = '0x00000000000000000000000000000000000000d3' as Address;
export const SIGNATURE = '0x' + 'ab'.repeat(65);

let next = 1;

/** A channel record as the store holds it: open, 1000 wei deposited, nothing accepted, signed or claimed. */
export function channelRecord(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  const n = next++;
  return {
    id: '0x' + n.toString(16).padStart(64, '0'),
    terms: {
      consumer: CONSUMER,
      provider: PROVIDER,
      signer: CONSUMER,
      token: '0x0000000000000000000000000000000000000000' as Address,
      challengePeriod: 600,
      salt: '0x' + '11'.repeat(32),
    },
    deposit: 1000n,
    claimed: 0n,
    state: 'open',
    closesAt: null,
    openedBlock: n,
    acceptedAmount: 0n,
    acceptedSignature: null,
    acceptedAt: null,
    calls: 0,
    signedAmount: 0n,
    signedSignature: null,
    signedAt: null,
    lastClaimAt: null,
    ...overrides,
  };
}

/** A record whose provider accepted vouchers up to `amount` at `at`. */
export function accepted(amount: bigint, overrides: Partial<ChannelRecord> = {}, at = 1_000): ChannelRecord {
  return channelRecord({ acceptedAmount: amount, acceptedSignature: SIGNATURE, acceptedAt: at, calls: 1, ...overrides });
}
