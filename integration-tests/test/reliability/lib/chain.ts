import { Contract, ContractFactory, JsonRpcProvider, Wallet, type InterfaceAbi } from 'ethers';
import { PAYMENT_CHANNELS_ABI, PAYMENT_CHANNELS_BYTECODE } from '@chanpay/protocol';
import { loadTestArtifact } from '@chanpay/devkit';
import { jsonRpc } from './processes';

export interface Artifact {
  abi: unknown[];
  bytecode: string;
}

/** The committed artifact of one of the repository's contracts (PaymentChannels, TestToken, …). */
export function artifact(name: 'PaymentChannels' | 'TestToken' | 'RejectingReceiver' | 'ReentrantToken'): Artifact {
  return name === 'PaymentChannels' ? { abi: PAYMENT_CHANNELS_ABI, bytecode: PAYMENT_CHANNELS_BYTECODE } : loadTestArtifact(name);
}

/** A provider that never re-detects the network and never batches (fast round trips to a local node). */
export function provider(rpcUrl: string, chainId: bigint): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, Number(chainId), { staticNetwork: true, batchMaxCount: 1, pollingInterval: 20, cacheTimeout: -1 });
}

async function receipt(rpcUrl: string, hash: string): Promise<{ status: string; contractAddress: string | null }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await jsonRpc<{ status: string; contractAddress: string | null } | null>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Deploys an artifact from `privateKey` and returns a Contract bound to that wallet. */
export async function deploy(
  rpcUrl: string,
  chainId: bigint,
  privateKey: string,
  a: Artifact,
): Promise<{ address: string; contract: Contract; wallet: Wallet }> {
  const wallet = new Wallet(privateKey, provider(rpcUrl, chainId));
  const factory = new ContractFactory(a.abi as InterfaceAbi, a.bytecode, wallet);
  const tx = await wallet.sendTransaction({ ...(await factory.getDeployTransaction()), gasLimit: 5_000_000n });
  const r = await receipt(rpcUrl, tx.hash);
  if (r.status !== '0x1' || !r.contractAddress) throw new Error('deployment failed');
  const address = r.contractAddress.toLowerCase();
  return { address, contract: new Contract(address, a.abi as InterfaceAbi, wallet), wallet };
}

/** Sends a contract call as a transaction with a fixed gas limit and waits for its receipt. */
export async function transact(rpcUrl: string, contract: Contract, method: string, args: unknown[], value = 0n): Promise<string> {
  const tx = (await contract.getFunction(method).send(...args, { value, gasLimit: 1_000_000n })) as { hash: string };
  const r = await receipt(rpcUrl, tx.hash);
  if (r.status !== '0x1') throw new Error(`${method} reverted`);
  return tx.hash;
}

export async function nonceOf(rpcUrl: string, address: string): Promise<number> {
  return Number(await jsonRpc<string>(rpcUrl, 'eth_getTransactionCount', [address, 'latest']));
}

/** Moves the chain's clock forward and mines a block. */
export async function timeTravel(rpcUrl: string, seconds: number): Promise<void> {
  await jsonRpc(rpcUrl, 'evm_increaseTime', [seconds]);
  await jsonRpc(rpcUrl, 'evm_mine', []);
}
