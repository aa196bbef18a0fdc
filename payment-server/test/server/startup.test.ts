import Koa from 'koa';
import { Wallet } from 'ethers';
import { startEmbeddedChain, freePort, type EmbeddedChain } from '@chanpay/devkit';
import type { Address } from '@chanpay/protocol';
import { Rpc } from '../../src/chain/rpc';
import { TxSender } from '../../src/chain/tx-sender';
import { Accounts } from '../../src/accounts';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { openDb, Meta } from '../../src/store/db';
import { connectToNode } from '../../src/startup/chain';
import { attachContract, type ContractChoice } from '../../src/startup/contract';
import { listen } from '../../src/startup/listen';
import { Teardown } from '../../src/startup/teardown';

const log = createLogger('silent');

/** The start-up steps of a payment server, one by one, on a real ganache chain and real SQLite databases. */
describe('start-up steps (ganache)', () => {
  let chain: EmbeddedChain;
  let rpc: Rpc;
  let tx: TxSender;
  let choice: ContractChoice;

  beforeAll(async () => {
    chain = await startEmbeddedChain({ accounts: 1 });
    rpc = new Rpc(chain.rpcUrl, 5_000);
    tx = new TxSender(rpc, chain.chainId, { receiptPollMs: 20, txTimeoutMs: 30_000 });
    choice = { fromBlock: 0, freshChain: false, deployer: new Wallet(chain.accounts[0]!.privateKey), dbPath: ':memory:' };
  });
  afterAll(async () => {
    await chain?.stop();
  });

  test('connectToNode reads the chain id of the configured node, and names a node that does not answer', async () => {
    const config = parseConfig({
      rpcUrl: chain.rpcUrl,
      accounts: [{ name: 'a', privateKey: chain.accounts[0]!.privateKey }],
      tokens: [{ token: 'startup-token-for-tests-01', accounts: ['a'] }],
    });
    const accounts = await Accounts.load(config);
    const teardown = new Teardown();
    const node = await connectToNode(config, accounts, log, teardown);
    expect({ chainId: node.chainId, rpcUrl: node.rpcUrl, embedded: node.embeddedChain }).toEqual({
      chainId: chain.chainId,
      rpcUrl: chain.rpcUrl,
      embedded: undefined,
    });

    const silent = `http://127.0.0.1:${await freePort()}`;
    const unreachable = parseConfig({ ...config, rpcUrl: silent, chain: { ...config.chain, rpcTimeoutMs: 2_000 } });
    await expect(connectToNode(unreachable, accounts, log, teardown)).rejects.toThrow(`cannot reach the Ethereum node at ${silent}`);
    await teardown.run();
  });

  test('attachContract deploys into a new database, then attaches to the same contract from the same block', async () => {
    const meta = new Meta(openDb(':memory:'));
    const first = await attachContract(choice, { meta, rpc, tx, chainId: chain.chainId, log });
    expect(await rpc.code(first.contract)).not.toBe('0x');
    expect(await meta.get('contract')).toBe(first.contract);
    expect(await meta.get('chainId')).toBe(chain.chainId.toString());
    expect(first.startBlock).toBeGreaterThan(0);

    const head = await rpc.blockNumber();
    const again = await attachContract(choice, { meta, rpc, tx, chainId: chain.chainId, log });
    expect(again).toEqual(first);
    expect(await rpc.blockNumber()).toBe(head); // no second deployment
  });

  test('attachContract refuses a database of another chain or contract, and an address without code', async () => {
    const meta = new Meta(openDb(':memory:'));
    const { contract } = await attachContract(choice, { meta, rpc, tx, chainId: chain.chainId, log });
    await expect(attachContract(choice, { meta, rpc, tx, chainId: chain.chainId + 1n, log })).rejects.toThrow(/belongs to chain/);

    const other = await attachContract(choice, { meta: new Meta(openDb(':memory:')), rpc, tx, chainId: chain.chainId, log });
    expect(other.contract).not.toBe(contract);
    await expect(attachContract({ ...choice, configured: other.contract }, { meta, rpc, tx, chainId: chain.chainId, log })).rejects.toThrow(
      `tracks contract ${contract}`,
    );

    const empty = '0x00000000000000000000000000000000000000e1' as Address;
    await expect(
      attachContract({ ...choice, configured: empty }, { meta: new Meta(openDb(':memory:')), rpc, tx, chainId: chain.chainId, log }),
    ).rejects.toThrow(`no contract at ${empty}`);
  });
});

describe('listen', () => {
  test('serves on the given host, reports its URL, and closes open connections on close', async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = 'up';
    });
    const http = await listen(app, '127.0.0.1', 0);
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(http.url)).text()).toBe('up');
    await http.close();
    await expect(fetch(http.url)).rejects.toThrow();
  });
});
