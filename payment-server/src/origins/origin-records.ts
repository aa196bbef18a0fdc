import { MAX_ORIGINS_PER_WINDOW, OTHER_ORIGINS, type ChannelOrigins } from '@chanpay/protocol';

export type OriginRole = ChannelOrigins['role'];

/**
 * Calls and amounts per channel, role, origin and time window: what a provider's calls were paid (verified
 * vouchers) and what a consumer paid (vouchers signed here), attributed to the root caller each call named.
 * Statistics beside the channel's books, not part of them: written right after the voucher is recorded.
 */
export interface OriginRecords {
  readonly windowSeconds: number;
  record(role: OriginRole, channelId: string, origin: string, calls: number, amount: bigint, now: number): Promise<void>;
  /** The channel's newest `limit` windows, newest first, origins by name. */
  windows(role: OriginRole, channelId: string, limit: number): Promise<ChannelOrigins['windows']>;
}

/** The name a call is recorded under: its origin, or OTHER_ORIGINS once a window holds as many origins as it may. */
export function boundedOrigin(origin: string, known: boolean, originsInWindow: number): string {
  return known || originsInWindow < MAX_ORIGINS_PER_WINDOW ? origin : OTHER_ORIGINS;
}

/** Rows of (start, origin, calls, amount), newest window first, as the API answers them. */
export function windowsOf(rows: { start: number; origin: string; calls: number; amount: string }[]): ChannelOrigins['windows'] {
  const out: ChannelOrigins['windows'] = [];
  for (const r of rows) {
    let w = out.at(-1);
    if (!w || w.start !== r.start) out.push((w = { start: r.start, origins: [] }));
    w.origins.push({ origin: r.origin, calls: r.calls, amount: r.amount });
  }
  return out;
}
