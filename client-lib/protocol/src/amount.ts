import { parseUnits } from 'ethers';

/** An amount of wei: a bigint, a safe non-negative integer, or a decimal string. */
export type Amount = bigint | number | string;

export const MAX_UINT256 = (1n << 256n) - 1n;

/** A decimal integer of at most 78 digits without leading zeros: how amounts travel in headers and JSON. */
export const DECIMAL_RE = /^(0|[1-9][0-9]{0,77})$/;

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

const UNITS: Record<string, number> = { wei: 0, gwei: 9, szabo: 12, finney: 15, ether: 18, eth: 18 };

/**
 * An amount written for people: a decimal integer of wei ("2000000000"), or a number with a unit
 * ("2 gwei", "0.5 finney", "1 ether"). Throws a RangeError naming what is wrong.
 */
export function parseAmount(text: string): bigint {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)?\s*$/.exec(text);
  if (!m) throw new RangeError(`"${text.slice(0, 80)}" is not an amount: write wei ("2000000000") or a number and a unit ("2 gwei")`);
  const unit = (m[2] ?? 'wei').toLowerCase();
  const decimals = UNITS[unit];
  if (decimals === undefined) throw new RangeError(`unknown unit "${m[2]}": use ${Object.keys(UNITS).join(', ')}`);
  let value: bigint;
  try {
    value = parseUnits(m[1]!, decimals);
  } catch {
    throw new RangeError(`"${text.slice(0, 80)}" is not a whole number of wei`);
  }
  if (value > MAX_UINT256) throw new RangeError(`"${text.slice(0, 80)}" exceeds uint256`);
  return value;
}
