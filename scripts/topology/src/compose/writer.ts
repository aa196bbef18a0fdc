/**
 * The compose files of a topology (Compose 1.29 and v2: the Compose Spec without a `version:` key and without the
 * newest keys), in the conventions of compose/ and docs/docker.md: one image per kind, every service on its own
 * port (the same inside and outside its container), published on BIND_ADDRESS, a healthcheck on every
 * long-running service and a condition on every depends_on, keys and tokens from the env file, and a one-shot
 * `deploy` that puts the contract at the deployer's nonce-0 address so every payment server knows it in advance.
 */
import { isPaid, type ResolvedTopology } from '../model';
import { activeTeams, entryRoute, paysUpstreams } from '../roles';
import { composePorts, freshSettings, isSecret, topologyParts, Vars, type Condition, type Part, type PartsContext } from './parts';
import { block, comment, flowList, scalar } from './yaml';

export { composePorts, envStem, Vars, SERVICE_BASE_PORT, PAYMENT_SERVER_BASE_PORT } from './parts';

export interface ComposeOptions {
  /** The command that regenerates the files, quoted in their header. */
  command: string;
  /** The repository as seen from the files' directory (their build context); default .. (for compose/). */
  buildContext?: string;
  /** Where the files go, as the header's example command names it; default compose. */
  outDir?: string;
  /** The env file the files' messages and header name; default compose/.env for the thesis, else the env file written beside them. */
  envFile?: string;
}

function envFileOf(t: ResolvedTopology, opts: ComposeOptions): string {
  return opts.envFile ?? (t.name === 'thesis' ? 'compose/.env' : `${opts.outDir ?? 'compose'}/${composeFileNames(t).env}`);
}

export interface ComposeFile {
  name: string;
  text: string;
}

/** File names: the thesis keeps the names it always had. */
export function composeFileNames(t: ResolvedTopology): { payment: string; noPayment: string; env: string } {
  if (t.name === 'thesis')
    return { payment: 'docker-compose.example-network.yml', noPayment: 'docker-compose.no-payment.yml', env: '.env.example' };
  return { payment: `docker-compose.${t.name}.yml`, noPayment: `docker-compose.${t.name}.no-payment.yml`, env: `${t.name}.env.example` };
}

function dependsOn(entries: [string, Condition][]): string[] {
  if (!entries.length) return [];
  return ['    depends_on:', ...entries.map(([name, condition]) => `      ${name}: { condition: ${condition} }`)];
}

/** A part as a compose service: built here, keys and tokens inline from the env file, started in depends_on order. */
function composeService(p: Part): string[] {
  const env = p.env.map(([k, v]): [string, string] => [k, isSecret(v) ? v.template : v]);
  return [
    ...p.comment,
    `  ${p.name}:`,
    `    image: chanpay/${p.target}:\${CHANPAY_TAG:-latest}`,
    p.target === 'postgres'
      ? '    build: { <<: *build, dockerfile: docker/postgres/Dockerfile }'
      : `    build: { <<: *build, target: ${p.target} }`,
    ...(p.command ? [`    command: ${flowList(p.command)}`] : []),
    '    environment:',
    ...block(6, env),
    ...(p.port && !p.oneShot ? [`    ports: ["\${BIND_ADDRESS:-127.0.0.1}:${p.port}:${p.port}"]`] : []),
    ...(p.volume ? [`    volumes: ["${p.volume}:${p.volumePath ?? '/data'}"]`] : []),
    ...(p.healthcheck
      ? [
          '    healthcheck:',
          `      test: ${flowList(p.healthcheck.test)}`,
          '      interval: 1s',
          '      timeout: 3s',
          `      retries: ${p.healthcheck.retries}`,
        ]
      : ['    healthcheck: { disable: true }']),
    ...(p.oneShot ? ['    restart: "no"'] : []),
    ...dependsOn(p.dependsOn),
  ];
}

const buildAnchor = (context: string, postgres: boolean) => [
  'x-build: &build',
  `  context: ${context}`,
  '  dockerfile: docker/Dockerfile',
  '  args:',
  '    NODE_IMAGE: ${NODE_IMAGE:-node:22-bookworm-slim}',
  '    NODE_BUILD_IMAGE: ${NODE_BUILD_IMAGE:-node:22-bookworm}',
  // The base of chanpay/postgres (docker/postgres/Dockerfile); without a registry local/postgres-base:15.
  ...(postgres ? [`    POSTGRES_IMAGE: \${POSTGRES_IMAGE:-${DEFAULT_POSTGRES_IMAGE}}`] : []),
];

/** The official image chanpay/postgres is built on by default (docker/postgres/Dockerfile's POSTGRES_IMAGE). */
export const DEFAULT_POSTGRES_IMAGE = 'postgres:15-bookworm';

