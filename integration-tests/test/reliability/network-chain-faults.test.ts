import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { bound, timeoutMs } from './lib/bounds';
import { startActionLoad } from './lib/fault-hooks';
import { recordFigure, stopwatch } from './lib/figures';
import { sleep, waitFor } from './lib/load';
import { CONCURRENCY } from './lib/network-faults';
import {
  HOPS,
  ReceiptBook,
  getJson,
  scenarioStart,
  servedMore,
  settleScenario,
  startFaultNetwork,
  type FaultNetwork,
} from './lib/network-scenario';
import { startAnvilNode, type AnvilNode } from './lib/processes';
import { TextCollector } from './lib/secret-scan';
import { TcpProxy } from './lib/tcp-proxy';

/**
 * The example network (local mode, batched) on an anvil node that keeps its state in a file, reached by both
 * payment servers through a TCP proxy: the chain unreachable for a while, and kill -9 of the node, each under a
 * load of concurrent `/action` calls. Paid calls keep flowing off-chain; on-chain work (the claimer every second,
 * a provider's GET /redeem) fails with 503 CHAIN_UNAVAILABLE while the node is away, then catches up; every
 * scenario ends with the on-chain books. The proxy is cut a moment before the kill, so that no transaction is on its
 * way when the node dies (a node that forgets blocks is regressions.test.ts's bug 3).
 */

const OUTAGE_MS = bound(2_000);

