import type { RecordResponse } from '@chanpay/protocol';
import type { PaymentServerClient } from '../payment-server-client';
import { ATTR, inSpan } from '@chanpay/telemetry/spans';
import type { Logger } from '../logger';

export interface VoucherOutboxOptions {
  server: PaymentServerClient;
  /**
   * The verifier flushes before each answer itself: the timer is not armed per voucher, and what a flush leaves
   * behind is sent again at once.
   */
  sync: boolean;
  /** The longest an accepted voucher waits before it is sent. */
  flushIntervalMs: number;
  /** `overdue` once a voucher has waited this long to be stored. */
  maxUnflushedMs: number;
  /** How long `stop()` keeps trying to store what is pending. */
  stopTimeoutMs: number;
  logger: Logger;
  /** The payment server holds this amount (or more) for the channel now. */
  onStored(channelId: string, amount: bigint): void;
  /** The channel states the payment server returned with a stored batch. */
  onChannelStates(states: RecordResponse['channels'] | undefined): void;
}

/** The latest voucher of a channel not sent yet, and how many calls it paid since the last one sent. */
interface PendingVoucher {
  amount: bigint;
  header: string;
  calls: number;
}

/** One request to the payment server carries at most this many channels' vouchers. */
const MAX_BATCH = 1000;
/** The longest wait between attempts while the payment server fails. */
const MAX_BACKOFF_MS = 5_000;
const STOP_ATTEMPTS = 10;

/**
 * The vouchers a provider accepted in process and has not yet stored at its payment server: only the latest per
 * channel (it covers every lower one), sent in batches, with backoff while the server fails. What is here is
 * what a crash would cost right now, so its age is bounded (`overdue`).
 */
export class VoucherOutbox {
  private readonly pending = new Map<string, PendingVoucher>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private nextFlush: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  /** When the oldest voucher not yet stored was accepted (null: nothing pending). */
  private unflushedSince: number | null = null;

  constructor(private readonly opts: VoucherOutboxOptions) {}

  /**
   * Queues a channel's new highest voucher (it replaces the one queued before). Synchronous, and allocation-free
   * when the channel already has one waiting: it runs on every paid call.
   */
  add(channelId: string, amount: bigint, header: string): void {
    const queued = this.pending.get(channelId);
    if (queued) {
      queued.amount = amount;
      queued.header = header;
      queued.calls++;
    } else {
      this.pending.set(channelId, { amount, header, calls: 1 });
    }
    this.unflushedSince ??= Date.now();
    if (!this.opts.sync) this.scheduleFlush(this.opts.flushIntervalMs);
  }

  /** A call paid by a voucher below the queued one (it filled a gap): counted with the queued voucher, if any. */
  countCall(channelId: string): void {
    const queued = this.pending.get(channelId);
    if (queued) queued.calls++;
  }

  /** A voucher has waited longer than `maxUnflushedMs` to be stored. */
  overdue(now: number): boolean {
    return this.unflushedSince !== null && now - this.unflushedSince > this.opts.maxUnflushedMs;
  }

  /** Vouchers accepted but not yet stored at the payment server (channels). */
  get size(): number {
    return this.pending.size;
  }

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
        .catch((e: unknown) => this.opts.logger.error({ err: (e as Error)?.stack ?? String(e) }, 'storing vouchers failed'))
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
    for (const [channelId] of batch) this.pending.delete(channelId);
    let res: RecordResponse;
    try {
      // A batch of many calls' vouchers: its own trace, not a part of the call whose timer started it.
      res = await inSpan(
        'chanpay.record',
        { [ATTR.vouchers]: batch.length },
        () => this.opts.server.recordVouchers(batch.map(([, voucher]) => ({ voucher: voucher.header, calls: voucher.calls }))),
        true,
      );
    } catch (e) {
      this.putBack(batch);
      this.failures++;
      this.opts.logger.warn(
        { err: (e as Error).message, vouchers: batch.length, failures: this.failures },
        'storing vouchers failed; will retry',
      );
      this.scheduleFlush(Math.min(this.opts.flushIntervalMs * 2 ** this.failures, MAX_BACKOFF_MS));
      return;
    }
    this.failures = 0;
    batch.forEach(([channelId, voucher], i) => {
      const result = res.results[i];
      // AMOUNT_TOO_LOW: the server already holds this amount or more, which is just as durable.
      if (result?.accepted || result?.error?.code === 'AMOUNT_TOO_LOW') {
        this.opts.onStored(channelId, voucher.amount);
      } else {
        this.opts.logger.error(
          { channelId, amount: voucher.amount.toString(), error: result?.error },
          'payment server refused a voucher accepted in process',
        );
      }
    });
    this.opts.onChannelStates(res.channels);
    if (this.pending.size === 0) {
      this.unflushedSince = null;
    } else {
      // Accepted while this batch was on its way (or beyond the batch size): their clock starts now.
      this.unflushedSince = Date.now();
      this.scheduleFlush(this.opts.sync ? 0 : this.opts.flushIntervalMs);
    }
  }

  /** A failed batch goes back; a higher voucher accepted meanwhile stays and takes over the batch's calls. */
  private putBack(batch: [string, PendingVoucher][]): void {
    for (const [channelId, voucher] of batch) {
      const newer = this.pending.get(channelId);
      if (!newer) this.pending.set(channelId, voucher);
      else newer.calls += voucher.calls;
    }
  }

  /** Stops the timer and sends what is pending (a few attempts, bounded in time). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const deadline = Date.now() + this.opts.stopTimeoutMs;
    for (let attempt = 0; attempt < STOP_ATTEMPTS && this.pending.size > 0 && Date.now() < deadline; attempt++) {
      const failuresBefore = this.failures;
      await this.flush();
      if (this.failures > failuresBefore)
        await new Promise((r) => setTimeout(r, Math.min(200 * (attempt + 1), Math.max(0, deadline - Date.now()))));
    }
    if (this.pending.size === 0) return;
    this.opts.logger.error({ channels: this.pending.size }, 'stopping with vouchers the payment server has not stored');
  }
}
