import { addressWord, uint256Word, bufferToHex, hexToBuffer } from './hex';
import { keccak256 } from './keccak';
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

/** The channel id: keccak256(abi.encode(terms)), as the contract computes it. */
export function channelIdOf(terms: ChannelTerms): string {
  return bufferToHex(
    keccak256(
      addressWord(terms.consumer),
      addressWord(terms.provider),
      addressWord(terms.signer),
      addressWord(terms.token),
      uint256Word(BigInt(terms.challengePeriod)),
      hexToBuffer(terms.salt),
    ),
  );
}

/** Terms as a tuple in the order of the Solidity struct, for contract calls. */
export function termsTuple(t: ChannelTerms): [string, string, string, string, number, string] {
  return [t.consumer, t.provider, t.signer, t.token, t.challengePeriod, t.salt];
}

export function normalizeTerms(t: ChannelTerms): ChannelTerms {
  return {
    consumer: normalizeAddress(t.consumer),
    provider: normalizeAddress(t.provider),
    signer: normalizeAddress(t.signer),
    token: normalizeAddress(t.token),
    challengePeriod: t.challengePeriod,
    salt: t.salt.toLowerCase(),
  };
}
