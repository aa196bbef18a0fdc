/**
 * One-shot deploy of PaymentChannels for the compose scenarios, run in the payment-server image before the
 * payment servers start. The contract goes to the deployer's nonce-0 address, which is fixed by the key alone,
 * so every payment server can be given PS_CONTRACT_ADDRESS in advance. Idempotent: exits 0 at once when the
 * contract is already there (a restarted scenario on a persistent chain).
 *   RPC_URL           the chain, e.g. http://chain:8545
 *   DEPLOYER_KEY      0x private key used for nothing else (its nonce must still be 0 on first deploy); or
 *   DEPLOYER_KEY_FILE a file holding it (Docker secrets)
 *   CONTRACT_ADDRESS  optional: fail unless it is the deployer's nonce-0 address (catches a stale .env)
 */
import { getCreateAddress, JsonRpcProvider, Network, Wallet } from 'ethers';
import { PAYMENT_CHANNELS_BYTECODE } from '@chanpay/protocol';
import { GAS } from '@chanpay/payment-server';
import { readSecretEnv } from '@chanpay/protocol/node';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function chainIdOf(url: string): Promise<bigint> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(3000),
      });
      const body = (await res.json()) as { result?: string };
      if (body.result) return BigInt(body.result);
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`no chain answers at ${url} after 60 s`);
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const url = process.env.RPC_URL;
  const key = readSecretEnv(process.env, 'DEPLOYER_KEY');
  if (!url) throw new Error('RPC_URL is not set');
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error('DEPLOYER_KEY must be 0x followed by 64 hex digits');
  const chainId = await chainIdOf(url);
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true });
  const wallet = new Wallet(key, provider);
  const address = getCreateAddress({ from: wallet.address, nonce: 0 }).toLowerCase();
  const expected = process.env.CONTRACT_ADDRESS?.toLowerCase();
  if (expected && expected !== address) {
    throw new Error(
      `CONTRACT_ADDRESS is ${expected}, but DEPLOYER_KEY deploys to ${address}; fix the .env (npm run scenario -- env prints both)`,
    );
  }
  if ((await provider.getCode(address)) !== '0x') {
    console.log(JSON.stringify({ msg: 'PaymentChannels already deployed', contract: address, chainId: chainId.toString() }));
    return;
  }
  const nonce = await provider.getTransactionCount(wallet.address);
  if (nonce !== 0)
    throw new Error(
      `the deployer ${wallet.address} has sent ${nonce} transactions already, so ${address} can no longer be deployed to; use a fresh DEPLOYER_KEY`,
    );
  const tx = await wallet.sendTransaction({ data: PAYMENT_CHANNELS_BYTECODE, gasLimit: GAS.deploy, nonce: 0 });
  const receipt = await tx.wait(1, 120_000);
  if (receipt?.status !== 1 || receipt.contractAddress?.toLowerCase() !== address) {
    throw new Error(`deploy transaction ${tx.hash} failed`);
  }
  console.log(
    JSON.stringify({
      msg: 'deployed PaymentChannels',
      contract: address,
      chainId: chainId.toString(),
      block: receipt.blockNumber,
      gasUsed: receipt.gasUsed.toString(),
    }),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`deploy failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
