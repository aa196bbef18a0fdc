import type { Pool } from './pg-db';

/** What a channel's idempotency key was accepted with, if it was. */
export async function idempotencyRecord(
  c: { query: Pool['query'] },
  channelId: string,
  key: string,
): Promise<{ amount: bigint; price: bigint } | undefined> {
  const row = (
    await c.query<{ amount: string; price: string }>('SELECT amount, price FROM idempotency WHERE channel_id = $1 AND key = $2', [
      channelId,
      key,
    ])
  ).rows[0];
  return row ? { amount: BigInt(row.amount), price: BigInt(row.price) } : undefined;
}
