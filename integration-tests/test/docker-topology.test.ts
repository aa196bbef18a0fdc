/**
 * A generated topology's compose file (npm run compose), really run: chain:2 with the worker image on the host
 * network (free ports, all traffic on 127.0.0.1), healthy in order without sleeps, its channels opened and three
 * requests paid on every hop; then its no-payment file, unpaid.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';
import { compose, services, writeHostNetworkOverride, writeWithoutPorts, type ComposeProject } from '../../scripts/docker/compose';
import { composeOutput } from '../../scripts/topology/src/cli/compose';
import { describeWithDocker, ensureImages } from './helpers/docker';

jest.setTimeout(300_000);

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describeWithDocker('generated compose files', { compose: true })('a generated topology in Docker', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-compose-topology-'));
  const files = composeOutput({ topology: 'chain:2', out: dir });
  const env: Record<string, string> = {};

  beforeAll(async () => {
    await ensureImages();
    for (const f of [files.payment, files.noPayment, files.env]) writeFileSync(path.join(dir, f.name), f.text);
    for (const v of ['CHAIN_PORT', 'PAYMENT_SERVER_1_PORT', 'PAYMENT_SERVER_2_PORT', 'S0_PORT', 'S1_PORT', 'S2_PORT', 'VISUALIZER_PORT'])
      env[v] = String(await freePort());
  });

  async function run(file: string, check: (entry: string) => Promise<void>): Promise<void> {
    const p: ComposeProject = {
      project: `chanpay-test-topology-${path.basename(file, '.yml').replace(/\W/g, '-')}`,
      files: [writeWithoutPorts(path.join(dir, file))],
      envFile: path.join(dir, files.env.name),
      projectDirectory: dir,
      env,
    };
    p.files.push(writeHostNetworkOverride(await services(p)));
    await compose(p, ['down', '-v', '--remove-orphans', '--timeout', '5'], { timeoutMs: 120_000 }).catch(() => undefined);
    try {
      // Up the entry: Compose starts what it depends on first, each once healthy (or, deploy, done).
      const up = await compose(p, ['up', '-d', '--no-build', 's0'], { timeoutMs: 240_000 });
      expect([up.code, up.code === 0 ? '' : up.stderr.slice(-1500)]).toEqual([0, '']);
      await waitFor(`http://127.0.0.1:${env.S0_PORT}/status`, 120_000);
      await check(`http://127.0.0.1:${env.S0_PORT}`);
    } finally {
      await compose(p, ['down', '-v', '--remove-orphans', '--timeout', '5'], { timeoutMs: 120_000 });
    }
  }

  test('with payment: /init opens both channels, three requests pay each hop 1 gwei per call', async () => {
    await run(files.payment.name, async (s0) => {
      expect((await fetch(`${s0}/init`)).status).toBe(200);
      for (let i = 1; i <= 3; i++) {
        const body = (await (await fetch(`${s0}/work`, { headers: { 'x-request-id': String(i) } })).json()) as {
          receipts: { from: string; to: string; amount: string; price: string }[];
        };
        expect(body.receipts.map((r) => [r.from, r.to, r.amount, r.price])).toEqual([
          ['s0', 's1', String(i * 1e9), '1000000000'],
          ['s1', 's2', String(i * 1e9), '1000000000'],
        ]);
      }
      // s2 holds what s1 paid it (stored at its payment server within the flush interval).
      let held = 0n;
      for (let tries = 0; tries < 50 && held !== 3_000_000_000n; tries++) {
        const payout = (await (await fetch(`http://127.0.0.1:${env.S2_PORT}/payout`)).json()) as { unclaimed: string; claimed: string };
        held = BigInt(payout.claimed) + BigInt(payout.unclaimed);
        if (held !== 3_000_000_000n) await new Promise((r) => setTimeout(r, 200));
      }
      expect(held).toBe(3_000_000_000n);
    });
  });

  test('without payment: the same services answer with no receipts', async () => {
    await run(files.noPayment.name, async (s0) => {
      const body = (await (await fetch(`${s0}/work`)).json()) as { receipts: unknown[]; trace: { service: string }[] };
      expect(body.receipts).toEqual([]);
      expect(body.trace.map((h) => h.service)).toEqual(['s0', 's1', 's2']);
      expect((await fetch(`${s0}/init`)).status).toBe(404);
    });
  });
});
