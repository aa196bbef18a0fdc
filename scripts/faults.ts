/**
 * `npm run test:faults`: the reliability suite (integration-tests/test/reliability) with larger bounds, then its
 * figures: every scenario writes one JSON figure; they are gathered into docs/reliability-figures.json and the
 * table of docs/reliability.md (between the `figures:start` / `figures:end` markers) is rewritten from them.
 *   npm run test:faults                   scale 10 (about 10x the inputs and load of `npm test`)
 *   npm run test:faults -- --scale 3      another scale
 *   npm run test:faults -- --no-docs      run and print, leave docs/ alone
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';

interface Figure {
  scenario: string;
  load: string;
  faults: string;
  inputs: string;
  lost: string;
  numbers: Record<string, unknown>;
  chain: string;
  durationMs: number;
}

const ROOT = path.resolve(__dirname, '..');
const DOC = path.join(ROOT, 'docs/reliability.md');
const FIGURES_JSON = path.join(ROOT, 'docs/reliability-figures.json');
const NETWORK_KINDS = ['local, sync', 'local, batched', 'remote'];
const ORDER = [
  'REST API fuzzer',
  'Hostile vouchers',
  'Secret scan',
  'Chain node unreachable',
  'kill -9 of the chain node',
  'kill -9 of each payment server',
  'Close while the provider server is down',
  // The same on the PostgreSQL store, and the faults of payment server replicas (the integration-tests-pg project).
  'Chain node unreachable (PostgreSQL store)',
  'kill -9 of each payment server (PostgreSQL store)',
  'Close while the provider server is down (PostgreSQL store)',
  'kill -9 of the leading payment server replica (PostgreSQL)',
  'kill -9 of PostgreSQL under 3 payment server replicas',
  // The example network (integration-tests/test/reliability/network-*.test.ts).
  'Network: fuzzing the services',
  'Network: secret scan',
  ...NETWORK_KINDS.map((k) => `Network: kill -9 of a provider service (${k})`),
  'Network: kill -9 of a provider service (local, batched, prepaid tickets, PREPAY_CALLS=20)',
  ...NETWORK_KINDS.map((k) => `Network: kill -9 of each payment server (${k})`),
  ...NETWORK_KINDS.map((k) => `Network: consumer restart mid-stream (${k})`),
  ...NETWORK_KINDS.map((k) => `Network: close while the providers' payment server is down (${k})`),
  'Network: chain node unreachable (local, batched)',
  'Network: kill -9 of the chain node (local, batched)',
];

const COMMAND = {
  command: 'npm run test:faults --',
  summary:
    'The reliability suite (integration-tests/test/reliability) with larger bounds, then its figures: written to\n' +
    'docs/reliability-figures.json and the table of docs/reliability.md.',
  options: {
    scale: { type: 'string', value: '<n>', default: '10', description: 'inputs and load, in multiples of what `npm test` uses (1 to 100)' },
    'no-docs': { type: 'boolean', description: 'run and print the figures, leave docs/ alone' },
  },
} as const;

function main(): void {
  const { values, fail } = parseCommandLine(COMMAND);
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale < 1 || scale > 100) fail(`--scale must be a number from 1 to 100, got "${values.scale}"`);
  const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-figures-'));
  const started = Date.now();
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), 'integration-tests/test/reliability', '--maxWorkers', '2'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CHANPAY_FAULTS_SCALE: String(scale), CHANPAY_FAULTS_FIGURES: dir },
  });
  const figures = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Figure)
    .sort((a, b) => rank(a.scenario) - rank(b.scenario));
  rmSync(dir, { recursive: true, force: true });
  const run = {
    command: `npm run test:faults -- --scale ${scale}`,
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    jestExitCode: jest.status,
    minutes: Math.round((Date.now() - started) / 6000) / 10,
    figures,
  };
  console.log(`\n${figures.length} scenario figures, jest exit code ${jest.status}`);
  for (const f of figures) console.log(`- ${f.scenario}: lost ${f.lost}`);
  if (!values['no-docs']) {
    writeFileSync(FIGURES_JSON, JSON.stringify(run, null, 2) + '\n');
    writeTable(run);
    console.log(`wrote ${path.relative(ROOT, FIGURES_JSON)} and the table in ${path.relative(ROOT, DOC)}`);
  }
  process.exit(jest.status ?? 1);
}

function rank(scenario: string): number {
  const i = ORDER.indexOf(scenario);
  return i < 0 ? ORDER.length : i;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function writeTable(run: {
  command: string;
  date: string;
  node: string;
  jestExitCode: number | null;
  minutes: number;
  figures: Figure[];
}): void {
  const lines = [
    `Produced by \`${run.command}\` on ${run.date} (node ${run.node}, 2 cores, ${run.minutes} min, jest exit code ${run.jestExitCode}); raw numbers in \`docs/reliability-figures.json\`.`,
    '',
    '| Scenario | Load held | Faults injected | Inputs tried | Lost |',
    '|---|---|---|---|---|',
    ...run.figures.map((f) => `| ${cell(f.scenario)} | ${cell(f.load)} | ${cell(f.faults)} | ${cell(f.inputs)} | ${cell(f.lost)} |`),
  ];
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf('<!-- figures:start -->');
  const end = doc.indexOf('<!-- figures:end -->');
  if (start < 0 || end < start) throw new Error(`${DOC} has no <!-- figures:start --> ... <!-- figures:end --> markers`);
  writeFileSync(DOC, doc.slice(0, start + '<!-- figures:start -->'.length) + '\n' + lines.join('\n') + '\n' + doc.slice(end));
}

main();