function header(t: ResolvedTopology, file: string, paid: boolean, opts: ComposeOptions, ports: Map<string, number>): string[] {
  const envFile = envFileOf(t, opts);
  const entry = t.services.find((s) => s.name === t.entry[0])!;
  const payer = t.services.find((s) => paysUpstreams(t, s));
  const provider = t.services.find((s) => s.providerMode !== 'off');
  const teams = paid ? activeTeams(t).length : 0;
  const what = paid
    ? `runs it with payment: one chain, ${teams} payment server${teams === 1 ? '' : 's'} on one contract, ${t.services.length} services and ${t.edges.length} paid edges.`
    : `runs it without payment (PAYMENT=off, the measurement baseline): the same ${t.services.length} services, no chain, no payment server, the same code path otherwise.`;
  const calls = [
    ...(paid && payer ? [`curl 127.0.0.1:${ports.get(payer.name)}/init`] : []),
    `curl 127.0.0.1:${ports.get(entry.name)}${entryRoute(entry)}`,
    ...(paid && provider ? [`curl 127.0.0.1:${ports.get(provider.name)}/redeem`] : []),
  ];
  return [
    ...comment(`${(t.description ?? `The topology ${t.name}`).replace(/\.$/, '')}.`),
    ...comment(`${file} ${what}`),
    `#   docker-compose --env-file ${envFile} -f ${opts.outDir ?? 'compose'}/${file} up -d`,
    `#   ${calls.join(' ; ')}`,
    ...(t.name === 'thesis'
      ? [`# or: npm run scenario -- ${paid ? 'payment' : 'no-payment'} up|smoke|logs|down      (see docs/docker.md)`]
      : []),
    ...(paid
      ? ['# Order without sleeps: chain healthy -> deploy done -> payment servers healthy -> providers healthy -> their callers.']
      : []),
    ...comment(`Generated by \`${opts.command}\` from its topology (docs/topologies.md): edit that and generate again, not this file.`),
  ];
}

/** The two compose files (with payment, and without) of a topology, and an env file with fresh development keys. */
export function composeFiles(
  paidTopology: ResolvedTopology,
  unpaidTopology: ResolvedTopology,
  opts: ComposeOptions,
): { payment: ComposeFile; noPayment: ComposeFile; env: ComposeFile } {
  const names = composeFileNames(paidTopology);
  const payment = render(paidTopology, names.payment, true, opts);
  const noPayment = render(unpaidTopology, names.noPayment, false, opts);
  const vars = new Map([...noPayment.vars.used, ...payment.vars.used]);
  return {
    payment: { name: names.payment, text: payment.text },
    noPayment: { name: names.noPayment, text: noPayment.text },
    env: { name: names.env, text: envExample(paidTopology, vars, opts.command) },
  };
}

/** KEY=value lines for every variable the files use: defaults as they are, fresh keys and tokens, the contract address. */
function envExample(t: ResolvedTopology, vars: Vars['used'], command: string): string {
  const values = freshSettings(vars);
  const lines = [
    `# Settings of the compose files of the topology ${t.name}, written by \`${command}\`.`,
    '# THE KEYS BELOW ARE FRESH DEVELOPMENT KEYS IN A PLAIN FILE: use them only on the local chain these files start.',
    '# Format: KEY=value, one per line, no quotes (read alike by Compose 1.29 and v2). Pass it with --env-file.',
    'BIND_ADDRESS=127.0.0.1',
    'CHANPAY_TAG=latest',
    'NODE_IMAGE=node:22-bookworm-slim',
    'NODE_BUILD_IMAGE=node:22-bookworm',
    ...(vars.has('POSTGRES_PASSWORD') ? [`POSTGRES_IMAGE=${DEFAULT_POSTGRES_IMAGE}`] : []),
    ...[...values].map(([k, v]) => `${k}=${v}`),
  ];
  return lines.join('\n') + '\n';
}

function render(t: ResolvedTopology, file: string, paid: boolean, opts: ComposeOptions): { text: string; vars: Vars } {
  if (paid && !isPaid(t)) throw new Error('compose: the topology pays nothing (every edge is off); there is no with-payment file to write');
  const c: PartsContext = { t, ports: composePorts(t), vars: new Vars(envFileOf(t, opts)) };
  const parts = topologyParts(c, paid, { expand: true });
  const blocks = parts.map(composeService);
  const volumes = [...new Set(parts.flatMap((p) => (p.volume ? [p.volume] : [])))];
  const lines = [
    ...header(t, file, paid, opts, c.ports),
    '',
    ...buildAnchor(
      opts.buildContext ?? '..',
      parts.some((p) => p.target === 'postgres'),
    ),
    '',
    'services:',
    ...blocks.flatMap((b, i) => (i ? ['', ...b] : b)),
    ...(volumes.length ? ['', 'volumes:', ...volumes.map((v) => `  ${v}:`)] : []),
  ];
  return { text: lines.join('\n') + '\n', vars: c.vars };
}

/** Scalars as the files write them (exported for the tests of the YAML rules). */
export { scalar };
