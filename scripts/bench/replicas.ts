/**
 * `npm run bench:replicas`: what sharing a provider's state costs. A one-hop network (`chain:1`, local mode)
 * runs as processes; this process plays the paying service with one consumer per channel, each sending its calls
 * one after another, all channels at once. Three providers are measured: the single process with its state in
 * memory (the default), one process on the PostgreSQL state (PROVIDER_STATE_URL), and 3 replicas on it behind the
 * round-robin proxy. Prints throughput and latency percentiles, and what each adds to the single process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentConsumer, receiptOf } from '@chanpay/client-lib';
import { startPostgres, postgresUnavailable, type ThrowawayPostgres } from '@chanpay/devkit';
import { parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';
import { generate, startTopology } from '@chanpay/topology';
import { nearestRank, sortedCopy } from './stats';

const COMMAND = {
  command: 'npm run bench:replicas --',
  summary: [
    'Throughput and latency of a local-mode provider with its state in process, on PostgreSQL (1 process) and',
    'on PostgreSQL with 3 replicas behind a round-robin proxy (chain:1 on ganache; docs/scaling.md).',
  ].join('\n'),
  options: {
    channels: { type: 'string', value: '<n>', default: '8', description: 'consumers (one channel each) calling at once' },
    calls: { type: 'string', value: '<n>', default: '200', description: 'calls per channel measured (after 10 to warm up)' },
    out: { type: 'string', value: '<dir>', description: 'where replicas.json goes (default bench-results/replicas-<timestamp>)' },
  },
} satisfies CommandSpec<OptionSpecs>;

interface Row {
  provider: string;
  calls: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

const WARMUP = 10;

async function measure(name: string, replicas: number, stateUrl: string | null, channels: number, calls: number): Promise<Row> {
  const input = generate('chain:1');
  input.services.find((s) => s.name === 's1')!.replicas = replicas;
  console.log(`  ${name}: starting the network`);
  const net = await startTopology(input, {
    freePorts: true,
    init: false,
    claimIntervalSeconds: 0,
    dataDir: path.join(tmpdir(), `chanpay-bench-replicas-${process.pid}`),
    env: stateUrl ? { PROVIDER_STATE_URL: stateUrl } : {},
  });
  try {
    const payer = net.accountOfService('s0')!;
    const team = net.topology.services.find((s) => s.name === 's0')!.team;
    const paymentServer = net.urls.paymentServers[net.topology.teams.find((t) => t.name === team)!.paymentServer.name]!;
    const url = `${net.urls.services.s1}/work`;
    const consumers = Array.from(
      { length: channels },
      () =>
        new PaymentConsumer({
          mode: 'local',
          paymentServer: { url: paymentServer, token: payer.token },
          voucherKey: payer.voucherKey!,
          deposit: 10n ** 16n,
          reuseChannels: false,
        }),
    );
    const one = async (consumer: PaymentConsumer) => {
      const res = await consumer.fetch(url);
      await res.arrayBuffer();
      if (res.status !== 200 || !receiptOf(res)) throw new Error(`${name}: a call answered ${res.status}`);
    };
    await Promise.all(
      consumers.map(async (c) => {
        for (let i = 0; i < WARMUP; i++) await one(c);
      }),
    );
    console.log(`  ${name}: ${channels} channels open, measuring ${channels * calls} calls`);
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      consumers.map(async (c) => {
        for (let i = 0; i < calls; i++) {
          const s = performance.now();
          await one(c);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const sorted = sortedCopy(latencies);
    const row = {
      provider: name,
      calls: latencies.length,
      seconds,
      perSecond: latencies.length / seconds,
      p50Ms: nearestRank(sorted, 50),
      p90Ms: nearestRank(sorted, 90),
      p99Ms: nearestRank(sorted, 99),
    };
    console.log(`  ${name}: ${row.perSecond.toFixed(0)} calls/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms`);
    return row;
  } finally {
    await net.stop();
  }
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const channels = Number(values.channels);
  const calls = Number(values.calls);
  if (![channels, calls].every((n) => Number.isInteger(n) && n > 0)) fail('--channels and --calls are positive integers');
  const why = postgresUnavailable();
  if (why) fail(why);
  const out = path.resolve(values.out ?? path.join('bench-results', `replicas-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  console.log(`chanpay replicas benchmark: ${channels} channels at once, ${calls} calls each, local mode, batched`);
  let pg: ThrowawayPostgres | null = null;
  const rows: Row[] = [];
  try {
    rows.push(await measure('in process (1)', 1, null, channels, calls));
    pg = await startPostgres();
    rows.push(await measure('PostgreSQL (1)', 1, await pg.createDatabase('bench_one'), channels, calls));
    rows.push(await measure('PostgreSQL (3 replicas)', 3, null, channels, calls));
  } finally {
    await pg?.stop();
  }
  const base = rows[0]!;
  console.log(
    `\n${'provider'.padEnd(24)} ${'calls/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'+p50 ms'.padStart(8)} ${'+p99 ms'.padStart(8)}`,
  );
  for (const r of rows) {
    const f = (v: number) => v.toFixed(2).padStart(8);
    console.log(
      `${r.provider.padEnd(24)} ${r.perSecond.toFixed(0).padStart(8)} ${f(r.p50Ms)} ${f(r.p90Ms)} ${f(r.p99Ms)} ${f(r.p50Ms - base.p50Ms)} ${f(r.p99Ms - base.p99Ms)}`,
    );
  }
  mkdirSync(out, { recursive: true });
  const file = path.join(out, 'replicas.json');
  writeFileSync(
    file,
    JSON.stringify({ command: `npm run bench:replicas -- --channels ${channels} --calls ${calls}`, channels, calls, rows }, null, 2),
  );
  console.log(`\nwrote ${file}`);
}

main().catch((e: unknown) => {
  console.error((e as Error)?.stack ?? String(e));
  process.exit(1);
});
