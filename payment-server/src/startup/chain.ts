import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { startDevChain, type DevChain } from '../chain/dev-chain';
import { Rpc, RpcUnavailableError } from '../chain/rpc';
import type { Teardown } from './teardown';

export interface NodeConnection {
  rpc: Rpc;
  rpcUrl: string;
  chainId: bigint;
  /** The development chain started here, when the configuration names no node. */
  embeddedChain?: DevChain;
}

/** Connects to the configured Ethereum node, or starts a development chain (ganache) when none is configured. */
export async function connectToNode(config: Config, accounts: Accounts, log: Logger, teardown: Teardown): Promise<NodeConnection> {
  let embeddedChain: DevChain | undefined;
  let rpcUrl = config.rpcUrl;
  if (!rpcUrl) {
    // No node given: run ganache here and fund this server's accounts so it works with no set-up.
    const chain = await startDevChain({
      port: config.embeddedChain.port,
      chainId: config.embeddedChain.chainId,
      balanceEth: config.embeddedChain.balanceEth,
      privateKeys: accounts.all().map((a) => a.wallet.privateKey),
    });
    teardown.add(() => chain.stop());
    embeddedChain = chain;
    rpcUrl = chain.rpcUrl;
    log.info({ rpcUrl }, 'started embedded ganache chain');
  }
  const rpc = new Rpc(rpcUrl, config.chain.rpcTimeoutMs);
  teardown.add(() => rpc.close());
  const chainId = await rpc.chainId().catch((e: unknown) => {
    throw new RpcUnavailableError(`cannot reach the Ethereum node at ${rpcUrl}: ${(e as Error).message}`);
  });
  return { rpc, rpcUrl, chainId, embeddedChain };
}
