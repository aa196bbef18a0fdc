import type { Logger } from '../logger';
import { PgChannelStore } from './pg-channel-store';
import { PgCoordination } from './pg-coordination';
import { createPool, migratePostgres } from './pg-db';
import { PgMetaStore } from './pg-meta-store';
import { PgWebhookStore } from './pg-webhook-store';
import type { Store } from './store';
import { PgOriginRecords } from '../origins/pg-origin-records';

/** The URL for messages: without its password. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The shared store: a PostgreSQL database that several payment server processes of one team may use at once. */
export async function openPostgresStore(url: string, windowSeconds: number, log: Logger, batch = false): Promise<Store> {
  const pool = createPool(url, log);
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${redacted(url)}: ${(e as Error).message}`);
  }
  const lockPool = createPool(url, log, 8);
  const coordination = new PgCoordination(lockPool, url, log);
  return {
    kind: 'postgres',
    where: redacted(url),
    channels: new PgChannelStore(pool, windowSeconds, batch),
    meta: new PgMetaStore(pool),
    webhooks: new PgWebhookStore(pool),
    origins: new PgOriginRecords(pool, windowSeconds),
    coordination,
    close: async () => {
      await coordination.close();
      await lockPool.end();
      await pool.end();
    },
  };
}
