import { Wallet } from 'ethers';
import { startAnvil, startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { Rpc } from '../../src/chain/rpc';
import { TxSender } from '../../src/chain/tx-sender';

interface Paid {
  effectiveGasPrice: bigint;
  baseFee: bigint;
}

/**
 * The server's transactions pay the base fee and the node's suggested tip, never a premium on the node's
 * suggestion: nodes suggest from what was recently paid, so a premium compounds on a chain that carries mostly
 * our transactions (with 1.25 × eth_gasPrice anvil's suggestion rose a thousandfold in 35 transactions).
 */
describe.each([
  ['anvil', () => startAnvil({ accounts: 1 })],
  ['ganache', () => startEmbeddedChain({ accounts: 1 })],
] as const)('transaction fees on %s', (_name, start) => {
  let chain: EmbeddedChain;
  beforeAll(async () => {
    chain = await start();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  test('60 transactions in a row: the price paid does not rise, and is the base fee plus the suggested tip', async () => {
    const rpc = new Rpc(chain.rpcUrl);
    // No fee cache between sends: every transaction asks the node again, the worst case for a feedback loop.
    const sender = new TxSender(rpc, chain.chainId, { receiptPollMs: 10, txTimeoutMs: 30_000 });
    const wallet = new Wallet(chain.accounts[0]!.privateKey);
    const paid: Paid[] = [];
    for (let i = 0; i < 60; i++) {
      (sender as unknown as { fees: undefined }).fees = undefined;
      const sent = await sender.send({ wallet, to: wallet.address, data: '0x', value: 1n, gasLimit: 21_000n, kind: 'probe' });
      const receipt = await rpc.call<{ effectiveGasPrice: string; blockNumber: string }>('eth_getTransactionReceipt', [sent.hash]);
      const block = await rpc.call<{ baseFeePerGas: string }>('eth_getBlockByNumber', [receipt.blockNumber, false]);
      paid.push({ effectiveGasPrice: BigInt(receipt.effectiveGasPrice), baseFee: BigInt(block.baseFeePerGas) });
    }
    const tip = BigInt(await rpc.call<string>('eth_maxPriorityFeePerGas').catch(() => '0x3b9aca00'));
    const first = paid[0]!.effectiveGasPrice;
    for (const p of paid) {
      expect(p.effectiveGasPrice).toBeLessThanOrEqual(first);
      expect(p.effectiveGasPrice).toBeLessThanOrEqual(p.baseFee + tip);
    }
  });
});
