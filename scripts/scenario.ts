/**
 * `npm run scenario`: the compose scenarios in Docker (docs/docker.md); `npm run scenario -- --help` lists the
 * scenarios, actions and options.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseCommandLine, usage } from '@chanpay/devkit/cli';
import { engineUnavailableReason } from './docker/engine';
import { ENV_FILE, freshEnv } from './docker/env';
import { buildImages, imageSizes } from './docker/images';
import { buildPrometheusImage, hasPrometheusProgram } from './docker/prometheus-image';
import { SCENARIO_NAMES, Scenario, freePorts, usesPrometheus, type ScenarioName } from './docker/scenario';
import { smoke } from './docker/smoke';
import { smokeMetrics } from './docker/smoke-metrics';
import { swarmScenario } from './swarm/scenario-swarm';
import { prometheusScenario } from './prometheus/scenario-prometheus';

const COMMAND = {
  command: 'npm run scenario --',
  positionals: `<${SCENARIO_NAMES.join('|')}> [smoke|up|down|logs|stats], or: build | env | sizes | swarm --topology <spec> (swarm --help) | prometheus --topology <spec> (prometheus --help)`,
  summary: [
    "The thesis's compose scenarios in Docker (docs/docker.md). Settings come from compose/.env, else compose/.env.example.",
    "  metrics is the payment scenario plus a Prometheus server scraping each of its processes (its image: Debian's",
    '  prometheus program of this machine, docs/observability.md); its smoke checks every target up and the paid calls counted.',
    '  smoke (default)  build the images, start the scenario, wait for health, run its smoke call, tear down',
    '  up               build, start, wait for health, print the URLs (leave it running)',
    "  logs             follow every container's log (Ctrl-C stops following, not the scenario)",
    '  stats            one CPU / memory sample per container',
    '  down             stop and remove the containers and volumes',
    "  build            build every image (local node base + this machine's node_modules, no registry needed; the",
    '                   Prometheus image too when this machine has prometheus, or CHANPAY_PROMETHEUS_BASE names a Debian image)',
    '  env              write compose/.env with fresh keys and tokens',
    '  sizes            image sizes',
    '  swarm            a topology on the current Docker Swarm (docs/swarm.md; npm run scenario -- swarm --help)',
    '  prometheus       Prometheus scraping a topology on 127.0.0.1 (docs/observability.md; npm run scenario -- prometheus --help)',
  ].join('\n'),
  options: {
    'host-network': { type: 'boolean', description: 'every container on the host network, all traffic on 127.0.0.1 (what CI uses)' },
    'free-ports': { type: 'boolean', description: "pick free ports instead of the env file's" },
    keep: { type: 'boolean', description: 'smoke: leave the scenario running' },
    'no-build': { type: 'boolean', description: 'use the images as they are' },
    local: { type: 'boolean', description: "PAYMENT=local instead of the env file's mode" },
    quiet: { type: 'boolean', description: 'print only the results' },
    force: { type: 'boolean', description: 'env: overwrite compose/.env' },
  },
} as const;

// `swarm` has options of its own (scripts/swarm/scenario-swarm.ts).
const isSwarm = process.argv[2] === 'swarm';
// So has `prometheus` (scripts/prometheus/scenario-prometheus.ts).
const isPrometheus = process.argv[2] === 'prometheus';
const { values: options, positionals, fail } = parseCommandLine(COMMAND, isSwarm || isPrometheus ? [] : process.argv.slice(2));
const [first, second, ...extra] = positionals;
if (extra.length > 0) fail(`unexpected argument "${extra[0]}"`);
const quiet = options.quiet;
const say = (line: string) => console.log(line);
const verbose = (line: string) => {
  if (!quiet) console.log(`  ${line}`);
};

async function requireEngine(): Promise<void> {
  const reason = await engineUnavailableReason();
  if (reason) {
    console.error(reason);
    process.exit(3);
  }
}

/** prometheus: always (the scenario needs it); 'if-present': when it can be built here; false: not. */
async function build(prometheus: boolean | 'if-present' = false): Promise<void> {
  const log = (l: string) => {
    if (/error/i.test(l) || (!quiet && /^(built|staged|skipping|local\/)/.test(l))) console.log(`  ${l}`);
  };
  const { seconds } = await buildImages({ log });
  say(`images built in ${seconds.toFixed(1)} s`);
  const canBuild = Boolean(process.env.CHANPAY_PROMETHEUS_BASE) || hasPrometheusProgram();
  if (prometheus === 'if-present' && !canBuild) {
    say('prometheus image not built: no prometheus program here (bash .ci/setup-prometheus.sh installs it)');
    return;
  }
  if (prometheus) {
    const r = await buildPrometheusImage({ log });
    say(`prometheus image built on ${r.base} in ${r.seconds.toFixed(1)} s`);
  }
}

