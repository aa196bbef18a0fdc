/**
 * CPU of the consumer side alone, per call: a plain `fetch` against an unpaid random-number service, and
 * `PaymentConsumer.fetch` against a paid one with prepaid tickets and with a voucher per call. The services run
 * as processes of their own; only this process's CPU (process.cpuUsage) is counted.
 *   npx tsx scripts/bench/consumer-cpu.ts          20,000 calls per variant, twice
 *   npx tsx scripts/bench/consumer-cpu.ts 5000
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentConsumer } from '@chanpay/client-lib';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { startNetwork } from '../network';

async function loop(n: number, concurrency: number, call: () => Promise<Response>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i++ < n) await (await call()).text();
    }),
  );
}

async function measure(label: string, n: number, call: () => Promise<Response>): Promise<void> {
  await loop(3000, 10, call);
  const before = process.cpuUsage();
  const t0 = performance.now();
  await loop(n, 10, call);
  const used = process.cpuUsage(before);
  const ms = performance.now() - t0;
  console.log(
    `${label.padEnd(42)} user ${(used.user / n).toFixed(1)} µs  system ${(used.system / n).toFixed(1)} µs per call  (${((n / ms) * 1000).toFixed(0)} calls/s)`,
  );
}

const COMMAND = {
  command: 'npx tsx scripts/bench/consumer-cpu.ts',
  positionals: '[calls per variant, default 20000]',
  summary: 'CPU of the consumer side alone, per call: plain fetch, PaymentConsumer.fetch with prepaid tickets and with a voucher per call.',
  options: {},
} as const;

async function main(): Promise<void> {
  const { positionals, fail } = parseCommandLine(COMMAND);
  if (positionals.length > 1) fail(`unexpected argument "${positionals[1]}"`);
  const n = Number(positionals[0] ?? 20_000);
  if (!Number.isInteger(n) || n < 100 || n > 1_000_000) fail('calls per variant: 100 to 1,000,000');
  const dirs = [mkdtempSync(path.join(tmpdir(), 'chanpay-cpu-')), mkdtempSync(path.join(tmpdir(), 'chanpay-cpu-'))];
  const off = await startNetwork({ mode: 'off', freePorts: true, dataDir: dirs[0] });
  const net = await startNetwork({ mode: 'local', freePorts: true, dataDir: dirs[1] });
  try {
    const consumer = (prepay: number) =>
      new PaymentConsumer({
        mode: 'local',
        paymentServer: { url: net.urls.paymentServer2!, token: net.credentials!.tokens.public },
        voucherKey: '0x' + randomBytes(32).toString('hex'),
        deposit: 10n ** 17n,
        prepay,
      });
    const perCall = consumer(1);
    const tickets = consumer(100);
    const unpaid = `${off.urls.randomNumber}/randomNumber`;
    const paid = `${net.urls.randomNumber}/randomNumber`;
    for (let round = 0; round < 2; round++) {
      await measure('fetch, no payment (with a timeout signal)', n, () => fetch(unpaid, { signal: AbortSignal.timeout(30_000) }));
      await measure('PaymentConsumer.fetch, prepaid tickets', n, () => tickets.fetch(paid));
      await measure('PaymentConsumer.fetch, a voucher per call', n, () => perCall.fetch(paid));
    }
  } finally {
    await net.stop();
    await off.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
