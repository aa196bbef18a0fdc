import {
  ChanpayError,
  PaidRanges,
  acceptWithRefresh,
  normalizeTerms,
  recordAccepted,
  voucherRefusal,
  type AcceptancePolicy,
  type ChannelInfo,
  type ChannelTerms,
  type RecordResponse,
  type Voucher,
} from '@chanpay/protocol';
import { voucherSigner } from '@chanpay/protocol/node';
import type { PaymentServerClient } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import type { PaymentContext } from '../context';
import type { AcceptedVoucher, HeldVoucher, VoucherVerifier } from './verifier';

export interface LocalVerifierOptions {
  server: PaymentServerClient;
  context: PaymentContext;
  /** Answer a call only after its voucher is stored at the payment server. Default false (batched). */
  sync?: boolean;
  /** Batched mode: the longest an accepted voucher waits before it is sent to the payment server. Default 100 ms. */
  flushIntervalMs?: number;
  /** How often cached channels are re-read (closing, top-ups). Default 2000 ms. */
  refreshIntervalMs?: number;
  maxGapsPerChannel?: number;
  /**
   * Batched mode: stop accepting (503) while a voucher has waited this long to be stored, e.g. because the
   * payment server is down. Bounds what a crash can cost. Default 2000 ms.
   */
  maxUnflushedMs?: number;
  /** How long `stop()` keeps trying to store what is pending. Default 10 s. */
  stopTimeoutMs?: number;
  logger?: Logger;
}

interface CachedChannel {
  id: string;
  terms: ChannelTerms;
  deposit: bigint;
  state: ChannelInfo['state'];
  paid: PaidRanges;
  /** The highest voucher accepted (what a claim would use). */
  latest: { amount: bigint; signature: string; header?: string } | null;
  /** The highest amount the payment server is known to have stored. */
  durable: bigint;
  fetchedAt: number;
  usedAt: number;
}

const MAX_BATCH = 1000;
const UNKNOWN_TTL_MS = 2_000;

/**
 * Verifies vouchers in process: the channel's terms, deposit and state come from the payment server once and
 * are then cached; each call costs one signature recovery (about 60 µs) and no round trip. The check and
 * the update of a channel run without yielding, so two concurrent calls can never be accepted for the same
 * range. Accepted vouchers (the latest per channel) are sent to the payment server in batches, or before
 * the answer when `sync` is set.
 */
export class LocalVerifier implements VoucherVerifier {
  readonly mode = 'local' as const;
  private readonly channels = new Map<string, CachedChannel>();
  private readonly loading = new Map<string, Promise<CachedChannel>>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly unknown = new Map<string, { until: number; error: ChanpayError }>();
  /** Latest unsent voucher per channel. */
  private readonly pending = new Map<string, { amount: bigint; header: string; calls: number }>();
  private readonly server: PaymentServerClient;
  private readonly ctx: PaymentContext;
  private readonly sync: boolean;
  private readonly flushIntervalMs: number;
  private readonly refreshIntervalMs: number;
  private readonly maxGaps: number;
  private readonly log: Logger;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly refreshTimer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private nextFlush: Promise<void> | null = null;
  private flushFailures = 0;
  private stopped = false;
  /** When the oldest voucher not yet stored was accepted (null: nothing pending). */
  private unflushedSince: number | null = null;
  private readonly maxUnflushedMs: number;
  private readonly stopTimeoutMs: number;
  private readonly policy: AcceptancePolicy;
  private readonly signerOf = (v: Voucher) => voucherSigner(this.ctx.hasher, v);

  constructor(opts: LocalVerifierOptions) {
    this.server = opts.server;
    this.ctx = opts.context;
    this.sync = opts.sync ?? false;
    this.flushIntervalMs = opts.flushIntervalMs ?? 100;
    this.refreshIntervalMs = opts.refreshIntervalMs ?? 2_000;
    this.maxGaps = opts.maxGapsPerChannel ?? 64;
    this.maxUnflushedMs = opts.maxUnflushedMs ?? 2_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
    this.log = opts.logger ?? silentLogger;
    this.policy = { acceptsToken: (token) => token === this.ctx.token, minChallengePeriod: this.ctx.defaults.minChallengePeriod };
    this.refreshTimer = setInterval(() => this.refreshStale(), Math.max(250, Math.floor(this.refreshIntervalMs / 2)));
    this.refreshTimer.unref();
  }