describe('example network on an anvil node: the chain unreachable, and kill -9 of the node, under /action load', () => {
  let f: FaultNetwork;
  let node: AnvilNode;
  let proxy: TcpProxy;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chanpay-netchain-'));
    const collector = new TextCollector();
    f = await startFaultNetwork({
      mode: 'local',
      claimIntervalSeconds: 1,
      collector,
      paymentServerConfig: { chain: { rpcTimeoutMs: 1_000, txTimeoutMs: 30_000 } },
      startChain: async (privateKeys) => {
        node = await startAnvilNode({ name: 'chain', privateKeys, stateFile: path.join(dir, 'anvil-state.json'), collector });
        proxy = await TcpProxy.start(node.rpcUrl);
        return {
          rpcUrl: proxy.url,
          chainId: node.chainId,
          accounts: node.accounts,
          async stop() {
            await proxy.stop();
            await node.stop();
          },
        };
      },
      directRpcUrl: () => node.rpcUrl,
    });
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `whileDown` with the chain away (under load), then checks that calls flowed and claims caught up. */
  async function chainAway(takeAway: () => Promise<void>, bringBack: () => Promise<void>) {
    const elapsed = stopwatch();
    const start = await scenarioStart(f);
    const book = new ReceiptBook();
    const load = startActionLoad(f.net.urls.public!, {
      concurrency: CONCURRENCY,
      maxCalls: bound(6000),
      onResponse: book.onResponse,
      backoffMs: 20,
    });
    let downMs = 0;
    let redeemWhileDown: { status: number; code?: string }[] = [];
    let catchUpMs = 0;
    try {
      await servedMore(book, 30);
      load.phase('chain away');
      const away = Date.now();
      await takeAway();
      await sleep(OUTAGE_MS / 2);
      // On-chain work fails cleanly while the node is away (the documented 503).
      redeemWhileDown = await Promise.all(
        HOPS.map(async (hop) => {
          const r = await getJson(`${f.net.urls[hop]}/redeem`);
          return { status: r.status, code: r.body?.error?.code };
        }),
      );
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - away)));
      await bringBack();
      downMs = Date.now() - away;
      load.phase('after');
      await servedMore(book, 30);
    } finally {
      await load.stop();
    }
    const during = load.stats.byPhase['chain away']!;
    // Paid calls flowed off-chain the whole time: every call during the outage was served.
    expect({ calls: during.calls > 0, failed: during.calls - during.ok }).toEqual({ calls: true, failed: 0 });
    expect(redeemWhileDown).toEqual(HOPS.map(() => ({ status: 503, code: 'CHAIN_UNAVAILABLE' })));
    // The claimer (every second) catches up by itself: everything the providers hold gets claimed.
    for (const hop of HOPS) await getJson(`${f.net.urls[hop]}/payout`); // store what is pending now
    const back = Date.now();
    await waitFor(
      'the claims to catch up',
      async () => {
        for (const ch of book.channels.values()) {
          const v = await f.providerChannel(ch.hop, ch.id);
          if (v.claimed !== v.latestVoucher?.amount || BigInt(v.claimed) < ch.highest) return false;
        }
        return true;
      },
      30_000,
      100,
    );
    catchUpMs = Date.now() - back;
    const saved = (await f.saved()) - start.saved;
    const s = await settleScenario(f, start, book);
    expect(s.problems).toEqual([]);
    expect(s.unpaidReceipts).toEqual([]);
    expect(s.paidTo.persistence).toBeGreaterThanOrEqual(BigInt(saved) * 2_000_000_000n);
    return { elapsed, book, during, downMs, catchUpMs, s, saved, failures: book.failures };
  }

  test(
    'unreachable for a while (refused, then black-holed): calls flow off-chain, claims catch up, books balance',
    async () => {
      const r = await chainAway(
        async () => {
          await proxy.cut('refuse');
          setTimeout(() => void proxy.restore().then(() => proxy.cut('blackhole')), OUTAGE_MS / 2).unref();
        },
        async () => {
          await waitFor('the proxy to be black-holing', () => proxy.mode === 'blackhole', 5_000, 20);
          await proxy.restore();
        },
      );
      recordFigure({
        scenario: 'Network: chain node unreachable (local, batched)',
        chain: 'anvil behind a TCP proxy; claims every second',
        load: `${r.book.served} /action calls served, ${CONCURRENCY} at a time; ${r.during.ok} of them while the node was unreachable, none failed`,
        faults: `node unreachable for both payment servers for ${(r.downMs / 1000).toFixed(1)} s (connections refused, then accepted and never answered)`,
        inputs: 'GET /redeem on both providers during the outage (503 CHAIN_UNAVAILABLE)',
        lost: `0 wei: claims caught up ${(r.catchUpMs / 1000).toFixed(1)} s after the node came back; providers paid ≥ every receipt and every saved row (${r.saved}); payouts + refunds = deposits`,
        numbers: {
          served: r.book.served,
          servedWhileDown: r.during.ok,
          downMs: r.downMs,
          catchUpMs: r.catchUpMs,
          deposits: r.s.books.deposits.toString(),
          payouts: r.s.books.providerPayouts.toString(),
        },
        durationMs: r.elapsed(),
      });
    },
    timeoutMs(120_000),
  );

  test(
    'kill -9 of the chain node and a restart from its state: calls flow, claims catch up, books balance',
    async () => {
      const r = await chainAway(
        async () => {
          await proxy.cut('refuse');
          await sleep(300); // whatever was already sent is mined
          await node.dumpState();
          await node.kill9();
        },
        async () => {
          await node.restart();
          await proxy.restore();
        },
      );
      recordFigure({
        scenario: 'Network: kill -9 of the chain node (local, batched)',
        chain: 'anvil with its state saved (no block lost), behind a TCP proxy; claims every second',
        load: `${r.book.served} /action calls served, ${CONCURRENCY} at a time; ${r.during.ok} of them while the node was down, none failed`,
        faults: `kill -9 of the node mid-load, restart on the same port from its state after ${(r.downMs / 1000).toFixed(1)} s`,
        inputs: 'GET /redeem on both providers while the node was down (503 CHAIN_UNAVAILABLE)',
        lost: `0 wei: claims caught up ${(r.catchUpMs / 1000).toFixed(1)} s after the restart; providers paid ≥ every receipt and every saved row (${r.saved}); payouts + refunds = deposits`,
        numbers: {
          served: r.book.served,
          servedWhileDown: r.during.ok,
          downMs: r.downMs,
          catchUpMs: r.catchUpMs,
          deposits: r.s.books.deposits.toString(),
          payouts: r.s.books.providerPayouts.toString(),
        },
        durationMs: r.elapsed(),
      });
    },
    timeoutMs(120_000),
  );

  test('no private key and no token in any output of any process of the run (the node included)', () => {
    expect(f.collector.size).toBeGreaterThan(100);
    expect(f.scanSecrets()).toEqual([]);
  });
});
