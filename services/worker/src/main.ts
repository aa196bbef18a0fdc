#!/usr/bin/env node
/** Runs a worker from environment variables (`--help` lists them): WORKER_CONFIG plus the usual service settings. */
// First: tracing, when configured, must be on before koa and http are loaded.
import '@chanpay/client-lib/telemetry/register';
import { runService } from '@chanpay/client-lib/service-kit';
import { workerCommand } from './command';

void runService(workerCommand);
