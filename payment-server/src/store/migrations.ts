/**
 * Schema migrations, applied in order inside one transaction each; `user_version` records the last applied.
 * Applied migrations never change: a change of schema is a new entry.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    consumer TEXT NOT NULL, provider TEXT NOT NULL, signer TEXT NOT NULL, token TEXT NOT NULL,
    challenge_period INTEGER NOT NULL, salt TEXT NOT NULL,
    deposit TEXT NOT NULL, claimed TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closing', 'settled')),
    closes_at INTEGER,
    opened_block INTEGER NOT NULL,
    -- provider side: the highest voucher accepted
    accepted_amount TEXT NOT NULL DEFAULT '0', accepted_signature TEXT, accepted_at INTEGER,
    calls INTEGER NOT NULL DEFAULT 0,
    -- consumer side: the highest voucher signed here
    signed_amount TEXT NOT NULL DEFAULT '0', signed_signature TEXT, signed_at INTEGER,
    last_claim_at INTEGER
  );
  CREATE INDEX channels_provider ON channels (provider, state);
  CREATE INDEX channels_consumer ON channels (consumer, state);
  CREATE TABLE windows (
    channel_id TEXT NOT NULL, start INTEGER NOT NULL, calls INTEGER NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (channel_id, start)
  );
  CREATE TABLE idempotency (
    channel_id TEXT NOT NULL, key TEXT NOT NULL, amount TEXT NOT NULL, price TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, key)
  );
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')), last_error TEXT
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
  CREATE TABLE transactions (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, account TEXT NOT NULL, channel_ids TEXT NOT NULL,
    status TEXT NOT NULL, gas_used TEXT, created_at INTEGER NOT NULL
  );
  `,
  // 2: the transactions table was written on every transaction and never read (channel_ids was always empty);
  // the chain keeps the transactions, and the metrics count them by kind.
  `
  DROP TABLE transactions;
  `,
  // 3: calls and amounts per channel, role, origin (the root caller a call's baggage names) and window
  // (payment-server/src/origins/origin-records.ts).
  `
  CREATE TABLE origin_windows (
    channel_id TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('consumer', 'provider')), start INTEGER NOT NULL,
    origin TEXT NOT NULL, calls INTEGER NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (channel_id, role, start, origin)
  );
  `,
];
