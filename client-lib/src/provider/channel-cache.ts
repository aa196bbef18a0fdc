import { ChanpayError, PaidRanges, normalizeTerms, type ChannelInfo, type ChannelTerms, type RecordResponse } from '@chanpay/protocol';
import type { PaymentServerClient } from '../payment-server-client';
import type { Logger } from '../logger';

/** What a provider verifying in process knows of one channel paying it. */
export interface CachedChannel {
  id: string;
  terms: ChannelTerms;
  deposit: bigint;
  state: ChannelInfo['state'];
  paid: PaidRanges;
  /** The highest voucher accepted (what a claim would use). */
  latest: { amount: bigint; signature: string } | null;
  /** The highest amount the payment server is known to have stored. */
  durable: bigint;
  fetchedAt: number;
  usedAt: number;
}

export interface ChannelCacheOptions {
  server: PaymentServerClient;
  /** The provider's own address (lower case): a channel paying anyone else is refused. */
  provider: string;
  /** How often a channel in use is re-read (closing, top-ups). */
  refreshIntervalMs: number;
  maxGapsPerChannel: number;
  logger: Logger;
}

/** How long a channel the payment server does not know (or that pays someone else) is answered from memory. */
const UNKNOWN_TTL_MS = 2_000;
/** Bounds the memory of unknown channels: a flood of made-up channel ids must not grow it without end. */
const MAX_UNKNOWN = 10_000;
/** Channels re-read per refresh round, so that a provider with many channels does not flood its payment server. */
const REFRESH_BUDGET = 50;
/** Channels idle this long are re-read only when used again (the deposit and closing checks then catch up). */
const IDLE_MS = 10 * 60_000;

/**
 * The channels paying this provider, read from its payment server once and then kept fresh: re-read in the
 * background while in use, at once when a voucher exceeds the cached deposit (a top-up), and from the channel
 * states the payment server returns with each stored batch. Each read is single flight per channel.
 */
export class ChannelCache {
  private readonly channels = new Map<string, CachedChannel>();
  private readonly loading = new Map<string, Promise<CachedChannel>>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly unknown = new Map<string, { until: number; error: ChanpayError }>();
  private readonly refreshTimer: NodeJS.Timeout;

  constructor(private readonly opts: ChannelCacheOptions) {
    this.refreshTimer = setInterval(() => this.refreshStale(), Math.max(250, Math.floor(opts.refreshIntervalMs / 2)));
    this.refreshTimer.unref();
  }

  /** The cached channel, without waiting (the hot path). */
  get(id: string): CachedChannel | undefined {
    return this.channels.get(id);
  }

  /** Reads a channel not cached yet; refuses one the payment server does not know or that pays someone else. */
  load(id: string): Promise<CachedChannel> {
    const known = this.unknown.get(id);
    if (known && known.until > Date.now()) return Promise.reject(known.error);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const job = (async () => {
      try {
        const info = await this.fetch(id);
        const channel = this.channels.get(id) ?? this.fromInfo(info);
        this.channels.set(id, channel);
        return channel;
      } finally {
        this.loading.delete(id);
      }
    })();
    this.loading.set(id, job);
    return job;
  }

  private async fetch(id: string): Promise<ChannelInfo> {
    let info: ChannelInfo;
    try {
      info = await this.opts.server.channel(id);
    } catch (e) {
      if (!(e instanceof ChanpayError)) throw e;
      const refusal =
        e.code === 'UNKNOWN_CHANNEL' || e.code === 'NOT_FOUND'
          ? new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id}`)
          : e.code === 'NOT_CHANNEL_PARTY' || e.code === 'FORBIDDEN'
            ? new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider')
            : null;
      if (!refusal) throw e;
      this.rememberUnknown(id, refusal);
      throw refusal;
    }
    if (info.terms.provider.toLowerCase() !== this.opts.provider) {
      const refusal = new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider', { provider: info.terms.provider });
      this.rememberUnknown(id, refusal);
      throw refusal;
    }
    return info;
  }

  private rememberUnknown(id: string, error: ChanpayError): void {
    if (this.unknown.size > MAX_UNKNOWN) this.unknown.clear();
    this.unknown.set(id, { until: Date.now() + UNKNOWN_TTL_MS, error });
  }

  private fromInfo(info: ChannelInfo): CachedChannel {
    const held = info.latestVoucher ? BigInt(info.latestVoucher.amount) : 0n;
    const claimed = BigInt(info.claimed);
    // Nothing at or below what was already paid (held as a voucher, or claimed) may be accepted again.
    const paidUpTo = held > claimed ? held : claimed;
    const now = Date.now();
    return {
      id: info.id.toLowerCase(),
      terms: normalizeTerms(info.terms),
      deposit: BigInt(info.deposit),
      state: info.state,
      paid: new PaidRanges(paidUpTo, this.opts.maxGapsPerChannel),
      latest: info.latestVoucher ? { amount: held, signature: info.latestVoucher.signature } : null,
      durable: held,
      fetchedAt: now,
      usedAt: now,
    };
  }

  /** Re-reads one channel (single flight per channel). Errors leave the cached state as it was. */
  refresh(id: string): Promise<void> {
    const pending = this.refreshing.get(id);
    if (pending) return pending;
    const job = (async () => {
      try {
        const info = await this.opts.server.channel(id);
        const channel = this.channels.get(id);
        if (!channel) return;
        channel.deposit = BigInt(info.deposit);
        channel.state = info.state;
        channel.fetchedAt = Date.now();
        if (info.latestVoucher) {
          const held = BigInt(info.latestVoucher.amount);
          if (held > channel.durable) channel.durable = held;
          // Another instance (or an earlier run) was paid up to here: nothing below may be accepted again.
          channel.paid.raiseFloor(held);
          if (!channel.latest || held > channel.latest.amount) channel.latest = { amount: held, signature: info.latestVoucher.signature };
        }
      } catch (e) {
        this.opts.logger.warn({ channelId: id, err: (e as Error).message }, 'channel refresh failed');
      } finally {
        this.refreshing.delete(id);
      }
    })();
    this.refreshing.set(id, job);
    return job;
  }

  private refreshStale(): void {
    const now = Date.now();
    let budget = REFRESH_BUDGET;
    for (const channel of this.channels.values()) {
      if (budget === 0) break;
      if (channel.state === 'settled' || now - channel.fetchedAt < this.opts.refreshIntervalMs) continue;
      if (now - channel.usedAt > IDLE_MS) continue;
      budget--;
      void this.refresh(channel.id);
    }
  }

  /** The payment server now holds a voucher of this amount (or a higher one) for the channel. */
  markStored(id: string, amount: bigint): void {
    const channel = this.channels.get(id);
    if (channel && amount > channel.durable) channel.durable = amount;
  }

  /** Deposits and states the payment server returned with a stored batch: as fresh as a re-read. */
  applyStates(states: RecordResponse['channels'] | undefined): void {
    if (!states) return;
    const now = Date.now();
    for (const [id, state] of Object.entries(states)) {
      const channel = this.channels.get(id.toLowerCase());
      if (!channel) continue;
      channel.state = state.state;
      channel.deposit = BigInt(state.deposit);
      channel.fetchedAt = now;
    }
  }

  /** Stops the background refresh. */
  stop(): void {
    clearInterval(this.refreshTimer);
  }
}
