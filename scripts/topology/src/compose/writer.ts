/**
 * The compose files of a topology (Compose 1.29 and v2: the Compose Spec without a `version:` key and without the
 * newest keys), in the conventions of compose/ and docs/docker.md: one image per kind, every service on its own
 * port (the same inside and outside its container), published on BIND_ADDRESS, a healthcheck on every
 * long-running service and a condition on every depends_on, keys and tokens from the env file, and a one-shot
 * `deploy` that puts the contract at the deployer's nonce-0 address so every payment server knows it in advance.
 */
import { randomBytes } from 'node:crypto';
import { Wallet, getCreateAddress } from 'ethers';
import { isPaid, type ResolvedTopology, type Service, type Team } from '../model';
import {
  accountOf,
  accountsOfTeam,
  activeTeams,
  entryRoute,
  needsPaymentServer,
  paysUpstreams,
  processMode,
  publicConsumer,
  serverHoldsVoucherKey,
  serviceHoldsVoucherKey,
  workerConfigOf,
  KIND_DEFAULT_PRICE,
} from '../roles';
import { block, flowList, scalar } from './yaml';

export const SERVICE_BASE_PORT = 8100;
export const PAYMENT_SERVER_BASE_PORT = 3101;

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

/** The env variable stem of a name: payment-server-1 → PAYMENT_SERVER_1. */
export const envStem = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** File names: the thesis keeps the names it always had. */
export function composeFileNames(t: ResolvedTopology): { payment: string; noPayment: string; env: string } {
  if (t.name === 'thesis')
    return { payment: 'docker-compose.example-network.yml', noPayment: 'docker-compose.no-payment.yml', env: '.env.example' };
  return { payment: `docker-compose.${t.name}.yml`, noPayment: `docker-compose.${t.name}.no-payment.yml`, env: `${t.name}.env.example` };
}

/** Ports of the compose files: the topology's, else fixed ones from 8100 (services) and 3101 (payment servers). */
export function composePorts(t: ResolvedTopology): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Set<number>();
  const take = (name: string, port: number) => {
    out.set(name, port);
    taken.add(port);
  };
  take('chain', t.chain.port ?? 8545);
  take('visualizer', 8090);
  for (const team of t.teams) if (team.paymentServer.port !== null) take(team.paymentServer.name, team.paymentServer.port);
  for (const s of t.services) if (s.port !== null) take(s.name, s.port);
  const next = (from: number) => {
    let p = from;
    while (taken.has(p)) p++;
    return p;
  };
  for (const team of t.teams) if (!out.has(team.paymentServer.name)) take(team.paymentServer.name, next(PAYMENT_SERVER_BASE_PORT));
  for (const s of t.services) if (!out.has(s.name)) take(s.name, next(SERVICE_BASE_PORT));
  return out;
}

/** The variables a file uses: each stands for one thing, with its default (or none: it must be set). */
export class Vars {
  readonly used = new Map<string, { what: string; fallback: string | null }>();
  constructor(private readonly envFile: string) {}

  /** `${NAME:-default}` */
  withDefault(name: string, fallback: string | number, what: string): string {
    this.claim(name, what, String(fallback));
    return `\${${name}:-${fallback}}`;
  }

  /** `${NAME:?set NAME in compose/.env}` */
  required(name: string, what: string): string {
    this.claim(name, what, null);
    return `\${${name}:?set ${name} in ${this.envFile}}`;
  }

  private claim(name: string, what: string, fallback: string | null): void {
    const other = this.used.get(name);
    if (other !== undefined && other.what !== what)
      throw new Error(`compose: ${other.what} and ${what} would both use the variable ${name}; rename one of them`);
    if (other !== undefined && other.fallback !== fallback)
      throw new Error(
        `compose: ${name} (${what}) would default to ${other.fallback} in one place and ${fallback} in another; give the services the same setting`,
      );
    this.used.set(name, { what, fallback });
  }
}

interface Context {
  t: ResolvedTopology;
  ports: Map<string, number>;
  vars: Vars;
}

const port = (c: Context, name: string) => c.vars.withDefault(`${envStem(name)}_PORT`, c.ports.get(name)!, `the port of ${name}`);
const url = (c: Context, name: string) => `http://${name}:${port(c, name)}`;
const keyOf = (c: Context, account: string) => c.vars.required(`${envStem(account)}_KEY`, `the key of account ${account}`);
const voucherKeyOf = (c: Context, account: string) =>
  c.vars.required(`${envStem(account)}_VOUCHER_KEY`, `the voucher key of account ${account}`);
