import { encodeVoucher, termsTuple, type Address, type ChannelTerms } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, channelIdOf, hexToBuffer } from '@chanpay/protocol/node';
import { Contract, Wallet, hexlify, randomBytes, type InterfaceAbi } from 'ethers';
import { bound, timeoutMs } from './lib/bounds';
import { artifact, provider as rpcProvider, transact } from './lib/chain';
import { balancesMatchBooks, blockNumber, conservation } from './lib/conservation';
import { recordFigure, stopwatch } from './lib/figures';
import { sleep, waitFor } from './lib/load';
import { percentile, startPaidLoad } from './lib/paid-load';
import { GWEI, TOKENS, startTwoServers, type TwoServers } from './lib/setup';
import { TcpProxy } from './lib/tcp-proxy';

/**
 * The chain node is unreachable for a while (first refusing connections, then accepting them and never answering)
 * for both payment servers, under a steady load of paid calls. Calls on known channels keep flowing off-chain;
 * on-chain work (claims, a channel the provider has not seen yet) fails with 503 CHAIN_UNAVAILABLE, is retried
 * with backoff, and catches up once the node is back. Ends with the on-chain conservation check.
 */

const OUTAGE_MS = bound(2_000);
const RPC_TIMEOUT_MS = 1_000;

describe('chain node unreachable under load', () => {
  let env: TwoServers;
  let proxyC: TcpProxy;
  let proxyP: TcpProxy;

  beforeAll(async () => {
    env = await startTwoServers({
      consumerRpcUrl: async (chain) => (proxyC = await TcpProxy.start(chain.rpcUrl)).url,
      providerRpcUrl: async (chain) => (proxyP = await TcpProxy.start(chain.rpcUrl)).url,
      consumerConfig: { chain: { rpcTimeoutMs: RPC_TIMEOUT_MS, txTimeoutMs: 60_000 } },
      // The provider claims whatever is unclaimed every second, so claims are due throughout the outage.
      providerConfig: {
        chain: { rpcTimeoutMs: RPC_TIMEOUT_MS, txTimeoutMs: 60_000 },
        claim: { intervalSeconds: 1, thresholdWei: '0', checkIntervalMs: 100 },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await proxyC?.stop();
    await proxyP?.stop();
    await env?.stop();
  });

  test(
    'paid calls keep flowing off-chain; claims and discovery retry and catch up; books balance to the wei',
    async () => {
      const elapsed = stopwatch();
      const startBlock = await blockNumber(env.chain.rpcUrl);
      const ids = [await env.open(100_000n * GWEI), await env.open(100_000n * GWEI)];
      const load = startPaidLoad({
        consumer: env.consumerApi,
        provider: env.providerApi,
        consumerToken: TOKENS.consumer,
        providerToken: TOKENS.provider,
        channelIds: ids,
        price: GWEI,
        concurrency: 2,
        maxCalls: bound(4_000),
      });
      await sleep(800);

      // -- the node refuses connections
      load.phase('outage');
      const outageStarted = Date.now();
      await Promise.all([proxyC.cut('refuse'), proxyP.cut('refuse')]);
      // A channel opened on chain behind the servers' backs: the provider cannot look it up now.
      const consumerWallet = new Wallet(env.consumer.privateKey, rpcProvider(env.chain.rpcUrl, env.chainId));
      const pc = new Contract(env.contract, artifact('PaymentChannels').abi as InterfaceAbi, consumerWallet);
      const terms: ChannelTerms = {
        consumer: env.consumer.address as Address,
        provider: env.provider.address as Address,
        signer: env.consumer.address as Address,
        token: ('0x' + '00'.repeat(20)) as Address,
        challengePeriod: 600,
        salt: hexlify(randomBytes(32)),
      };
      await transact(env.chain.rpcUrl, pc, 'open', [termsTuple(terms), 10n * GWEI], 10n * GWEI);
      const late = channelIdOf(terms);
      const lateVoucher = encodeVoucher(
        new VoucherSigner(new VoucherHasher({ chainId: env.chainId, contract: env.contract }), hexToBuffer(env.consumer.privateKey)).sign(
          late,
          GWEI,
        ),
      );
      const during = {
        status: await env.providerApi.call('GET', '/status', null),
        claim: await env.providerApi.call('POST', `/channels/${ids[0]}/claim`, TOKENS.provider, {}),
        lateVoucher: await env.providerApi.call('POST', '/vouchers/verify', TOKENS.provider, {
          voucher: lateVoucher,
          price: GWEI.toString(),
        }),
        open: await env.consumerApi.call('POST', '/channels', TOKENS.consumer, {
          provider: env.provider.address,
          deposit: GWEI.toString(),
        }),
      };
      expect(during.status.body).toMatchObject({ status: 'degraded', chainReachable: false });
      for (const r of [during.claim, during.lateVoucher, during.open])
        expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 503, code: 'CHAIN_UNAVAILABLE' });
      await sleep(OUTAGE_MS / 2);

      // -- the node accepts connections and never answers
      await Promise.all([proxyC.cut('blackhole'), proxyP.cut('blackhole')]);
      const hung = Date.now();
      expect((await env.providerApi.call('GET', '/status', null)).body).toMatchObject({ status: 'degraded', chainReachable: false });
      expect(Date.now() - hung).toBeLessThan(RPC_TIMEOUT_MS + 2_000);
      await sleep(OUTAGE_MS / 2);
      const outageMs = Date.now() - outageStarted;

      // -- back
      await Promise.all([proxyC.restore(), proxyP.restore()]);
      const restored = Date.now();
      load.phase('after');
      await sleep(1_000);
      const stats = await load.stop();
      expect(stats.failures).toEqual({});
      expect(stats.byPhase.outage ?? 0).toBeGreaterThan(0);
      expect(stats.byPhase.after ?? 0).toBeGreaterThan(0);

      // The provider's claimer catches up: everything it accepted is claimed on chain.
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
      const catchUpMs = Date.now() - restored;
      for (const id of ids) expect(accepted.get(id)).toBe(load.channels.get(id)!.highestAcked);
      // ...and the channel it could not look up during the outage is now found and paid.
      expect(
        (await env.providerApi.call('POST', '/vouchers/verify', TOKENS.provider, { voucher: lateVoucher, price: GWEI.toString() })).status,
      ).toBe(200);
      accepted.set(late, GWEI);

      for (const id of [...ids, late])
        expect((await env.providerApi.call('POST', `/channels/${id}/close`, TOKENS.provider, {})).status).toBe(200);
      const books = await conservation(env.chain.rpcUrl, env.contract, [...ids, late]);
      expect(books.problems).toEqual([]);
      for (const c of books.channels) expect({ id: c.id, paid: c.providerTotal }).toEqual({ id: c.id, paid: accepted.get(c.id) });
      expect(await balancesMatchBooks(env.chain.rpcUrl, books, [env.consumer.address, env.provider.address], startBlock)).toEqual([]);
      const retried = env.providerServer.process.json().filter((l) => /retry/i.test(String(l.msg))).length;
      expect(retried).toBeGreaterThan(0);

      recordFigure({
        scenario: 'Chain node unreachable',
        chain: 'anvil behind a TCP proxy per payment server',
        load: `${stats.acked} paid calls (sign + verify) on 2 channels, 2 in flight per channel; ${stats.byPhase.outage ?? 0} of them during the outage; p99 ${percentile(stats.latenciesMs, 99)} ms`,
        faults: `node unreachable for both payment servers for ${(outageMs / 1000).toFixed(1)} s (connections refused, then accepted and never answered)`,
        inputs:
          'a claim, a channel open and a voucher for a channel the provider had not seen, during the outage (each 503 CHAIN_UNAVAILABLE, then done after it)',
        lost: `0 wei: claims caught up ${(catchUpMs / 1000).toFixed(1)} s after the node came back; payouts + refunds = deposits on all ${books.channels.length} channels`,
        numbers: {
          calls: stats.acked,
          duringOutage: stats.byPhase.outage ?? 0,
          outageMs,
          catchUpMs,
          retryLogLines: retried,
          p99Ms: percentile(stats.latenciesMs, 99),
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
