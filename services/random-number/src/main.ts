#!/usr/bin/env node
/** Runs the random-number service from environment variables (`--help` lists them; services/README.md). */
import { runService } from '@chanpay/client-lib/service-kit';
import { randomNumberCommand } from './command';

void runService(randomNumberCommand);
