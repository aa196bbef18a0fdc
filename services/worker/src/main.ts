#!/usr/bin/env node
/** Runs a worker from environment variables: WORKER_CONFIG (or WORKER_CONFIG_FILE) plus the usual service settings. */
import { paymentModeFromEnv } from '@chanpay/protocol';
import { adminTokenFromEnv, consoleLogger, envInt, logLevelFromEnv, paymentServerFromEnv, providerSettingsFromEnv, stopOnSignals } from '@chanpay/client-lib';
import { startWorkerService, workerConfigFromEnv } from './index';

export const DEFAULT_PORT = 8100;

async function main(): Promise<void> {
  const config = workerConfigFromEnv(process.env);
  const log = consoleLogger(config.name, logLevelFromEnv(process.env.LOG_LEVEL));
  const service = await startWorkerService({
    port: envInt(process.env, 'PORT', DEFAULT_PORT),
    host: process.env.HOST || '127.0.0.1',
    config,
    payment: providerSettingsFromEnv(process.env, log),
    consumer: { mode: paymentModeFromEnv(process.env), paymentServer: paymentServerFromEnv(process.env), voucherKey: process.env.VOUCHER_KEY || undefined, logger: log },
    adminToken: adminTokenFromEnv(process.env),
    logger: log,
  });
  log.info({ url: service.url, payment: service.provider?.mode ?? 'off', upstreams: service.consumers.size }, 'worker listening');
  stopOnSignals(() => service.stop(), log);
}

main().catch((e: unknown) => {
  console.error(`worker failed to start: ${(e as Error).message}`);
  process.exit(1);
});
