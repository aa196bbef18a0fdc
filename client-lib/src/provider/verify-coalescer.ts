import { ChanpayError, type VerifyResponse } from '@chanpay/protocol';
import type { PaymentServerClient } from '../payment-server-client';

interface Waiting {
  voucher: string;
  price: bigint;
  idempotencyKey: string;
  origin?: string;
  resolve: (r: VerifyResponse) => void;
  reject: (e: unknown) => void;
}

/**
 * Coalesces the verifications of concurrent paid calls into few requests to the payment server. While no request
 * is in flight a call goes at once (after the current turn of the event loop, so that calls that arrived together
 * go together); calls made while a request is in flight wait for it and go together in the next request, up to
 * `maxBatch` each. A lone call takes the single route (`POST /vouchers/verify`), several the batch route
 * (`POST /vouchers/verify-batch`), where each is answered on its own: a refused voucher fails its call only.
 */
export class VerifyCoalescer {
  private queue: Waiting[] = [];
  private draining: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly server: PaymentServerClient,
    private readonly maxBatch = 64,
  ) {}

  verify(voucher: string, price: bigint, idempotencyKey: string, origin?: string): Promise<VerifyResponse> {
    return new Promise((resolve, reject) => {
      this.queue.push({ voucher, price, idempotencyKey, ...(origin ? { origin } : {}), resolve, reject });
      this.kick();
    });
  }

  /**
   * Starts draining unless it runs or is about to. Drained to the end, it looks again: calls made between its
   * last look at the queue and its end (their callers' continuations run then) would otherwise wait forever.
   */
  private kick(): void {
    if (this.draining || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.draining = this.drain().finally(() => {
        this.draining = null;
        this.kick();
      });
    });
  }

  /** Resolves once every call made so far has its answer. */
  async idle(): Promise<void> {
    while (this.scheduled || this.draining) await (this.draining ?? new Promise<void>((r) => setImmediate(r)));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.send(this.queue.splice(0, this.maxBatch));
  }

  private async send(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const w = batch[0]!;
      await this.server.verifyVoucher(w.voucher, w.price, w.idempotencyKey, w.origin).then(w.resolve, w.reject);
      return;
    }
    let results: (VerifyResponse | ChanpayError)[];
    try {
      results = await this.server.verifyVouchers(batch);
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r instanceof ChanpayError) w.reject(r);
      else w.resolve(r);
    });
  }
}
