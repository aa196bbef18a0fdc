import { getAddress } from 'ethers';
import { isHex } from './hex';

export type Address = `0x${string}`;

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

export function isAddress(value: unknown): value is string {
  return typeof value === 'string' && isHex(value, 20);
}

/** The lower-case form we store and compare (the thesis compared EIP-55 strings with ===, and failed). */
export function normalizeAddress(value: string): Address {
  if (!isAddress(value)) throw new TypeError(`not an address: ${String(value).slice(0, 64)}`);
  return value.toLowerCase() as Address;
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** EIP-55 form, for display. */
export function checksumAddress(value: string): Address {
  return getAddress(value) as Address;
}
