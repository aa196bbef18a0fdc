import { PaidRanges, type Ticket } from '@chanpay/protocol';
import { hexToBuffer } from '@chanpay/protocol/node';
import { Pool, type PoolClient } from 'pg';
import type { Logger } from '../../logger';
import { spendFromBlock, unknownBlock, type TicketBlock } from '../ticket-book';
import { migrate } from './pg-schema';
import { PgIdempotency } from './pg-idempotency';
import type { PrepaidBlock, RangeDecision, RangeOffer, SharedReservation, SharedState, UnstoredVoucher } from './provider-state';

/** Blocks kept per channel, as the in-process book: opening one more forgets the oldest. */
const MAX_BLOCKS_PER_CHANNEL = 16;

export interface PgProviderStateOptions {
  url: string;
  /** Connections per replica. Default 8. */
  poolSize?: number;
  idempotencyTtlMs?: number;
  logger: Logger;
}

/**
 * The provider state on PostgreSQL, shared by every replica of one provider. Each decision is one transaction
 * that locks the channel's row (an upsert, `INSERT … ON CONFLICT DO UPDATE`, or `SELECT … FOR UPDATE`), so concurrent replicas take turns per channel and never
 * per process; the signature was checked by the replica before it asks.
 */
export class PgProviderState implements SharedState {
  readonly kind = 'shared' as const;
  private readonly idempotency: PgIdempotency;

  private constructor(
    private readonly pool: Pool,
    opts: PgProviderStateOptions,
  ) {
    this.idempotency = new PgIdempotency(pool, opts.idempotencyTtlMs ?? 10 * 60_000, opts.logger);
  }

