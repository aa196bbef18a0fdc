#!/usr/bin/env node
/** Runs a worker from environment variables (`--help` lists them): WORKER_CONFIG plus the usual service settings. */
import { runService } from '@chanpay/client-lib/service-kit';
import { workerCommand } from './command';

void runService(workerCommand);
