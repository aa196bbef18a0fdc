/**
 * A team's payment servers and a provider's replicas on PostgreSQL in Docker, really run: the example topology
 * scripts/topology/examples/replicated.json (team back: 2 payment server replicas with `store: "postgres"` and a
 * worker with 3 replicas) written by the compose renderer, on the host network (free ports, all traffic on
 * 127.0.0.1), with the chanpay/postgres image (built here on local/postgres-base, made from Debian's postgresql
 * package). Every call through it is paid once; the provider's team holds exactly what was paid; one replica leads.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';
import { compose, services, writeHostNetworkOverride, writeWithoutPorts, type ComposeProject } from '../../scripts/docker/compose';
import { localPostgresBaseImage } from '../../scripts/docker/images';
import { composeOutput } from '../../scripts/topology/src/cli/compose';
import { describeWithDocker, ensureImages } from './helpers/docker';

jest.setTimeout(360_000);

const GWEI = 1_000_000_000n;
const TOPOLOGY = path.resolve(__dirname, '../../scripts/topology/examples/replicated.json');

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

const describeHere = localPostgresBaseImage() || process.env.CHANPAY_POSTGRES_IMAGE ? describeWithDocker : null;
if (!describeHere)
  process.stderr.write('replicas on PostgreSQL in Docker skipped: no PostgreSQL to build chanpay/postgres from (.ci/setup-postgres.sh)\n');

(describeHere ? describeHere('replicas on PostgreSQL in Docker', { compose: true }) : describe.skip)(
  'payment server and provider replicas on PostgreSQL in Docker',
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-compose-replicas-'));
    const files = composeOutput({ topology: TOPOLOGY, out: dir });
    const env: Record<string, string> = {};
    let project: ComposeProject;

    beforeAll(async () => {
      await ensureImages();
      for (const f of [files.payment, files.env]) writeFileSync(path.join(dir, f.name), f.text);
      for (const m of files.env.text.matchAll(/^([A-Z0-9_]+_PORT)=/gm)) env[m[1]!] = String(await freePort());
      project = {
        project: 'chanpay-test-replicas',
        files: [writeWithoutPorts(path.join(dir, files.payment.name))],
        envFile: path.join(dir, files.env.name),
        projectDirectory: dir,
        env,
      };
      project.files.push(writeHostNetworkOverride(await services(project)));
      await compose(project, ['down', '-v', '--remove-orphans', '--timeout', '5'], { timeoutMs: 120_000 }).catch(() => undefined);
      const up = await compose(project, ['up', '-d', '--no-build', 'gateway'], { timeoutMs: 300_000 });
      expect([up.code, up.code === 0 ? '' : up.stderr.slice(-2000)]).toEqual([0, '']);
      await waitFor(`http://127.0.0.1:${env.GATEWAY_PORT}/status`, 120_000);
    });

    afterAll(async () => {
      if (project) await compose(project, ['down', '-v', '--remove-orphans', '--timeout', '5'], { timeoutMs: 120_000 });
    });

    test('the file runs PostgreSQL, 2 payment server replicas and 3 worker replicas, each behind a proxy', () => {
      const names = readFileSync(path.join(dir, files.payment.name), 'utf8');
      for (const part of ['postgres', 'payment-server-back-1', 'payment-server-back-2', 'work-1', 'work-2', 'work-3'])
        expect(names).toContain(`\n  ${part}:\n`);
      expect(files.env.text).toMatch(/^POSTGRES_PASSWORD=[0-9a-f]{48}$/m);
    });

    test('every call through the replicas is paid once; the team holds exactly what the consumer paid; one replica leads', async () => {
      const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
      expect((await fetch(`${gateway}/init`, { signal: AbortSignal.timeout(60_000) })).status).toBe(200);
      const calls = 30;
      // In turns of 3 at once, so that the proxy spreads them over the replicas while some run concurrently.
      const amounts: bigint[] = [];
      for (let i = 0; i < calls; i += 3) {
        const answers = await Promise.all(
          [0, 1, 2].map(async (k) => {
            const res = await fetch(`${gateway}/work`, { headers: { 'x-request-id': `r${i + k}` }, signal: AbortSignal.timeout(30_000) });
            expect(res.status).toBe(200);
            return (await res.json()) as { receipts: { from: string; to: string; amount: string; price: string }[] };
          }),
        );
        for (const a of answers) {
          expect(a.receipts.map((r) => [r.from, r.to, r.price])).toEqual([['gateway', 'work', GWEI.toString()]]);
          amounts.push(BigInt(a.receipts[0]!.amount));
        }
      }
      // Each call paid its own increment of the cumulative amount, none twice. Concurrent vouchers of one channel
      // may reach replicas out of order: one refused as too low leaves its increment unused (the consumer signs a
      // new one), at most one per call in flight.
      const sorted = [...amounts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(new Set(sorted).size).toBe(calls);
      const highest = sorted[sorted.length - 1]!;
      const unused = Number(highest / GWEI) - calls;
      if (unused > 0) {
        const log = await compose(project, ['logs', '--no-color', 'gateway'], { timeoutMs: 60_000 });
        process.stderr.write(
          `${unused} increment(s) unused:\n${log.stdout
            .split('\n')
            .filter((l) => /40[29]|refus|AMOUNT/i.test(l))
            .slice(0, 5)
            .join('\n')}\n`,
        );
      }
      expect(unused).toBeGreaterThanOrEqual(0);
      expect(unused).toBeLessThanOrEqual(3);
      // The proxy spread them: every replica served some (a replica's /origins holds the calls it was paid for).
      let served = 0;
      for (const r of ['WORK_1', 'WORK_2', 'WORK_3']) {
        const origins = (await (await fetch(`http://127.0.0.1:${env[`${r}_PORT`]}/origins`)).json()) as {
          channels: { role: string; windows: { origins: { calls: number }[] }[] }[];
        };
        const calls = origins.channels
          .filter((c) => c.role === 'provider')
          .flatMap((c) => c.windows.flatMap((w) => w.origins.map((o) => o.calls)))
          .reduce((a, b) => a + b, 0);
        expect(calls).toBeGreaterThan(0);
        served += calls;
      }
      expect(served).toBe(calls);
      // What the provider's team holds (stored by the replicas at their payment servers, claimed or not): all of it.
      let held = 0n;
      for (let tries = 0; tries < 100 && held !== highest; tries++) {
        const payout = (await (await fetch(`http://127.0.0.1:${env.WORK_PORT}/payout`)).json()) as { unclaimed: string; claimed: string };
        held = BigInt(payout.claimed) + BigInt(payout.unclaimed);
        if (held !== highest) await new Promise((r) => setTimeout(r, 200));
      }
      // The provider's team holds exactly the consumer's highest voucher: what the consumer paid, to the wei.
      expect(held).toBe(highest);
      // The same voucher state through either payment server replica (one store).
      const logs = await compose(project, ['logs', '--no-color', 'payment-server-back-1', 'payment-server-back-2'], { timeoutMs: 60_000 });
      const leaders = new Set(
        logs.stdout
          .split('\n')
          .filter((l) => l.includes('leading:'))
          .map((l) => l.split('|')[0]!.trim()),
      );
      expect(leaders.size).toBe(1);
    });
  },
);
