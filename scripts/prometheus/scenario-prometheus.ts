/**
 * `npm run scenario -- prometheus --topology <spec>`: Prometheus (Debian's package) scraping every payment server
 * and service of a topology: the one it starts itself, or with --attach one already started by
 * `npm start -- --topology <spec>`. Writes prometheus.yml, starts prometheus on 127.0.0.1, prints its URL and
 * the dashboard to import (docs/grafana/chanpay-dashboard.json); Ctrl-C stops it (and the network it started).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import type { PaymentMode } from '@chanpay/protocol';
import {
  GENERATOR_USAGE,
  REPO_ROOT,
  describeUrls,
  loadTopology,
  startTopology,
  type ResolvedTopology,
  type RunningTopology,
  type TopologyOverrides,
} from '@chanpay/topology';
import { prometheusUnavailableReason, startPrometheus, type RunningPrometheus } from './server';
import { targetsOfNetwork, targetsOfTopology, writePrometheusConfig, type ScrapeTarget } from './targets';

export const PROMETHEUS_COMMAND = {
  command: 'npm run scenario -- prometheus',
  summary: [
    'Prometheus scraping every payment server and service of a topology (docs/observability.md, Metrics).',
    'Without --attach it starts the topology first (as npm start does); with --attach it scrapes one already',
    "running on the topology's own ports. Writes <dir>/prometheus.yml (payment-server tokens in files of mode 600),",
    'starts prometheus on 127.0.0.1 and prints its URL. Ctrl-C stops prometheus (and the network it started).',
  ].join('\n'),
  options: {
    topology: { type: 'string', value: '<spec>', description: `a topology file (JSON) or a generator: ${GENERATOR_USAGE}` },
    attach: { type: 'boolean', description: 'scrape a network already started with npm start -- --topology <spec>' },
    'tokens-file': {
      type: 'string',
      value: '<file>',
      description: "--attach: a JSON object account → token (the 'tokens:' line of SHOW_TOKENS=1 npm start), to scrape the payment servers",
    },
    mode: {
      type: 'string',
      value: '<local|remote>',
      description: "without --attach: the payment mode of every edge (default the topology's)",
    },
    'free-ports': { type: 'boolean', description: "without --attach: free ports instead of the topology's" },
    port: { type: 'string', value: '<port>', description: "prometheus's port", default: '9090' },
    'scrape-interval': { type: 'string', value: '<s>', description: 'seconds between scrapes', default: '5' },
    dir: { type: 'string', value: '<dir>', description: 'config and data (wiped at start; default data/prometheus/<topology name>)' },
  },
  notes: [
    'Needs prometheus on PATH (apt-get install prometheus) or PROMETHEUS_BIN.',
    'Examples:',
    '  npm run scenario -- prometheus --topology chain:3 --free-ports',
    '  SHOW_TOKENS=1 npm start -- --topology thesis     # then, in another shell, with the tokens line saved as tokens.json:',
    '  npm run scenario -- prometheus --topology thesis --attach --tokens-file tokens.json',
  ],
} as const;

export interface PrometheusScenario {
  prometheus: RunningPrometheus;
  configFile: string;
  targets: ScrapeTarget[];
  stop(): Promise<void>;
}

/** Writes the config for `targets` into `dir` (wiped first) and starts prometheus on `port`. */
export async function startPrometheusScenario(opts: {
  targets: ScrapeTarget[];
  dir: string;
  port: number;
  scrapeIntervalSeconds: number;
}): Promise<PrometheusScenario> {
  rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const configFile = writePrometheusConfig(opts.dir, opts.targets, opts.scrapeIntervalSeconds);
  const prometheus = await startPrometheus({ configFile, dir: opts.dir, port: opts.port });
  return { prometheus, configFile, targets: opts.targets, stop: () => prometheus.stop() };
}

/** The scenario for a network started here (tests, and the command without --attach). */
export function prometheusForNetwork(net: RunningTopology, opts: { dir: string; port: number; scrapeIntervalSeconds: number }) {
  return startPrometheusScenario({ ...opts, targets: targetsOfNetwork(net) });
}

function loadOrFail(spec: string, overrides: TopologyOverrides, fail: (m: string) => never): ResolvedTopology {
  try {
    return loadTopology(spec, { overrides });
  } catch (e) {
    return fail((e as Error).message);
  }
}

export async function prometheusScenario(argv: string[]): Promise<void> {
  const { values: o, positionals, fail } = parseCommandLine(PROMETHEUS_COMMAND, argv);
  if (positionals.length) fail(`unexpected argument "${positionals[0]}"`);
  const spec = o.topology || fail('--topology is missing (a file or a generator, e.g. --topology chain:3)');
  if (o.mode !== undefined && o.mode !== 'local' && o.mode !== 'remote') fail(`--mode must be local or remote, got "${o.mode}"`);
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number, got "${o.port}"`);
  const interval = Number(o['scrape-interval']);
  if (!Number.isInteger(interval) || interval < 1)
    fail(`--scrape-interval must be a whole number of seconds, got "${o['scrape-interval']}"`);
  if (o['tokens-file'] && !o.attach) fail('--tokens-file goes with --attach (without it the tokens are known)');
  const unavailable = prometheusUnavailableReason();
  if (unavailable) {
    console.error(unavailable);
    process.exit(3);
  }
  const mode = o.mode as PaymentMode | undefined;
  const topology = loadOrFail(spec, mode ? { mode } : {}, fail);
  const dir = path.resolve(o.dir ?? path.join(REPO_ROOT, 'data', 'prometheus', topology.name));

  let net: RunningTopology | null = null;
  let targets: ScrapeTarget[];
  if (o.attach) {
    let tokens: Record<string, string> = {};
    if (o['tokens-file']) {
      try {
        tokens = JSON.parse(readFileSync(o['tokens-file'], 'utf8')) as Record<string, string>;
      } catch (e) {
        fail(`--tokens-file ${o['tokens-file']}: ${(e as Error).message}`);
      }
    }
    const found = targetsOfTopology(topology, tokens);
    for (const s of found.skipped) console.log(`  not scraped: ${s}`);
    targets = found.targets;
  } else {
    console.log(`Starting ${topology.name}…`);
    net = await startTopology(topology, { freePorts: o['free-ports'] });
    console.log(describeUrls(net).join('\n'));
    targets = targetsOfNetwork(net);
  }
  let scenario: PrometheusScenario;
  try {
    scenario = await startPrometheusScenario({ targets, dir, port, scrapeIntervalSeconds: interval });
  } catch (e) {
    await net?.stop();
    throw e;
  }
  console.log(
    [
      '',
      `Prometheus ${scenario.prometheus.url}   (${targets.length} targets: ${scenario.prometheus.url}/targets; config ${scenario.configFile})`,
      `  e.g. ${scenario.prometheus.url}/graph?g0.expr=${encodeURIComponent('sum by (service) (rate(chanpay_service_payments_total{outcome="paid"}[1m]))')}`,
      `  Grafana: add this Prometheus as a data source, import ${path.relative(process.cwd(), path.join(REPO_ROOT, 'docs', 'grafana', 'chanpay-dashboard.json'))}`,
      'Ctrl-C stops it.',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await scenario.stop();
    await net?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
