/** Runs the local facilitator on its own HTTP port on 127.0.0.1 (in this process). */
import { listen } from '@chanpay/client-lib';
import type { Address } from 'viem';
import { createLocalFacilitator, type LocalFacilitatorOptions } from './facilitator';
import { createFacilitatorApp } from './facilitator-app';

export interface RunningFacilitator {
  url: string;
  address: Address;
  stop(): Promise<void>;
}

export async function startFacilitatorServer(
  opts: LocalFacilitatorOptions & { port?: number; host?: string },
): Promise<RunningFacilitator> {
  const local = createLocalFacilitator(opts);
  const server = await listen(createFacilitatorApp(local), opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { url: server.url, address: local.address, stop: () => server.close() };
}
