/**
 * The committed thesis stack file (rendered from the thesis topology) and its secrets without a Swarm: `docker stack
 * config` (the docker CLI, offline) renders it as `docker stack deploy` would read it, and the payment server reads
 * the secret files the renderer's values give.
 * The deployment itself is checked by integration-tests/test/swarm/swarm-labs.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chanpay/payment-server';
import { freshStackSettings, loadTopology, secretValues, stackEnv, stackFile, writeSecretFiles } from '@chanpay/topology';
import { THESIS_SERVICES, THESIS_STACK_FILE } from '../swarm/thesis';
import { prepareStack } from '../swarm/topology-stack';
import { composeOutput } from '../topology/src/cli/compose';

const ROOT = path.resolve(__dirname, '../..');
// `docker stack config` renders a stack file offline; Debian's 20.10 CLI does not have it (deploy works with it).
const hasDockerCli = /^\s+config\s/m.test(spawnSync('docker', ['stack', '--help'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '');
if (!hasDockerCli)
  process.stderr.write(
    'swarm stack file checks skipped: this docker CLI has no `docker stack config` (the CLI 28 here has; deploying works with either)\n',
  );
const withCli = hasDockerCli ? test : test.skip;

/** The rendered stack's `services:` section, one text block per service. */
function serviceBlocks(rendered: string): Record<string, string> {
  const section = rendered.split(/^services:$/m)[1]?.split(/^\S/m)[0] ?? '';
  const blocks: Record<string, string> = {};
  for (const part of section.split(/^(?= {2}[a-z0-9-]+:$)/m)) {
    const name = /^ {2}([a-z0-9-]+):$/m.exec(part)?.[1];
    if (name) blocks[name] = part;
  }
  return blocks;
}

