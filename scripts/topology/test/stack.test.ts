/**
 * The Docker Swarm stack file of a topology (src/compose/stack.ts), read back with a YAML parser: Swarm's rules
 * (no build, depends_on or profiles; images by tag), placement constraints from the topology, replicas, and every
 * key and token a Docker secret that the programs read through *_FILE (the payment server's and the services'
 * own config loaders read the files written here).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@chanpay/payment-server';
import { readSecretEnv } from '@chanpay/protocol/node';
import { loadTopology, parseTopology, REPO_ROOT, TopologyError, type TopologyInput } from '../src';
import { composeOutput } from '../src/cli/compose';
import { freshStackSettings, interpolate, secretValues, stackEnv, stackFile, writeSecretFiles, type StackFile } from '../src/compose/stack';

interface StackService {
  image: string;
  environment: Record<string, string>;
  secrets?: string[];
  ports?: { target: string; published: string; mode: string }[];
  deploy: { replicas?: number; endpoint_mode: string; placement: { constraints: string[] }; restart_policy: Record<string, unknown> };
  [key: string]: unknown;
}
interface Stack {
  services: Record<string, StackService>;
  secrets: Record<string, { file: string }>;
  volumes?: Record<string, unknown>;
}

const parsed = (s: StackFile) => parse(s.text, { merge: true }) as Stack;
const render = (spec: string | TopologyInput, mode?: 'local' | 'remote') =>
  stackFile(typeof spec === 'string' ? loadTopology(spec, { overrides: mode ? { mode } : undefined }) : parseTopology(spec), {
    command: 'test',
  });

/** Names a secret would have as a plain variable. */
const SECRET_NAME = /(KEY|KEYS|TOKEN|TOKENS|ACCOUNTS)$/;

