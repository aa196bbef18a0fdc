/**
 * The containers of a topology, independent of the file they are written to: for each, its image, command,
 * environment (keys and tokens marked as secrets), port, volume, healthcheck, what it waits for and its role.
 * The compose writer (writer.ts) writes them with build, depends_on and the secrets inline from the env file;
 * the stack renderer (stack.ts) writes them for Docker Swarm, with the secrets as Docker secrets.
 */
import { randomBytes } from 'node:crypto';
import { Wallet, getCreateAddress } from 'ethers';
import type { ResolvedTopology, Service, Team } from '../model';
import {
  accountOf,
  activeTeams,
  accountsOfTeam,
  needsPaymentServer,
  paysUpstreams,
  processMode,
  publicConsumer,
  serverHoldsVoucherKey,
  serviceHoldsVoucherKey,
  workerConfigOf,
  KIND_DEFAULT_PRICE,
} from '../roles';

export const SERVICE_BASE_PORT = 8100;
export const PAYMENT_SERVER_BASE_PORT = 3101;

/** The env variable stem of a name: payment-server-1 → PAYMENT_SERVER_1. */
export const envStem = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** Ports of the files: the topology's, else fixed ones from 8100 (services) and 3101 (payment servers). */
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
  // The replicas of the compose files, each a container on its own port behind a proxy at the part's port.
  for (const team of t.teams)
    for (const r of replicaNames(team.paymentServer.name, team.paymentServer.replicas)) take(r, next(PAYMENT_SERVER_BASE_PORT));
  for (const s of t.services) for (const r of replicaNames(s.name, s.replicas)) take(r, next(SERVICE_BASE_PORT));
  if (usesPostgres(t)) take(POSTGRES, next(5432));
  return out;
}

/** The compose files' names of a part's replicas: s1-1, s1-2, … (none when it runs as one process). */
export const replicaNames = (name: string, replicas: number): string[] =>
  replicas > 1 ? Array.from({ length: replicas }, (_, i) => `${name}-${i + 1}`) : [];

/** The PostgreSQL part's name, host name and the user its databases belong to. */
export const POSTGRES = 'postgres';
const POSTGRES_USER = 'chanpay';

/** A database name from a part's name: payment-server-1 → ps_payment_server_1. */
const databaseOf = (prefix: 'ps' | 'state', name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;

/** The teams whose payment server keeps its store in PostgreSQL, and the services whose replicas share state there. */
function postgresUsers(t: ResolvedTopology): { teams: Team[]; services: Service[] } {
  return {
    teams: activeTeams(t).filter((team) => team.paymentServer.store === 'postgres'),
    services: t.services.filter((s) => s.replicas > 1 && s.providerMode !== 'off'),
  };
}

/** Whether the files need a PostgreSQL server. */
export function usesPostgres(t: ResolvedTopology): boolean {
  const u = postgresUsers(t);
  return u.teams.length + u.services.length > 0;
}

/** The variables a file uses: each stands for one thing, with its default (or none: it must be set). */
export class Vars {
  readonly used = new Map<string, { what: string; fallback: string | null }>();
  /** envFile: the file the messages of required variables name; null: just `set NAME` (stack files). */
  constructor(private readonly envFile: string | null) {}

  /** `${NAME:-default}` */
  withDefault(name: string, fallback: string | number, what: string): string {
    this.claim(name, what, String(fallback));
    return `\${${name}:-${fallback}}`;
  }

  /** `${NAME:?set NAME in compose/.env}` */
  required(name: string, what: string): string {
    this.claim(name, what, null);
    return `\${${name}:?set ${name}${this.envFile === null ? '' : ` in ${this.envFile}`}}`;
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

/**
 * Values for every variable: the defaults as they are, fresh keys and tokens for the required ones, and the
 * contract address that follows from the deployer key (its nonce-0 transaction creates the contract).
 */
export function freshSettings(vars: Vars['used']): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, v] of vars) {
    if (v.fallback !== null) values.set(name, v.fallback);
    else if (name.endsWith('_KEY')) values.set(name, Wallet.createRandom().privateKey);
    else if (name.endsWith('_TOKEN')) values.set(name, randomBytes(24).toString('base64url'));
    else if (name.endsWith('_PASSWORD')) values.set(name, randomBytes(24).toString('hex')); // URL-safe: it goes into postgres:// URLs
  }
  if (values.has('DEPLOYER_KEY'))
    values.set('CONTRACT_ADDRESS', getCreateAddress({ from: new Wallet(values.get('DEPLOYER_KEY')!).address, nonce: 0 }).toLowerCase());
  return values;
}

