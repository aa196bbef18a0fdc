/** Compose files from a topology: the thesis files in compose/ are generated, and any topology gives valid files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWorkerConfig } from '@chanpay/service-worker';
import { composeFiles, loadTopology, parseTopology, REPO_ROOT, type TopologyInput } from '../src';
import { composeOutput } from '../src/cli/compose';
import { scalar } from '../src/compose/yaml';
import { parse } from 'yaml';

const COMPOSE_DIR = path.join(REPO_ROOT, 'compose');

test('compose/docker-compose.example-network.yml and docker-compose.no-payment.yml are what the thesis topology gives', () => {
  // Regenerate with: npm run compose -- --topology thesis --mode remote --out compose
  const files = composeOutput({ topology: 'thesis', mode: 'remote', out: COMPOSE_DIR });
  expect(readFileSync(path.join(COMPOSE_DIR, files.payment.name), 'utf8')).toBe(files.payment.text);
  expect(readFileSync(path.join(COMPOSE_DIR, files.noPayment.name), 'utf8')).toBe(files.noPayment.text);
  expect([files.payment.name, files.noPayment.name]).toEqual(['docker-compose.example-network.yml', 'docker-compose.no-payment.yml']);
});

test('the thesis files use only the variables compose/.env.example sets', () => {
  const example = readFileSync(path.join(COMPOSE_DIR, '.env.example'), 'utf8');
  const defined = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const files = composeOutput({ topology: 'thesis', mode: 'remote', out: COMPOSE_DIR });
  const used = new Set([...(files.payment.text + files.noPayment.text).matchAll(/\$\{([A-Z0-9_]+)[:}]/g)].map((m) => m[1]));
  expect([...used].filter((v) => !defined.has(v))).toEqual([]);
});

/** The services of a compose file, in order. */
const servicesOf = (text: string) =>
  [
    ...text
      .slice(text.indexOf('\nservices:\n'))
      .split('\nvolumes:\n')[0]!
      .matchAll(/^ {2}([a-z0-9-]+):$/gm),
  ].map((m) => m[1]);

/** The WORKER_CONFIG of every worker in a file, with the file's defaults filled in for its variables. */
function workerConfigs(text: string): ReturnType<typeof parseWorkerConfig>[] {
  return [...text.matchAll(/^ {6}WORKER_CONFIG: '(.*)'$/gm)].map((m) =>
    parseWorkerConfig(JSON.parse(m[1]!.replace(/''/g, "'").replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1'))),
  );
}

describe('a generated topology', () => {
  const files = composeOutput({ topology: 'ba:12,7', out: path.join(REPO_ROOT, 'compose') });

  test('gets a service per worker with its WORKER_CONFIG, a payment server per team, the chain, deploy and the visualizer', () => {
    const services = servicesOf(files.payment.text);
    expect(services).toEqual([
      'chain',
      'deploy',
      'payment-server-1',
      'payment-server-2',
      ...Array.from({ length: 12 }, (_, i) => `s${i}`),
      'visualizer',
    ]);
    const configs = workerConfigs(files.payment.text);
    expect(configs.map((c) => c.name)).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));
    const t = loadTopology('ba:12,7');
    for (const c of configs) {
      const s = t.services.find((x) => x.name === c.name)!;
      expect(c.groups.flatMap((g) => g.calls.map((call) => [call.to, call.url]))).toEqual(
        s.groups.flatMap((g) => g.calls.map((e) => [e.to, `http://${e.to}:${8100 + Number(e.to.slice(1))}`])),
      );
      // One mode for every edge: PAYMENT switches them all, so the calls name none.
      expect(c.groups.flatMap((g) => g.calls.map((call) => call.payment.mode))).toEqual(
        c.groups.flatMap((g) => g.calls.map(() => undefined)),
      );
    }
    expect(files.payment.text).toContain('PAYMENT: ${PAYMENT:-local}');
  });

  test('the no-payment file has the same services, unpaid, and nothing else', () => {
    const services = servicesOf(files.noPayment.text);
    expect(services).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));
    expect(files.noPayment.text).not.toMatch(/PAYMENT_SERVER|_KEY|_TOKEN|chain:/);
    expect((files.noPayment.text.match(/PAYMENT: "off"/g) ?? []).length).toBe(12);
    expect(workerConfigs(files.noPayment.text).every((c) => c.price === '0')).toBe(true);
  });

  test("the env file has a value for every variable the files require, and the deployer's contract address", () => {
    const env = Object.fromEntries([...files.env.text.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const required = [...files.payment.text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!);
    expect(required.filter((v) => !env[v])).toEqual([]);
    expect(env.CONTRACT_ADDRESS).toMatch(/^0x[0-9a-f]{40}$/);
    expect(env.S0_VOUCHER_KEY).toMatch(/^0x[0-9a-f]{64}$/);
  });

  test('keeps every ports: entry on one line (the host-network override of scripts/docker removes them by line)', () => {
    for (const line of files.payment.text.split('\n').filter((l) => l.includes('ports:'))) expect(line).toMatch(/^ {4}ports: \[".*"\]$/);
  });
});

test('mixed payment modes are written per service and per call, without a PAYMENT switch', () => {
  const input = loadTopology('chain:2').source;
  input.calls.s1![0]!.calls[0]!.payment = { mode: 'remote' };
  const mixed = composeFiles(parseTopology(input), loadTopology('chain:2', { overrides: { mode: 'off' } }), { command: 'test' });
  expect(mixed.payment.text).not.toContain('${PAYMENT:-');
  const configs = workerConfigs(mixed.payment.text);
  expect(configs.map((c) => c.groups.flatMap((g) => g.calls.map((x) => x.payment.mode)))).toEqual([['local'], ['remote'], []]);
});

