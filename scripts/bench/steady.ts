/**
 * One network at a time, nothing else running: `/action` at c=20 for a while, its throughput second by second.
 * A check on `npm run bench`, whose networks take turns (paused with SIGSTOP) in one run.
 *   npx tsx scripts/bench/steady.ts off             the unpaid network
 *   npx tsx scripts/bench/steady.ts 100             local mode, PREPAY_CALLS=100 (1: a voucher per call)
 *   npx tsx scripts/bench/steady.ts 100 --seconds 40
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { startNetwork } from '../network';
import { runLoad } from './load';

const COMMAND = {
  command: 'npx tsx scripts/bench/steady.ts',
  positionals: '[off|<calls per voucher>]',
  summary: 'One network alone: /action at c=20, its throughput second by second (off: unpaid; a number: local mode, PREPAY_CALLS).',
  options: { seconds: { type: 'string', value: '<s>', default: '40', description: 'length of the run, 1 to 600' } },
} as const;

async function main(): Promise<void> {
  const { values, positionals, fail } = parseCommandLine(COMMAND);
  const [what = 'off', ...extra] = positionals;
  const seconds = Number(values.seconds);
  if (extra.length > 0) fail(`unexpected argument "${extra[0]}"`);
  if (what !== 'off' && !/^\d{1,4}$/.test(what)) fail('give "off" or the calls per voucher (PREPAY_CALLS), e.g. 1 or 100');
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) fail('--seconds must be 1 to 600');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chanpay-steady-'));
  // The benchmark's deposit (small, so that top-ups happen during the run) and its chain process.
  const net = await startNetwork({
    mode: what === 'off' ? 'off' : 'local',
    freePorts: true,
    dataDir,
    chainProcess: true,
    env: what === 'off' ? {} : { PREPAY_CALLS: what, DEPOSIT_WEI: '10000000000000' },
  });
  try {
    let last = 0;
    let lastMs = 0;
    const perSecond: number[] = [];
    const r = await runLoad({
      url: `${net.urls.public}/action`,
      concurrency: 20,
      durationMs: seconds * 1000,
      onTick: (done, ms) => {
        perSecond.push(Math.round(((done - last) / (ms - lastMs)) * 1000));
        last = done;
        lastMs = ms;
      },
    });
    console.log(
      `${what === 'off' ? 'no payment' : `PREPAY_CALLS=${what}`}: ${r.ok} ok, ${r.failed} failed, ${((r.ok / r.elapsedMs) * 1000).toFixed(0)} actions/s`,
    );
    console.log(`per second: ${perSecond.join(' ')}`);
  } finally {
    await net.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
