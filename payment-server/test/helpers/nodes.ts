import { JsonRpcProvider } from 'ethers';
import { startEmbeddedChain, type EmbeddedChain, type EmbeddedChainOptions } from '@chanpay/devkit';
import { startAnvil } from '@chanpay/devkit';

export type NodeName = 'ganache' | 'anvil';

/** The two independent node implementations every chain test runs against (`describe.each(NODES)`). */
export const NODES: readonly { name: NodeName; start: (opts?: EmbeddedChainOptions) => Promise<EmbeddedChain> }[] = [
  { name: 'ganache', start: startEmbeddedChain },
  { name: 'anvil', start: startAnvil },
];

/**
 * A provider that never re-detects the network and sends each request at once (no batching stall), which
 * keeps a test's round trips short on a local node.
 */
export function connect(chain: Pick<EmbeddedChain, 'rpcUrl' | 'chainId'>): JsonRpcProvider {
  const provider = new JsonRpcProvider(chain.rpcUrl, Number(chain.chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 20,
    cacheTimeout: -1,
  });
  return provider;
}
