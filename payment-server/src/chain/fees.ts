import { RpcError, type Rpc } from './rpc';

/** The fee fields of a transaction. */
export type Fees = { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: 0; gasPrice: bigint };

/** The tip when the node cannot suggest one (eth_maxPriorityFeePerGas unknown to it). */
export const FALLBACK_TIP_WEI = 1_000_000_000n;

/**
 * What the server's transactions offer to pay. With EIP-1559 (a base fee in the latest block): the node's
 * suggested tip as it is, and at most twice the base fee plus that tip, of which only the base fee and the tip
 * are charged. Before London: the node's gas price as it is.
 *
 * Never a premium on the node's suggestion: nodes suggest from the prices recently paid (geth's and anvil's
 * oracles take a percentile of recent tips), so on a chain that carries mostly our transactions a premium
 * compounds. Paying 1.25 × eth_gasPrice, anvil's suggestion rose from 2 to 2,600 gwei in 35 transactions while
 * the base fee fell to 0.01 gwei, and 2,000 channel openings cost 74 ETH of gas instead of 0.4
 * (`npm run bench:memory -- --channels 2000`).
 */
export async function currentFees(rpc: Pick<Rpc, 'call'>): Promise<Fees> {
  const block = await rpc.call<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', ['latest', false]);
  if (block?.baseFeePerGas === undefined) return { type: 0, gasPrice: BigInt(await rpc.call<string>('eth_gasPrice')) };
  const baseFee = BigInt(block.baseFeePerGas);
  const tip = await suggestedTip(rpc);
  return { type: 2, maxFeePerGas: 2n * baseFee + tip, maxPriorityFeePerGas: tip };
}

async function suggestedTip(rpc: Pick<Rpc, 'call'>): Promise<bigint> {
  try {
    return BigInt(await rpc.call<string>('eth_maxPriorityFeePerGas'));
  } catch (e) {
    if (e instanceof RpcError) return FALLBACK_TIP_WEI;
    throw e;
  }
}
