import type { Receipt } from '@chanpay/protocol';

/** A response kept so that a retried call gets the same answer without being served (or charged) again. */
export interface CachedResponse {
  status: number;
  body: string | Buffer | Record<string, unknown> | unknown[] | null;
  headers: Record<string, string>;
}

/**
 * One paid call identified by (channel, Idempotency-Key). `in-flight` while the handler runs, `served` with
 * the response when it finished, `unserved` when it was paid but not answered (handler error, payment server
 * down in sync mode): a retry with the same key and voucher is then served without a new charge.
 */
export interface IdempotencyRecord {
  voucher: string;
  /** null while the voucher is being verified. */
  receipt: Receipt | null;
  /** `rejected`: the voucher was refused; the record is gone and a repeat is judged afresh. */
  state: 'in-flight' | 'served' | 'unserved' | 'rejected';
  response?: CachedResponse;
  /** Resolves when the call leaves `in-flight`. */
  settled: Promise<void>;
  settle(state: 'served' | 'unserved' | 'rejected', response?: CachedResponse): void;
  expiresAt: number;
}

/** Bounded in count and age: an evicted key only means a retry is treated as a new call (and refused as a replay). */
export class IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(channelId: string, key: string, now = Date.now()): IdempotencyRecord | undefined {
    const id = `${channelId}:${key}`;
    const rec = this.records.get(id);
    if (rec && rec.expiresAt <= now) {
      this.records.delete(id);
      return undefined;
    }
    return rec;
  }

  begin(channelId: string, key: string, voucher: string, receipt: Receipt | null, now = Date.now()): IdempotencyRecord {
    let resolve!: () => void;
    const settled = new Promise<void>((r) => (resolve = r));
    const rec: IdempotencyRecord = {
      voucher,
      receipt,
      state: 'in-flight',
      settled,
      expiresAt: now + this.ttlMs,
      settle(state, response) {
        if (rec.state !== 'in-flight') return;
        rec.state = state;
        rec.response = response;
        resolve();
      },
    };
    const id = `${channelId}:${key}`;
    this.records.delete(id);
    this.records.set(id, rec);
    while (this.records.size > this.maxEntries) {
      const oldest = this.records.keys().next().value as string;
      this.records.get(oldest)?.settle('unserved');
      this.records.delete(oldest);
    }
    return rec;
  }

  /** Forgets a record (if it is still this one) and wakes whoever waits for it. */
  reject(channelId: string, key: string, rec: IdempotencyRecord): void {
    const id = `${channelId}:${key}`;
    if (this.records.get(id) === rec) this.records.delete(id);
    rec.settle('rejected');
  }

  get size(): number {
    return this.records.size;
  }
}
