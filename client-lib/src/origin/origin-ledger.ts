import { MAX_ORIGINS_PER_WINDOW, OTHER_ORIGINS, type ChannelOrigins } from '@chanpay/protocol';

export type OriginRole = ChannelOrigins['role'];

export interface OriginLedgerOptions {
  /** Length of a window, default 60 s. */
  windowSeconds?: number;
  /** Windows kept per channel and role (the oldest is dropped first), default 60. */
  maxWindows?: number;
  now?: () => number;
}

type Window = { start: number; origins: Map<string, { calls: number; amount: bigint }> };

/**
 * Calls and amounts per channel, role, origin and time window, in memory: what a provider was paid and what a
 * consumer paid, attributed to the root caller of each call. Bounded: `maxWindows` per channel and at most
 * `MAX_ORIGINS_PER_WINDOW` origins per window (the rest are summed under `~other`), so a caller that invents
 * origins cannot grow it without bound.
 */
export class OriginLedger {
  readonly windowSeconds: number;
  private readonly maxWindows: number;
  private readonly now: () => number;
  /** key `${role}:${channelId}`, windows newest last. */
  private readonly books = new Map<string, { channelId: string; role: OriginRole; windows: Window[] }>();

  constructor(opts: OriginLedgerOptions = {}) {
    this.windowSeconds = opts.windowSeconds ?? 60;
    this.maxWindows = opts.maxWindows ?? 60;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  record(role: OriginRole, channelId: string, origin: string, calls: number, amount: bigint): void {
    const key = `${role}:${channelId}`;
    let book = this.books.get(key);
    if (!book) this.books.set(key, (book = { channelId, role, windows: [] }));
    const now = this.now();
    const start = now - (now % this.windowSeconds);
    let w = book.windows.at(-1);
    if (!w || w.start !== start) {
      book.windows.push((w = { start, origins: new Map() }));
      if (book.windows.length > this.maxWindows) book.windows.shift();
    }
    const name = w.origins.has(origin) || w.origins.size < MAX_ORIGINS_PER_WINDOW ? origin : OTHER_ORIGINS;
    const entry = w.origins.get(name) ?? { calls: 0, amount: 0n };
    entry.calls += calls;
    entry.amount += amount;
    w.origins.set(name, entry);
  }

  /** Every channel's records (or one channel's), newest `windows` windows first, origins by name. */
  report(opts: { channelId?: string; windows?: number } = {}): ChannelOrigins[] {
    const limit = opts.windows ?? this.maxWindows;
    return [...this.books.values()]
      .filter((b) => opts.channelId === undefined || b.channelId === opts.channelId)
      .map((b) => ({
        channelId: b.channelId,
        role: b.role,
        windowSeconds: this.windowSeconds,
        windows: (limit > 0 ? b.windows.slice(-limit) : []).reverse().map((w) => ({
          start: w.start,
          origins: [...w.origins]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([origin, e]) => ({ origin, calls: e.calls, amount: e.amount.toString() })),
        })),
      }));
  }
}