test('YAML scalars: plain where YAML reads them back, quoted where it would not', () => {
  expect(scalar('http://chain:${CHAIN_PORT:-8545}')).toBe('http://chain:${CHAIN_PORT:-8545}');
  expect(scalar('off')).toBe('"off"');
  expect(scalar('8001')).toBe('"8001"');
  expect(scalar('{"a":1}')).toBe('\'{"a":1}\'');
  expect(scalar("it's: x")).toBe("'it''s: x'");
});

const composeInstalled = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!composeInstalled) process.stderr.write('compose config check of generated files skipped: no docker-compose\n');

(composeInstalled ? test : test.skip).each(['ba:12,7', 'diamond', 'fanout:2,2,mode=remote', 'chain:3,prepay=5'])(
  '%s: Compose 1.29 accepts both files (compose config)',
  (spec) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-compose-'));
    const files = composeOutput({ topology: spec, out: dir });
    for (const f of [files.payment, files.noPayment, files.env]) writeFileSync(path.join(dir, f.name), f.text);
    for (const f of [files.payment, files.noPayment]) {
      const r = spawnSync('docker-compose', ['--env-file', path.join(dir, files.env.name), '-f', path.join(dir, f.name), 'config', '-q'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect([f.name, r.status, r.stderr.trim()]).toEqual([f.name, 0, '']);
    }
  },
);

describe('a team on PostgreSQL with replicas (examples/replicated.json)', () => {
  const files = composeOutput({ topology: path.join(REPO_ROOT, 'scripts/topology/examples/replicated.json'), out: COMPOSE_DIR });
  const y = parse(files.payment.text, { merge: true }) as {
    services: Record<
      string,
      {
        image: string;
        build: Record<string, unknown>;
        environment: Record<string, string>;
        depends_on?: Record<string, unknown>;
        volumes?: string[];
        command?: string[];
      }
    >;
  };

  test('PostgreSQL, each replica a container on its own port, a proxy at the name the callers use', () => {
    expect(Object.keys(y.services)).toEqual([
      'chain',
      'deploy',
      'postgres',
      'payment-server-front',
      'payment-server-back',
      'payment-server-back-1',
      'payment-server-back-2',
      'gateway',
      'work',
      'work-1',
      'work-2',
      'work-3',
      'visualizer',
    ]);
    const pg = y.services.postgres!;
    expect(pg.build).toMatchObject({
      dockerfile: 'docker/postgres/Dockerfile',
      args: { POSTGRES_IMAGE: '${POSTGRES_IMAGE:-postgres:15-bookworm}' },
    });
    expect(pg.command).toEqual(['postgres', '-p', '${POSTGRES_PORT:-5432}']);
    expect(pg.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    const proxy = y.services['payment-server-back']!;
    expect(proxy.image).toBe('chanpay/proxy:${CHANPAY_TAG:-latest}');
    expect(proxy.environment.PROXY_TARGETS).toBe(
      'http://payment-server-back-1:${PAYMENT_SERVER_BACK_1_PORT:-3103},http://payment-server-back-2:${PAYMENT_SERVER_BACK_2_PORT:-3104}',
    );
    expect(Object.keys(proxy.depends_on!)).toEqual(['payment-server-back-1', 'payment-server-back-2']);
    const replica = y.services['payment-server-back-2']!;
    expect(replica.environment.PS_PORT).toBe('${PAYMENT_SERVER_BACK_2_PORT:-3104}');
    expect(replica.environment.PS_DB_URL).toMatch(
      /^postgres:\/\/chanpay:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:\$\{POSTGRES_PORT:-5432\}\/ps_payment_server_back$/,
    );
    expect(replica.volumes).toBeUndefined();
    expect(Object.keys(replica.depends_on!)).toEqual(['deploy', 'postgres']);
    // The callers use the proxies; the worker replicas share their state on PostgreSQL.
    expect(y.services['work-1']!.environment.PAYMENT_SERVER_URL).toBe('http://payment-server-back:${PAYMENT_SERVER_BACK_PORT:-3102}');
    expect(y.services['work-3']!.environment.PROVIDER_STATE_URL).toMatch(/@postgres:\$\{POSTGRES_PORT:-5432\}\/state_work$/);
    expect(JSON.parse(y.services.gateway!.environment.WORKER_CONFIG!).groups[0].calls[0].url).toBe('http://work:${WORK_PORT:-8101}');
    expect(files.env.text).toMatch(/^POSTGRES_IMAGE=postgres:15-bookworm$/m);
  });

  test('without payment: the replicas behind their proxy, no PostgreSQL, no shared state', () => {
    const services = servicesOf(files.noPayment.text);
    expect(services).toEqual(['gateway', 'work', 'work-1', 'work-2', 'work-3']);
    expect(files.noPayment.text).not.toContain('PROVIDER_STATE_URL');
  });

  test('replicas of a payment server on SQLite are refused with the field named', () => {
    const t = loadTopology(path.join(REPO_ROOT, 'scripts/topology/examples/replicated.json')).source as TopologyInput;
    const teams = t.teams.map((team) =>
      team.name === 'back' ? { ...team, paymentServer: { replicas: 2, store: 'sqlite' as const } } : team,
    );
    expect(() => parseTopology({ ...t, teams })).toThrow(
      /teams\[1\]\.paymentServer\.store: replicas of a payment server share one PostgreSQL store/,
    );
  });
});
