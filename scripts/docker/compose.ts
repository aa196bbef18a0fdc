/**
 * Runs the Compose CLI (v1 `docker-compose` 1.29 or v2 `docker compose`) on the scenario files. Compose does what
 * the files say (order, health conditions, volumes); the runner (scenario.ts) watches the containers through
 * dockerode.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let cli: string[] | undefined;

/** `docker-compose` when installed (Compose 1.29 here), else the `docker compose` plugin. */
export function composeCli(): string[] {
  if (cli) return cli;
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) cli = ['docker-compose'];
  else if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) cli = ['docker', 'compose'];
  else throw new Error('neither docker-compose nor the docker compose plugin is installed');
  return cli;
}

export interface ComposeProject {
  project: string;
  files: string[];
  envFile: string;
  /** Where relative paths in the files resolve (needed when a file was rewritten into a temp folder). */
  projectDirectory?: string;
  /** Override values of the env file (the process environment wins over it in both Compose versions). */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one compose command; bounded in time (the process is killed after `timeoutMs`). */
export function compose(
  p: ComposeProject,
  args: string[],
  opts: { timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  const [cmd, ...pre] = composeCli();
  const fileArgs = p.files.flatMap((f) => ['-f', f]);
  const dirArgs = p.projectDirectory ? ['--project-directory', p.projectDirectory] : [];
  const child = spawn(cmd!, [...pre, '--env-file', p.envFile, ...dirArgs, ...fileArgs, '-p', p.project, ...args], {
    env: { ...process.env, ...p.env, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const feed = (chunk: Buffer, into: 'out' | 'err') => {
    const text = chunk.toString();
    if (into === 'out') stdout += text;
    else stderr += text;
    if (opts.onLine) for (const line of text.split('\n')) if (line.trim()) opts.onLine(line.trimEnd());
  };
  child.stdout.on('data', (c: Buffer) => feed(c, 'out'));
  child.stderr.on('data', (c: Buffer) => feed(c, 'err'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${composeCli().join(' ')} ${args.join(' ')} took longer than ${(opts.timeoutMs ?? 0) / 1000} s\n${stderr.slice(-2000)}`),
      );
    }, opts.timeoutMs ?? 300_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Service names of a project's files, as Compose resolves them. */
export async function services(p: ComposeProject): Promise<string[]> {
  const r = await compose(p, ['config', '--services'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`compose config failed: ${r.stderr.trim()}`);
  return r.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

const tempDir = () => {
  const dir = path.join(os.tmpdir(), 'chanpay-compose');
  mkdirSync(dir, { recursive: true });
  return dir;
};

/**
 * A copy of a scenario file without its published ports, which Compose 1.29 refuses next to the host network
 * ("host" network_mode is incompatible with port_bindings). The scenario files keep each `ports:` on one line
 * for this.
 */
export function writeWithoutPorts(file: string): string {
  const text = readFileSync(file, 'utf8');
  const stripped = text
    .split('\n')
    .filter((line) => !/^\s+ports:\s*\[.*\]\s*$/.test(line))
    .join('\n');
  if (/^\s+ports:/m.test(stripped))
    throw new Error(`${file}: write each service's ports: [...] on one line (the host-network mode removes them)`);
  const out = path.join(tempDir(), `${path.basename(file, '.yml')}.no-ports.${process.pid}.${Date.now()}.yml`);
  writeFileSync(out, stripped);
  return out;
}

/**
 * An override that puts every service on the host's network, all traffic on 127.0.0.1: each service name maps
 * to 127.0.0.1 (so http://chain:8545 still works) and every server binds 127.0.0.1 only. Published ports are
 * removed beforehand (writeWithoutPorts). Written as JSON, which every YAML reader accepts.
 */
export function writeHostNetworkOverride(serviceNames: string[], dir = tempDir()): string {
  const extraHosts = serviceNames.map((s) => `${s}:127.0.0.1`);
  const environment = {
    HOST: '127.0.0.1',
    PS_HOST: '127.0.0.1',
    CHAIN_HOST: '127.0.0.1',
    VISUALIZER_HOST: '127.0.0.1',
    PROMETHEUS_LISTEN: '127.0.0.1',
  };
  const doc = {
    services: Object.fromEntries(serviceNames.map((s) => [s, { network_mode: 'host', extra_hosts: extraHosts, environment }])),
  };
  const file = path.join(dir, `host-network.${process.pid}.${Date.now()}.yml`);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}
