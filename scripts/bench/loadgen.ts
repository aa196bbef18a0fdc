/**
 * `npm run bench:loadgen`: how fast the open-loop load generator keeps its schedule, measured against a trivial
 * server on 127.0.0.1 (a child process, so its CPU is counted apart). For each rate: the achieved rate, late and
 * dropped sends, the corrected latency (p50/p99/p99.9), the send lag, the generator's CPU and event-loop delay.
 * The highest rate with under 1 % late sends and none dropped is the generator's ceiling on this machine.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { processCpuSeconds } from './cpu';
import { ARRIVAL_KINDS, type ArrivalKind } from './load/arrivals';
import { DEFAULT_MAX_IN_FLIGHT, generate } from './load/generate';

const COMMAND = {
  command: 'npm run bench:loadgen --',
  summary:
    'Measures the open-loop load generator against a trivial 127.0.0.1 server: achieved rate, late % and dropped\n' +
    'sends, corrected latency and the generator CPU at each rate; prints the highest rate it keeps.',
  options: {
    rates: { type: 'string', value: '<list>', default: '1000,2000,5000,8000', description: 'requests per second, comma-separated' },
    seconds: { type: 'string', value: '<s>', default: '5', description: 'scheduled seconds per rate (1..120)' },
    connections: { type: 'string', value: '<n>', default: '32', description: 'keep-alive connections' },
    arrivals: { type: 'string', value: '<kind>', default: 'poisson', description: 'constant or poisson' },
    seed: { type: 'string', value: '<n>', default: '1', description: 'seed of the Poisson schedule' },
    'late-ms': { type: 'string', value: '<ms>', default: '2', description: 'a send more than this after its due time is late' },
    'max-in-flight': {
      type: 'string',
      value: '<n>',
      default: String(DEFAULT_MAX_IN_FLIGHT),
      description: 'outstanding requests at most; more are dropped',
    },
    url: { type: 'string', value: '<url>', description: 'load this 127.0.0.1 URL instead of the trivial server' },
    json: { type: 'boolean', description: 'print the rows as JSON instead of a table' },
  },
} as const;

const positiveInt = (s: string) => (/^\d+$/.test(s) && Number(s) > 0 ? Number(s) : null);

async function startTrivialServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'load', 'trivial-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the trivial server did not start in 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the trivial server exited (${code})`)));
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve((JSON.parse(d.toString()) as { port: number }).port);
    });
  });
  return { url: `http://127.0.0.1:${port}/`, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

interface RateOptions {
  url: string;
  serverPid: number | null;
  connections: number;
  seconds: number;
  arrivals: ArrivalKind;
  seed: number;
  lateMs: number;
  maxInFlight: number;
}

async function measureRate(rate: number, o: RateOptions) {
  const s0 = o.serverPid !== null ? processCpuSeconds(o.serverPid) : null;
  const r = await generate({ urls: [o.url], rate, durationMs: o.seconds * 1000, ...o });
  const s1 = o.serverPid !== null ? processCpuSeconds(o.serverPid) : null;
  const lat = r.latency.stats();
  const row = {
    rate,
    achievedRate: Math.round(r.achievedRate),
    sent: r.sent,
    ok: r.ok,
    failed: r.failed,
    latePercent: r.sent > 0 ? (100 * r.late) / r.sent : 0,
    dropped: r.dropped,
    p50Ms: lat.p50,
    p99Ms: lat.p99,
    p99_9Ms: lat.p99_9,
    maxMs: lat.maxMs,
    sendLagP99Ms: r.sendLag.percentileMs(99),
    generatorCores: r.generator.cores,
    generatorMillicoresPer1000Rps: (r.generator.cores * 1000 * 1000) / Math.max(1, r.achievedRate),
    generatorEventLoopP99Ms: r.generator.eventLoopDelayP99Ms,
    serverCores: s0 !== null && s1 !== null ? (s1 - s0) / (r.elapsedMs / 1000) : null,
  };
  for (const h of [r.latency, r.serviceTime, r.sendLag]) h.destroy();
  return row;
}

function describeRow(row: Awaited<ReturnType<typeof measureRate>>): string {
  return (
    `${String(row.rate).padStart(6)} req/s scheduled: achieved ${String(row.achievedRate).padStart(6)}/s, late ${row.latePercent.toFixed(2)} %, ` +
    `dropped ${row.dropped}, failed ${row.failed}; latency p50 ${row.p50Ms.toFixed(3)} p99 ${row.p99Ms.toFixed(3)} p99.9 ${row.p99_9Ms.toFixed(3)} ms; ` +
    `send lag p99 ${row.sendLagP99Ms.toFixed(3)} ms; generator ${row.generatorCores.toFixed(2)} cores ` +
    `(${Math.round(row.generatorMillicoresPer1000Rps)} mcores per 1,000 rps, event-loop p99 ${row.generatorEventLoopP99Ms.toFixed(1)} ms)` +
    (row.serverCores !== null ? `; server ${row.serverCores.toFixed(2)} cores` : '')
  );
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const int = (name: string, text: string, max: number) => {
    const n = positiveInt(text);
    return n !== null && n <= max ? n : fail(`--${name} must be an integer in 1..${max}`);
  };
  const rates = values.rates.split(',').map((r) => int('rates', r.trim(), 1_000_000));
  const seconds = int('seconds', values.seconds, 120);
  const connections = int('connections', values.connections, 1024);
  const maxInFlight = int('max-in-flight', values['max-in-flight'], 1_000_000);
  const seed = int('seed', values.seed, 2 ** 31);
  const arrivalKind = ARRIVAL_KINDS.find((k) => k === values.arrivals) ?? fail(`--arrivals: ${ARRIVAL_KINDS.join(' or ')}`);
  const lateMs = Number(values['late-ms']);
  if (!(lateMs > 0)) fail('--late-ms must be positive');

  const server = values.url ? null : await startTrivialServer();
  const url = values.url ?? server!.url;
  console.log(
    `open-loop load generator against ${server ? 'a trivial server' : url}: ${arrivalKind} arrivals, ${connections} connections, ` +
      `${seconds} s per rate, late = sent > ${lateMs} ms after due, max ${maxInFlight} in flight`,
  );
  const rows: Awaited<ReturnType<typeof measureRate>>[] = [];
  try {
    // A short unmeasured run first: the JIT of both processes settles before the first rate.
    await generate({ urls: [url], rate: 1000, durationMs: 1000, connections, arrivals: 'constant' });
    for (const rate of rates) {
      const row = await measureRate(rate, {
        url,
        serverPid: server?.pid ?? null,
        connections,
        seconds,
        arrivals: arrivalKind,
        seed,
        lateMs,
        maxInFlight,
      });
      rows.push(row);
      if (!values.json) console.log(describeRow(row));
    }
  } finally {
    server?.stop();
  }
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  const kept = rows.filter((r) => r.latePercent < 1 && r.dropped === 0 && r.failed === 0).map((r) => r.rate);
  console.log(
    kept.length ? `keeps its schedule up to ${Math.max(...kept)} req/s (of those tried)` : 'kept its schedule at none of the rates tried',
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
