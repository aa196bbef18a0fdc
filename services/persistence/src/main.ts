#!/usr/bin/env node
/** Runs the persistence service from environment variables (see services/README.md). */
import { consoleLogger, logLevelFromEnv, envInt, providerSettingsFromEnv, stopOnSignals, adminTokenFromEnv } from '@chanpay/client-lib';
import { DEFAULT_DB_PATH, DEFAULT_PORT, startPersistenceService } from './index';

async function main(): Promise<void> {
  const log = consoleLogger('persistence', logLevelFromEnv(process.env.LOG_LEVEL));
  const service = await startPersistenceService({
    port: envInt(process.env, 'PORT', DEFAULT_PORT),
    host: process.env.HOST || '127.0.0.1',
    payment: providerSettingsFromEnv(process.env, log),
    dbPath: process.env.DB_PATH || DEFAULT_DB_PATH,
    ...(process.env.PRICE_WEI ? { price: process.env.PRICE_WEI } : {}),
    adminToken: adminTokenFromEnv(process.env),
    logger: log,
  });
  log.info({ url: service.url, payment: service.provider?.mode ?? 'off' }, 'persistence service listening');
  stopOnSignals(() => service.stop(), log);
}

main().catch((e: unknown) => {
  console.error(`persistence service failed to start: ${(e as Error).message}`);
  process.exit(1);
});
