/**
 * npm run swarm-lab -- <probe|up|down|secrets> [options]      (root only: namespaces and dockerd need it)
 * See `--help` and docs/swarm.md.
 */
import path from 'node:path';
import { ENV_FILE, envFilePath, readEnv } from '../docker/env';
import { STACK_IMAGES, imageRef } from './images';
import { SwarmLab } from './lab';
import { readLabStates } from './lab-state';
import { probeSwarmLab, swarmLabUnavailableReason } from './probe';
import { sweepStaleLabs } from './reap';
import { deployThesis } from './thesis-deploy';
import { randomBytes } from 'node:crypto';
import { loadTopology, secretValues, stackEnv, stackFile, writeSecretFiles } from '@chanpay/topology';
import { thesisNodeLabels, THESIS_STACK_FILE } from './thesis';

const USAGE = `usage: npm run swarm-lab -- <command> [options]

  probe                    what this machine can do: namespaces, veths, bridge, VXLAN, IPVS
  up [--nodes 2|3]         a Swarm of engines in network namespaces, the thesis stack on it (chain on n1,
     [--no-stack]          services on the others); prints the URLs, runs until Ctrl-C, then tears it all down
  down [--all]             remove labs whose process is gone (--all: every lab, also running ones)
  secrets --out <dir>      the thesis stack's secret files (one per key or token) from compose/.env
     [--env-file <file>]   (or the given file), for a real Swarm: prints the variables docker stack deploy needs
  --help                   this text

Settings of 'up' come from fresh keys and tokens; 'secrets' reads compose/.env (else compose/.env.example).`;

type Options = Record<string, string | true>;

const ALLOWED: Record<string, { flags: string[]; values: string[] }> = {
  probe: { flags: [], values: [] },
  up: { flags: ['--no-stack'], values: ['--nodes'] },
  down: { flags: ['--all'], values: [] },
  secrets: { flags: [], values: ['--out', '--env-file'] },
};

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(2);
}

function parse(argv: string[]): { command: string; options: Options } {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const [command, ...rest] = argv;
  if (!command) fail('no command given');
  const allowed = ALLOWED[command];
  if (!allowed) fail(`unknown command: ${command}`);
  const options: Options = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (allowed.flags.includes(arg)) options[arg] = true;
    else if (allowed.values.includes(arg)) {
      const value = rest[++i];
      if (value === undefined || value.startsWith('--')) fail(`${arg} needs a value`);
      options[arg] = value;
    } else fail(`unknown option for ${command}: ${arg}`);
  }
  return { command, options };
}

const say = (line: string) => console.log(line);

async function up(options: Options): Promise<void> {
  const nodes = Number(options['--nodes'] ?? 3);
  if (nodes !== 2 && nodes !== 3) fail('--nodes must be 2 or 3');
  const reason = swarmLabUnavailableReason();
  if (reason) {
    console.error(`no Swarm lab on this machine: ${reason}`);
    process.exit(3);
  }
  const t0 = Date.now();
  const log = (line: string) => say(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const lab = await SwarmLab.create({
    nodes: thesisNodeLabels(nodes).map((labels) => ({ labels })),
    images: STACK_IMAGES.map((i) => imageRef(i)),
    log,
  });
  try {
    for (const e of lab.engines)
      say(`  ${e.name} ${e.address}  DOCKER_HOST=unix://${e.socket}  (${e.name === lab.manager.name ? 'manager' : 'worker'})`);
    if (!options['--no-stack']) {
      const net = await deployThesis(lab, { overrides: { CHALLENGE_PERIOD: '60', MIN_CHALLENGE_PERIOD: '60' } });
      for (const service of ['chain', 'random-number', 'persistence', 'public'] as const)
        say(`  ${service.padEnd(14)} ${await net.url(service)}  (on ${await net.nodeOf(service)})`);
      say(
        `  admin routes (/init, /redeem, /terminate) need: authorization: Bearer <the admin_token file in ${lab.state.dir}/secrets-${net.stack}>`,
      );
      say(`  try: curl ${await net.url('public', '/action')}`);
    }
  } catch (e) {
    await lab.down();
    throw e;
  }
  say('running; Ctrl-C tears the lab down');
  // The lab's cleanup handles SIGINT / SIGTERM and exits; until then keep the process (the lab's owner) alive.
  setInterval(() => undefined, 60_000);
}

async function down(options: Options): Promise<void> {
  const before = readLabStates().length;
  const removed = await sweepStaleLabs({ all: options['--all'] === true });
  say(
    removed.length
      ? `removed ${removed.length} lab(s): ${removed.join(', ')}`
      : `nothing to remove (${before} lab(s) still owned by running processes)`,
  );
}

function secrets(options: Options): void {
  const out = options['--out'];
  if (typeof out !== 'string') fail('secrets needs --out <dir>');
  const file = typeof options['--env-file'] === 'string' ? options['--env-file'] : envFilePath();
  const settings = readEnv(file);
  if (file !== ENV_FILE) say(`reading ${file}${file.endsWith('.example') ? ' (public development keys: never for real funds)' : ''}`);
  settings.ADMIN_TOKEN ||= randomBytes(24).toString('base64url');
  const dir = path.resolve(out);
  // The same rendering as compose/docker-stack.thesis.yml: its secrets' contents from the env file's keys and tokens.
  const stack = stackFile(loadTopology('thesis', { overrides: { mode: 'remote' } }), { command: 'npm run swarm-lab -- secrets' });
  const values = secretValues(stack, settings);
  writeSecretFiles(dir, values);
  say(`wrote ${Object.keys(values).length} secret files to ${dir} (mode 600)`);
  const env = stackEnv(stack, settings, dir);
  say('deploy on a manager with:');
  say(
    `  ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} \\\n    docker stack deploy --resolve-image never -c ${path.relative(process.cwd(), THESIS_STACK_FILE)} thesis`,
  );
}

async function main(): Promise<void> {
  const { command, options } = parse(process.argv.slice(2));
  if (command === 'probe') {
    for (const r of probeSwarmLab()) say(`${r.ok ? 'ok  ' : 'FAIL'} ${r.check}: ${r.detail}`);
    return;
  }
  if (command === 'up') return up(options);
  if (command === 'down') return down(options);
  secrets(options);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
