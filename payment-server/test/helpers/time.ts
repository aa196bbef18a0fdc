import type { JsonRpcProvider } from 'ethers';

/** Moves the chain's clock forward and mines a block, so `block.timestamp` of the next call has moved too. */
export async function increaseTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', ['0x' + seconds.toString(16)]);
  await provider.send('evm_mine', []);
}

export async function latestTimestamp(provider: JsonRpcProvider): Promise<number> {
  const block = (await provider.send('eth_getBlockByNumber', ['latest', false])) as { timestamp: string };
  return Number(BigInt(block.timestamp));
}
