import { ChanpayError, type Receipt } from '@chanpay/protocol';
import type { Pool } from 'pg';
import type { Logger } from '../../logger';
import type { CachedResponse, IdempotencyRecord } from '../idempotency';
import type { SharedReservation } from './provider-state';

/** How long a replica waits for a call with the same key that another replica (or this one) is running. */
const WAIT_MS = 30_000;
const POLL_MS = 20;

interface Row {
  payment: string;
  state: 'in-flight' | 'served' | 'unserved';
  receipt: { channelId: string; amount: string; price: string } | null;
  response: string | null;
}

/** A cached response as JSON: a Buffer body as base64. */
interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: CachedResponse['body'];
  base64?: string;
}

/**
 * Idempotency records in the shared store: a key is reserved by the first replica whose INSERT wins; the others
 * wait for its outcome (polling the row) and answer it again, or take the call over when it was paid but not
 * answered. A record is written when its call settles; a replica that dies mid-call leaves it `in-flight` until
 * it expires, so a retry meanwhile gets IDEMPOTENCY_CONFLICT (never a second charge, never a free call).
 */
export class PgIdempotency {
  constructor(
    private readonly pool: Pool,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  async reserve(channelId: string, key: string, payment: string): Promise<SharedReservation> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const inserted = await this.pool.query(
        `INSERT INTO provider_idempotency (channel_id, key, payment, state, expires_at)
         VALUES ($1, $2, $3, 'in-flight', now() + make_interval(secs => $4))
         ON CONFLICT (channel_id, key) DO UPDATE SET payment = EXCLUDED.payment, state = 'in-flight', receipt = NULL,
           response = NULL, expires_at = EXCLUDED.expires_at
         WHERE provider_idempotency.expires_at <= now()
         RETURNING 1`,
        [channelId, key, payment, this.ttlMs / 1000],
      );
      if (inserted.rowCount === 1) return { kind: 'new', record: this.record(channelId, key, payment, null) };
      const found = await this.pool.query<Row>(
        'SELECT payment, state, receipt, response FROM provider_idempotency WHERE channel_id = $1 AND key = $2',
        [channelId, key],
      );
      const row = found.rows[0];
      if (!row) continue; // refused and deleted meanwhile: judged afresh
      if (row.payment !== payment) throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used with another voucher');
      if (row.state === 'in-flight') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      const receipt = receiptOf(row.receipt);
      if (row.state === 'served') {
        if (row.response && receipt) return { kind: 'served', receipt, response: responseOf(JSON.parse(row.response) as StoredResponse) };
        throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this call was answered already and its answer was too large to keep');
      }
      // Paid before but never answered: the replica whose UPDATE wins serves it, once.
      const taken = await this.pool.query(
        `UPDATE provider_idempotency SET state = 'in-flight' WHERE channel_id = $1 AND key = $2 AND state = 'unserved' RETURNING 1`,
        [channelId, key],
      );
      if (taken.rowCount === 1 && receipt) return { kind: 'unserved', receipt, record: this.record(channelId, key, payment, receipt) };
    }
    throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'a call with this idempotency key is still running');
  }

  /** A record whose settle writes the outcome to the row (or deletes it when the call was refused). */
  private record(channelId: string, key: string, payment: string, receipt: Receipt | null): IdempotencyRecord {
    let resolve!: () => void;
    const settled = new Promise<void>((r) => (resolve = r));
    const write = (state: 'served' | 'unserved' | 'rejected', rec: IdempotencyRecord, response?: CachedResponse) => {
      const query =
        state === 'rejected'
          ? this.pool.query('DELETE FROM provider_idempotency WHERE channel_id = $1 AND key = $2', [channelId, key])
          : this.pool.query('UPDATE provider_idempotency SET state = $3, receipt = $4, response = $5 WHERE channel_id = $1 AND key = $2', [
              channelId,
              key,
              state,
              rec.receipt ? JSON.stringify(receiptJson(rec.receipt)) : null,
              response ? JSON.stringify(storedResponse(response)) : null,
            ]);
      query.catch((e: Error) => this.log.warn({ err: e.message, channelId }, 'writing an idempotency record failed')).finally(resolve);
    };
    const rec: IdempotencyRecord = {
      voucher: payment,
      receipt,
      state: 'in-flight',
      settled,
      expiresAt: Date.now() + this.ttlMs,
      settle(state, response) {
        if (rec.state !== 'in-flight') return;
        rec.state = state;
        rec.response = response;
        write(state, rec, response);
      },
    };
    return rec;
  }
}

function receiptJson(r: Receipt) {
  return { channelId: r.channelId, amount: r.amount.toString(), price: r.price.toString() };
}

function receiptOf(r: Row['receipt']): Receipt | null {
  return r ? { channelId: r.channelId, amount: BigInt(r.amount), price: BigInt(r.price) } : null;
}

function storedResponse(r: CachedResponse): StoredResponse {
  return Buffer.isBuffer(r.body)
    ? { status: r.status, headers: r.headers, body: null, base64: r.body.toString('base64') }
    : { status: r.status, headers: r.headers, body: r.body };
}

function responseOf(r: StoredResponse): CachedResponse {
  return { status: r.status, headers: r.headers, body: r.base64 !== undefined ? Buffer.from(r.base64, 'base64') : r.body };
}