const tokenOf = (c: Context, account: string) => c.vars.required(`${envStem(account)}_TOKEN`, `the token of account ${account}`);

function healthcheck(test: string[], retries = 60): string[] {
  return ['    healthcheck:', `      test: ${flowList(test)}`, '      interval: 1s', '      timeout: 3s', `      retries: ${retries}`];
}

function dependsOn(entries: [string, 'service_healthy' | 'service_completed_successfully'][]): string[] {
  if (!entries.length) return [];
  return ['    depends_on:', ...entries.map(([name, condition]) => `      ${name}: { condition: ${condition} }`)];
}

function env(entries: [string, string][]): string[] {
  return ['    environment:', ...block(6, entries)];
}

const image = (target: string) => [`    image: chanpay/${target}:\${CHANPAY_TAG:-latest}`, `    build: { <<: *build, target: ${target} }`];
const published = (c: Context, name: string) => `    ports: ["\${BIND_ADDRESS:-127.0.0.1}:${port(c, name)}:${port(c, name)}"]`;
const TARGET_OF: Record<Service['kind'], string> = {
  public: 'public',
  'random-number': 'random-number',
  persistence: 'persistence',
  worker: 'worker',
};

function chainService(c: Context, teams: Team[]): string[] {
  const keys = [
    c.vars.required('DEPLOYER_KEY', 'the deployer key'),
    ...teams.flatMap((team) => accountsOfTeam(c.t, team).map(({ account }) => keyOf(c, account.name))),
  ];
  return [
    '  chain:',
    ...image('chain'),
    ...env([
      ['CHAIN_PORT', port(c, 'chain')],
      ['CHAIN_ID', c.vars.withDefault('CHAIN_ID', c.t.chain.chainId, 'the chain id')],
      ['CHAIN_BALANCE_ETH', c.vars.withDefault('CHAIN_BALANCE_ETH', c.t.chain.balanceEth, 'the balance of each key')],
      ['CHAIN_BLOCK_TIME', c.vars.withDefault('CHAIN_BLOCK_TIME', c.t.chain.blockTime, 'the block time')],
      ['CHAIN_KEYS', keys.join(',')],
    ]),
    published(c, 'chain'),
    '    volumes: ["chain-data:/data"]',
    ...healthcheck(['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${port(c, 'chain')}`, 'rpc']),
  ];
}

function rpcUrl(c: Context): string {
  return c.t.chain.kind === 'external' ? c.vars.withDefault('RPC_URL', c.t.chain.url!, 'the external chain') : url(c, 'chain');
}

function deployService(c: Context): string[] {
  return [
    "  # One-shot: deploys PaymentChannels at the deployer's nonce-0 address (CONTRACT_ADDRESS), or finds it there.",
    '  deploy:',
    ...image('payment-server'),
    '    command: ["node", "--import", "tsx", "scripts/docker/deploy-contract.ts"]',
    ...env([
      ['RPC_URL', rpcUrl(c)],
      ['DEPLOYER_KEY', c.vars.required('DEPLOYER_KEY', 'the deployer key')],
      ['CONTRACT_ADDRESS', c.vars.required('CONTRACT_ADDRESS', 'the contract address')],
    ]),
    '    healthcheck: { disable: true }',
    '    restart: "no"',
    ...dependsOn(c.t.chain.kind === 'external' ? [] : [['chain', 'service_healthy']]),
  ];
}

function paymentServerService(c: Context, team: Team): string[] {
  const name = team.paymentServer.name;
  const held = accountsOfTeam(c.t, team);
  const teamOf = (service: string) => c.t.services.find((s) => s.name === service)!.team;
  const periods = c.t.edges.filter((e) => e.payment.mode !== 'off' && teamOf(e.from) === team.name).map((e) => e.payment.challengePeriod);
  const minPeriod = Math.min(60, ...periods);
  return [
    `  ${name}:`,
    ...image('payment-server'),
    ...env([
      ['PS_PORT', port(c, name)],
      ['PS_RPC_URL', rpcUrl(c)],
      ['PS_CONTRACT_ADDRESS', c.vars.required('CONTRACT_ADDRESS', 'the contract address')],
      [
        'PS_ACCOUNTS',
        held
          .map(
            ({ account, service }) =>
              `${account.name}:${keyOf(c, account.name)}${paysUpstreams(c.t, service) && serverHoldsVoucherKey(account) ? `:${voucherKeyOf(c, account.name)}` : ''}`,
          )
          .join(','),
      ],
      ['PS_TOKENS', held.map(({ account }) => `${tokenOf(c, account.name)}:${account.name}`).join(',')],
      // The default of channels opened without one; the consumers here always name theirs.
      ['PS_CHALLENGE_PERIOD', c.vars.withDefault('CHALLENGE_PERIOD', defaultChallengePeriod(c.t), 'the challenge period')],
      ['PS_MIN_CHALLENGE_PERIOD', c.vars.withDefault('MIN_CHALLENGE_PERIOD', minPeriod, 'the shortest challenge period')],
      ...(team.paymentServer.claimIntervalSeconds !== null
        ? [['PS_CLAIM_INTERVAL_SECONDS', String(team.paymentServer.claimIntervalSeconds)] as [string, string]]
        : []),
      ...(team.paymentServer.dbSync ? [['PS_DB_SYNC', team.paymentServer.dbSync] as [string, string]] : []),
      ['PS_CORS_ORIGINS', `http://127.0.0.1:${port(c, 'visualizer')},http://localhost:${port(c, 'visualizer')}`],
      ['PS_LOG_LEVEL', c.vars.withDefault('LOG_LEVEL', 'info', 'the log level')],
    ]),
    published(c, name),
    `    volumes: ["${name}-data:/data"]`,
    ...healthcheck(['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${port(c, name)}/status`]),
    ...dependsOn([['deploy', 'service_completed_successfully']]),
  ];
}

/** One CHALLENGE_PERIOD for the file: that of the first paid edge (every generator uses one for all). */
function defaultChallengePeriod(t: ResolvedTopology): number {
  return t.edges.find((e) => e.payment.mode !== 'off')?.payment.challengePeriod ?? 120;
}

/** The PAYMENT of a service: one switch for the whole file when every edge has the same mode. */
function paymentValue(c: Context, s: Service, switchable: boolean): string {
  const mode = processMode(c.t, s);
  if (mode === 'off') return 'off';
  return switchable ? c.vars.withDefault('PAYMENT', mode, 'the payment mode') : mode;
}

function serviceService(c: Context, s: Service, switchable: boolean): string[] {
  const t = c.t;
  const team = t.teams.find((x) => x.name === s.team)!;
  const account = accountOf(t, s);
  const entries: [string, string][] = [
    ['PORT', port(c, s.name)],
    ['LOG_LEVEL', c.vars.withDefault('LOG_LEVEL', 'info', 'the log level')],
    ['PAYMENT', paymentValue(c, s, switchable)],
  ];
  const paid = needsPaymentServer(t, s);
  if (paid) {
    entries.push(['PAYMENT_SERVER_URL', url(c, team.paymentServer.name)], ['PAYMENT_SERVER_TOKEN', tokenOf(c, account.name)]);
  }
  if (s.providerMode !== 'off') {
    if (s.kind !== 'worker' && s.price !== KIND_DEFAULT_PRICE[s.kind]) entries.push(['PRICE_WEI', s.price.toString()]);
    if (s.providerSync) entries.push(['PAYMENT_SYNC', 'true']);
    if (s.maxPrepay !== 256) entries.push(['PAYMENT_MAX_PREPAY', String(s.maxPrepay)]);
  }
  if (paid && paysUpstreams(t, s) && serviceHoldsVoucherKey(account)) entries.push(['VOUCHER_KEY', voucherKeyOf(c, account.name)]);
  if (s.kind === 'public') {
    const pc = publicConsumer(s);
    if (pc.payment.mode !== 'off') {
      entries.push(
        ['DEPOSIT_WEI', c.vars.withDefault('DEPOSIT_WEI', pc.payment.deposit.toString(), 'the deposit')],
        ['CHALLENGE_PERIOD', c.vars.withDefault('CHALLENGE_PERIOD', pc.payment.challengePeriod, 'the challenge period')],
      );
      if (pc.payment.prepay !== 1)
        entries.push(['PREPAY_CALLS', c.vars.withDefault('PREPAY_CALLS', pc.payment.prepay, 'the calls per voucher')]);
      if (pc.payment.idempotencyKeys) entries.push(['IDEMPOTENCY_KEYS', 'true']);
    }
    entries.push(['RANDOM_NUMBER_URL', url(c, pc.randomNumber)], ['PERSISTENCE_URL', url(c, pc.persistence)]);
  }
  if (s.kind === 'worker')
    entries.push(['WORKER_CONFIG', JSON.stringify(workerConfigOf(t, s, { urlOf: (n) => url(c, n), inheritMode: switchable }))]);

  const upstreams = [...new Set(t.edges.filter((e) => e.from === s.name).map((e) => e.to))];
  return [
    `  ${s.name}:`,
    ...image(TARGET_OF[s.kind]),
    ...env(entries),
    published(c, s.name),
    ...(s.kind === 'persistence' ? [`    volumes: ["${s.name}-data:/data"]`] : []),
    ...healthcheck(['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${port(c, s.name)}/status`]),
    ...dependsOn([
      ...(paid ? [[team.paymentServer.name, 'service_healthy'] as [string, 'service_healthy']] : []),
      ...upstreams.map((u) => [u, 'service_healthy'] as [string, 'service_healthy']),
    ]),
  ];
}

function visualizerService(c: Context): string[] {
  return [
    `  # The chain explorer page: open http://127.0.0.1:${c.ports.get('visualizer')}/?rpc=http://127.0.0.1:${c.ports.get('chain')}`,
    '  visualizer:',
    ...image('visualizer'),
    ...env([['VISUALIZER_PORT', port(c, 'visualizer')]]),
    published(c, 'visualizer'),
    ...healthcheck(['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${port(c, 'visualizer')}/`], 30),
    ...dependsOn(c.t.chain.kind === 'external' ? [] : [['chain', 'service_healthy']]),
  ];
}

const buildAnchor = (context: string) => [
  'x-build: &build',
  `  context: ${context}`,
  '  dockerfile: docker/Dockerfile',
  '  args:',
  '    NODE_IMAGE: ${NODE_IMAGE:-node:22-bookworm-slim}',
  '    NODE_BUILD_IMAGE: ${NODE_BUILD_IMAGE:-node:22-bookworm}',
];

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

/** Text as `# ` lines of at most 115 characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > 115 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
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
  const values = new Map<string, string>();
  for (const [name, v] of vars) {
    if (v.fallback !== null) values.set(name, v.fallback);
    else if (name.endsWith('_KEY')) values.set(name, Wallet.createRandom().privateKey);
    else if (name.endsWith('_TOKEN')) values.set(name, randomBytes(24).toString('base64url'));
  }
  if (values.has('DEPLOYER_KEY'))
    values.set('CONTRACT_ADDRESS', getCreateAddress({ from: new Wallet(values.get('DEPLOYER_KEY')!).address, nonce: 0 }).toLowerCase());
  const lines = [
    `# Settings of the compose files of the topology ${t.name}, written by \`${command}\`.`,
    '# THE KEYS BELOW ARE FRESH DEVELOPMENT KEYS IN A PLAIN FILE: use them only on the local chain these files start.',
    '# Format: KEY=value, one per line, no quotes (read alike by Compose 1.29 and v2). Pass it with --env-file.',
    'BIND_ADDRESS=127.0.0.1',
    'CHANPAY_TAG=latest',
    'NODE_IMAGE=node:22-bookworm-slim',
    'NODE_BUILD_IMAGE=node:22-bookworm',
    ...[...values].map(([k, v]) => `${k}=${v}`),
  ];
  return lines.join('\n') + '\n';
}

function render(t: ResolvedTopology, file: string, paid: boolean, opts: ComposeOptions): { text: string; vars: Vars } {
  if (paid && !isPaid(t)) throw new Error('compose: the topology pays nothing (every edge is off); there is no with-payment file to write');
  const c: Context = { t, ports: composePorts(t), vars: new Vars(envFileOf(t, opts)) };
  const modes = new Set(t.edges.map((e) => e.payment.mode));
  const switchable = paid && modes.size === 1;
  const teams = paid ? activeTeams(t) : [];
  const blocks: string[][] = [];
  if (paid) {
    if (t.chain.kind !== 'external') blocks.push(chainService(c, teams));
    blocks.push(deployService(c));
    for (const team of teams) blocks.push(paymentServerService(c, team));
  }
  for (const s of t.services) blocks.push(serviceService(c, s, switchable));
  if (paid && t.chain.kind !== 'external') blocks.push(visualizerService(c));
  const volumes = [
    ...(paid && t.chain.kind !== 'external' ? ['chain-data'] : []),
    ...teams.map((team) => `${team.paymentServer.name}-data`),
    ...t.services.filter((s) => s.kind === 'persistence').map((s) => `${s.name}-data`),
  ];
  const lines = [
    ...header(t, file, paid, opts, c.ports),
    '',
    ...buildAnchor(opts.buildContext ?? '..'),
    '',
    'services:',
    ...blocks.flatMap((b, i) => (i ? ['', ...b] : b)),
    ...(volumes.length ? ['', 'volumes:', ...volumes.map((v) => `  ${v}:`)] : []),
  ];
  return { text: lines.join('\n') + '\n', vars: c.vars };
}

/** Scalars as the files write them (exported for the tests of the YAML rules). */
export { scalar };
