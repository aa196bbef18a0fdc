#!/usr/bin/env node
/** Runs the public service from environment variables (`--help` lists them; services/README.md). */
import { runService } from '@chanpay/client-lib/service-kit';
import { publicCommand } from './command';

void runService(publicCommand);
