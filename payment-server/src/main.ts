#!/usr/bin/env node
/** Runs one payment server from PS_* environment variables and an optional PS_CONFIG file (`--help` lists them). */
// First: tracing, when configured (OTEL_EXPORTER_OTLP_ENDPOINT, CHANPAY_TRACE_FILE), must be on before koa and http load.
import '@chanpay/telemetry/register';
import { runningTracing } from '@chanpay/telemetry/running';
import { loadConfig, ConfigError } from './config';
import { createLogger } from './logger';
import { createPaymentServer } from './server';
import { readCommandLine } from './usage';

async function main(): Promise<void> {
  readCommandLine();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const server = await createPaymentServer(config, { logger: log });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await server.stop();
    await runningTracing()?.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`payment server failed to start: ${(e as Error).message}`);
  process.exit(1);
});
