#!/usr/bin/env node
/** Runs the random-number service from environment variables (see services/README.md). */
import { consoleLogger, logLevelFromEnv, envInt, providerSettingsFromEnv, stopOnSignals, adminTokenFromEnv } from '@chanpay/client-lib';
import { DEFAULT_PORT, startRandomNumberService } from './index';

async function main(): Promise<void> {
  const log = consoleLogger('random-number', logLevelFromEnv(process.env.LOG_LEVEL));
  const service = await startRandomNumberService({
    port: envInt(process.env, 'PORT', DEFAULT_PORT),
    host: process.env.HOST || '127.0.0.1',
    payment: providerSettingsFromEnv(process.env, log),
    ...(process.env.PRICE_WEI ? { price: process.env.PRICE_WEI } : {}),
    adminToken: adminTokenFromEnv(process.env),
    logger: log,
  });
  log.info({ url: service.url, payment: service.provider?.mode ?? 'off' }, 'random-number service listening');
  stopOnSignals(() => service.stop(), log);
}

main().catch((e: unknown) => {
  console.error(`random-number service failed to start: ${(e as Error).message}`);
  process.exit(1);
});
