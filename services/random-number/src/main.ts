#!/usr/bin/env node
/** Runs the random-number service from environment variables (`--help` lists them; services/README.md). */
// First: tracing, when configured, must be on before koa and http are loaded.
import '@chanpay/client-lib/telemetry/register';
import { runService } from '@chanpay/client-lib/service-kit';
import { randomNumberCommand } from './command';

void runService(randomNumberCommand);
