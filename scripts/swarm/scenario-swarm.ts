/**
 * `npm run scenario -- swarm --topology <file|generator> [--no-payment] [--down]`: a topology on the current
 * Docker Swarm (the engine the docker CLI talks to must be a manager). Renders the stack file and writes it to
 * disk, writes the secrets (one file each, mode 600), builds the images (and loads them into the engines named
 * by --load-into), checks that the nodes carry the labels the placement asks for, `docker stack deploy`, waits
 * until every service is healthy and prints the published entry URL. `--down` removes the stack and its volumes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { GENERATOR_USAGE, ROUTE_OF, loadTopology } from '@chanpay/topology';
import { engineUnavailableReason } from '../docker/engine';
import { buildImages, imageTag, type Target } from '../docker/images';
import { currentEngine, type DockerEndpoint } from './engine';
import { removeStack, serviceAddress, stackState } from './stack';
import { listNodes } from './swarm';
import { deployPrepared, portOf, prepareStack, type PreparedStack } from './topology-stack';
import { waitFor } from './wait';

export const SWARM_COMMAND = {
  command: 'npm run scenario -- swarm',
  summary: [
    'A topology on the current Docker Swarm (docs/swarm.md): renders its stack file (written to --out), writes its',
    'secrets (one file per key or token, mode 600, read by the services through *_FILE), builds the images, checks',
    'the node labels, docker stack deploy, waits until every service is healthy and prints the entry URL.',
    'The engine the docker CLI talks to (DOCKER_HOST) must be a Swarm manager: docker swarm init.',
  ].join('\n'),
  options: {
    topology: { type: 'string', value: '<spec>', description: `a topology file (JSON) or a generator: ${GENERATOR_USAGE}` },
    'no-payment': { type: 'boolean', description: 'the services only, PAYMENT=off: no chain, no payment server' },
    mode: { type: 'string', value: '<local|remote>', description: "the payment mode of every edge (default the topology's)" },
    down: { type: 'boolean', description: 'remove the stack and its volumes (on this engine; other nodes: printed)' },
    stack: { type: 'string', value: '<name>', description: 'the stack name (default the topology name)' },
    out: { type: 'string', value: '<dir>', description: 'where the stack file is written', default: 'compose' },
    'secrets-dir': { type: 'string', value: '<dir>', description: 'where the secrets go (default <out>/.swarm-secrets/<stack>)' },
    'no-build': { type: 'boolean', description: 'use the images as they are' },
    'load-into': {
      type: 'string',
      value: '<host,...>',
      description: 'also load the images into these engines (DOCKER_HOST values, e.g. ssh://user@node-b): nodes without a registry',
    },
    'challenge-period': {
      type: 'string',
      value: '<s>',
      description: 'the challenge period of every channel (rendered into the stack file)',
    },
    timeout: { type: 'string', value: '<s>', description: 'the longest wait until the stack is healthy', default: '300' },
  },
  notes: [
    'Settings (keys, tokens) are kept in <secrets-dir>/settings.json and reused by the next deploy of the stack:',
    'Swarm secrets cannot change in place. Images: chanpay/<target>:${CHANPAY_TAG:-latest} on every node (or --load-into).',
    'Examples:',
    '  npm run scenario -- swarm --topology thesis --mode remote',
    '  npm run scenario -- swarm --topology chain:3 --challenge-period 30',
    '  npm run scenario -- swarm --topology chain:3 --down',
  ],
} as const;

const say = (line: string) => console.log(line);

/** The nodes' labels cover every constraint of the stack, or an error that says which label to add. */
async function checkLabels(manager: DockerEndpoint, p: PreparedStack): Promise<void> {
  const nodes = await listNodes(manager);
  const missing: string[] = [];
  for (const [service, constraints] of p.stack.constraints) {
    const wanted = constraints.map((c) => /^node\.labels\.(\S+) == (\S+)$/.exec(c)!);
    if (!nodes.some((n) => n.availability === 'active' && wanted.every((m) => n.labels[m[1]!] === m[2])))
      missing.push(`${service} (${wanted.map((m) => `${m[1]}=${m[2]}`).join(' ')})`);
  }
  if (missing.length > 0)
    throw new Error(
      `no active node carries the labels of ${missing.join(', ')}; add them on the manager: docker node update --label-add <label>=<value> <node> (docker node ls)`,
    );
}

