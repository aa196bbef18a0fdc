import path from 'node:path';
import { timeoutMs } from './lib/bounds';
import { balanceAt, balancesMatchBooks, blockNumber, conservation } from './lib/conservation';
import { recordFigure, stopwatch } from './lib/figures';
import { sleep, waitFor } from './lib/load';
import { percentile, startPaidLoad } from './lib/paid-load';
import { GWEI, TOKENS, startTwoServers, tempDir, type TwoServers } from './lib/setup';
import { TcpProxy } from './lib/tcp-proxy';

/**
 * kill -9 of the chain node under a load of paid calls, and a restart on the same port from its saved state (a node
 * that keeps every block it mined, as geth does). Paid calls on known channels keep flowing while it is down; claims
 * fail with 503, are retried, and land after the restart; the books balance to the wei.
 * The servers reach the node through a TCP proxy that is cut a moment before the kill, so that no transaction is
 * on its way at the kill (a node that loses transactions or blocks when killed is in regressions.test.ts).
 */

describe('kill -9 of the chain node under load', () => {
  let env: TwoServers;
  let proxy: TcpProxy;

  beforeAll(async () => {
    env = await startTwoServers({
      anvil: { stateFile: path.join(tempDir(), 'anvil-state.json') },
      consumerRpcUrl: async (chain) => (proxy ??= await TcpProxy.start(chain.rpcUrl)).url,
      providerRpcUrl: async (chain) => (proxy ??= await TcpProxy.start(chain.rpcUrl)).url,
      providerConfig: {
        claim: { thresholdWei: '0', intervalSeconds: 1, checkIntervalMs: 100 },
        chain: { rpcTimeoutMs: 1000, txTimeoutMs: 30_000 },
      },
      consumerConfig: { chain: { rpcTimeoutMs: 1000, txTimeoutMs: 30_000 } },
    });
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await env?.stop();
  });

  test(
    'calls flow while the node is down, claims land after its restart, books balance to the wei',
    async () => {
      const elapsed = stopwatch();
      const startBlock = await blockNumber(env.chain.rpcUrl);
      const parties = [env.consumer.address, env.provider.address];
      const initial = new Map(await Promise.all(parties.map(async (a) => [a, await balanceAt(env.chain.rpcUrl, a)] as const)));
      const ids = [await env.open(100_000n * GWEI), await env.open(100_000n * GWEI)];
      const load = startPaidLoad({
        consumer: env.consumerApi,
        provider: env.providerApi,
        consumerToken: TOKENS.consumer,
        providerToken: TOKENS.provider,
        channelIds: ids,
        price: GWEI,
        concurrency: 2,
        maxCalls: 50_000,
      });
      await sleep(1_500);
      // Cut the servers off first and let anything already sent be mined; then save the chain and kill the node.
      load.phase('node down');
      const down = Date.now();
      await proxy.cut('refuse');
      await sleep(300);
      await env.chain.dumpState();
      await env.chain.kill9();
      await sleep(1_500);
      const during = await env.providerApi.call('POST', `/channels/${ids[0]}/claim`, TOKENS.provider, {});
      expect({ status: during.status, code: during.body.error?.code }).toEqual({ status: 503, code: 'CHAIN_UNAVAILABLE' });
      await env.chain.restart();
      await proxy.restore();
      const downMs = Date.now() - down;
      load.phase('after');
      await sleep(1_000);
      const stats = await load.stop();
      expect(stats.failures).toEqual({});
      expect(stats.byPhase['node down'] ?? 0).toBeGreaterThan(0);

      const restarted = Date.now();
      const accepted = new Map<string, bigint>();
      await waitFor(
        'claims to catch up',
        async () => {
          for (const id of ids) {
            const ch = (await env.providerApi.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel;
            if (ch.claimed !== ch.latestVoucher.amount) return false;
            accepted.set(id, BigInt(ch.latestVoucher.amount));
          }
          return true;
        },
        60_000,
        200,
      );
      const catchUpMs = Date.now() - restarted;
      for (const id of ids) expect((await env.providerApi.call('POST', `/channels/${id}/close`, TOKENS.provider, {})).status).toBe(200);
      const books = await conservation(env.chain.rpcUrl, env.contract, ids);
      expect(books.problems).toEqual([]);
      for (const c of books.channels) expect({ id: c.id, paid: c.providerTotal }).toEqual({ id: c.id, paid: accepted.get(c.id) });
      expect(await balancesMatchBooks(env.chain.rpcUrl, books, parties, startBlock, initial)).toEqual([]);

      recordFigure({
        scenario: 'kill -9 of the chain node',
        chain: 'anvil with its state saved (no block lost)',
        load: `${stats.acked} paid calls on 2 channels, 2 in flight per channel, ${stats.byPhase['node down'] ?? 0} while the node was down; p99 ${percentile(stats.latenciesMs, 99)} ms`,
        faults: `kill -9 of the node, restart on the same port from its state after ${(downMs / 1000).toFixed(1)} s`,
        inputs: 'a claim while the node was down (503 CHAIN_UNAVAILABLE)',
        lost: `0 wei: claims caught up ${(catchUpMs / 1000).toFixed(1)} s after the restart; payouts + refunds = deposits`,
        numbers: {
          calls: stats.acked,
          whileDown: stats.byPhase['node down'] ?? 0,
          downMs,
          catchUpMs,
          deposits: books.deposits.toString(),
          payouts: books.providerPayouts.toString(),
          refunds: books.consumerRefunds.toString(),
        },
        durationMs: elapsed(),
      });
    },
    timeoutMs(120_000),
  );
});