/** A key or token (or a list of them): inline in a compose file, a Docker secret in a stack file. */
export interface SecretValue {
  /** The Docker secret's name (a file under /run/secrets). */
  secret: string;
  /** The value, with `${NAME:?…}` for each key and token. */
  template: string;
}
export type EnvValue = string | SecretValue;
export const isSecret = (v: EnvValue): v is SecretValue => typeof v !== 'string';

export type Condition = 'service_healthy' | 'service_completed_successfully';

export interface Part {
  name: string;
  /** Comment lines written above it. */
  comment: string[];
  /** chain (and deploy) on the chain's nodes; payment servers and services on theirs; the visualizer only in compose files. */
  role: 'chain' | 'payment-server' | 'service' | 'visualizer' | 'database';
  /** The image's Dockerfile target: chanpay/<target>. */
  target: string;
  command: string[] | null;
  env: [string, EnvValue][];
  /** Its port variable (`${NAME_PORT:-8003}`), when it listens. */
  port: string | null;
  /** Its named volume, when it keeps state, and where it is mounted (/data unless said). */
  volume: string | null;
  volumePath?: string;
  healthcheck: { test: string[]; retries: number } | null;
  /** Runs once and exits (deploy). */
  oneShot: boolean;
  dependsOn: [string, Condition][];
  /** Swarm's replicas of the part (the compose files expand replicas into parts of their own: expandReplicas). */
  replicas: number;
  /** Its own Swarm role (the topology's placement of that service or payment server), else null. */
  placement: string | null;
}

export interface PartsContext {
  t: ResolvedTopology;
  ports: Map<string, number>;
  vars: Vars;
}

const portVar = (c: PartsContext, name: string) => c.vars.withDefault(`${envStem(name)}_PORT`, c.ports.get(name)!, `the port of ${name}`);
const url = (c: PartsContext, name: string) => `http://${name}:${portVar(c, name)}`;
const keyOf = (c: PartsContext, account: string) => c.vars.required(`${envStem(account)}_KEY`, `the key of account ${account}`);
const voucherKeyOf = (c: PartsContext, account: string) =>
  c.vars.required(`${envStem(account)}_VOUCHER_KEY`, `the voucher key of account ${account}`);
const tokenOf = (c: PartsContext, account: string) => c.vars.required(`${envStem(account)}_TOKEN`, `the token of account ${account}`);
/** The secret name of a part's setting: payment-server-1, accounts → payment_server_1_accounts. */
const secretName = (...words: string[]) => words.map((w) => w.replace(/-/g, '_')).join('_');

