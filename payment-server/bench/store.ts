/**
 * What the store costs a paid call: `npm run bench:store`. Verifies vouchers through payment server processes
 * (real processes, on anvil) with the store on SQLite (one process), on PostgreSQL with one process, and on
 * PostgreSQL with several replicas behind a round-robin client (each PostgreSQL setup with the group commit of
 * voucher records and without, PS_DB_BATCH=off), and prints calls per second and latency
 * percentiles of POST /vouchers/verify for each. Every voucher is recorded durably before its answer.
 */
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { freePort, startAnvil, startPostgres, type EmbeddedChain } from '@chanpay/devkit';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';

const COMMAND = {
  command: 'npm run bench:store --',
  summary: 'Voucher verification through payment servers on SQLite and on PostgreSQL (1 and N replicas).',
  options: {
    seconds: { type: 'string', value: '<s>', default: '10', description: 'measured seconds per setup' },
    channels: { type: 'string', value: '<n>', default: '8', description: 'channels, each with one caller sending vouchers in turn' },
    replicas: { type: 'string', value: '<n>', default: '3', description: 'payment server processes in the replicated setup' },
  },
} as const;

const CONSUMER_TOKEN = 'bench-consumer-token-0001';
const PROVIDER_TOKEN = 'bench-provider-token-0002';
const GWEI = 1_000_000_000n;

/** The fields of the answers this benchmark reads. */
interface Answer {
  contract: `0x${string}`;
  chainId: string;
  channel: { id: string };
}

interface Setup {
  name: string;
  store: Record<string, string>;
  processes: number;
}

async function call(url: string, method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

async function startServers(chain: EmbeddedChain, store: Record<string, string>, n: number, contract?: string) {
  const [c, p] = chain.accounts;
  const servers: { child: ChildProcess; url: string }[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../src/main.ts')], {
      env: {
        ...process.env,
        ...store,
        ...(contract ? { PS_CONTRACT_ADDRESS: contract } : {}),
        PS_RPC_URL: chain.rpcUrl,
        PS_PORT: String(port),
        PS_ACCOUNTS: `consumer:${c!.privateKey},provider:${p!.privateKey}`,
        PS_TOKENS: `${CONSUMER_TOKEN}:consumer,${PROVIDER_TOKEN}:provider`,
        PS_LOG_LEVEL: 'warn',
        PS_CLAIM_INTERVAL_SECONDS: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    servers.push({ child, url });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await fetch(`${url}/status`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error('a payment server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return servers;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function runSetup(chain: EmbeddedChain, setup: Setup, seconds: number, channels: number) {
  const servers = await startServers(chain, setup.store, 1);
  const status = (await call(servers[0]!.url, 'GET', '/status', PROVIDER_TOKEN)).body;
  servers.push(...(await startServers(chain, setup.store, setup.processes - 1, status.contract)));
  try {
    const signer = new VoucherSigner(
      new VoucherHasher({ chainId: BigInt(status.chainId), contract: status.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
    const ids: string[] = [];
    for (let i = 0; i < channels; i++) {
      const opened = await call(servers[0]!.url, 'POST', '/channels', CONSUMER_TOKEN, {
        provider: chain.accounts[1]!.address,
        deposit: (10n ** 9n * GWEI).toString(),
      });
      if (opened.status !== 201) throw new Error(`open failed: ${JSON.stringify(opened.body)}`);
      ids.push(opened.body.channel.id);
    }
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const sent = ids.map(() => 0n);
    const runFor = async (ms: number, measure: boolean) => {
      const until = Date.now() + ms;
      await Promise.all(
        ids.map(async (id, i) => {
          while (Date.now() < until) {
            const server = servers[next++ % servers.length]!;
            sent[i]! += 1n; // a call of 1 wei: cumulative amounts 1, 2, 3, ...
            const header = encodeVoucher(signer.sign(id, sent[i]!));
            const t0 = performance.now();
            const r = await call(server.url, 'POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: header, price: '1' });
            if (measure) latencies.push(performance.now() - t0);
            if (r.status !== 200) failed++;
          }
        }),
      );
    };
    await runFor(2_000, false); // warm-up
    failed = 0;
    await runFor(seconds * 1000, true);
    latencies.sort((a, b) => a - b);
    return {
      setup: setup.name,
      calls: latencies.length,
      perSecond: Math.round(latencies.length / seconds),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
      failed,
    };
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const seconds = Number(values.seconds);
  const channels = Number(values.channels);
  const replicas = Number(values.replicas);
  if (!(seconds > 0) || !(channels > 0) || !(replicas > 1)) fail('seconds and channels must be positive, replicas at least 2');
  const chain = await startAnvil({ accounts: 3 });
  const postgres = await startPostgres();
  try {
    const setups: Setup[] = [
      {
        name: 'SQLite, 1 process',
        store: { PS_DB_PATH: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-bench-')), 'ps.db') },
        processes: 1,
      },
      { name: 'PostgreSQL, 1 process', store: { PS_DB_URL: await postgres.createDatabase('bench_one') }, processes: 1 },
      {
        name: 'PostgreSQL, 1 process, no batching',
        store: { PS_DB_URL: await postgres.createDatabase('bench_one_single'), PS_DB_BATCH: 'off' },
        processes: 1,
      },
      { name: `PostgreSQL, ${replicas} replicas`, store: { PS_DB_URL: await postgres.createDatabase('bench_many') }, processes: replicas },
      {
        name: `PostgreSQL, ${replicas} replicas, no batching`,
        store: { PS_DB_URL: await postgres.createDatabase('bench_many_single'), PS_DB_BATCH: 'off' },
        processes: replicas,
      },
    ];
    const results = [];
    for (const setup of setups) {
      process.stderr.write(`${setup.name}: ${channels} channels, ${seconds} s ...\n`);
      const r = await runSetup(chain, setup, seconds, channels);
      process.stderr.write(`  ${r.calls} calls, ${r.failed} failed\n`);
      results.push(r);
    }
    const ms = (v: number) => v.toFixed(1);
    console.log(`\nPOST /vouchers/verify, ${channels} channels with one caller each, ${seconds} s per setup (anvil, fsync on)\n`);
    console.log('| Store | calls/s | p50 ms | p99 ms | max ms | failed |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results) console.log(`| ${r.setup} | ${r.perSecond} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.failed} |`);
  } finally {
    await postgres.stop();
    await chain.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
