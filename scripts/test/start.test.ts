import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm start` as a user would (through its script), on free ports, and stops it with SIGINT. */
async function runStart(
  args: string[],
  check: (urls: { public: string; randomNumber: string }) => Promise<void>,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const ports = {
    PUBLIC_PORT: await freePort(),
    RANDOM_NUMBER_PORT: await freePort(),
    PERSISTENCE_PORT: await freePort(),
    PAYMENT_SERVER_1_PORT: await freePort(),
    PAYMENT_SERVER_2_PORT: await freePort(),
    CHAIN_PORT: await freePort(),
  };
  const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), ...extraEnv };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!out.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await check({ public: `http://127.0.0.1:${ports.PUBLIC_PORT}`, randomNumber: `http://127.0.0.1:${ports.RANDOM_NUMBER_PORT}` });
  } finally {
    child.kill('SIGINT');
  }
  const code = await exited;
  // On another exit code, the failure shows what npm start printed.
  expect({ code, output: code === 0 ? '' : out.slice(-4000) }).toEqual({ code: 0, output: '' });
  return out;
}

describe('npm start', () => {
  test('brings up the paid network on an embedded chain with the channels open, and stops cleanly on Ctrl-C', async () => {
    const out = await runStart([], async (urls) => {
      for (let i = 1; i <= 3; i++) {
        const res = await fetch(`${urls.public}/action`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          receipts: { randomNumber: { amount: string; price: string }; persistence: { amount: string; price: string } };
        };
        expect(body.receipts.randomNumber).toMatchObject({ amount: String(i * 1e9), price: '1000000000' });
        expect(body.receipts.persistence).toMatchObject({ amount: String(i * 2e9), price: '2000000000' });
      }
      const unpaid = await fetch(`${urls.randomNumber}/randomNumber`);
      expect(unpaid.status).toBe(402);
    });
    expect(out).toContain('channels open, local mode');
    expect(out).toContain('curl -s http://127.0.0.1:');
    expect(out).toContain('stopped.');
  });

  test('--prepay 10: one voucher pays ten calls per provider, the calls after it are paid with tickets', async () => {
    const out = await runStart(['--prepay', '10'], async (urls) => {
      for (let i = 1; i <= 3; i++) {
        const res = await fetch(`${urls.public}/action`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          receipts: { randomNumber: { amount: string; price: string }; persistence: { amount: string; price: string } };
        };
        // Every receipt names the block's voucher (ten calls) and the price of one call.
        expect(body.receipts.randomNumber).toMatchObject({ amount: String(10 * 1e9), price: '1000000000' });
        expect(body.receipts.persistence).toMatchObject({ amount: String(10 * 2e9), price: '2000000000' });
      }
      const status = (await (await fetch(`${urls.public}/status`)).json()) as { channels: { calls: number; prepaidCalls: number }[] };
      expect(status.channels.map((c) => [c.calls, c.prepaidCalls])).toEqual([
        [3, 7],
        [3, 7],
      ]);
    });
    expect(out).toContain('10 calls per voucher');
  });

  test("the services' admin routes (/redeem, /init, /terminate) need the admin token; a new one per run unless ADMIN_TOKEN sets it", async () => {
    const token = 'test-admin-token-0123456789';
    const out = await runStart(
      [],
      async (urls) => {
        for (const url of [`${urls.randomNumber}/redeem`, `${urls.public}/init`, `${urls.public}/terminate`]) {
          const none = await fetch(url);
          expect(none.status).toBe(401);
          expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
          expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
        }
        // Payout only reads, and the paid routes are paid, not authenticated.
        expect((await fetch(`${urls.randomNumber}/payout`)).status).toBe(200);
        expect((await fetch(`${urls.public}/action`)).status).toBe(200);
        const redeem = await fetch(`${urls.randomNumber}/redeem`, { headers: { authorization: `Bearer ${token}` } });
        expect(redeem.status).toBe(200);
      },
      { ADMIN_TOKEN: token },
    );
    expect(out).toContain(`authorization: Bearer ${token}`);
  });

  test('--no-payment starts the baseline: the same services, no chain, nothing to pay', async () => {
    const out = await runStart(['--no-payment'], async (urls) => {
      const res = await fetch(`${urls.public}/action`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { receipts: { randomNumber: unknown } }).receipts.randomNumber).toBeNull();
      expect((await fetch(`${urls.randomNumber}/randomNumber`)).status).toBe(200);
    });
    expect(out).toContain('no payment');
    expect(out).not.toContain('chain (ganache)');
  });
});
