import { parseUnits } from 'ethers';

/** An amount of wei: a bigint, a safe non-negative integer, or a decimal string. */
export type Amount = bigint | number | string;

export function toWei(value: Amount): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError('amount must not be negative');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`amount must be a non-negative integer of wei, got ${value}`);
    return BigInt(value);
  }
  if (!/^\d{1,78}$/.test(value)) throw new RangeError(`amount must be a decimal integer of wei, got "${value.slice(0, 80)}"`);
  return BigInt(value);
}

export const gwei = (n: number | string): bigint => parseUnits(String(n), 9);
export const finney = (n: number | string): bigint => parseUnits(String(n), 15);
export const ether = (n: number | string): bigint => parseUnits(String(n), 18);
