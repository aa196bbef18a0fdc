import {
  ChanpayError,
  acceptWithRefresh,
  recordAccepted,
  voucherRefusal,
  type AcceptancePolicy,
  type SignerOf,
  type Voucher,
} from '@chanpay/protocol';
import { voucherSigner } from '@chanpay/protocol/node';
import type { PaymentServerClient } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import type { PaymentContext } from '../context';
import { ChannelCache, type CachedChannel } from './channel-cache';
import { VoucherOutbox } from './voucher-outbox';
import { ATTR, inSpan, wei } from '@chanpay/telemetry/spans';
import type { AcceptedVoucher, HeldVoucher, VoucherVerifier } from './verifier';
import type { PrepaidBlock, SharedState } from './state/provider-state';
import { StoredMarks } from './state/stored-marks';

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
  /**
   * The state shared by the provider's replicas (PROVIDER_STATE_URL): each voucher range is accepted there, once
   * across replicas, before the call is answered. Without it the range is decided in process.
   */
  shared?: SharedState;
  logger?: Logger;
}

/** Shared state: how often a replica looks for vouchers another (dead) replica accepted and did not store. */
const SWEEP_MS = 1_000;

/** Sync mode: flushes tried before a call is answered 503 (the second covers a voucher that missed the first). */
const SYNC_FLUSH_ATTEMPTS = 2;

/**
 * Verifies vouchers in process: the channel's terms, deposit and state come from the payment server once and
 * are then cached (`ChannelCache`); each call costs one signature recovery (about 60 µs) and no round trip. The
 * check and the update of a channel run without yielding, so two concurrent calls can never be accepted for the
 * same range. Accepted vouchers (the latest per channel) go to the payment server in batches (`VoucherOutbox`),
 * or before the answer when `sync` is set.
 */
export class LocalVerifier implements VoucherVerifier {
  readonly mode = 'local' as const;
  readonly opensBlocks: boolean;
  private readonly channels: ChannelCache;
  private readonly outbox: VoucherOutbox;
  private readonly sync: boolean;
  private stopped = false;
  private readonly policy: AcceptancePolicy;
  // Made once: the hot path allocates no closure for it.
  private readonly signerOf: SignerOf;
  private readonly shared: SharedState | null;
  private readonly storedMarks: StoredMarks | null;
  private readonly sweepTimer: NodeJS.Timeout | null = null;
  private readonly server: PaymentServerClient;
  private readonly log: Logger;
  private readonly maxGaps: number;

  constructor(opts: LocalVerifierOptions) {
    const context = opts.context;
    const logger = opts.logger ?? silentLogger;
    this.sync = opts.sync ?? false;
    this.shared = opts.shared ?? null;
    this.opensBlocks = this.shared !== null;
    this.server = opts.server;
    this.log = logger;
    this.maxGaps = opts.maxGapsPerChannel ?? 64;
    this.storedMarks = this.shared ? new StoredMarks(this.shared, logger) : null;
    this.channels = new ChannelCache({
      server: opts.server,
      provider: context.account.address,
      refreshIntervalMs: opts.refreshIntervalMs ?? 2_000,
      maxGapsPerChannel: opts.maxGapsPerChannel ?? 64,
      logger,
    });
    this.outbox = new VoucherOutbox({
      server: opts.server,
      sync: this.sync,
      flushIntervalMs: opts.flushIntervalMs ?? 100,
      maxUnflushedMs: opts.maxUnflushedMs ?? 2_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
      logger,
      onStored: (channelId, amount) => {
        this.channels.markStored(channelId, amount);
        this.storedMarks?.add(channelId, amount);
      },
      onChannelStates: (states) => this.channels.applyStates(states),
    });
    this.policy = { acceptsToken: (token) => token === context.token, minChallengePeriod: context.defaults.minChallengePeriod };
    this.signerOf = (voucher) => voucherSigner(context.hasher, voucher);
    if (this.shared) {
      const idleMs = Math.max(3_000, 2 * (opts.maxUnflushedMs ?? 2_000));
      this.sweepTimer = setInterval(() => void this.sweep(idleMs), SWEEP_MS);
      this.sweepTimer.unref();
    }
  }

  async accept(voucher: Voucher, header: string, price: bigint, _origin?: string, block?: PrepaidBlock): Promise<AcceptedVoucher> {
    if (this.stopped) throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the provider is shutting down');
    if (this.outbox.overdue(Date.now())) {
      void this.outbox.flush();
      throw new ChanpayError(
        'PAYMENT_SERVER_UNAVAILABLE',
        'accepted vouchers cannot be stored at the payment server; not accepting more for now',
      );
    }
    const channel = this.channels.get(voucher.channelId) ?? (await this.channels.load(voucher.channelId));
    if (this.shared) return this.acceptShared(this.shared, channel, voucher, header, price, block);
    // A top-up we have not seen yet: re-read once before refusing.
    const tried = acceptWithRefresh(
      () => this.checkAndRecord(channel, voucher, header, price) ?? true,
      () => this.channels.refresh(channel.id),
    );
    const outcome = tried instanceof Promise ? await tried : tried;
    if (outcome instanceof ChanpayError) throw outcome;
    if (this.sync)
      await inSpan('chanpay.record', { [ATTR.channel]: channel.id, [ATTR.amount]: wei(voucher.amount) }, () =>
        this.waitUntilStored(channel, channel.paid.highest, voucher.amount, price),
      );
    return { channelId: channel.id, amount: voucher.amount, price };
  }