describe('the stack file of the thesis', () => {
  const stack = render('thesis', 'remote');
  const y = parsed(stack);

  test('is the committed compose/docker-stack.thesis.yml (npm run compose -- --topology thesis --mode remote --out compose)', () => {
    const files = composeOutput({ topology: 'thesis', mode: 'remote', out: path.join(REPO_ROOT, 'compose') });
    expect(files.stack.name).toBe('docker-stack.thesis.yml');
    expect(readFileSync(path.join(REPO_ROOT, 'compose', files.stack.name), 'utf8')).toBe(files.stack.text);
  });

  test("Swarm's rules: no build, depends_on or profiles; images by tag; dnsrr; host-mode ports; one replica each", () => {
    expect(Object.keys(y.services)).toEqual([
      'chain',
      'deploy',
      'payment-server-1',
      'payment-server-2',
      'random-number',
      'persistence',
      'public',
    ]);
    expect(stack.services).toEqual(Object.keys(y.services));
    expect(stack.oneShots).toEqual(['deploy']);
    for (const [name, s] of Object.entries(y.services)) {
      for (const key of ['build', 'depends_on', 'profiles', 'restart']) expect(`${name} ${key}: ${key in s}`).toBe(`${name} ${key}: false`);
      expect(s.image).toMatch(/^chanpay\/[a-z-]+:\$\{CHANPAY_TAG:-latest\}$/);
      expect(s.deploy.endpoint_mode).toBe('dnsrr');
      for (const p of s.ports ?? []) expect(p.mode).toBe('host');
      if (name !== 'deploy') expect(s.deploy.replicas).toBe(1);
    }
    expect(y.services.deploy!.deploy.restart_policy).toMatchObject({ condition: 'on-failure' });
    expect(y.services.public!.ports).toEqual([{ target: '${PUBLIC_PORT:-8003}', published: '${PUBLIC_PORT:-8003}', mode: 'host' }]);
    expect(y.services['payment-server-1']!.ports).toBeUndefined();
    expect(y.services.public!.environment.PAYMENT).toBe('${PAYMENT:-remote}');
  });

  test('placement: the chain on the chain node; payment servers and persistence on a stateful services node; the rest on any services node', () => {
    const constraints = Object.fromEntries(Object.entries(y.services).map(([n, s]) => [n, s.deploy.placement.constraints]));
    const chain = ['node.labels.chanpay.role == chain'];
    const services = ['node.labels.chanpay.role == services'];
    const stateful = [...services, 'node.labels.chanpay.stateful == true'];
    expect(constraints).toEqual({
      chain,
      deploy: chain,
      'payment-server-1': stateful,
      'payment-server-2': stateful,
      'random-number': services,
      persistence: stateful,
      public: services,
    });
  });

  test('keys and tokens are secrets under /run/secrets, read through *_FILE; none is an environment value', () => {
    const settings = freshStackSettings(stack);
    for (const [name, s] of Object.entries(y.services)) {
      for (const [k, v] of Object.entries(s.environment)) {
        if (k.endsWith('_FILE')) {
          const secret = /^\/run\/secrets\/([a-z0-9_]+)$/.exec(v)?.[1];
          expect(`${name} ${k} ${secret !== undefined && (s.secrets ?? []).includes(secret) && secret in y.secrets}`).toBe(
            `${name} ${k} true`,
          );
        } else expect(`${name} ${k}: ${SECRET_NAME.test(k)}`).toBe(`${name} ${k}: false`);
      }
    }
    expect(Object.keys(y.secrets)).toEqual(stack.secrets.map((s) => s.name));
    for (const [name, s] of Object.entries(y.secrets)) expect(s.file).toBe(`\${CHANPAY_SECRETS_DIR:?set CHANPAY_SECRETS_DIR}/${name}`);
    // No value of a key or token is in the file, nor in what `docker stack deploy` gets as its environment.
    const env = JSON.stringify(stackEnv(stack, settings, '/tmp/s'));
    for (const [k, v] of Object.entries(settings))
      if (/_(KEY|TOKEN)$/.test(k)) expect(`${k} ${stack.text.includes(v) || env.includes(v)}`).toBe(`${k} false`);
    expect(stackEnv(stack, settings, '/tmp/s')).toEqual({ CHANPAY_SECRETS_DIR: '/tmp/s', CONTRACT_ADDRESS: settings.CONTRACT_ADDRESS });
    // The admin token guards every service's /init, /redeem, /terminate.
    for (const n of ['random-number', 'persistence', 'public'])
      expect(y.services[n]!.environment.ADMIN_TOKEN_FILE).toBe('/run/secrets/admin_token');
  });

  test('the payment servers and the services read the secret files (their own config loaders, *_FILE)', () => {
    const settings = freshStackSettings(stack);
    const values = secretValues(stack, settings);
    const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-stack-'));
    try {
      writeSecretFiles(dir, values);
      const atSecrets = (env: Record<string, string>) =>
        Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, settings).replace('/run/secrets', dir)]));
      const ps1 = loadConfig(atSecrets(y.services['payment-server-1']!.environment as Record<string, string>));
      expect(ps1.accounts.map((a) => [a.name, a.privateKey])).toEqual([
        ['random-number', settings.RANDOM_NUMBER_KEY],
        ['persistence', settings.PERSISTENCE_KEY],
      ]);
      expect(ps1.tokens).toEqual([
        { token: settings.RANDOM_NUMBER_TOKEN, accounts: ['random-number'] },
        { token: settings.PERSISTENCE_TOKEN, accounts: ['persistence'] },
      ]);
      const ps2 = loadConfig(atSecrets(y.services['payment-server-2']!.environment as Record<string, string>));
      expect(ps2.accounts.map((a) => [a.name, a.privateKey, a.voucherKey])).toEqual([
        ['public', settings.PUBLIC_KEY, settings.PUBLIC_VOUCHER_KEY],
      ]);
      const pub = atSecrets(y.services.public!.environment as Record<string, string>);
      expect(readSecretEnv(pub, 'VOUCHER_KEY')).toBe(settings.PUBLIC_VOUCHER_KEY);
      expect(readSecretEnv(pub, 'PAYMENT_SERVER_TOKEN')).toBe(settings.PUBLIC_TOKEN);
      expect(readSecretEnv(pub, 'ADMIN_TOKEN')).toBe(settings.ADMIN_TOKEN);
      expect(values.chain_keys!.split(',')).toEqual([
        settings.DEPLOYER_KEY,
        settings.RANDOM_NUMBER_KEY,
        settings.PERSISTENCE_KEY,
        settings.PUBLIC_KEY,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing setting is an error naming it; defaults fill what is not set', () => {
    expect(() => secretValues(stack, {})).toThrow(/DEPLOYER_KEY is missing/);
    expect(interpolate('a${X:-1}b${Y:?set Y}', { Y: '2' })).toBe('a1b2');
  });
});

