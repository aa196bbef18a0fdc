#!/usr/bin/env node
/** Runs the public service from environment variables (see services/README.md). */
import { consoleLogger, logLevelFromEnv, consumerSettingsFromEnv, envInt, stopOnSignals, adminTokenFromEnv } from '@chanpay/client-lib';
import { DEFAULT_PORT, startPublicService } from './index';

async function main(): Promise<void> {
  const log = consoleLogger('public', logLevelFromEnv(process.env.LOG_LEVEL));
  const service = await startPublicService({
    port: envInt(process.env, 'PORT', DEFAULT_PORT),
    host: process.env.HOST || '127.0.0.1',
    payment: consumerSettingsFromEnv(process.env, log),
    randomNumberUrl: process.env.RANDOM_NUMBER_URL || 'http://127.0.0.1:8002',
    persistenceUrl: process.env.PERSISTENCE_URL || 'http://127.0.0.1:8001',
    upstreamTimeoutMs: envInt(process.env, 'UPSTREAM_TIMEOUT_MS', 30_000),
    adminToken: adminTokenFromEnv(process.env),
    logger: log,
  });
  log.info({ url: service.url, payment: service.consumer?.mode ?? 'off' }, 'public service listening');
  stopOnSignals(() => service.stop(), log);
}

main().catch((e: unknown) => {
  console.error(`public service failed to start: ${(e as Error).message}`);
  process.exit(1);
});
