import { bound, timeoutMs } from './lib/bounds';
import { balancesMatchBooks, blockNumber, conservation } from './lib/conservation';
import { recordFigure, stopwatch } from './lib/figures';
import { sleep, waitFor } from './lib/load';
import { percentile, startPaidLoad } from './lib/paid-load';
import { GWEI, TOKENS, startTwoServers, type TwoServers } from './lib/setup';
import { timeTravel } from './lib/chain';

/**
 * kill -9 of each payment server in the middle of a load of concurrent paid calls, several times, and a restart on
 * the same database. After each restart: every voucher the provider's server acknowledged is still there, and the
 * consumer's server never signs an amount it already handed out. At the end every channel is closed and the chain's
 * books must balance to the wei, with the provider paid exactly the highest voucher it acknowledged.
 */

const ROUNDS = bound(2);

describe('kill -9 of the payment servers under load', () => {
  let env: TwoServers;

  beforeAll(async () => {
    env = await startTwoServers({
      // Claims happen during the load, so some crashes land while a claim transaction is in flight.
      providerConfig: { claim: { thresholdWei: (20n * GWEI).toString(), intervalSeconds: 0, checkIntervalMs: 100 } },
    });
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  test(
    'nothing acknowledged is lost, nothing signed is signed twice, books balance to the wei',
    async () => {
      const elapsed = stopwatch();
      const startBlock = await blockNumber(env.chain.rpcUrl);
      const ids = await Promise.all([1, 2, 3].map(() => env.open(100_000n * GWEI)));
      const load = startPaidLoad({
        consumer: env.consumerApi,
        provider: env.providerApi,
        consumerToken: TOKENS.consumer,
        providerToken: TOKENS.provider,
        channelIds: ids,
        price: GWEI,
        concurrency: 4,
        maxCalls: bound(20_000),
        backoffMs: 20,
      });
      const providerView = async (id: string) => (await env.providerApi.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel;
      const consumerView = async (id: string) => (await env.consumerApi.call('GET', `/channels/${id}`, TOKENS.consumer)).body.channel;
      const kills = { provider: 0, consumer: 0 };
      const restartMs: number[] = [];

      for (let round = 0; round < ROUNDS; round++) {
        // --- the provider's payment server
        load.phase(`round ${round}: before provider kill`);
        await sleep(600);
        await env.providerServer.kill9();
        kills.provider++;
        await load.pause();
        const acked = new Map(
          ids.map((id) => [id, { highest: load.channels.get(id)!.highestAcked, count: load.channels.get(id)!.acked.length }]),
        );
        let t = Date.now();
        await env.providerServer.restart();
        restartMs.push(Date.now() - t);
        for (const id of ids) {
          const ch = await providerView(id);
          expect(BigInt(ch.latestVoucher?.amount ?? 0)).toBeGreaterThanOrEqual(acked.get(id)!.highest);
          expect(ch.calls).toBeGreaterThanOrEqual(acked.get(id)!.count);
        }
        load.resume();

        // --- the consumer's payment server
        load.phase(`round ${round}: before consumer kill`);
        await sleep(600);
        await env.consumerServer.kill9();
        kills.consumer++;
        await load.pause();
        const handedOut = new Map(ids.map((id) => [id, load.channels.get(id)!.signed.reduce((m, a) => (a > m ? a : m), 0n)]));
        const marks = new Map(ids.map((id) => [id, load.channels.get(id)!.signed.length]));
        t = Date.now();
        await env.consumerServer.restart();
        restartMs.push(Date.now() - t);
        for (const id of ids)
          expect(BigInt((await consumerView(id)).latestVoucher?.amount ?? 0)).toBeGreaterThanOrEqual(handedOut.get(id)!);
        load.resume();
        // Until every channel has vouchers signed after the restart (a loaded machine takes its time).
        await waitFor(
          'vouchers signed after the restart on every channel',
          async () => ids.every((id) => load.channels.get(id)!.signed.length > marks.get(id)!),
          30_000,
          50,
        );
        // Every voucher signed after the restart is above every voucher handed out before it.
        for (const id of ids) {
          const after = load.channels.get(id)!.signed.slice(marks.get(id)!);
          expect(after.length).toBeGreaterThan(0);
          for (const a of after) expect(a).toBeGreaterThan(handedOut.get(id)!);
        }
      }
      load.phase('end');
      await sleep(400);
      const stats = await load.stop();

      // Close everything from the provider's side (claims the latest voucher, refunds the rest).
      const accepted = new Map<string, { amount: bigint; calls: number }>();
      for (const id of ids) {
        const ch = await providerView(id);
        accepted.set(id, { amount: BigInt(ch.latestVoucher.amount), calls: ch.calls });
        expect(BigInt(ch.latestVoucher.amount)).toBeGreaterThanOrEqual(load.channels.get(id)!.highestAcked);
        const r = await env.providerApi.call('POST', `/channels/${id}/close`, TOKENS.provider, {});
        expect(r.status).toBe(200);
      }
      await waitFor(
        'the consumer server to see the settlements',
        async () => (await Promise.all(ids.map(consumerView))).every((c) => c.state === 'settled'),
        20_000,
      );
      const books = await conservation(env.chain.rpcUrl, env.contract, ids);
      expect(books.problems).toEqual([]);
      for (const c of books.channels) expect({ id: c.id, paid: c.providerTotal }).toEqual({ id: c.id, paid: accepted.get(c.id)!.amount });
      expect(await balancesMatchBooks(env.chain.rpcUrl, books, [env.consumer.address, env.provider.address], startBlock)).toEqual([]);

      // What the crashes cost the consumer: calls it paid for (voucher signed and counted) whose answer it never got.
      const ackedCalls = ids.reduce((s, id) => s + load.channels.get(id)!.acked.length, 0);
      const recordedCalls = ids.reduce((s, id) => s + accepted.get(id)!.calls, 0);
      const paidWei = ids.reduce((s, id) => s + accepted.get(id)!.amount, 0n);
      const unansweredPaidCalls = Number(paidWei / GWEI) - ackedCalls;
      expect(recordedCalls).toBeGreaterThanOrEqual(ackedCalls);
      expect(unansweredPaidCalls).toBeGreaterThanOrEqual(0);
      expect(unansweredPaidCalls).toBeLessThanOrEqual((kills.provider + kills.consumer) * ids.length * 4); // at most the calls in flight

      recordFigure({
        scenario: 'kill -9 of each payment server',
        chain: 'anvil',
        load: `${stats.acked} paid calls (sign + verify) on 3 channels, 4 in flight per channel; p99 ${percentile(stats.latenciesMs, 99)} ms`,
        faults: `${kills.provider} x kill -9 of the provider's payment server and ${kills.consumer} x of the consumer's, mid-load (claims running); restart on the same database in ${Math.round(percentile(restartMs, 50))} ms (median)`,
        inputs: `${Object.values(stats.failures).reduce((a, b) => a + b, 0)} calls failed while a server was down (${Object.keys(stats.failures).join(', ')})`,
        lost: `provider: 0 acknowledged vouchers lost, paid the highest acknowledged voucher on every channel; books balance to the wei. Consumer: paid ${unansweredPaidCalls} calls (${unansweredPaidCalls} gwei) whose answer a crash cut off (bounded by the calls in flight)`,
        numbers: {
          acked: stats.acked,
          ackedCalls,
          recordedCalls,
          unansweredPaidCalls,
          providerKills: kills.provider,
          consumerKills: kills.consumer,
          restartMsMedian: percentile(restartMs, 50),
          deposits: books.deposits.toString(),
          payouts: books.providerPayouts.toString(),
          refunds: books.consumerRefunds.toString(),
          failures: JSON.stringify(stats.failures),
        },
        durationMs: elapsed(),
      });
    },
    timeoutMs(180_000),
  );

  test(
    'the consumer starts a close while the provider server is down (kill -9); it comes back inside the challenge period and claims',
    async () => {
      const elapsed = stopwatch();
      const startBlock = await blockNumber(env.chain.rpcUrl);
      const id = await env.open(100n * GWEI, { challengePeriod: 300 });
      const load = startPaidLoad({
        consumer: env.consumerApi,
        provider: env.providerApi,
        consumerToken: TOKENS.consumer,
        providerToken: TOKENS.provider,
        channelIds: [id],
        price: GWEI,
        concurrency: 2,
        maxCalls: 60,
      });
      await waitFor('some paid calls', () => load.stats.acked >= 20, 20_000);
      await env.providerServer.kill9();
      const stats = await load.stop();
      const acked = load.channels.get(id)!.highestAcked;
      const close = await env.consumerApi.call('POST', `/channels/${id}/close`, TOKENS.consumer, {});
      expect(close.body.state).toBe('closing');
      await timeTravel(env.chain.rpcUrl, 240); // most of the challenge period passes while the provider is down
      await env.providerServer.restart();
      await waitFor(
        'the restarted provider to claim',
        async () => {
          const ch = (await env.providerApi.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel;
          return ch.claimed === ch.latestVoucher?.amount && BigInt(ch.claimed) >= acked;
        },
        30_000,
        100,
      );
      const accepted = BigInt((await env.providerApi.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel.latestVoucher.amount);
      await timeTravel(env.chain.rpcUrl, 61);
      // The consumer's server withdraws the refund by itself once the challenge period is over.
      await waitFor(
        'the refund',
        async () => (await env.consumerApi.call('GET', `/channels/${id}`, TOKENS.consumer)).body.channel.state === 'settled',
        30_000,
        100,
      );
      const books = await conservation(env.chain.rpcUrl, env.contract, [id]);
      expect(books.problems).toEqual([]);
      expect(books.providerPayouts).toBe(accepted);
      expect(accepted).toBeGreaterThanOrEqual(acked);
      expect(await balancesMatchBooks(env.chain.rpcUrl, books, [env.consumer.address, env.provider.address], startBlock)).toEqual([]);
      recordFigure({
        scenario: 'Close while the provider server is down',
        chain: 'anvil (time moved forward with evm_increaseTime)',
        load: `${stats.acked} paid calls, then the consumer starts a close`,
        faults:
          "kill -9 of the provider's payment server; the close starts while it is down; 240 s of a 300 s challenge period pass before it restarts",
        inputs: 'none',
        lost: `0 wei: the restarted server claimed ${accepted} wei (= the highest voucher it acknowledged) inside the challenge period; payouts + refunds = deposits`,
        numbers: {
          calls: stats.acked,
          acked: acked.toString(),
          claimed: accepted.toString(),
          deposits: books.deposits.toString(),
          refunds: books.consumerRefunds.toString(),
        },
        durationMs: elapsed(),
      });
    },
    timeoutMs(120_000),
  );
});
