#!/usr/bin/env node
/** Runs the persistence service from environment variables (`--help` lists them; services/README.md). */
import { runService } from '@chanpay/client-lib/service-kit';
import { persistenceCommand } from './command';

void runService(persistenceCommand);
