import type { Config } from '../config';
import type { Logger } from '../logger';
import { openPostgresStore } from './pg-store';
import { openSqliteStore } from './sqlite-store';
import type { Store } from './store';

/** PostgreSQL when `dbUrl` is set (PS_DB_URL), else the SQLite file at `dbPath`. */
export function openStore(config: Config, log: Logger): Promise<Store> {
  if (config.dbUrl) return openPostgresStore(config.dbUrl, config.statsWindowSeconds, log, config.dbBatch === 'on');
  return Promise.resolve(openSqliteStore(config.dbPath, config.dbSync, config.statsWindowSeconds));
}
