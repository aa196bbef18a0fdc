/**
 * Gas and ether of every transaction on the benchmark's chain: scans the blocks, reads each receipt and names
 * the operation by its function selector in the PaymentChannels ABI (deployments and plain ETH transfers by
 * their shape). Every mode runs on a fresh chain, so every transaction on it is ours.
 */
import { Interface } from 'ethers';
import { PAYMENT_CHANNELS_ABI } from '@chanpay/protocol';

const abi = new Interface(PAYMENT_CHANNELS_ABI);

/** A reference price for comparisons across runs (the thesis's own illustration used 20 gwei). */
export const REFERENCE_GAS_PRICE_WEI = 20_000_000_000n;

export interface ChainTx {
  block: number;
  hash: string;
  from: string;
  to: string | null;
  operation: string;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  value: bigint;
  status: boolean;
}

export interface OperationCost {
  operation: string;
  count: number;
  gasUsed: number;
  gasPerTx: number;
  /** At the chain's effective gas price in this run. */
  ether: number;
  /** At REFERENCE_GAS_PRICE_WEI. */
  etherAtReference: number;
}

/** Nodes off this machine the user named (`--chain-url` of `--target`); any other must be on 127.0.0.1. */
const remoteRpcUrls = new Set<string>();
export function allowRemoteRpc(url: string): void {
  remoteRpcUrls.add(url);
}

/** One JSON-RPC call to a chain node (127.0.0.1, or a URL allowed as remote), its error as an Error. */
export async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  if (new URL(url).hostname !== '127.0.0.1' && !remoteRpcUrls.has(url)) throw new Error('only 127.0.0.1');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export const blockNumber = async (rpcUrl: string): Promise<number> => Number(await rpc<string>(rpcUrl, 'eth_blockNumber', []));

/** Advances the chain's clock (ganache's evm_increaseTime) and mines a block: ends a challenge period at once. */
export async function advanceTime(rpcUrl: string, seconds: number): Promise<void> {
  await rpc(rpcUrl, 'evm_increaseTime', [seconds]);
  await rpc(rpcUrl, 'evm_mine', []);
}

export function operationOf(tx: { to: string | null; input: string; value: bigint }, contract: string | null): string {
  if (tx.to === null) return 'deploy';
  if (contract && tx.to.toLowerCase() === contract.toLowerCase()) {
    const fn = tx.input.length >= 10 ? abi.getFunction(tx.input.slice(0, 10)) : null;
    return fn ? fn.name : `unknown ${tx.input.slice(0, 10)}`;
  }
  if (tx.input === '0x' && tx.value > 0n) return 'ETH transfer';
  return 'other';
}

/** Every transaction in blocks [from, to]. Bounded: at most `maxBlocks` blocks are read. */
export async function collectTransactions(
  rpcUrl: string,
  contract: string | null,
  from: number,
  to: number,
  maxBlocks = 50_000,
): Promise<ChainTx[]> {
  if (to - from + 1 > maxBlocks) throw new Error(`refusing to scan ${to - from + 1} blocks (limit ${maxBlocks})`);
  const out: ChainTx[] = [];
  for (let n = from; n <= to; n++) {
    const block = await rpc<{ transactions: { hash: string; from: string; to: string | null; input: string; value: string }[] } | null>(
      rpcUrl,
      'eth_getBlockByNumber',
      ['0x' + n.toString(16), true],
    );
    for (const tx of block?.transactions ?? []) {
      const receipt = await rpc<{ gasUsed: string; effectiveGasPrice: string; status: string }>(rpcUrl, 'eth_getTransactionReceipt', [
        tx.hash,
      ]);
      const value = BigInt(tx.value);
      out.push({
        block: n,
        hash: tx.hash,
        from: tx.from.toLowerCase(),
        to: tx.to?.toLowerCase() ?? null,
        operation: operationOf({ to: tx.to, input: tx.input, value }, contract),
        gasUsed: BigInt(receipt.gasUsed),
        effectiveGasPrice: BigInt(receipt.effectiveGasPrice),
        value,
        status: receipt.status === '0x1',
      });
    }
  }
  return out;
}

const toEther = (wei: bigint): number => Number(wei) / 1e18;

/** Per operation, in order of first appearance. */
export function costByOperation(txs: ChainTx[]): OperationCost[] {
  const groups = new Map<string, ChainTx[]>();
  for (const tx of txs) groups.set(tx.operation, [...(groups.get(tx.operation) ?? []), tx]);
  return [...groups.entries()].map(([operation, list]) => {
    const gas = list.reduce((a, t) => a + t.gasUsed, 0n);
    const wei = list.reduce((a, t) => a + t.gasUsed * t.effectiveGasPrice, 0n);
    return {
      operation,
      count: list.length,
      gasUsed: Number(gas),
      gasPerTx: Math.round(Number(gas) / list.length),
      ether: toEther(wei),
      etherAtReference: toEther(gas * REFERENCE_GAS_PRICE_WEI),
    };
  });
}
