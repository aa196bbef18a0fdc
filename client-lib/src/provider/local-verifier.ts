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
  private readonly channels: ChannelCache;
  private readonly outbox: VoucherOutbox;
  private readonly sync: boolean;
  private stopped = false;
  private readonly policy: AcceptancePolicy;
  // Made once: the hot path allocates no closure for it.
  private readonly signerOf: SignerOf;

  constructor(opts: LocalVerifierOptions) {
    const context = opts.context;
    const logger = opts.logger ?? silentLogger;
    this.sync = opts.sync ?? false;
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
      onStored: (channelId, amount) => this.channels.markStored(channelId, amount),
      onChannelStates: (states) => this.channels.applyStates(states),
    });
    this.policy = { acceptsToken: (token) => token === context.token, minChallengePeriod: context.defaults.minChallengePeriod };
    this.signerOf = (voucher) => voucherSigner(context.hasher, voucher);
  }

  async accept(voucher: Voucher, header: string, price: bigint): Promise<AcceptedVoucher> {
    if (this.stopped) throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the provider is shutting down');
    if (this.outbox.overdue(Date.now())) {
      void this.outbox.flush();
      throw new ChanpayError(
        'PAYMENT_SERVER_UNAVAILABLE',
        'accepted vouchers cannot be stored at the payment server; not accepting more for now',
      );
    }
    const channel = this.channels.get(voucher.channelId) ?? (await this.channels.load(voucher.channelId));
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
    this.channels.stop();
    await this.outbox.stop();
  }

  /** Vouchers accepted but not yet stored at the payment server (what a crash right now would cost). */
  get unflushed(): number {
    return this.outbox.size;
  }
}