const statusCheck = (c: PartsContext, name: string, route = '/status', retries = 60) => ({
  test: ['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${portVar(c, name)}${route}`],
  retries,
});

function base(name: string, role: Part['role'], target: string): Part {
  return {
    name,
    comment: [],
    role,
    target,
    command: null,
    env: [],
    port: null,
    volume: null,
    healthcheck: null,
    oneShot: false,
    dependsOn: [],
    replicas: 1,
    placement: null,
  };
}

export function chainPart(c: PartsContext, teams: Team[]): Part {
  const keys = [
    c.vars.required('DEPLOYER_KEY', 'the deployer key'),
    ...teams.flatMap((team) => accountsOfTeam(c.t, team).map(({ account }) => keyOf(c, account.name))),
  ];
  return {
    ...base('chain', 'chain', 'chain'),
    env: [
      ['CHAIN_PORT', portVar(c, 'chain')],
      ['CHAIN_ID', c.vars.withDefault('CHAIN_ID', c.t.chain.chainId, 'the chain id')],
      ['CHAIN_BALANCE_ETH', c.vars.withDefault('CHAIN_BALANCE_ETH', c.t.chain.balanceEth, 'the balance of each key')],
      ['CHAIN_BLOCK_TIME', c.vars.withDefault('CHAIN_BLOCK_TIME', c.t.chain.blockTime, 'the block time')],
      ['CHAIN_KEYS', { secret: 'chain_keys', template: keys.join(',') }],
    ],
    port: portVar(c, 'chain'),
    volume: 'chain-data',
    healthcheck: { test: ['CMD', 'node', 'docker/healthcheck.js', `http://127.0.0.1:${portVar(c, 'chain')}`, 'rpc'], retries: 60 },
  };
}

export function rpcUrl(c: PartsContext): string {
  return c.t.chain.kind === 'external' ? c.vars.withDefault('RPC_URL', c.t.chain.url!, 'the external chain') : url(c, 'chain');
}

/** The PostgreSQL URL of a database as a secret (it holds the password): for PS_DB_URL and PROVIDER_STATE_URL. */
function databaseUrl(c: PartsContext, secret: string, database: string): SecretValue {
  const password = c.vars.required('POSTGRES_PASSWORD', 'the password of the PostgreSQL user chanpay');
  return { secret, template: `postgres://${POSTGRES_USER}:${password}@${POSTGRES}:${portVar(c, POSTGRES)}/${database}` };
}

/**
 * PostgreSQL for the payment servers with `store: "postgres"` and the providers with replicas: one server, a
 * database each (created on the first start by docker/postgres/create-databases.sh). The image is chanpay/postgres,
 * built from docker/postgres/Dockerfile on POSTGRES_IMAGE (the official postgres image by default).
 */
export function postgresPart(c: PartsContext): Part {
  const u = postgresUsers(c.t);
  const databases = [
    ...u.teams.map((team) => databaseOf('ps', team.paymentServer.name)),
    ...u.services.map((s) => databaseOf('state', s.name)),
  ];
  return {
    ...base(POSTGRES, 'database', 'postgres'),
    comment: [`  # PostgreSQL: the shared store of ${databases.join(', ')} (docs/scaling.md).`],
    command: ['postgres', '-p', portVar(c, POSTGRES)],
    env: [
      ['POSTGRES_USER', POSTGRES_USER],
      [
        'POSTGRES_PASSWORD',
        { secret: 'postgres_password', template: c.vars.required('POSTGRES_PASSWORD', 'the password of the PostgreSQL user chanpay') },
      ],
      ['POSTGRES_DB', POSTGRES_USER],
      ['CHANPAY_DATABASES', databases.join(',')],
    ],
    port: portVar(c, POSTGRES),
    volume: 'postgres-data',
    volumePath: '/var/lib/postgresql/data',
    healthcheck: { test: ['CMD', 'pg_isready', '-q', '-h', '127.0.0.1', '-p', portVar(c, POSTGRES), '-U', POSTGRES_USER], retries: 60 },
  };
}

/**
 * A part with replicas, for a compose file: the replicas as parts of their own (`<name>-1`, …, each on its own
 * port, so that they work on the host network too) and a round-robin proxy at the part's name and port (the
 * proxy image), which the callers use. A Swarm stack instead runs the part with `replicas` and DNS round robin.
 */
export function expandReplicas(c: PartsContext, p: Part, portSetting: string): Part[] {
  if (p.replicas <= 1) return [p];
  const names = replicaNames(p.name, p.replicas);
  const replicas = names.map(
    (name): Part => ({
      ...p,
      name,
      env: p.env.map(([k, v]): [string, EnvValue] => (k === portSetting ? [k, portVar(c, name)] : [k, v])),
      port: portVar(c, name),
      healthcheck: p.healthcheck && { ...p.healthcheck, test: p.healthcheck.test.map((a) => a.replace(p.port!, portVar(c, name))) },
      replicas: 1,
    }),
  );
  const proxy: Part = {
    ...base(p.name, p.role, 'proxy'),
    comment: [`  # Round robin over the ${names.length} replicas of ${p.name} below (in a Swarm stack: DNS round robin).`],
    env: [
      ['PROXY_PORT', p.port!],
      ['PROXY_TARGETS', names.map((n) => url(c, n)).join(',')],
    ],
    port: p.port,
    healthcheck: statusCheck(c, p.name),
    dependsOn: names.map((n) => [n, 'service_healthy'] as [string, Condition]),
    placement: p.placement,
  };
  return [proxy, ...replicas];
}

export function deployPart(c: PartsContext): Part {
  return {
    ...base('deploy', 'chain', 'payment-server'),
    comment: ["  # One-shot: deploys PaymentChannels at the deployer's nonce-0 address (CONTRACT_ADDRESS), or finds it there."],
    command: ['node', '--import', 'tsx', 'scripts/docker/deploy-contract.ts'],
    env: [
      ['RPC_URL', rpcUrl(c)],
      ['DEPLOYER_KEY', { secret: 'deployer_key', template: c.vars.required('DEPLOYER_KEY', 'the deployer key') }],
      ['CONTRACT_ADDRESS', c.vars.required('CONTRACT_ADDRESS', 'the contract address')],
    ],
    oneShot: true,
    dependsOn: c.t.chain.kind === 'external' ? [] : [['chain', 'service_healthy']],
  };
}

/** One CHALLENGE_PERIOD for the file: that of the first paid edge (every generator uses one for all). */
function defaultChallengePeriod(t: ResolvedTopology): number {
  return t.edges.find((e) => e.payment.mode !== 'off')?.payment.challengePeriod ?? 120;
}

export function paymentServerPart(c: PartsContext, team: Team): Part {
  const name = team.paymentServer.name;
  const held = accountsOfTeam(c.t, team);
  const teamOf = (service: string) => c.t.services.find((s) => s.name === service)!.team;
  const periods = c.t.edges.filter((e) => e.payment.mode !== 'off' && teamOf(e.from) === team.name).map((e) => e.payment.challengePeriod);
  const minPeriod = Math.min(60, ...periods);
  // Built in the env's order, so that the variables are claimed (and listed in env files) in the file's order.
  const accounts = () =>
    held
      .map(
        ({ account, service }) =>
          `${account.name}:${keyOf(c, account.name)}${paysUpstreams(c.t, service) && serverHoldsVoucherKey(account) ? `:${voucherKeyOf(c, account.name)}` : ''}`,
      )
      .join(',');
  const tokens = () => held.map(({ account }) => `${tokenOf(c, account.name)}:${account.name}`).join(',');
  const onPostgres = team.paymentServer.store === 'postgres';
  return {
    ...base(name, 'payment-server', 'payment-server'),
    env: [
      ['PS_PORT', portVar(c, name)],
      ['PS_RPC_URL', rpcUrl(c)],
      ['PS_CONTRACT_ADDRESS', c.vars.required('CONTRACT_ADDRESS', 'the contract address')],
      ['PS_ACCOUNTS', { secret: secretName(name, 'accounts'), template: accounts() }],
      ['PS_TOKENS', { secret: secretName(name, 'tokens'), template: tokens() }],
      // The default of channels opened without one; the consumers here always name theirs.
      ['PS_CHALLENGE_PERIOD', c.vars.withDefault('CHALLENGE_PERIOD', defaultChallengePeriod(c.t), 'the challenge period')],
      ['PS_MIN_CHALLENGE_PERIOD', c.vars.withDefault('MIN_CHALLENGE_PERIOD', minPeriod, 'the shortest challenge period')],
      ...(team.paymentServer.claimIntervalSeconds !== null
        ? [['PS_CLAIM_INTERVAL_SECONDS', String(team.paymentServer.claimIntervalSeconds)] as [string, string]]
        : []),
      ...(team.paymentServer.dbSync ? [['PS_DB_SYNC', team.paymentServer.dbSync] as [string, string]] : []),
      ...(onPostgres ? [['PS_DB_URL', databaseUrl(c, secretName(name, 'db_url'), databaseOf('ps', name))] as [string, EnvValue]] : []),
      ['PS_CORS_ORIGINS', `http://127.0.0.1:${portVar(c, 'visualizer')},http://localhost:${portVar(c, 'visualizer')}`],
      ['PS_LOG_LEVEL', c.vars.withDefault('LOG_LEVEL', 'info', 'the log level')],
    ],
    port: portVar(c, name),
    volume: onPostgres ? null : `${name}-data`,
    healthcheck: statusCheck(c, name),
    dependsOn: [
      ['deploy', 'service_completed_successfully'],
      ...(onPostgres ? [[POSTGRES, 'service_healthy'] as [string, Condition]] : []),
    ],
    replicas: team.paymentServer.replicas,
    placement: team.paymentServer.placement,
  };
}

/** The PAYMENT of a service: one switch for the whole file when every edge has the same mode. */
function paymentValue(c: PartsContext, s: Service, switchable: boolean): string {
  const mode = processMode(c.t, s);
  if (mode === 'off') return 'off';
  return switchable ? c.vars.withDefault('PAYMENT', mode, 'the payment mode') : mode;
}

const TARGET_OF: Record<Service['kind'], string> = {
  public: 'public',
  'random-number': 'random-number',
  persistence: 'persistence',
  worker: 'worker',
};

export function servicePart(c: PartsContext, s: Service, switchable: boolean): Part {
  const t = c.t;
  const team = t.teams.find((x) => x.name === s.team)!;
  const account = accountOf(t, s);
  const entries: [string, EnvValue][] = [
    ['PORT', portVar(c, s.name)],
    ['LOG_LEVEL', c.vars.withDefault('LOG_LEVEL', 'info', 'the log level')],
    ['PAYMENT', paymentValue(c, s, switchable)],
  ];
  const paid = needsPaymentServer(t, s);
  if (paid) {
    entries.push(
      ['PAYMENT_SERVER_URL', url(c, team.paymentServer.name)],
      ['PAYMENT_SERVER_TOKEN', { secret: secretName(s.name, 'token'), template: tokenOf(c, account.name) }],
    );
  }
  if (s.providerMode !== 'off') {
    if (s.kind !== 'worker' && s.price !== KIND_DEFAULT_PRICE[s.kind]) entries.push(['PRICE_WEI', s.price.toString()]);
    if (s.providerSync) entries.push(['PAYMENT_SYNC', 'true']);
    if (s.maxPrepay !== 256) entries.push(['PAYMENT_MAX_PREPAY', String(s.maxPrepay)]);
    if (s.replicas > 1 && paid)
      entries.push(['PROVIDER_STATE_URL', databaseUrl(c, secretName(s.name, 'state_url'), databaseOf('state', s.name))]);
  }
  if (paid && paysUpstreams(t, s) && serviceHoldsVoucherKey(account))
    entries.push(['VOUCHER_KEY', { secret: secretName(s.name, 'voucher_key'), template: voucherKeyOf(c, account.name) }]);
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
  return {
    ...base(s.name, 'service', TARGET_OF[s.kind]),
    env: entries,
    port: portVar(c, s.name),
    volume: s.kind === 'persistence' ? `${s.name}-data` : null,
    healthcheck: statusCheck(c, s.name),
    dependsOn: [
      ...(paid ? [[team.paymentServer.name, 'service_healthy'] as [string, Condition]] : []),
      ...(s.replicas > 1 && paid ? [[POSTGRES, 'service_healthy'] as [string, Condition]] : []),
      ...upstreams.map((u) => [u, 'service_healthy'] as [string, Condition]),
    ],
    // Replicas share what they accepted in PostgreSQL (PROVIDER_STATE_URL); unpaid, they share nothing.
    replicas: s.replicas,
    placement: s.placement,
  };
}

export function visualizerPart(c: PartsContext): Part {
  return {
    ...base('visualizer', 'visualizer', 'visualizer'),
    comment: [
      `  # The chain explorer page: open http://127.0.0.1:${c.ports.get('visualizer')}/?rpc=http://127.0.0.1:${c.ports.get('chain')}`,
    ],
    env: [['VISUALIZER_PORT', portVar(c, 'visualizer')]],
    port: portVar(c, 'visualizer'),
    healthcheck: statusCheck(c, 'visualizer', '/', 30),
    dependsOn: c.t.chain.kind === 'external' ? [] : [['chain', 'service_healthy']],
  };
}

/**
 * The parts of a topology's file in the order the file lists them (with payment: chain, deploy, PostgreSQL when a
 * store or a provider's replicas need it, payment servers first). `expand`: each replica a part of its own behind
 * a proxy (compose files); otherwise a part keeps its `replicas` (Swarm stacks).
 */
export function topologyParts(c: PartsContext, paid: boolean, opts: { expand: boolean } = { expand: false }): Part[] {
  const t = c.t;
  const modes = new Set(t.edges.map((e) => e.payment.mode));
  const switchable = paid && modes.size === 1;
  const teams = paid ? activeTeams(t) : [];
  const parts: Part[] = [];
  const expand = (p: Part, portSetting: string) => (opts.expand ? expandReplicas(c, p, portSetting) : [p]);
  if (paid) {
    if (t.chain.kind !== 'external') parts.push(chainPart(c, teams));
    parts.push(deployPart(c));
    if (usesPostgres(t)) parts.push(postgresPart(c));
    for (const team of teams) parts.push(...expand(paymentServerPart(c, team), 'PS_PORT'));
  }
  for (const s of t.services) parts.push(...expand(servicePart(c, s, switchable), 'PORT'));
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw new Error(`compose: two parts would be named ${p.name} (a replica's name is <name>-<n>); rename one`);
    names.add(p.name);
  }
  if (paid && t.chain.kind !== 'external') parts.push(visualizerPart(c));
  return parts;
}
