/**
 * One Docker engine in a node's network namespace: its own data root, exec root, pidfile, socket, cgroup parent
 * and hostname (a UTS namespace), so it shares nothing with the host's engine or the lab's other engines. Its
 * bridges and iptables rules live in its namespace. `crash()` kills it the way a machine dies: dockerd,
 * containerd, the shims and every container at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { run, type RunOptions, type RunResult } from './run';
import { killNetnsProcesses, unmountUnder } from './reap';
import { sleep, waitFor } from './wait';
import type { EngineState } from './lab-state';
import type { LabNode } from './netns';

export interface EngineOptions {
  node: LabNode;
  /** The engine's folder: data/, exec/, docker.sock, dockerd.log, dockerd.pid. */
  dir: string;
  /** cgroup parent of its containers, e.g. /cpsw-<id>-n1. */
  cgroupParent: string;
  hostname: string;
  startTimeoutMs?: number;
}

/** What a Swarm manager is reached through: the docker CLI and the API (a lab's engine, or the current one: currentEngine()). */
export interface DockerEndpoint {
  readonly name: string;
  readonly client: Docker;
  docker(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** The engine the docker CLI talks to here (DOCKER_HOST, else the default socket): a Swarm manager for `docker stack deploy`. */
export function currentEngine(): DockerEndpoint {
  return {
    name: process.env.DOCKER_HOST ?? 'the default engine',
    // dockerode reads DOCKER_HOST itself, as the CLI does.
    client: new Docker(),
    docker: (args, opts = {}) => run('docker', args, { timeoutMs: 60_000, ...opts, env: { ...process.env, ...opts.env } }),
  };
}

export class Engine implements DockerEndpoint {
  readonly name: string;
  readonly address: string;
  readonly netns: string;
  readonly socket: string;
  readonly client: Docker;
  private exited = false;

  private constructor(
    readonly options: EngineOptions,
    private readonly child: ChildProcess,
  ) {
    this.name = options.node.name;
    this.address = options.node.address;
    this.netns = options.node.netns;
    this.socket = path.join(options.dir, 'docker.sock');
    this.client = new Docker({ socketPath: this.socket, timeout: 30_000 });
    child.once('exit', () => (this.exited = true));
  }

  get state(): EngineState {
    return { name: this.name, netns: this.netns, dir: this.options.dir, cgroupParent: this.options.cgroupParent };
  }

  get logFile(): string {
    return path.join(this.options.dir, 'dockerd.log');
  }

  /** Starts dockerd in the node's namespace and waits (bounded) until it answers on its socket. */
  static async start(options: EngineOptions): Promise<Engine> {
    const { dir } = options;
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    mkdirSync(path.join(dir, 'exec'), { recursive: true });
    const log = openSync(path.join(dir, 'dockerd.log'), 'a');
    const dockerd = [
      'dockerd',
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'dockerd.pid'),
      '-H',
      `unix://${path.join(dir, 'docker.sock')}`,
      '--cgroup-parent',
      options.cgroupParent,
      '--shutdown-timeout',
      '5',
    ];
    // nsenter joins the node's network namespace without ip-netns-exec's remount of /sys (which hides the
    // cgroup mounts dockerd needs); unshare gives the node its own hostname, which Swarm shows as the node's.
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${options.node.netns}`,
        '--',
        'unshare',
        '--uts',
        '--',
        'sh',
        '-c',
        'hostname "$0" && exec "$@"',
        options.hostname,
        ...dockerd,
      ],
      {
        // Its own process group: a Ctrl-C in the terminal reaches this process, whose cleanup stops the engine in
        // order (stack rm, swarm leave, SIGTERM), instead of reaching dockerd directly.
        detached: true,
        stdio: ['ignore', log, log],
        // Never try a registry for a service's image: the lab's images are loaded on every node, none can be pulled.
        env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
      },
    );
    closeSync(log);
    const engine = new Engine(options, child);
    try {
      await waitFor(
        `dockerd ${options.node.name} answers on ${engine.socket}`,
        async () => {
          if (engine.exited) throw new Error(`dockerd exited: ${engine.logTail(3)}`);
          await engine.client.ping();
          return true;
        },
        { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 200 },
        () => (engine.exited ? `dockerd exited: ${engine.logTail(3)}` : `log: ${engine.logTail(2)}`),
      );
    } catch (e) {
      await engine.crash();
      throw e;
    }
    return engine;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The docker CLI against this engine. */
  docker(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, DOCKER_HOST: `unix://${this.socket}` };
    delete env.DOCKER_CONTEXT;
    return run('docker', args, { timeoutMs: 60_000, ...opts, env });
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM and a bounded wait (dockerd stops its containers first); whatever is left is then killed. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.exited && this.child.pid) {
      process.kill(this.child.pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (!this.exited && Date.now() < deadline) await sleep(100);
    }
    await this.crash();
  }

  /** Kills every process of this engine and its containers at once (a node that dies), then frees its mounts. */
  async crash(): Promise<number> {
    const killed = await killNetnsProcesses(this.netns);
    await unmountUnder(this.options.dir);
    return killed;
  }
}
