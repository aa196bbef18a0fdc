/**
 * Puts what x402's `exact` scheme needs on a local chain: the EIP-3009 test token (deployed, minted to the payer)
 * and Multicall3 at its canonical address, which the SDK's facilitator calls to tell why a transfer would fail
 * (nonce used, balance short, wrong domain): without it every such refusal reads "simulation failed".
 */
import path from 'node:path';
import { createWalletClient, http, getAddress, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { localPublicClient, localViemChain } from './chain';
import { loadTokenArtifact } from './token-artifact';

/** The token's EIP-712 domain name and version: the payment requirements' `extra` must carry exactly these. */
export const TOKEN_NAME = 'chanpay test USD';
export const TOKEN_SYMBOL = 'tUSD';
export const TOKEN_VERSION = '2';
export const TOKEN_DECIMALS = 6;

/** Where every EVM chain has Multicall3 (and where x402's facilitator looks for it). */
export const MULTICALL3_ADDRESS: Address = '0xcA11bde05977b3631167028862bE2a173976CA11';

export const ERC20_BALANCE_ABI = [
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'account', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
] as const;

const MINT_ABI = [
  {
    type: 'function',
    name: 'mint',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [],
  },
] as const;

export interface ChainTarget {
  rpcUrl: string;
  chainId: number;
}

function walletFor(target: ChainTarget, key: Hex) {
  return createWalletClient({
    account: privateKeyToAccount(key),
    chain: localViemChain(target.chainId, target.rpcUrl),
    transport: http(target.rpcUrl),
  });
}

async function confirmed(client: PublicClient, hash: Hex, what: string): Promise<{ contractAddress?: Address | null }> {
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 30_000 });
  if (receipt.status !== 'success') throw new Error(`${what} failed (transaction ${hash})`);
  return receipt;
}

/** Deploys the token with `deployerKey` as its owner and returns its address. */
export async function deployToken(target: ChainTarget, deployerKey: Hex): Promise<Address> {
  const artifact = loadTokenArtifact();
  const wallet = walletFor(target, deployerKey);
  const client = localPublicClient(target.chainId, target.rpcUrl);
  const hash = await wallet.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args: [TOKEN_NAME, TOKEN_SYMBOL, wallet.account.address],
  });
  const receipt = await confirmed(client, hash, 'token deployment');
  if (!receipt.contractAddress) throw new Error('token deployment left no contract address');
  return getAddress(receipt.contractAddress);
}

export async function mintToken(target: ChainTarget, ownerKey: Hex, token: Address, to: Address, amount: bigint): Promise<void> {
  const wallet = walletFor(target, ownerKey);
  const hash = await wallet.writeContract({ address: token, abi: MINT_ABI, functionName: 'mint', args: [to, amount] });
  await confirmed(localPublicClient(target.chainId, target.rpcUrl), hash, 'mint');
}

export async function tokenBalance(client: PublicClient, token: Address, owner: Address): Promise<bigint> {
  return client.readContract({ address: token, abi: ERC20_BALANCE_ABI, functionName: 'balanceOf', args: [owner] });
}

/** Multicall3's creation code as viem (pinned) ships it; viem does not export it, so it is read from its file. */
function multicall3CreationCode(): Hex {
  const file = path.join(path.dirname(require.resolve('viem')), 'constants', 'contracts.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const code = (require(file) as { multicall3Bytecode?: unknown }).multicall3Bytecode;
  if (typeof code !== 'string' || !code.startsWith('0x')) throw new Error(`viem no longer ships multicall3Bytecode in ${file}`);
  return code as Hex;
}

/**
 * Deploys Multicall3 from viem's bytecode, then copies its runtime code to the canonical address with the node's
 * set-code call (anvil_setCode, or ganache's evm_setAccountCode). No-op when the address already has code.
 */
export async function installMulticall3(target: ChainTarget, deployerKey: Hex): Promise<void> {
  const client = localPublicClient(target.chainId, target.rpcUrl);
  const existing = await client.getCode({ address: MULTICALL3_ADDRESS });
  if (existing && existing !== '0x') return;
  const wallet = walletFor(target, deployerKey);
  const hash = await wallet.sendTransaction({ data: multicall3CreationCode() });
  const receipt = await confirmed(client, hash, 'Multicall3 deployment');
  if (!receipt.contractAddress) throw new Error('Multicall3 deployment left no contract address');
  const runtime = await client.getCode({ address: receipt.contractAddress });
  if (!runtime || runtime === '0x') throw new Error('Multicall3 deployment left no code');
  const errors: string[] = [];
  for (const method of ['anvil_setCode', 'evm_setAccountCode'] as const) {
    try {
      await client.request({ method, params: [MULTICALL3_ADDRESS, runtime] } as never);
      return;
    } catch (e) {
      errors.push(`${method}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`the node can set no account code: ${errors.join('; ')}`);
}