async function printUrls(s: Scenario): Promise<void> {
  const ports: [string, string][] = [
    ['chain (JSON-RPC)', 'CHAIN_PORT'],
    ['payment server', 'PAYMENT_SERVER_PORT'],
    ['payment-server-1', 'PAYMENT_SERVER_1_PORT'],
    ['payment-server-2', 'PAYMENT_SERVER_2_PORT'],
    ['persistence', 'PERSISTENCE_PORT'],
    ['random-number', 'RANDOM_NUMBER_PORT'],
    ['public', 'PUBLIC_PORT'],
    ['visualizer', 'VISUALIZER_PORT'],
    ['prometheus', 'PROMETHEUS_PORT'],
  ];
  const names = new Set((await s.containers()).map((c) => c.service));
  {
    const serviceOf: Record<string, string> = {
      CHAIN_PORT: 'chain',
      PAYMENT_SERVER_PORT: 'payment-server',
      PAYMENT_SERVER_1_PORT: 'payment-server-1',
      PAYMENT_SERVER_2_PORT: 'payment-server-2',
      PERSISTENCE_PORT: 'persistence',
      RANDOM_NUMBER_PORT: 'random-number',
      PUBLIC_PORT: 'public',
      VISUALIZER_PORT: 'visualizer',
      PROMETHEUS_PORT: 'prometheus',
    };
    for (const [label, v] of ports) if (names.has(serviceOf[v]!)) say(`  ${label.padEnd(18)} ${s.url(v as never)}`);
  }
}

async function runScenario(name: ScenarioName, action: string): Promise<void> {
  await requireEngine();
  const env: Record<string, string> = options['free-ports'] ? { ...(await freePorts()) } : {};
  if (options.local) env.PAYMENT = 'local';
  const s = new Scenario(name, { hostNetwork: options['host-network'], env, log: verbose });
  switch (action) {
    case 'down':
      await s.down();
      say(`${name}: down`);
      return;
    case 'logs': {
      if ((await s.containers()).length === 0) throw new Error(`${name} is not running (npm run scenario -- ${name} up)`);
      const stop = await s.streamLogs((service, line) => console.log(`${service.padEnd(17)}| ${line}`));
      process.once('SIGINT', () => {
        stop();
        process.exit(0);
      });
      return;
    }
    case 'stats':
      for (const st of await s.stats())
        say(
          `${st.service.padEnd(17)} cpu ${st.cpuPercent.toFixed(1).padStart(6)} %   memory ${(st.memoryBytes / 2 ** 20).toFixed(1).padStart(7)} MiB`,
        );
      return;
    case 'up':
    case 'smoke':
      break;
    default:
      throw new Error(`unknown action "${action}": smoke, up, down, logs or stats`);
  }
  if (!options['no-build']) await build(usesPrometheus(name));
  const t0 = Date.now();
  try {
    await s.up();
  } catch (e) {
    if (action === 'smoke' && !options.keep) await s.down().catch(() => undefined);
    throw e;
  }
  say(`${name}: up and healthy in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (action === 'up') {
    await printUrls(s);
    return;
  }
  try {
    const result = name === 'metrics' ? await smokeMetrics(s) : await smoke(s);
    say(`${name}: smoke passed`);
    say(JSON.stringify(result, null, 2));
  } finally {
    if (!options.keep) {
      await s.down();
      say(`${name}: down`);
    }
  }
}

async function main(): Promise<void> {
  if (isSwarm) return swarmScenario(process.argv.slice(3));
  if (isPrometheus) return prometheusScenario(process.argv.slice(3));
  if (!first || first === 'help') {
    process.stdout.write(usage(COMMAND));
    return;
  }
  if (first === 'env') {
    if (existsSync(ENV_FILE) && !options.force) throw new Error(`${ENV_FILE} exists; --force overwrites it`);
    writeFileSync(ENV_FILE, freshEnv(), { mode: 0o600 });
    say(`wrote ${ENV_FILE} with fresh keys and tokens (mode 600; .gitignore keeps it out of git)`);
    return;
  }
  if (first === 'build') {
    await requireEngine();
    await build('if-present');
    return;
  }
  if (first === 'sizes') {
    await requireEngine();
    for (const { image, mb } of await imageSizes()) say(`${image.padEnd(34)} ${mb} MB`);
    return;
  }
  if (!(SCENARIO_NAMES as string[]).includes(first))
    fail(`unknown scenario "${first}"; one of ${SCENARIO_NAMES.join(', ')}, build, env or sizes`);
  await runScenario(first as ScenarioName, second ?? 'smoke');
}

main().catch((e: unknown) => {
  console.error(`scenario: ${(e as Error).message}`);
  process.exit(1);
});
