import { SoleProcess } from './coordination';
import { Meta, openDb } from './db';
import { SqliteChannelStore } from './sqlite-channel-store';
import { SqliteWebhookStore } from './sqlite-webhook-store';
import type { Store } from './store';
import { SqliteOriginRecords } from '../origins/sqlite-origin-records';

/** The embedded store: one SQLite file, owned by one process. */
export function openSqliteStore(file: string, sync: 'normal' | 'full', windowSeconds: number): Store {
  const db = openDb(file, sync);
  return {
    kind: 'sqlite',
    where: file,
    channels: new SqliteChannelStore(db, windowSeconds),
    meta: new Meta(db),
    webhooks: new SqliteWebhookStore(db),
    origins: new SqliteOriginRecords(db, windowSeconds),
    coordination: new SoleProcess(),
    close: async () => void db.close(),
  };
}
