/**
 * Every command answers `--help` with its options (exit 0) and refuses an unknown option with one line of error
 * followed by the usage (exit 2). The commands run as a user runs them (the file their npm script names, with
 * tsx); none gets far enough to start a chain.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE_VARIABLE, CONFIG_VARIABLES } from '@chanpay/payment-server';

const ROOT = path.resolve(__dirname, '../..');
const USAGE_ERROR = 2;
const RUNS_AT_ONCE = 4;

interface Command {
  /** How the user runs it, and what its error line starts with. */
  name: string;
  /** The file, relative to the repository. */
  file: string;
  /** Flags the help must list (`--help` itself always). */
  options: string[];
  /** Further words the help must contain (environment variables). */
  mentions?: string[];
  /** Arguments before the option under test (a subcommand). */
  args?: string[];
}

/** The file an npm script runs with tsx, so that the test follows the script if it moves. */
function scriptFile(packageDir: string, script: string): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, packageDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const match = /^tsx (\S+\.ts)(\s|$)/.exec(pkg.scripts[script] ?? '');
  if (!match) throw new Error(`${packageDir}/package.json: script "${script}" does not run a .ts file with tsx`);
  return path.join(packageDir, match[1]!);
}

const COMMANDS: Command[] = [
  {
    name: 'npm start',
    file: scriptFile('.', 'start'),
    options: [
      'mode',
      'no-payment',
      'sync',
      'prepay',
      'challenge-period',
      'verbose',
      'chain-port',
      'payment-server-1-port',
      'payment-server-2-port',
      'persistence-port',
      'random-number-port',
      'public-port',
    ],
    mentions: ['ADMIN_TOKEN', 'PREPAY_CALLS', 'PUBLIC_PORT'],
  },
  { name: 'npm run bench', file: scriptFile('.', 'bench'), options: ['quick', 'modes', 'out', 'saturation-seconds', 'verbose', 'profile'] },
  {
    name: 'npm run bench -- open|sweep',
    file: scriptFile('.', 'bench'),
    args: ['open'],
    options: [
      'topology',
      'topologies',
      'modes',
      'rates',
      'connections',
      'seconds',
      'warmup-seconds',
      'repeat',
      'arrivals',
      'seed',
      'late-ms',
      'max-in-flight',
      'p99-bound',
      'total-work',
      'target',
      'chain-url',
      'payment-server-url',
      'payment-server-token-file',
      'x402-chain',
      'quick',
      'out',
      'verbose',
    ],
    mentions: ['sweep <rate|connections|topology>'],
  },
  {
    name: 'npm run bench:loadgen',
    file: scriptFile('.', 'bench:loadgen'),
    options: ['rates', 'seconds', 'connections', 'arrivals', 'seed', 'late-ms', 'max-in-flight', 'url', 'json'],
  },
  {
    name: 'npm run bench:cross-check',
    file: scriptFile('.', 'bench:cross-check'),
    options: ['topology', 'mode', 'connections', 'seconds'],
  },
  {
    name: 'npm run scenario',
    file: scriptFile('.', 'scenario'),
    options: ['host-network', 'free-ports', 'keep', 'no-build', 'local', 'quiet', 'force'],
    mentions: ['payment', 'no-payment', 'smoke', 'build', 'sizes'],
  },
  {
    name: 'npm run scenario -- prometheus',
    file: scriptFile('.', 'scenario'),
    args: ['prometheus'],
    options: ['topology', 'attach', 'tokens-file', 'mode', 'free-ports', 'port', 'scrape-interval', 'dir'],
    mentions: ['PROMETHEUS_BIN', 'apt-get install prometheus'],
  },
  { name: 'npm run test:faults', file: scriptFile('.', 'test:faults'), options: ['scale', 'no-docs'] },
  {
    name: 'npm run visualizer',
    file: scriptFile('.', 'visualizer'),
    options: ['port', 'host', 'build-only', 'rebuild'],
    mentions: ['VISUALIZER_PORT'],
  },
  { name: 'npm run gas', file: scriptFile('.', 'gas'), options: [] },
  {
    name: 'npm run topology',
    file: scriptFile('.', 'topology'),
    options: ['total-work', 'mode', 'write'],
    mentions: ['show', 'json', 'dot', 'check', 'schema', 'ba:N,seed'],
  },
  {
    name: 'npm run compose',
    file: scriptFile('.', 'compose'),
    options: ['topology', 'out', 'mode', 'total-work', 'env-file', 'check'],
    mentions: ['fanout:F,D'],
  },
  { name: 'npm run bench:crypto', file: scriptFile('.', 'bench:crypto'), options: ['iterations', 'warmup'] },
  { name: 'npm run build:contract', file: scriptFile('.', 'build:contract'), options: [] },
  {
    name: 'payment server',
    file: scriptFile('payment-server', 'start'),
    options: [],
    mentions: [CONFIG_FILE_VARIABLE, ...CONFIG_VARIABLES.map((v) => v.name)],
  },
  { name: 'npx tsx scripts/chain.ts', file: 'scripts/chain.ts', options: [], mentions: ['CHAIN_PORT', 'CHAIN_PRIVATE_KEYS'] },
  { name: 'npx tsx scripts/bench/steady.ts', file: 'scripts/bench/steady.ts', options: ['seconds'] },
  { name: 'npx tsx scripts/bench/profile-top.ts', file: 'scripts/bench/profile-top.ts', options: ['top', 'match'] },
  { name: 'npx tsx scripts/bench/render.ts', file: 'scripts/bench/render.ts', options: [] },
  { name: 'npx tsx scripts/bench/consumer-cpu.ts', file: 'scripts/bench/consumer-cpu.ts', options: [] },
  {
    name: 'npx tsx scripts/bench/verify-coalescing.ts',
    file: 'scripts/bench/verify-coalescing.ts',
    options: ['seconds', 'concurrency', 'channels', 'rounds'],
  },
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs every command twice (help, unknown option), a few at a time: each run is mostly tsx starting up. */
async function runAll(): Promise<Map<string, { help: Run; unknown: Run }>> {
  const jobs = COMMANDS.flatMap((c) => [
    { c, kind: 'help' as const, args: [...(c.args ?? []), '--help'] },
    { c, kind: 'unknown' as const, args: [...(c.args ?? []), '--no-such-option'] },
  ]);
  const results = new Map<string, { help: Run; unknown: Run }>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const result = await run(job.c.file, job.args);
      results.set(job.c.name, { ...results.get(job.c.name)!, [job.kind]: result });
    }
  };
  await Promise.all(Array.from({ length: RUNS_AT_ONCE }, worker));
  return results;
}

describe('command lines', () => {
  let results: Map<string, { help: Run; unknown: Run }>;
  beforeAll(async () => {
    results = await runAll();
  }, 180_000);

  describe.each(COMMANDS)('$name', (command) => {
    test('--help lists every option and exits 0', () => {
      const { help } = results.get(command.name)!;
      expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/^usage: /);
      for (const option of [...command.options, 'help']) expect(help.stdout).toMatch(new RegExp(`(^|\\s)--${option}(\\s|$)`, 'm'));
      for (const word of command.mentions ?? []) expect(help.stdout).toContain(word);
    });

    test('an unknown option: one line of error, then the usage, exit 2', () => {
      const { unknown } = results.get(command.name)!;
      expect(unknown.code).toBe(USAGE_ERROR);
      expect(unknown.stdout).toBe('');
      const [first, blank, ...rest] = unknown.stderr.split('\n');
      expect(first).toBe(`${command.name}: Unknown option '--no-such-option'`);
      expect(blank).toBe('');
      expect(rest.join('\n')).toBe(results.get(command.name)!.help.stdout);
    });
  });
});
