import type { JsonRpcProvider, TransactionReceipt } from 'ethers';

/**
 * Waits for a receipt by polling `eth_getTransactionReceipt`. ethers' `tx.wait()` is not used: anvil's automine
 * may answer the send before the block exists, and `wait()` then waits for a next block that never comes.
 */
export async function waitForReceipt(
  provider: JsonRpcProvider,
  hash: string,
  { timeoutMs = 10_000, intervalMs = 5 } = {},
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt && receipt.blockNumber !== null) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
