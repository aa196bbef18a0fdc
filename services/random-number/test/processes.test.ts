import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForStatus(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/status`);
      if (res.ok) return res.json();
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

describe('the three services run as processes from environment variables (PAYMENT=off)', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chanpay-procs-'));
  });
  afterAll(async () => {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (service: string, env: Record<string, string>) => {
    const child = spawn(TSX, [path.join(ROOT, `services/${service}/src/main.ts`)], {
      env: { ...process.env, PAYMENT: 'off', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    return child;
  };

  test('random-number, persistence and public start, answer /action, and stop on SIGTERM', async () => {
    const [rnPort, psPort, pubPort] = [await freePort(), await freePort(), await freePort()];
    const rn = run('random-number', { PORT: String(rnPort) });
    const ps = run('persistence', { PORT: String(psPort), DB_PATH: path.join(dir, 'p.db') });
    const pub = run('public', {
      PORT: String(pubPort),
      RANDOM_NUMBER_URL: `http://127.0.0.1:${rnPort}`,
      PERSISTENCE_URL: `http://127.0.0.1:${psPort}`,
    });
    expect(await waitForStatus(`http://127.0.0.1:${rnPort}`, rn)).toMatchObject({ service: 'random-number', payment: 'off' });
    expect(await waitForStatus(`http://127.0.0.1:${psPort}`, ps)).toMatchObject({ service: 'persistence', payment: 'off' });
    expect(await waitForStatus(`http://127.0.0.1:${pubPort}`, pub)).toMatchObject({ service: 'public', payment: 'off' });
    const res = await fetch(`http://127.0.0.1:${pubPort}/action`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { number: number; savedNumber: number };
    expect(body.savedNumber).toBe(body.number);
    for (const c of [pub, ps, rn]) expect(await stop(c)).toBe(0);
  });

  test('a paid mode without a payment server is refused at start with a clear message', async () => {
    const child = run('random-number', { PAYMENT: 'local', PORT: String(await freePort()), PAYMENT_SERVER_URL: '' });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PAYMENT_SERVER_URL/);
  });
});