  async latest(channelId: string): Promise<HeldVoucher | null> {
    const channel = this.channels.get(channelId);
    return channel?.latest ? { channelId, amount: channel.latest.amount, signature: channel.latest.signature } : null;
  }

  /**
   * Shared state: this replica checks the voucher (signature, deposit, state, and a range its cache already knows
   * is paid), then the database decides whether the range is still free and records it, before the answer.
   */
  private async acceptShared(
    shared: SharedState,
    channel: CachedChannel,
    voucher: Voucher,
    header: string,
    price: bigint,
    block: PrepaidBlock | undefined,
  ): Promise<AcceptedVoucher> {
    const refusalOf = () => voucherRefusal({ channel, voucher, price, paid: channel.paid, policy: this.policy, signerOf: this.signerOf });
    const tried = acceptWithRefresh(
      () => refusalOf() ?? true,
      () => this.channels.refresh(channel.id),
    );
    const checked = tried instanceof Promise ? await tried : tried;
    if (checked instanceof ChanpayError) throw checked;
    const decision = await inSpan('chanpay.state', { [ATTR.channel]: channel.id, [ATTR.amount]: wei(voucher.amount) }, () =>
      shared.acceptRange({
        channelId: channel.id,
        amount: voucher.amount,
        price,
        header,
        known: channel.paid,
        maxGaps: this.maxGaps,
        block,
      }),
    );
    channel.paid = decision.paid;
    if (!decision.accepted) throw refusalOf() ?? new ChanpayError('AMOUNT_TOO_LOW', 'this range was paid for already');
    channel.usedAt = Date.now();
    if (!channel.latest || voucher.amount > channel.latest.amount) {
      channel.latest = { amount: voucher.amount, signature: voucher.signature };
      this.outbox.add(channel.id, voucher.amount, header);
    } else {
      this.outbox.countCall(channel.id);
    }
    // The payment server holding this voucher (or a higher one) covers this call, whichever replica stores it.
    if (this.sync)
      await inSpan('chanpay.record', { [ATTR.channel]: channel.id, [ATTR.amount]: wei(voucher.amount) }, () =>
        this.waitUntilStored(channel, voucher.amount, voucher.amount, price),
      );
    return { channelId: channel.id, amount: voucher.amount, price };
  }

  /** Stores the highest vouchers that a replica accepted and has not stored for a while (it may have died). */
  private async sweep(idleMs: number): Promise<void> {
    if (!this.shared || this.stopped) return;
    try {
      const left = await this.shared.unstored(idleMs, 100);
      if (left.length === 0) return;
      const res = await this.server.recordVouchers(left.map((v) => v.header));
      const stored = left.filter((_, i) => res.results[i]?.accepted || res.results[i]?.error?.code === 'AMOUNT_TOO_LOW');
      await this.shared.markStored(stored);
      for (const v of stored) this.channels.markStored(v.channelId, v.amount);
      this.log.info({ vouchers: stored.length }, 'stored vouchers left unstored by another replica');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'storing vouchers left by another replica failed; will retry');
    }
  }

  /** Checks and records without yielding. Returns the refusal instead of throwing. */
  private checkAndRecord(channel: CachedChannel, voucher: Voucher, header: string, price: bigint): ChanpayError | null {
    const refusal = voucherRefusal({ channel, voucher, price, paid: channel.paid, policy: this.policy, signerOf: this.signerOf });
    if (refusal) return refusal;
    recordAccepted(channel.paid, voucher, price);
    channel.usedAt = Date.now();
    const latest = channel.latest;
    if (!latest) {
      channel.latest = { amount: voucher.amount, signature: voucher.signature };
      this.outbox.add(channel.id, voucher.amount, header);
    } else if (voucher.amount > latest.amount) {
      // Updated in place: `latest()` hands out copies, and this runs on every paid call.
      latest.amount = voucher.amount;
      latest.signature = voucher.signature;
      this.outbox.add(channel.id, voucher.amount, header);
    } else {
      this.outbox.countCall(channel.id);
    }
    return null;
  }

  /** Sync mode: the call is answered only once the payment server holds a voucher of at least `target`. */
  private async waitUntilStored(channel: CachedChannel, target: bigint, amount: bigint, price: bigint): Promise<void> {
    for (let attempt = 0; attempt < SYNC_FLUSH_ATTEMPTS && channel.durable < target; attempt++) await this.outbox.flush();
    if (channel.durable < target) {
      // The voucher stays accepted (and is stored later); `accepted` lets an idempotent retry be served free.
      throw new ChanpayError(
        'PAYMENT_SERVER_UNAVAILABLE',
        'the voucher could not be stored at the payment server; retry with the same Idempotency-Key',
        {
          channelId: channel.id,
          accepted: { amount: amount.toString(), price: price.toString() },
        },
      );
    }
  }

  /** Sends every accepted voucher to the payment server now. Never rejects. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  /** Stops accepting and sends what is pending (a few attempts, bounded in time). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.channels.stop();
    await this.outbox.stop();
    await this.storedMarks?.flush();
  }

  /** Vouchers accepted but not yet stored at the payment server (what a crash right now would cost). */
  get unflushed(): number {
    return this.outbox.size;
  }
}
