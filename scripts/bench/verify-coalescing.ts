/**
 * What coalescing the provider's verifications saves (issue 17, remote mode): one payment server process on
 * SQLite (anvil beside it), and this process calling it as a provider would, with `--concurrency` calls in flight
 * on `--channels` channels: first one `POST /vouchers/verify` per call (as `RemoteVerifier` did before), then
 * through `RemoteVerifier` (concurrent calls coalesced into `POST /vouchers/verify-batch`). Prints per call the
 * payment server's CPU (/proc/<pid>/stat), this process's CPU (it also signs the vouchers) and the requests the
 * server answered (its metrics), and calls per second. Every call is recorded durably before its answer.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentServerClient, RemoteVerifier } from '@chanpay/client-lib';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { freePort, startAnvil } from '@chanpay/devkit';
import { decodeVoucher, encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import { processCpuSeconds } from './cpu';

const COMMAND = {
  command: 'npx tsx scripts/bench/verify-coalescing.ts',
  summary:
    "A provider's voucher verifications through its payment server: one request per call against RemoteVerifier's coalesced batches.",
  options: {
    seconds: { type: 'string', value: '<s>', default: '10', description: 'measured seconds per variant and round' },
    concurrency: { type: 'string', value: '<n>', default: '20', description: 'calls in flight' },
    channels: { type: 'string', value: '<n>', default: '2', description: 'channels the calls pay on' },
    rounds: { type: 'string', value: '<n>', default: '2', description: 'rounds of both variants, alternating' },
  },
} as const;

const CONSUMER_TOKEN = 'bench-consumer-token-0001';
const PROVIDER_TOKEN = 'bench-provider-token-0002';

async function requestsAnswered(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${PROVIDER_TOKEN}` } })).text();
  let n = 0;
  for (const m of text.matchAll(/^chanpay_http_requests_total\{route="\/vouchers\/verify(?:-batch)?",status="\d+"\} (\d+)$/gm))
    n += Number(m[1]);
  return n;
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const [seconds, concurrency, channels, rounds] = [values.seconds, values.concurrency, values.channels, values.rounds].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (!(seconds > 0 && concurrency > 0 && channels > 0 && rounds > 0)) fail('every option must be a positive number');
  const chain = await startAnvil({ accounts: 3 });
  const [c, p] = chain.accounts;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../payment-server/src/main.ts')], {
    env: {
      ...process.env,
      PS_DB_PATH: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-coalesce-')), 'ps.db'),
      PS_RPC_URL: chain.rpcUrl,
      PS_PORT: String(port),
      PS_ACCOUNTS: `consumer:${c!.privateKey},provider:${p!.privateKey}`,
      PS_TOKENS: `${CONSUMER_TOKEN}:consumer,${PROVIDER_TOKEN}:provider`,
      PS_LOG_LEVEL: 'warn',
      PS_CLAIM_INTERVAL_SECONDS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`${url}/status`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error('the payment server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const consumer = new PaymentServerClient({ url, token: CONSUMER_TOKEN });
    const provider = new PaymentServerClient({ url, token: PROVIDER_TOKEN });
    const status = await provider.status();
    const signer = new VoucherSigner(
      new VoucherHasher({ chainId: BigInt(status.chainId), contract: status.contract as `0x${string}` }),
      hexToBuffer(c!.privateKey),
    );
    const ids: string[] = [];
    for (let i = 0; i < channels; i++) ids.push((await consumer.openChannel({ provider: p!.address, deposit: 10n ** 18n })).id);
    const sent = ids.map(() => 0n);
    const verifier = new RemoteVerifier(provider);
    const variants: [string, (header: string) => Promise<unknown>][] = [
      ['one request per call', (h) => provider.verifyVoucher(h, 1n, randomUUID())],
      [
        'RemoteVerifier, coalesced',
        (h) => {
          const d = decodeVoucher(h);
          if (!d.ok) throw new Error(d.message);
          return verifier.accept(d.voucher, h, 1n);
        },
      ],
    ];
    const run = async (verify: (header: string) => Promise<unknown>, ms: number) => {
      const until = Date.now() + ms;
      let calls = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, k) => {
          const ch = k % ids.length;
          while (Date.now() < until) {
            sent[ch]! += 1n; // a call of 1 wei: cumulative amounts 1, 2, 3, ...
            await verify(encodeVoucher(signer.sign(ids[ch]!, sent[ch]!)));
            calls++;
          }
        }),
      );
      return calls;
    };
    console.log(`\n${concurrency} calls in flight on ${channels} channels, ${seconds} s per variant and round (SQLite, anvil)\n`);
    console.log('| variant | calls/s | payment server CPU µs per call | provider (this process) CPU µs per call | requests per call |');
    console.log('|---|---:|---:|---:|---:|');
    for (let round = 0; round < rounds; round++) {
      for (const [name, verify] of variants) {
        await run(verify, 2_000); // warm-up
        const server0 = processCpuSeconds(child.pid!) ?? Number.NaN;
        const self0 = process.cpuUsage();
        const req0 = await requestsAnswered(url);
        const t0 = performance.now();
        const calls = await run(verify, seconds * 1000);
        const elapsed = (performance.now() - t0) / 1000;
        const self = process.cpuUsage(self0);
        const server = (processCpuSeconds(child.pid!) ?? Number.NaN) - server0;
        const requests = (await requestsAnswered(url)) - req0;
        console.log(
          `| ${name} | ${Math.round(calls / elapsed)} | ${((server / calls) * 1e6).toFixed(0)} | ${((self.user + self.system) / calls).toFixed(0)} | ${(requests / calls).toFixed(3)} |`,
        );
      }
    }
    await verifier.stop();
  } finally {
    child.kill('SIGKILL');
    await chain.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
