/**
 * The builder's in-process mode: each payment server and service started in this process from the same
 * environment its child process would get, through the same code its `main` runs (the payment server's
 * `loadConfig`, a service's command). Tests use it to reach a running part's objects (a provider to flush,
 * the persistence store to count, a consumer's channels).
 */
import { startServiceFromEnv } from '@chanpay/client-lib/service-kit';
import { createPaymentServer, loadConfig } from '@chanpay/payment-server';
import { persistenceCommand } from '@chanpay/service-persistence/command';
import { publicCommand } from '@chanpay/service-public/command';
import { randomNumberCommand } from '@chanpay/service-random-number/command';
import { workerCommand } from '@chanpay/service-worker/command';
import type { Service } from '../model';

/** A part running in this process: a `PaymentServer` or the service's running object (`RunningPublicService`, …). */
export interface InProcessPart {
  url: string;
  stop(): Promise<void>;
}

export type PartKind = Service['kind'] | 'payment-server';

/** Starts one part from its environment (merged over this process's, as a child would see it). */
export async function startInProcess(kind: PartKind, env: Record<string, string>): Promise<InProcessPart> {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  switch (kind) {
    case 'payment-server':
      return createPaymentServer(loadConfig(merged), { env: merged });
    case 'public':
      return startServiceFromEnv(publicCommand, merged);
    case 'random-number':
      return startServiceFromEnv(randomNumberCommand, merged);
    case 'persistence':
      return startServiceFromEnv(persistenceCommand, merged);
    case 'worker':
      return startServiceFromEnv(workerCommand, merged);
  }
}