  static async open(opts: PgProviderStateOptions): Promise<PgProviderState> {
    const pool = new Pool({ connectionString: opts.url, max: opts.poolSize ?? 8 });
    // An idle connection that dies (database restart) must not crash the process; the next query reconnects.
    pool.on('error', (e) => opts.logger.warn({ err: e.message }, 'provider state connection lost'));
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return new PgProviderState(pool, opts);
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out connection that breaks between queries (PostgreSQL killed) emits 'error' with no listener of
    // the pool's: unhandled, it would end the process. It is released as broken instead.
    let broken: Error | undefined;
    const onError = (e: Error) => (broken = e);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((err: Error) => (broken = err));
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  acceptRange(offer: RangeOffer): Promise<RangeDecision> {
    return this.inTransaction(async (client) => {
      // One statement that creates the row or locks the existing one (ON CONFLICT DO UPDATE takes the row lock,
      // as SELECT … FOR UPDATE would) and returns it: the channel's lock until COMMIT.
      const row = await client.query<{ ranges: string; latest_amount: string }>(
        `INSERT INTO provider_channels (channel_id, ranges) VALUES ($1, $2)
         ON CONFLICT (channel_id) DO UPDATE SET channel_id = EXCLUDED.channel_id
         RETURNING ranges, latest_amount::text`,
        [offer.channelId, offer.known.serialize()],
      );
      const paid = PaidRanges.parse(row.rows[0]!.ranges, offer.maxGaps);
      // What this replica learnt from the payment server (held or claimed) is paid, whoever accepted it.
      paid.raiseFloor(offer.known.floor);
      if (!paid.fits(offer.amount, offer.price)) return { accepted: false, paid };
      paid.add(offer.amount, offer.price);
      const higher = offer.amount > BigInt(row.rows[0]!.latest_amount);
      await client.query(
        `UPDATE provider_channels SET ranges = $2, unstored_calls = unstored_calls + 1
           ${higher ? ', latest_amount = $3, latest_voucher = $4, updated_at = now()' : ''} WHERE channel_id = $1`,
        higher ? [offer.channelId, paid.serialize(), offer.amount.toString(), offer.header] : [offer.channelId, paid.serialize()],
      );
      if (offer.block) await insertBlock(client, offer.channelId, offer.amount, offer.block);
      return { accepted: true, paid };
    });
  }

  async openBlock(channelId: string, amount: bigint, price: bigint, calls: number, anchorHex: string): Promise<void> {
    await this.inTransaction((client) => insertBlock(client, channelId, amount, { price, calls, anchor: anchorHex }));
  }

  spendTicket(ticket: Ticket, price: bigint): Promise<bigint> {
    return this.inTransaction(async (client) => {
      const res = await client.query<{
        price: string;
        calls: number;
        anchor: Buffer;
        hi_index: number;
        hi_link: Buffer;
        used: Buffer;
        left_calls: number;
      }>(
        `SELECT price::text, calls, anchor, hi_index, hi_link, used, left_calls FROM provider_ticket_blocks
          WHERE channel_id = $1 AND block_amount = $2 FOR UPDATE`,
        [ticket.channelId, ticket.blockAmount.toString()],
      );
      const row = res.rows[0];
      if (!row) throw unknownBlock(ticket);
      const block: TicketBlock = {
        amount: ticket.blockAmount,
        price: BigInt(row.price),
        calls: row.calls,
        anchor: row.anchor,
        hiIndex: row.hi_index,
        hiLink: row.hi_link,
        used: new Uint8Array(row.used),
        left: row.left_calls,
      };
      spendFromBlock(block, ticket, price);
      block.left--;
      if (block.left === 0) {
        await client.query('DELETE FROM provider_ticket_blocks WHERE channel_id = $1 AND block_amount = $2', [
          ticket.channelId,
          ticket.blockAmount.toString(),
        ]);
      } else {
        await client.query(
          `UPDATE provider_ticket_blocks SET hi_index = $3, hi_link = $4, used = $5, left_calls = $6
            WHERE channel_id = $1 AND block_amount = $2`,
          [ticket.channelId, ticket.blockAmount.toString(), block.hiIndex, Buffer.from(block.hiLink), Buffer.from(block.used), block.left],
        );
      }
      return block.price;
    });
  }

  reserve(channelId: string, key: string, payment: string): Promise<SharedReservation> {
    return this.idempotency.reserve(channelId, key, payment);
  }

  async markStored(stored: { channelId: string; amount: bigint }[]): Promise<void> {
    if (stored.length === 0) return;
    await this.pool.query(
      `UPDATE provider_channels c SET stored_amount = GREATEST(c.stored_amount, s.amount), unstored_calls = 0
         FROM unnest($1::text[], $2::numeric[]) AS s(channel_id, amount) WHERE c.channel_id = s.channel_id`,
      [stored.map((s) => s.channelId), stored.map((s) => s.amount.toString())],
    );
  }

  async unstored(idleMs: number, limit: number): Promise<UnstoredVoucher[]> {
    const res = await this.pool.query<{ channel_id: string; latest_amount: string; latest_voucher: string }>(
      `SELECT channel_id, latest_amount::text, latest_voucher FROM provider_channels
        WHERE latest_amount > stored_amount AND latest_voucher IS NOT NULL AND updated_at < now() - make_interval(secs => $1::float8)
        ORDER BY updated_at LIMIT $2`,
      [idleMs / 1000, limit],
    );
    return res.rows.map((r) => ({ channelId: r.channel_id, amount: BigInt(r.latest_amount), header: r.latest_voucher }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opens a block (call 0, the voucher's own, spent) and forgets the channel's oldest beyond the per-channel bound. */
async function insertBlock(client: PoolClient, channelId: string, amount: bigint, block: PrepaidBlock): Promise<void> {
  const anchor = hexToBuffer(block.anchor);
  const used = Buffer.alloc(block.calls);
  used[0] = 1;
  await client.query(
    `INSERT INTO provider_ticket_blocks (channel_id, block_amount, price, calls, anchor, hi_index, hi_link, used, left_calls)
     VALUES ($1, $2, $3, $4, $5, 0, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [channelId, amount.toString(), block.price.toString(), block.calls, anchor, used, block.calls - 1],
  );
  await client.query(
    `DELETE FROM provider_ticket_blocks WHERE channel_id = $1 AND block_amount IN (
       SELECT block_amount FROM provider_ticket_blocks WHERE channel_id = $1 ORDER BY opened_at DESC OFFSET $2)`,
    [channelId, MAX_BLOCKS_PER_CHANNEL],
  );
}