describe('the thesis stack file and its secrets', () => {
  const stack = stackFile(loadTopology('thesis', { overrides: { mode: 'remote' } }), { command: 'test' });
  const settings = freshStackSettings(stack);
  const secrets = secretValues(stack, settings);
  const thesisStackEnv = (s: Record<string, string>, dir: string) => stackEnv(stack, s, dir);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-stack-secrets-'));
    writeSecretFiles(dir, secrets);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const render = (env: Record<string, string>) =>
    spawnSync('docker', ['stack', 'config', '-c', THESIS_STACK_FILE], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    });

  withCli(
    'renders for docker stack deploy: every service, no build / depends_on / profiles, host-mode ports, dnsrr, label constraints',
    () => {
      const r = render(thesisStackEnv(settings, dir));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = r.stdout;
      expect(out).not.toMatch(/^\s+(build|depends_on|profiles):/m);
      const blocks = serviceBlocks(out);
      expect(Object.keys(blocks).sort()).toEqual([...THESIS_SERVICES].sort());
      for (const [name, block] of Object.entries(blocks)) {
        expect(`${name}: ${/endpoint_mode: dnsrr/.test(block)}`).toBe(`${name}: true`);
        const role = name === 'chain' || name === 'deploy' ? 'chain' : 'services';
        expect(`${name}: ${block.includes(`- node.labels.chanpay.role == ${role}`)}`).toBe(`${name}: true`);
        const stateful = ['payment-server-1', 'payment-server-2', 'persistence'].includes(name);
        expect(`${name}: ${block.includes('- node.labels.chanpay.stateful == true')}`).toBe(`${name}: ${stateful}`);
        for (const mode of block.match(/mode: (host|ingress)/g) ?? []) expect(`${name}: ${mode}`).toBe(`${name}: mode: host`);
        expect(block).toMatch(/image: chanpay\/[a-z-]+:latest/);
      }
      for (const name of ['chain', 'random-number', 'persistence', 'public']) expect(blocks[name]).toMatch(/mode: host/);
      expect(blocks['payment-server-1']).toContain(`PS_CONTRACT_ADDRESS: ${settings.CONTRACT_ADDRESS}`);
    },
  );

  withCli('keys and tokens reach the stack only as secret files: none of their values is in the rendered stack', () => {
    const out = render(thesisStackEnv(settings, dir)).stdout;
    for (const [name, value] of Object.entries(settings))
      if (/_(KEY|TOKEN)$/.test(name)) expect(`${name} ${out.includes(value)}`).toBe(`${name} false`);
    // Every secret the services mount is one the lab writes, and the other way round.
    const mounted = new Set([...out.matchAll(/\/run\/secrets\/([a-z0-9_]+)/g)].map((m) => m[1]));
    const files = new Set(
      [...out.matchAll(new RegExp(`file: ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/([a-z0-9_]+)`, 'g'))].map((m) => m[1]),
    );
    expect([...mounted].sort()).toEqual(Object.keys(secrets).sort());
    expect([...files].sort()).toEqual(Object.keys(secrets).sort());
  });

  withCli('refuses to render without the secrets folder or the contract address', () => {
    const { CHANPAY_SECRETS_DIR: _dir, ...noDir } = thesisStackEnv(settings, dir);
    expect(render(noDir).status).not.toBe(0);
    expect(render(noDir).stderr).toMatch(/set CHANPAY_SECRETS_DIR/);
    const { CONTRACT_ADDRESS: _addr, ...noContract } = thesisStackEnv(settings, dir);
    expect(render(noContract).stderr).toMatch(/set CONTRACT_ADDRESS/);
  });

  test('the payment servers read their accounts and tokens from the secret files the lab writes', () => {
    const ps1 = loadConfig({
      PS_ACCOUNTS_FILE: path.join(dir, 'payment_server_1_accounts'),
      PS_TOKENS_FILE: path.join(dir, 'payment_server_1_tokens'),
    });
    expect(ps1.accounts.map((a) => [a.name, a.privateKey])).toEqual([
      ['random-number', settings.RANDOM_NUMBER_KEY],
      ['persistence', settings.PERSISTENCE_KEY],
    ]);
    expect(ps1.tokens).toEqual([
      { token: settings.RANDOM_NUMBER_TOKEN, accounts: ['random-number'] },
      { token: settings.PERSISTENCE_TOKEN, accounts: ['persistence'] },
    ]);
    const ps2 = loadConfig({
      PS_ACCOUNTS_FILE: path.join(dir, 'payment_server_2_accounts'),
      PS_TOKENS_FILE: path.join(dir, 'payment_server_2_tokens'),
    });
    expect(ps2.accounts.map((a) => a.name)).toEqual(['public']);
    expect(secrets.chain_keys!.split(',')).toEqual([
      settings.DEPLOYER_KEY,
      settings.RANDOM_NUMBER_KEY,
      settings.PERSISTENCE_KEY,
      settings.PUBLIC_KEY,
    ]);
  });

  test('npm run swarm-lab: --help lists the commands; an unknown command or option is one line of error, then the usage', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/swarm/cli.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const help = cli('--help');
    expect(help.status).toBe(0);
    for (const c of ['probe', 'up', 'down', 'secrets', '--nodes', '--all', '--out']) expect(help.stdout).toContain(c);
    for (const [args, message] of [
      [['frob'], 'unknown command: frob'],
      [['up', '--bogus'], 'unknown option for up: --bogus'],
      [['secrets', '--out'], '--out needs a value'],
    ] as const) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stderr).toContain('usage: npm run swarm-lab');
    }
  }, 60_000);

  test('npm run scenario -- swarm: --help lists its options; a missing topology or a bad value is one line of error, then the usage', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/scenario.ts'), 'swarm', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const help = cli('--help');
    expect(help.status).toBe(0);
    for (const o of ['--topology', '--no-payment', '--down', '--mode', '--load-into', '--challenge-period', '--out'])
      expect(help.stdout).toContain(o);
    for (const [args, message] of [
      [[], '--topology is missing'],
      [['--topology', 'chain:3', '--mode', 'fast'], '--mode must be local or remote, got "fast"'],
      [['--topology', 'chain:3', '--challenge-period', '0'], '--challenge-period must be a whole number of seconds, got "0"'],
      [['--bogus'], "Unknown option '--bogus'"],
    ] as const) {
      const r = cli(...args);
      expect(`${args.join(' ')}: ${r.status}`).toBe(`${args.join(' ')}: 2`);
      expect(r.stderr.split('\n')[0]).toContain(message);
      expect(r.stderr).toContain('usage: npm run scenario -- swarm');
    }
    // The scenario command lists it.
    expect(
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/scenario.ts'), '--help'], { cwd: ROOT, encoding: 'utf8' })
        .stdout,
    ).toContain('swarm');
  }, 90_000);

  test('prepareStack writes the stack file npm run compose writes, the secrets (600 in a 700 folder), and reuses its settings', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'chanpay-prepare-'));
    try {
      const first = prepareStack({ topology: 'thesis', mode: 'remote', outDir: out });
      expect(first.name).toBe('thesis');
      expect(readFileSync(first.file, 'utf8')).toBe(composeOutput({ topology: 'thesis', mode: 'remote', out }).stack.text);
      expect(statSync(first.secretsDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(first.secretsDir).sort();
      expect(files).toEqual([...first.stack.secrets.map((x) => x.name), 'settings.json'].sort());
      for (const f of files) expect(`${f} ${(statSync(path.join(first.secretsDir, f)).mode & 0o777).toString(8)}`).toBe(`${f} 600`);
      expect(readFileSync(path.join(first.secretsDir, 'deployer_key'), 'utf8')).toBe(`${first.settings.DEPLOYER_KEY}\n`);
      // A second deploy of the stack keeps its keys (Swarm secrets cannot change in place); overrides still apply.
      const again = prepareStack({ topology: 'thesis', mode: 'remote', outDir: out, overrides: { CHALLENGE_PERIOD: '5' } });
      expect(again.settings.DEPLOYER_KEY).toBe(first.settings.DEPLOYER_KEY);
      expect(again.env).toEqual({
        CHANPAY_SECRETS_DIR: first.secretsDir,
        CONTRACT_ADDRESS: first.settings.CONTRACT_ADDRESS,
        CHALLENGE_PERIOD: '5',
      });
      // A challenge period of its own is rendered into the file (the workers' configurations hold it).
      const short = prepareStack({ topology: 'chain:2', outDir: out, challengePeriod: 3 });
      expect(short.stack.text).toContain('"challengePeriod":3');
      expect(short.stack.text).toContain('npm run scenario -- swarm --topology chain:2 --challenge-period 3');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