describe('the stack file of a generated topology', () => {
  test('chain:3: the workers on services nodes, replicas from the topology, no stateful pin without a volume', () => {
    const stack = render('chain:3');
    const y = parsed(stack);
    expect(Object.keys(y.services)).toEqual(['chain', 'deploy', 'payment-server-1', 'payment-server-2', 's0', 's1', 's2', 's3']);
    for (const s of ['s0', 's1', 's2', 's3']) {
      expect(y.services[s]!.deploy.placement.constraints).toEqual(['node.labels.chanpay.role == services']);
      expect(y.services[s]!.image).toBe('chanpay/worker:${CHANPAY_TAG:-latest}');
      expect(JSON.parse(y.services[s]!.environment.WORKER_CONFIG!).name).toBe(s);
    }
    expect(y.services.s0!.environment.VOUCHER_KEY_FILE).toBe('/run/secrets/s0_voucher_key');
    expect(y.services.s3!.environment.VOUCHER_KEY_FILE).toBeUndefined(); // the last hop pays nobody
    expect(stack.ports.get('s0')).toBe(8100);
  });

  test("the topology's placement section and a service's own placement decide the constraints", () => {
    const t = loadTopology('chain:2').source as TopologyInput;
    const input: TopologyInput = {
      ...t,
      placement: { label: 'tier', chain: 'eth', paymentServers: 'pay', services: 'app', stateful: false },
      services: t.services.map((s) => (s.name === 's2' ? { ...s, placement: 'edge' } : s)),
      teams: t.teams.map((team, i) => (i === 0 ? { ...team, paymentServer: { ...team.paymentServer, placement: 'vault' } } : team)),
    };
    const y = parsed(render(input));
    const c = (n: string) => y.services[n]!.deploy.placement.constraints;
    expect(c('chain')).toEqual(['node.labels.tier == eth']);
    expect(c('deploy')).toEqual(['node.labels.tier == eth']);
    expect(c('payment-server-1')).toEqual(['node.labels.tier == vault']);
    expect(c('payment-server-2')).toEqual(['node.labels.tier == pay']);
    expect(c('s0')).toEqual(['node.labels.tier == app']);
    expect(c('s2')).toEqual(['node.labels.tier == edge']);
  });

  test('placement is validated: a bad label is an issue with its path', () => {
    const t = loadTopology('chain:2').source as TopologyInput;
    expect(() => parseTopology({ ...t, placement: { chain: 'no spaces' } })).toThrow(TopologyError);
    expect(() => parseTopology({ ...t, placement: { chain: 'no spaces' } })).toThrow(/placement\.chain/);
    expect(() => parseTopology({ ...t, placement: { bogus: 1 } as never })).toThrow(/placement/);
    expect(loadTopology('chain:2').placement).toEqual({
      label: 'chanpay.role',
      chain: 'chain',
      paymentServers: 'services',
      services: 'services',
      stateful: 'chanpay.stateful',
    });
  });

  test('without payment: the services only, PAYMENT=off, no chain, no payment server, only the admin token as a secret', () => {
    const t = loadTopology('chain:2', { overrides: { mode: 'off' } });
    const stack = stackFile(t, { command: 'test', paid: false });
    const y = parsed(stack);
    expect(Object.keys(y.services)).toEqual(['s0', 's1', 's2']);
    expect(Object.keys(y.secrets)).toEqual(['admin_token']);
    for (const s of Object.values(y.services)) expect(s.environment.PAYMENT).toBe('off');
    expect(stack.text).not.toMatch(/CONTRACT_ADDRESS/);
  });
});

describe('the stack file of a team on PostgreSQL with replicas (examples/replicated.json)', () => {
  const stack = render(path.join(REPO_ROOT, 'scripts/topology/examples/replicated.json'));
  const y = parsed(stack);

  test('one PostgreSQL beside the payment servers; the replicas by Swarm, found by DNS round robin, unpublished', () => {
    expect(Object.keys(y.services)).toEqual([
      'chain',
      'deploy',
      'postgres',
      'payment-server-front',
      'payment-server-back',
      'gateway',
      'work',
    ]);
    const pg = y.services.postgres!;
    expect(pg.image).toBe('chanpay/postgres:${CHANPAY_TAG:-latest}');
    expect(pg.environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
    expect(pg.environment.CHANPAY_DATABASES).toBe('ps_payment_server_back,state_work');
    expect(pg.deploy.placement.constraints).toEqual(['node.labels.chanpay.role == services', 'node.labels.chanpay.stateful == true']);
    expect(pg.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(pg.ports).toBeUndefined();
    const back = y.services['payment-server-back']!;
    expect(back.deploy.replicas).toBe(2);
    expect(back.environment.PS_DB_URL_FILE).toBe('/run/secrets/payment_server_back_db_url');
    expect(back.volumes).toBeUndefined(); // no SQLite file: no node pin
    expect(back.deploy.placement.constraints).toEqual(['node.labels.chanpay.role == services']);
    expect(y.services['payment-server-front']!.deploy.replicas).toBe(1);
    const work = y.services.work!;
    expect([work.deploy.replicas, work.deploy.endpoint_mode, work.ports]).toEqual([3, 'dnsrr', undefined]);
    expect(work.environment.PROVIDER_STATE_URL_FILE).toBe('/run/secrets/work_state_url');
    expect(y.services.gateway!.ports).toEqual([{ target: '${GATEWAY_PORT:-8100}', published: '${GATEWAY_PORT:-8100}', mode: 'host' }]);
  });

  test('the database URLs are secrets naming the password, read by the payment server and the provider as *_FILE', () => {
    const settings = freshStackSettings(stack);
    expect(settings.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    const secrets = secretValues(stack, settings);
    expect(secrets.payment_server_back_db_url).toBe(
      `postgres://chanpay:${settings.POSTGRES_PASSWORD}@postgres:5432/ps_payment_server_back`,
    );
    expect(secrets.work_state_url).toBe(`postgres://chanpay:${settings.POSTGRES_PASSWORD}@postgres:5432/state_work`);
    expect(secrets.postgres_password).toBe(settings.POSTGRES_PASSWORD);
    expect(stack.text).not.toContain(settings.POSTGRES_PASSWORD!);
  });
});
