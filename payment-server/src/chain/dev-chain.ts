/**
 * With no Ethereum node configured (no PS_RPC_URL) the server starts a development chain in process, from
 * `@chanpay/devkit` (ganache). The devkit is a development dependency: a production install without it gets a
 * clear error instead, and must name its node.
 */
export interface DevChain {
  rpcUrl: string;
  stop(): Promise<void>;
}

export interface DevChainOptions {
  port?: number;
  chainId?: number;
  balanceEth?: number;
  privateKeys: string[];
}

export async function startDevChain(opts: DevChainOptions): Promise<DevChain> {
  let devkit: { startEmbeddedChain(o: DevChainOptions): Promise<DevChain> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    devkit = require('@chanpay/devkit') as typeof devkit;
  } catch {
    throw new Error(
      'no Ethereum node configured (PS_RPC_URL) and the development chain (@chanpay/devkit) is not installed: set PS_RPC_URL',
    );
  }
  return devkit.startEmbeddedChain(opts);
}
