import { normalizeAddress, type Address } from './address';

/** The immutable terms of a channel, exactly as the contract's `Terms` struct. */
export interface ChannelTerms {
  consumer: Address;
  provider: Address;
  /** The key that signs vouchers: the consumer's own address or a hot key of the consumer service. */
  signer: Address;
  /** The ERC-20 token, or the zero address for ETH. */
  token: Address;
  /** Seconds the provider has to claim after the consumer starts a close. */
  challengePeriod: number;
  /** 32 bytes that make the id unique among channels with otherwise equal terms. */
  salt: string;
}

export type ChannelState = 'open' | 'closing' | 'settled';

/** Terms as a tuple in the order of the Solidity struct, for contract calls. */
export function termsTuple(t: ChannelTerms): [string, string, string, string, number, string] {
  return [t.consumer, t.provider, t.signer, t.token, t.challengePeriod, t.salt];
}

/**
 * Terms in the lower-case form we store and compare, from any source that has their fields (an API answer, a
 * contract event's arguments).
 */
export function normalizeTerms(t: {
  consumer: string;
  provider: string;
  signer: string;
  token: string;
  challengePeriod: number | bigint;
  salt: string;
}): ChannelTerms {
  return {
    consumer: normalizeAddress(t.consumer),
    provider: normalizeAddress(t.provider),
    signer: normalizeAddress(t.signer),
    token: normalizeAddress(t.token),
    challengePeriod: Number(t.challengePeriod),
    salt: t.salt.toLowerCase(),
  };
}
