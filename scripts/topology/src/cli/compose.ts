/**
 * `npm run compose -- --topology <file|generator> --out <dir>`: writes the with-payment and no-payment compose
 * files of a topology (and, when none is there, an env file with fresh development keys). `--check` writes
 * nothing and fails when the files in --out differ from what the topology gives (CI, and the staleness test).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PaymentMode } from '@chanpay/protocol';
import { REPO_ROOT } from '../builder/processes';
import { stackFile } from '../compose/stack';
import { composeFiles, type ComposeFile } from '../compose/writer';
import { GENERATOR_HELP, GENERATOR_USAGE } from '../generators';
import { loadTopology } from '../load';
import { parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npm run compose --',
  summary: [
    'Writes the compose files of a topology: docker-compose.<name>.yml (with payment) and',
    'docker-compose.<name>.no-payment.yml (the thesis: docker-compose.example-network.yml and',
    'docker-compose.no-payment.yml), the Docker Swarm stack file docker-stack.<name>.yml (docs/swarm.md),',
    'plus <name>.env.example with fresh development keys when the',
    'directory has none. Compose 1.29 and v2 read them (see docs/docker.md, docs/topologies.md).',
  ].join('\n'),
  options: {
    topology: { type: 'string', value: '<spec>', description: `a topology file (JSON) or a generator: ${GENERATOR_USAGE}` },
    out: { type: 'string', value: '<dir>', description: 'where to write (created if missing)' },
    mode: {
      type: 'string',
      value: '<local|remote>',
      description:
        "the payment mode of every edge (default the topology's; PAYMENT in the env file switches it when every edge has the same mode)",
    },
    'total-work': { type: 'string', value: '<w>', description: 'keccak:<rounds> or busy:<µs> per request, split over the workers' },
    'env-file': {
      type: 'string',
      value: '<path>',
      description: 'the env file the files name (default compose/.env for the thesis, else the <name>.env.example written beside them)',
    },
    check: { type: 'boolean', description: 'write nothing; exit 1 when the files in --out are not what the topology gives' },
  },
  notes: [GENERATOR_HELP],
} satisfies CommandSpec<OptionSpecs>;

export interface ComposeCommand {
  topology: string;
  out: string;
  mode?: Exclude<PaymentMode, 'off'>;
  totalWork?: string;
  envFile?: string;
}

/** --out as the files name it: relative to the repository when inside it. */
function outDirOf(c: ComposeCommand): string {
  const rel = path.relative(REPO_ROOT, path.resolve(c.out)) || '.';
  return rel.startsWith('..') ? path.resolve(c.out) : rel;
}

/** The command line that regenerates the files (quoted in their header). */
export function commandOf(c: ComposeCommand): string {
  return [
    'npm run compose --',
    `--topology ${c.topology}`,
    ...(c.mode ? [`--mode ${c.mode}`] : []),
    ...(c.totalWork ? [`--total-work ${c.totalWork}`] : []),
    ...(c.envFile ? [`--env-file ${c.envFile}`] : []),
    `--out ${outDirOf(c)}`,
  ].join(' ');
}

export type ComposeOutput = ReturnType<typeof composeFiles> & { stack: ComposeFile };

/** The files a compose command writes, by name: the two compose files, the Swarm stack file and the env file. */
export function composeOutput(c: ComposeCommand): ComposeOutput {
  const paid = loadTopology(c.topology, { totalWork: c.totalWork, overrides: c.mode ? { mode: c.mode } : undefined });
  const unpaid = loadTopology(c.topology, { totalWork: c.totalWork, overrides: { mode: 'off' } });
  const buildContext = path.relative(path.resolve(c.out), REPO_ROOT) || '.';
  const files = composeFiles(paid, unpaid, { command: commandOf(c), envFile: c.envFile, outDir: outDirOf(c), buildContext });
  const stack = stackFile(paid, { command: commandOf(c), outDir: outDirOf(c) });
  return { ...files, stack: { name: stack.name, text: stack.text } };
}

function main(): void {
  const { values, fail } = parseCommandLine(COMMAND);
  const topology = values.topology || fail('--topology is missing (a file or a generator, e.g. --topology chain:5)');
  const out = values.out || fail('--out is missing (the directory to write the files to)');
  if (values.mode !== undefined && values.mode !== 'local' && values.mode !== 'remote')
    fail(`--mode must be local or remote, got "${values.mode}" (the no-payment file is always written)`);
  const cmd: ComposeCommand = {
    topology,
    out,
    mode: values.mode as ComposeCommand['mode'],
    totalWork: values['total-work'],
    envFile: values['env-file'],
  };
  let files: ComposeOutput;
  try {
    files = composeOutput(cmd);
  } catch (e) {
    // A bad topology: its one message (the field's path and what is wrong), without the usage.
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const dir = path.resolve(out);
  if (values.check) {
    const stale = [files.payment, files.noPayment, files.stack].filter(
      (f) => !existsSync(path.join(dir, f.name)) || readFileSync(path.join(dir, f.name), 'utf8') !== f.text,
    );
    for (const f of stale) process.stderr.write(`${path.join(out, f.name)} is stale: run ${commandOf(cmd)}\n`);
    process.exit(stale.length ? 1 : 0);
  }
  mkdirSync(dir, { recursive: true });
  for (const f of [files.payment, files.noPayment, files.stack]) {
    writeFileSync(path.join(dir, f.name), f.text);
    process.stdout.write(`wrote ${path.join(out, f.name)}\n`);
  }
  const envPath = path.join(dir, files.env.name);
  if (existsSync(envPath)) process.stdout.write(`kept ${path.join(out, files.env.name)} (it exists)\n`);
  else {
    writeFileSync(envPath, files.env.text, { mode: 0o600 });
    process.stdout.write(`wrote ${path.join(out, files.env.name)} (fresh development keys)\n`);
  }
}

if (require.main === module) main();
