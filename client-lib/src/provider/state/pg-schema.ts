import type { Pool } from 'pg';

/** Any fixed number: replicas starting together create the tables one after the other. */
const SCHEMA_LOCK = 0x63687370; // "chsp"

/**
 * The shared provider state's tables. Amounts are decimal text in NUMERIC(78) columns (uint256 fits), ranges the
 * text of `PaidRanges.serialize`.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS provider_channels (
  channel_id TEXT PRIMARY KEY,
  ranges TEXT NOT NULL,
  latest_amount NUMERIC(78) NOT NULL DEFAULT 0,
  latest_voucher TEXT,
  stored_amount NUMERIC(78) NOT NULL DEFAULT 0,
  unstored_calls INTEGER NOT NULL DEFAULT 0,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS provider_ticket_blocks (
  channel_id TEXT NOT NULL,
  block_amount NUMERIC(78) NOT NULL,
  price NUMERIC(78) NOT NULL,
  calls INTEGER NOT NULL,
  anchor BYTEA NOT NULL,
  hi_index INTEGER NOT NULL,
  hi_link BYTEA NOT NULL,
  used BYTEA NOT NULL,
  left_calls INTEGER NOT NULL,
  opened_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (channel_id, block_amount)
);
CREATE TABLE IF NOT EXISTS provider_idempotency (
  channel_id TEXT NOT NULL,
  key TEXT NOT NULL,
  payment TEXT NOT NULL,
  state TEXT NOT NULL,
  receipt JSONB,
  -- TEXT, not JSONB: an answer is sent again byte for byte (JSONB reorders keys).
  response TEXT,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel_id, key)
);
`;

export async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (e: Error) => (broken = e); // see PgProviderState.inTransaction
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    await client.query(SCHEMA);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch((err: Error) => (broken = err));
    client.removeListener('error', onError);
    client.release(broken);
  }
}
