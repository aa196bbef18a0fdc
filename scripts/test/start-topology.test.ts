import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** `npm start -- <args>` as a user runs it, on free ports; `check` gets the printed output once it is ready; then Ctrl-C. */
async function runStart(args: string[], check: (out: string) => Promise<void>): Promise<{ out: string; code: number | null }> {
  const env = { ...process.env };
  delete env.PREPAY_CALLS;
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
    const deadline = Date.now() + 120_000;
    while (!out.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) break;
      if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode === null) await check(out);
  } finally {
    if (child.exitCode === null) child.kill('SIGINT');
  }
  const code = await exited;
  return { out, code };
}

/** `npm start -- <args>` for a command that ends by itself (help, refused options): its output and exit code. */
async function runToExit(args: string[]): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { out, code };
}

/** Exit code 0; on any other, the failure shows what npm start printed. */
function expectCleanExit(code: number | null, out: string): void {
  expect({ code, output: code === 0 ? '' : out.slice(-4000) }).toEqual({ code: 0, output: '' });
}

/** The URL printed on a service's line. */
const urlOf = (out: string, name: string) => new RegExp(`^  ${name}\\s+(http://127\\.0\\.0\\.1:\\d+)`, 'm').exec(out)![1]!;

describe('npm start -- --topology', () => {
  test('chain:2 starts, prints every URL, pays every hop per call, and stops on Ctrl-C', async () => {
    const { out, code } = await runStart(['--topology', 'chain:2', '--free-ports'], async (printed) => {
      for (const name of ['chain', 'payment-server-1', 'payment-server-2', 's0', 's1', 's2'])
        expect(printed).toMatch(new RegExp(`^  ${name}\\s+http://127\\.0\\.0\\.1:\\d+`, 'm'));
      expect(printed).toContain('channels open, local mode');
      for (let i = 1; i <= 2; i++) {
        const body = (await (await fetch(`${urlOf(printed, 's0')}/work`)).json()) as {
          receipts: { from: string; to: string; amount: string }[];
        };
        expect(body.receipts.map((r) => [r.from, r.to, r.amount])).toEqual([
          ['s0', 's1', String(i * 1e9)],
          ['s1', 's2', String(i * 1e9)],
        ]);
      }
      expect((await fetch(`${urlOf(printed, 's2')}/work`)).status).toBe(402);
    });
    expectCleanExit(code, out);
    expect(out).toContain('stopped.');
  });

  test('--no-payment works for a generated topology: no chain, no payment server, the same answers unpaid', async () => {
    const { out, code } = await runStart(['--topology', 'fanout:2,1', '--no-payment', '--free-ports'], async (printed) => {
      const body = (await (await fetch(`${urlOf(printed, 's0')}/work`)).json()) as { receipts: unknown[]; trace: { service: string }[] };
      expect(body.receipts).toEqual([]);
      expect(body.trace.map((h) => h.service).sort()).toEqual(['s0', 's1', 's2']);
      expect((await fetch(`${urlOf(printed, 's1')}/work`)).status).toBe(200);
    });
    expectCleanExit(code, out);
    expect(out).toContain('no payment');
    expect(out).not.toMatch(/^ {2}chain /m);
  });

  test('a bad topology is refused with its field and nothing starts; --help lists the options', async () => {
    const bad = await runToExit(['--topology', 'ba:12,7,price=lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('ba:12,7,price=lots: price: "lots" is not an amount');
    const help = await runToExit(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--topology <spec>');
    expect(help.out).toContain('ba:N,seed');
    const unknown = await runToExit(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.out.split('\n')[0]).toBe("npm start: Unknown option '--bogus'");
  });
});
