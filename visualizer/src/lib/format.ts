/** Text formatting for amounts, addresses and durations. No DOM. */

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

const ETHER = 10n ** 18n;
const GWEI = 10n ** 9n;

/** A decimal of `value / 10^decimals` with at most `maxFraction` fraction digits, trailing zeros dropped. */
export function formatUnits(value: bigint, decimals: number, maxFraction = 6): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const base = 10n ** BigInt(decimals);
  let whole = abs / base;
  const scale = 10n ** BigInt(Math.min(maxFraction, decimals));
  // Round half up at the last kept digit.
  let fraction = ((abs % base) * scale * 2n) / base;
  fraction = (fraction + 1n) / 2n;
  if (fraction >= scale) {
    whole += 1n;
    fraction -= scale;
  }
  let fractionText = fraction
    .toString()
    .padStart(scale.toString().length - 1, '0')
    .replace(/0+$/, '');
  if (fraction === 0n) fractionText = '';
  const wholeText = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? '-' : '') + wholeText + (fractionText ? '.' + fractionText : '');
}

/** Wei in the most readable unit: ETH from 0.0001 ETH up, gwei from 1 gwei up, else wei. */
export function formatWei(wei: bigint): string {
  const abs = wei < 0n ? -wei : wei;
  if (abs === 0n) return '0 ETH';
  if (abs >= ETHER / 10_000n) return `${formatUnits(wei, 18, 6)} ETH`;
  if (abs >= GWEI) return `${formatUnits(wei, 9, 3)} gwei`;
  return `${wei.toString()} wei`;
}

/** An amount of a channel's token: ETH for the zero address, raw units (with the token's short address) else. */
export function formatAmount(amount: bigint, token: string): string {
  if (token.toLowerCase() === ZERO_ADDRESS) return formatWei(amount);
  return `${formatUnits(amount, 0)} × ${shortAddress(token)}`;
}

export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export function shortHash(hash: string): string {
  return hash.length > 14 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash;
}

/** "2h 05m 09s", "5m 09s", "9s"; negative durations count as 0. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const pad = (n: number) => n.toString().padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(rest)}s`;
  if (m > 0) return `${m}m ${pad(rest)}s`;
  return `${rest}s`;
}

/** Seconds since the epoch as "2025-01-02 03:04:05 UTC". */
export function formatTimestamp(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}
