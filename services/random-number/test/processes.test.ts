import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SERVICES = ['random-number', 'persistence', 'public'] as const;

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

  /** Runs a service's main.ts to its end (it must end by itself: help, a wrong argument or setting). */
  const runToEnd = async (service: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(TSX, [path.join(ROOT, `services/${service}/src/main.ts`), ...args], {
      env: { ...process.env, PAYMENT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(kill);
    return { code, stdout, stderr };
  };

  /** The variables services/README.md gives each service: the "All services" table, then the provider or consumer one. */
  function readmeVariables(): Record<(typeof SERVICES)[number], string[]> {
    const readme = readFileSync(path.join(ROOT, 'services/README.md'), 'utf8');
    const table = (heading: string) => {
      const section = readme.slice(readme.indexOf(heading));
      const rows = section.slice(0, section.indexOf('\n\n', section.indexOf('|'))).split('\n');
      return rows.flatMap((row) => {
        const m = /^\| `([A-Z_]+)`(?: \(([a-z-]+)\))? \|/.exec(row);
        return m ? [{ name: m[1]!, only: m[2] }] : [];
      });
    };
    const all = table('All services:');
    const providers = table('Providers (');
    const consumer = table('Consumer (');
    const names = (rows: { name: string; only?: string }[], service: string) =>
      rows.filter((r) => !r.only || r.only === service).map((r) => r.name);
    return {
      'random-number': [...names(all, 'random-number'), ...names(providers, 'random-number')],
      persistence: [...names(all, 'persistence'), ...names(providers, 'persistence')],
      public: [...names(all, 'public'), ...names(consumer, 'public')],
    };
  }

  test('--help of each service lists exactly the variables services/README.md gives it, with defaults, and starts nothing', async () => {
    const expected = readmeVariables();
    for (const service of SERVICES) {
      const { code, stdout } = await runToEnd(service, ['--help']);
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`Usage: ${service} [--help]`);
      const listed = lines.filter((line) => /^ {2}[A-Z_]+ /.test(line)).map((line) => line.trim().split(/\s+/)[0]);
      expect([...listed].sort()).toEqual([...expected[service]].sort());
      expect(stdout).toMatch(/PORT +default 800[123] /);
    }
  });

  test('an unknown argument ends the service with one line of error and the usage (status 2)', async () => {
    const { code, stdout, stderr } = await runToEnd('public', ['--verbose']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [first, second] = stderr.split('\n');
    expect(first).toMatch(/^public: .*--verbose/);
    expect(second).toBe('Usage: public [--help]');
  });

  test('wrong settings end the service at start with one line naming each variable (no secret shown)', async () => {
    const { code, stderr } = await runToEnd('persistence', [], { PORT: 'eighty', PAYMENT_SYNC: 'maybe', ADMIN_TOKEN: 'short secret' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^persistence service failed to start: /);
    expect(lines[0]).toContain('PORT must be a port number (0 to 65535), got "eighty"');
    expect(lines[0]).toContain('PAYMENT_SYNC must be 1, true, yes or on');
    expect(lines[0]).toContain('ADMIN_TOKEN must be 16 to 512 visible ASCII characters');
    expect(lines[0]).not.toContain('secret');
  });
});
