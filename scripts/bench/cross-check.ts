/**
 * `npm run bench:cross-check`: our two load generators against outside tools on the same network, once: the
 * closed-loop one (load.ts) beside `wrk` and `ab -k` at the same concurrency, and the open-loop one at half the
 * rate wrk reached, beside wrk's own latency. Prints one table; docs/benchmarks.md quotes it. Needs wrk and ab
 * (Debian: apt-get install wrk apache2-utils); a missing tool is skipped with a line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { startTopology } from '@chanpay/topology';
import { runLoad } from './load';
import { generate } from './load/generate';
import { DEFAULT_OPEN_MODES as OPEN_MODES, overridesOf } from './open/modes';
import { round, sortedCopy, summarize } from './stats';

const COMMAND = {
  command: 'npm run bench:cross-check --',
  summary: 'Our closed-loop and open-loop generators beside wrk and ab on the same network: throughput and latency, once.',
  options: {
    topology: { type: 'string', value: '<spec>', default: 'thesis', description: 'the network' },
    mode: { type: 'string', value: '<mode>', default: 'off', description: `payment mode (${OPEN_MODES.join(', ')})` },
    connections: { type: 'string', value: '<n>', default: '10', description: 'concurrency of the closed-loop tools' },
    seconds: { type: 'string', value: '<s>', default: '10', description: 'seconds per tool' },
  },
} as const;

interface Row {
  tool: string;
  load: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number | null;
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** `1.23ms`, `450.00us`, `1.02s` → ms. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

function runWrk(url: string, connections: number, seconds: number): Row {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const pct = (p: string) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  return {
    tool: 'wrk 4.1 (closed loop)',
    load: `c=${connections}`,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
  };
}

function runAb(url: string, connections: number, seconds: number): Row {
  const out = execFileSync('ab', ['-k', '-q', `-c${connections}`, `-t${seconds}`, '-n', '10000000', url], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const pct = (p: string) => Number(new RegExp(`^\\s+${p}%\\s+(\\d+)`, 'm').exec(out)?.[1]);
  return {
    tool: 'ab -k (closed loop)',
    load: `c=${connections}`,
    requestsPerSecond: Number(/Requests per second:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
  };
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const mode = OPEN_MODES.find((m) => m === values.mode) ?? fail(`--mode: ${OPEN_MODES.join(', ')}`);
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  if (!(connections >= 1 && connections <= 256 && seconds >= 1 && seconds <= 120)) fail('--connections 1..256, --seconds 1..120');
  const dataDir = path.join(__dirname, '..', '..', 'data', `cross-check-${process.pid}`);
  const net = await startTopology(values.topology, {
    overrides: overridesOf(mode),
    freePorts: true,
    chainProcess: true,
    dataDir,
    init: true,
  });
  const url = net.entries[0]!.url;
  const rows: Row[] = [];
  try {
    await runLoad({ url, concurrency: connections, durationMs: 3000 });
    const ours = await runLoad({ url, concurrency: connections, durationMs: seconds * 1000 });
    const s = summarize(sortedCopy(ours.latenciesMs));
    rows.push({
      tool: 'chanpay closed loop (node:http)',
      load: `c=${connections}`,
      requestsPerSecond: ours.ok / (ours.elapsedMs / 1000),
      p50Ms: s.percentilesMs.p50,
      p99Ms: s.percentilesMs.p99,
    });
    if (has('wrk')) rows.push(runWrk(url, connections, seconds));
    else console.log('wrk is not installed: skipped (apt-get install wrk)');
    if (has('ab')) rows.push(runAb(url, connections, seconds));
    else console.log('ab is not installed: skipped (apt-get install apache2-utils)');
    const reference = rows.find((r) => r.tool.startsWith('wrk')) ?? rows[0]!;
    const rate = Math.max(1, Math.round(reference.requestsPerSecond / 2));
    const open = await generate({ urls: [url], rate, durationMs: seconds * 1000, connections, arrivals: 'poisson' });
    rows.push({
      tool: 'chanpay open loop (undici, corrected)',
      load: `${rate}/s Poisson`,
      requestsPerSecond: open.achievedRate,
      p50Ms: open.latency.percentileMs(50),
      p99Ms: open.latency.percentileMs(99),
    });
    rows.push({
      tool: 'chanpay open loop, from actual send',
      load: `${rate}/s Poisson`,
      requestsPerSecond: open.achievedRate,
      p50Ms: open.serviceTime.percentileMs(50),
      p99Ms: open.serviceTime.percentileMs(99),
    });
    if (has('wrk')) {
      const w = runWrk(url, 1, seconds);
      rows.push({ ...w, tool: 'wrk 4.1 (closed loop)', load: 'c=1' });
    }
  } finally {
    await net.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`\n${values.topology}, mode ${mode}, ${seconds} s per tool, ${url}`);
  console.log('| tool | load | req/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.tool} | ${r.load} | ${round(r.requestsPerSecond, 1)} | ${round(r.p50Ms, 2)} | ${r.p99Ms === null ? '–' : round(r.p99Ms, 2)} |`,
    );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