/** `docker save | docker -H <host> load` for each host. */
async function loadInto(hosts: string[], refs: string[]): Promise<void> {
  for (const host of hosts) {
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', ...refs], { stdio: ['ignore', 'pipe', 'inherit'] });
      const load = spawn('docker', ['-H', host, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
      save.stdout.pipe(load.stdin);
      save.once('error', reject);
      load.once('error', reject);
      load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker -H ${host} load exited ${code}`))));
    });
    say(`  images loaded into ${host} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Removes the stack's volumes on this engine (bounded: the tasks' containers go shortly after the services). */
async function removeVolumes(manager: DockerEndpoint, stack: string): Promise<string[]> {
  const list = (await manager.client.listVolumes({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })) as {
    Volumes?: { Name: string }[] | null;
  };
  const names = (list.Volumes ?? []).map((v) => v.Name);
  const left = new Set(names);
  await waitFor(
    `volumes of ${stack} removed`,
    async () => {
      for (const n of [...left]) {
        try {
          await manager.client.getVolume(n).remove();
          left.delete(n);
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode === 404) left.delete(n); // a volume in use answers 409: retried
        }
      }
      return left.size === 0 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
    () => `still in use: ${[...left].join(', ')}`,
  );
  return names;
}

export async function swarmScenario(argv: string[]): Promise<void> {
  const { values: o, positionals, fail } = parseCommandLine(SWARM_COMMAND, argv);
  if (positionals.length) fail(`unexpected argument "${positionals[0]}"`);
  const topology = o.topology || fail('--topology is missing (a file or a generator, e.g. --topology chain:3)');
  if (o.mode !== undefined && o.mode !== 'local' && o.mode !== 'remote') fail(`--mode must be local or remote, got "${o.mode}"`);
  const timeoutS = Number(o.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) fail(`--timeout must be a number of seconds, got "${o.timeout}"`);
  if (o['challenge-period'] !== undefined && !/^[1-9]\d*$/.test(o['challenge-period']))
    fail(`--challenge-period must be a whole number of seconds, got "${o['challenge-period']}"`);
  const paid = !o['no-payment'];

  const reason = await engineUnavailableReason();
  if (reason) {
    console.error(reason);
    process.exit(3);
  }
  const manager = currentEngine();
  const info = (await manager.client.info()) as { Swarm?: { ControlAvailable?: boolean; LocalNodeState?: string } };
  if (!info.Swarm?.ControlAvailable)
    throw new Error(
      `${manager.name} is not a Swarm manager (swarm state: ${info.Swarm?.LocalNodeState ?? 'unknown'}); docker swarm init first (docs/swarm.md)`,
    );

  if (o.down) {
    const name = o.stack ?? loadTopology(topology).name;
    const had = (await stackState(manager, name)).length;
    await removeStack(manager, name, 60_000);
    const volumes = await removeVolumes(manager, name);
    say(`${name}: ${had ? 'stack removed' : 'no such stack'}; volumes removed here: ${volumes.join(', ') || 'none'}`);
    const others = (await listNodes(manager)).length - 1;
    if (others > 0)
      say(
        `  on the other ${others} node(s): docker volume ls -q --filter label=com.docker.stack.namespace=${name} | xargs -r docker volume rm`,
      );
    return;
  }

  const period = o['challenge-period'];
  const prepared = prepareStack({
    topology,
    paid,
    mode: o.mode as 'local' | 'remote' | undefined,
    outDir: path.resolve(o.out),
    secretsDir: o['secrets-dir'],
    stack: o.stack,
    challengePeriod: period ? Number(period) : undefined,
  });
  const { name } = prepared;
  say(`wrote ${path.relative(process.cwd(), prepared.file)} (${prepared.stack.services.length} services)`);
  say(`secrets: ${prepared.stack.secrets.length} files in ${prepared.secretsDir} (mode 600)`);
  const refs = prepared.stack.targets.map((t) => imageTag(t as Target));
  if (!o['no-build']) {
    const { seconds } = await buildImages({ targets: prepared.stack.targets as Target[], log: (l) => /error/i.test(l) && say(`  ${l}`) });
    say(`images built in ${seconds.toFixed(1)} s: ${refs.join(', ')}`);
  }
  if (o['load-into'])
    await loadInto(
      o['load-into']
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      refs,
    );
  await checkLabels(manager, prepared);

  const t0 = Date.now();
  const deployed = await deployPrepared(manager, prepared, {
    timeoutMs: timeoutS * 1000,
    onProgress: (line) => say(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`),
  });
  say(`${name}: ${deployed.services.length} services healthy in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const service of prepared.stack.services) {
    // Payment servers publish no port: only their services call them, over the overlay network.
    const paymentServers = prepared.topology.teams.map((t) => t.paymentServer.name);
    if (prepared.stack.oneShots.includes(service) || paymentServers.includes(service)) continue;
    const where = await serviceAddress(manager, name, service).catch(() => undefined);
    if (where) say(`  ${service.padEnd(18)} http://${where.address}:${portOf(prepared, service)}  (node ${where.hostname})`);
  }
  const entry = prepared.topology.services.find((s) => s.name === prepared.topology.entry[0])!;
  say(`entry: ${await deployed.url(entry.name, ROUTE_OF[entry.kind])}`);
  say(`admin routes (/init, /redeem, /terminate): authorization: Bearer $(cat ${path.join(prepared.secretsDir, 'admin_token')})`);
  say(`down: npm run scenario -- swarm --topology ${topology} --down${o.stack ? ` --stack ${o.stack}` : ''}`);
}