  async accept(v: Voucher, header: string, price: bigint): Promise<AcceptedVoucher> {
    if (this.stopped) throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the provider is shutting down');
    if (this.unflushedSince !== null && Date.now() - this.unflushedSince > this.maxUnflushedMs) {
      void this.flush();
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'accepted vouchers cannot be stored at the payment server; not accepting more for now');
    }
    const ch = this.channels.get(v.channelId) ?? (await this.load(v.channelId));
    // A top-up we have not seen yet: re-read once before refusing.
    const tried = acceptWithRefresh(
      () => this.tryAccept(ch, v, header, price) ?? true,
      () => this.refresh(ch.id),
    );
    const outcome = tried instanceof Promise ? await tried : tried;
    if (outcome instanceof ChanpayError) throw outcome;
    if (this.sync) await this.durable(ch, ch.paid.highest, v.amount, price);
    return { channelId: ch.id, amount: v.amount, price };
  }

  async latest(channelId: string): Promise<HeldVoucher | null> {
    const ch = this.channels.get(channelId);
    return ch?.latest ? { channelId, amount: ch.latest.amount, signature: ch.latest.signature } : null;
  }

  /** Check and record without yielding. Returns the refusal instead of throwing. */
  private tryAccept(ch: CachedChannel, v: Voucher, header: string, price: bigint): ChanpayError | null {
    const refusal = voucherRefusal({
      channel: ch,
      voucher: v,
      price,
      paid: ch.paid,
      policy: this.policy,
      signerOf: this.signerOf,
    });
    if (refusal) return refusal;
    recordAccepted(ch.paid, v, price);
    ch.usedAt = Date.now();
    const queued = this.pending.get(ch.id);
    if (!ch.latest || v.amount > ch.latest.amount) {
      ch.latest = { amount: v.amount, signature: v.signature, header };
      this.pending.set(ch.id, { amount: v.amount, header, calls: (queued?.calls ?? 0) + 1 });
      this.unflushedSince ??= Date.now();
      if (!this.sync) this.scheduleFlush(this.flushIntervalMs);
    } else if (queued) {
      queued.calls++;
    }
    return null;
  }

  private async durable(ch: CachedChannel, target: bigint, amount: bigint, price: bigint): Promise<void> {
    for (let i = 0; i < 2 && ch.durable < target; i++) await this.flush();
    if (ch.durable < target) {
      // The voucher stays accepted (and is stored later); `accepted` lets an idempotent retry be served free.
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the voucher could not be stored at the payment server; retry with the same Idempotency-Key', {
        channelId: ch.id,
        accepted: { amount: amount.toString(), price: price.toString() },
      });
    }
  }

  // ------------------------------------------------------------------ channel cache

  private load(id: string): Promise<CachedChannel> {
    const known = this.unknown.get(id);
    if (known && known.until > Date.now()) return Promise.reject(known.error);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const job = (async () => {
      try {
        const info = await this.fetch(id);
        const ch = this.channels.get(id) ?? this.fromInfo(info);
        this.channels.set(id, ch);
        return ch;
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
      info = await this.server.channel(id);
    } catch (e) {
      if (!(e instanceof ChanpayError)) throw e;
      const mapped =
        e.code === 'UNKNOWN_CHANNEL' || e.code === 'NOT_FOUND'
          ? new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id}`)
          : e.code === 'NOT_CHANNEL_PARTY' || e.code === 'FORBIDDEN'
            ? new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider')
            : null;
      if (!mapped) throw e;
      if (this.unknown.size > 10_000) this.unknown.clear();
      this.unknown.set(id, { until: Date.now() + UNKNOWN_TTL_MS, error: mapped });
      throw mapped;
    }
    if (info.terms.provider.toLowerCase() !== this.ctx.account.address) {
      const err = new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider', { provider: info.terms.provider });
      this.unknown.set(id, { until: Date.now() + UNKNOWN_TTL_MS, error: err });
      throw err;
    }
    return info;
  }

  private fromInfo(info: ChannelInfo): CachedChannel {
    const held = info.latestVoucher ? BigInt(info.latestVoucher.amount) : 0n;
    const claimed = BigInt(info.claimed);
    const base = held > claimed ? held : claimed;
    return {
      id: info.id.toLowerCase(),
      terms: normalizeTerms(info.terms),
      deposit: BigInt(info.deposit),
      state: info.state,
      paid: new PaidRanges(base, this.maxGaps),
      latest: info.latestVoucher ? { amount: held, signature: info.latestVoucher.signature } : null,
      durable: held,
      fetchedAt: Date.now(),
      usedAt: Date.now(),
    };
  }

  /** Re-reads one channel (single flight per channel). Errors leave the cached state as it was. */
  private refresh(id: string): Promise<void> {
    const pending = this.refreshing.get(id);
    if (pending) return pending;
    const job = (async () => {
      try {
        const info = await this.server.channel(id);
        const ch = this.channels.get(id);
        if (!ch) return;
        ch.deposit = BigInt(info.deposit);
        ch.state = info.state;
        ch.fetchedAt = Date.now();
        if (info.latestVoucher) {
          const held = BigInt(info.latestVoucher.amount);
          if (held > ch.durable) ch.durable = held;
          // Another instance (or an earlier run) was paid up to here: nothing below may be accepted again.
          ch.paid.raiseFloor(held);
          if (!ch.latest || held > ch.latest.amount) ch.latest = { amount: held, signature: info.latestVoucher.signature };
        }
      } catch (e) {
        this.log.warn({ channelId: id, err: (e as Error).message }, 'channel refresh failed');
      } finally {
        this.refreshing.delete(id);
      }
    })();
    this.refreshing.set(id, job);
    return job;
  }

  private refreshStale(): void {
    const now = Date.now();
    let budget = 50;
    for (const ch of this.channels.values()) {
      if (budget === 0) break;
      if (ch.state === 'settled' || now - ch.fetchedAt < this.refreshIntervalMs) continue;
      // Channels idle for a long time are refreshed when they are used again (by the deposit/closing checks).
      if (now - ch.usedAt > 10 * 60_000) continue;
      budget--;
      void this.refresh(ch.id);
    }
  }

  private applyChannelStates(states: RecordResponse['channels'] | undefined): void {
    if (!states) return;
    const now = Date.now();
    for (const [id, s] of Object.entries(states)) {
      const ch = this.channels.get(id.toLowerCase());
      if (!ch) continue;
      ch.state = s.state;
      ch.deposit = BigInt(s.deposit);
      ch.fetchedAt = now;
    }
  }

  // ------------------------------------------------------------------ durability

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, delayMs);
    this.flushTimer.unref();
  }

  /**
   * Sends every pending voucher. Concurrent callers share one request; a caller that arrives while one is
   * running gets the next one, so whatever was pending when it called is covered. Never rejects.
   */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.sendPending()
        .catch((e: unknown) => this.log.error({ err: (e as Error)?.stack ?? String(e) }, 'storing vouchers failed'))
        .finally(() => {
          this.flushing = null;
        });
      return this.flushing;
    }
    if (!this.nextFlush) {
      this.nextFlush = this.flushing.then(() => {
        this.nextFlush = null;
        return this.flush();
      });
    }
    return this.nextFlush;
  }

  /** Sends one batch of what is pending now (later arrivals go with the next flush, so no waiter waits for them). */
  private async sendPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()].slice(0, MAX_BATCH);
    for (const [id] of batch) this.pending.delete(id);
    let res: RecordResponse;
    try {
      res = await this.server.recordVouchers(batch.map(([, p]) => ({ voucher: p.header, calls: p.calls })));
    } catch (e) {
      for (const [id, p] of batch) {
        const now = this.pending.get(id);
        if (!now) this.pending.set(id, p);
        else now.calls += p.calls;
      }
      this.flushFailures++;
      this.log.warn({ err: (e as Error).message, vouchers: batch.length, failures: this.flushFailures }, 'storing vouchers failed; will retry');
      this.scheduleFlush(Math.min(this.flushIntervalMs * 2 ** this.flushFailures, 5_000));
      return;
    }
    this.flushFailures = 0;
    batch.forEach(([id, p], i) => {
      const r = res.results[i];
      const ch = this.channels.get(id);
      if (!ch) return;
      // AMOUNT_TOO_LOW: the server already holds this amount or more, which is just as durable.
      if (r?.accepted || r?.error?.code === 'AMOUNT_TOO_LOW') {
        if (p.amount > ch.durable) ch.durable = p.amount;
      } else {
        this.log.error({ channelId: id, amount: p.amount.toString(), error: r?.error }, 'payment server refused a voucher accepted in process');
      }
    });
    this.applyChannelStates(res.channels);
    if (this.pending.size === 0) {
      this.unflushedSince = null;
    } else {
      // Accepted while this batch was on its way (or beyond the batch size): their clock starts now.
      this.unflushedSince = Date.now();
      this.scheduleFlush(this.sync ? 0 : this.flushIntervalMs);
    }
  }

  /** Stops accepting and sends what is pending (a few attempts, bounded in time). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    clearInterval(this.refreshTimer);
    const deadline = Date.now() + this.stopTimeoutMs;
    for (let attempt = 0; attempt < 10 && this.pending.size > 0 && Date.now() < deadline; attempt++) {
      const before = this.flushFailures;
      await this.flush();
      if (this.flushFailures > before) await new Promise((r) => setTimeout(r, Math.min(200 * (attempt + 1), Math.max(0, deadline - Date.now()))));
    }
    if (this.pending.size === 0) return;
    this.log.error({ channels: this.pending.size }, 'stopping with vouchers the payment server has not stored');
  }

  /** Vouchers accepted but not yet stored at the payment server (what a crash right now would cost). */
  get unflushed(): number {
    return this.pending.size;
  }
}
