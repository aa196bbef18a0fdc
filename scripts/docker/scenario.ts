/**
 * The compose scenarios as objects: start one (Compose does the ordering), wait until every container is healthy
 * (or, for one-shots, exited 0) by watching it through dockerode, run its smoke call on 127.0.0.1, stream its
 * logs, sample each container's CPU and memory, and tear it down with its volumes.
 */
import net from 'node:net';
import path from 'node:path';
import type Docker from 'dockerode';
import { compose, services, writeHostNetworkOverride, writeWithoutPorts, type ComposeProject } from './compose';
import { demuxLines, docker } from './engine';
import { COMPOSE_DIR, envFilePath, readEnv } from './env';

export const SCENARIOS = {
  /** The thesis's docker-compose.yml: a chain and one payment server (and the visualizer). */
  chain: { file: 'docker-compose.yml', oneShots: ['deploy'], test: undefined },
  /** The example network with payments: chain, two payment servers, random-number, persistence, public. */
  payment: { file: 'docker-compose.example-network.yml', oneShots: ['deploy'], test: undefined },
  /** The same three services without payment, chain or payment servers. */
  'no-payment': { file: 'docker-compose.no-payment.yml', oneShots: [], test: undefined },
  /** A chain, one payment server and the test container, which runs the payment life cycle and exits. */
  'integration-test': { file: 'docker-compose.integration-test.yml', oneShots: ['deploy'], test: 'integration-test' },
  /** The example network with payments and a Prometheus server scraping each of its processes. */
  metrics: {
    file: 'docker-compose.example-network.yml',
    also: ['docker-compose.prometheus.yml'],
    oneShots: ['deploy'],
    test: undefined,
  },
} as const satisfies Record<string, { file: string; also?: readonly string[]; oneShots: readonly string[]; test: string | undefined }>;

/** The compose files of a scenario, in the order given to Compose. */
export function scenarioFiles(name: ScenarioName): string[] {
  const s: { file: string; also?: readonly string[] } = SCENARIOS[name];
  return [s.file, ...(s.also ?? [])].map((f) => path.join(COMPOSE_DIR, f));
}

/** Scenarios with a Prometheus server (their image is built beside the others). */
export const usesPrometheus = (name: ScenarioName): boolean => scenarioFiles(name).some((f) => f.endsWith('docker-compose.prometheus.yml'));

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** The port settings of compose/.env.example; `freePorts()` gives each a free port of this machine instead. */
export const PORT_VARS = [
  'CHAIN_PORT',
  'PAYMENT_SERVER_PORT',
  'PAYMENT_SERVER_1_PORT',
  'PAYMENT_SERVER_2_PORT',
  'PERSISTENCE_PORT',
  'RANDOM_NUMBER_PORT',
  'PUBLIC_PORT',
  'VISUALIZER_PORT',
  'PROMETHEUS_PORT',
] as const;

export async function freePorts(): Promise<Record<(typeof PORT_VARS)[number], string>> {
  const servers = await Promise.all(
    PORT_VARS.map(
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => String((s.address() as net.AddressInfo).port));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return Object.fromEntries(PORT_VARS.map((v, i) => [v, ports[i]!])) as Record<(typeof PORT_VARS)[number], string>;
}

export interface ScenarioOptions {
  /** Compose project name; default chanpay-<scenario>. */
  project?: string;
  /** All containers on the host's network, traffic on 127.0.0.1 (what the tests and CI use). */
  hostNetwork?: boolean;
  /** Values that win over the env file, e.g. ports from freePorts() or PAYMENT=local. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ContainerState {
  service: string;
  id: string;
  state: string;
  health: string | undefined;
  exitCode: number | undefined;
}

export interface ContainerStats {
  service: string;
  /** Percent of one core, as `docker stats` shows it. */
  cpuPercent: number;
  memoryBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Scenario {
  readonly name: ScenarioName;
  readonly project: ComposeProject;
  readonly settings: Record<string, string>;
  private readonly hostNetwork: boolean;
  private readonly log: (line: string) => void;
  private overrideReady: Promise<void> | undefined;

  constructor(name: ScenarioName, opts: ScenarioOptions = {}) {
    if (!SCENARIOS[name]) throw new Error(`unknown scenario "${name}"; one of ${SCENARIO_NAMES.join(', ')}`);
    this.name = name;
    const envFile = envFilePath();
    this.settings = { ...readEnv(envFile), ...opts.env };
    this.project = {
      project: opts.project ?? `chanpay-${name}`,
      files: scenarioFiles(name),
      envFile,
      env: opts.env,
    };
    this.hostNetwork = opts.hostNetwork ?? false;
    this.log = opts.log ?? (() => undefined);
  }

  /** http://127.0.0.1:<port of the setting> */
  url(portVar: (typeof PORT_VARS)[number], pathname = ''): string {
    const port = this.settings[portVar];
    if (!port) throw new Error(`${portVar} is not set`);
    return `http://127.0.0.1:${port}${pathname}`;
  }

  private async ready(): Promise<void> {
    this.overrideReady ??= (async () => {
      if (!this.hostNetwork) return;
      this.project.files = this.project.files.map(writeWithoutPorts);
      this.project.projectDirectory = COMPOSE_DIR;
      this.project.files.push(writeHostNetworkOverride(await services(this.project)));
    })();
    await this.overrideReady;
  }

  /** Starts the scenario from the built images and waits until it is healthy. */
  async up(timeoutMs = 180_000): Promise<void> {
    await this.ready();
    const t0 = Date.now();
    const r = await compose(this.project, ['up', '-d', '--no-build', '--remove-orphans'], { timeoutMs, onLine: (l) => this.log(l) });
    if (r.code !== 0) {
      const why = await this.describeFailures();
      throw new Error(`${this.name}: compose up failed (exit ${r.code}):\n${r.stderr.trim().slice(-1500)}${why}`);
    }
    await this.waitHealthy(Math.max(10_000, timeoutMs - (Date.now() - t0)));
    this.log(`${this.name}: healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Stops and removes the containers, the network and the volumes. */
  async down(): Promise<void> {
    await this.ready();
    const r = await compose(this.project, ['down', '-v', '--remove-orphans', '--timeout', '5'], {
      timeoutMs: 120_000,
      onLine: (l) => this.log(l),
    });
    if (r.code !== 0) throw new Error(`${this.name}: compose down failed: ${r.stderr.trim().slice(-1000)}`);
  }

  async containers(): Promise<(ContainerState & { container: Docker.Container })[]> {
    const list = await docker().listContainers({ all: true, filters: { label: [`com.docker.compose.project=${this.project.project}`] } });
    const out: (ContainerState & { container: Docker.Container })[] = [];
    for (const c of list) {
      const container = docker().getContainer(c.Id);
      const info = await container.inspect();
      out.push({
        service: c.Labels['com.docker.compose.service'] ?? c.Names[0] ?? c.Id,
        id: c.Id,
        state: info.State.Status,
        health: info.State.Health?.Status,
        exitCode: info.State.Status === 'exited' ? info.State.ExitCode : undefined,
        container,
      });
    }
    return out.sort((a, b) => a.service.localeCompare(b.service));
  }

  /** Every long-running container healthy, every one-shot exited 0; the test container may still run. */
  async waitHealthy(timeoutMs = 120_000): Promise<ContainerState[]> {
    const oneShots: readonly string[] = SCENARIOS[this.name].oneShots;
    const test = SCENARIOS[this.name].test as string | undefined;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = await this.containers();
      const broken = all.filter(
        (c) =>
          c.health === 'unhealthy' ||
          (c.state === 'exited' && c.exitCode !== 0 && c.service !== test) ||
          (c.state === 'exited' && !oneShots.includes(c.service) && c.service !== test),
      );
      if (broken.length)
        throw new Error(
          `${this.name}: ${broken.map((c) => `${c.service} is ${c.health ?? c.state} (exit ${c.exitCode ?? '-'})`).join(', ')}${await this.describeFailures()}`,
        );
      const pending = all.filter(
        (c) =>
          c.service !== test && (oneShots.includes(c.service) ? c.state !== 'exited' : c.health !== undefined && c.health !== 'healthy'),
      );
      if (all.length > 0 && pending.length === 0) return all.map(({ container: _, ...rest }) => rest);
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: not healthy within ${timeoutMs / 1000} s: ${pending.map((c) => `${c.service} ${c.health ?? c.state}`).join(', ')}${await this.describeFailures()}`,
        );
      }
      await sleep(500);
    }
  }

  /** The last log lines of every container that exited or is not healthy, for error messages. */
  async describeFailures(lines = 15): Promise<string> {
    let out = '';
    for (const c of await this.containers().catch(() => [])) {
      if (c.health === 'healthy' || (c.state === 'exited' && c.exitCode === 0) || (c.state === 'running' && c.health === undefined))
        continue;
      out += `\n--- ${c.service} (${c.health ?? c.state}${c.exitCode !== undefined ? `, exit ${c.exitCode}` : ''}):\n${await this.logsOf(c.service, lines)}`;
    }
    return out;
  }

  /** The last `tail` log lines of one service. */
  async logsOf(service: string, tail = 50): Promise<string> {
    const c = (await this.containers()).find((x) => x.service === service);
    if (!c) return `(no container for ${service})`;
    const buf = (await c.container.logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
    const lines: string[] = [];
    const { PassThrough } = await import('node:stream');
    const s = new PassThrough();
    demuxLines(s, (line) => lines.push(line));
    await new Promise<void>((resolve) => {
      s.on('end', resolve);
      s.end(buf);
    });
    return lines.join('\n');
  }

  /** Follows every container's log, each line prefixed with its service; returns a function that stops. */
  async streamLogs(onLine: (service: string, line: string) => void, opts: { tail?: number } = {}): Promise<() => void> {
    const streams: NodeJS.ReadableStream[] = [];
    for (const c of await this.containers()) {
      const s = await c.container.logs({ follow: true, stdout: true, stderr: true, tail: opts.tail ?? 20 });
      demuxLines(s, (line) => onLine(c.service, line));
      streams.push(s);
    }
    return () => {
      for (const s of streams) (s as unknown as { destroy(): void }).destroy();
    };
  }

  /** One CPU and memory sample of every running container (two readings of the engine, about 1 s apart). */
  async stats(): Promise<ContainerStats[]> {
    const running = (await this.containers()).filter((c) => c.state === 'running');
    return Promise.all(
      running.map(async (c) => {
        const s = await c.container.stats({ stream: false });
        const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
        const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
        const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
        const cache = (s.memory_stats.stats as { cache?: number; inactive_file?: number } | undefined)?.inactive_file ?? 0;
        return {
          service: c.service,
          cpuPercent: sysDelta > 0 ? Math.round((cpuDelta / sysDelta) * cpus * 1000) / 10 : 0,
          memoryBytes: Math.max(0, (s.memory_stats.usage ?? 0) - cache),
        };
      }),
    );
  }

  /**
   * Samples stats() until the returned function is called; the function resolves to every sample, so a benchmark
   * can report each container's CPU and memory during its run.
   */
  recordStats(): () => Promise<{ at: number; stats: ContainerStats[] }[]> {
    const samples: { at: number; stats: ContainerStats[] }[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const at = Date.now();
        const stats = await this.stats().catch(() => []);
        samples.push({ at, stats });
      }
    })();
    return async () => {
      running = false;
      await loop;
      return samples;
    };
  }

  /** Waits for the test container (integration-test scenario) to finish; its exit code and log. */
  async waitForTest(timeoutMs = 180_000): Promise<{ exitCode: number; log: string }> {
    const test = SCENARIOS[this.name].test as string | undefined;
    if (!test) throw new Error(`${this.name} has no test container`);
    const c = (await this.containers()).find((x) => x.service === test);
    if (!c) throw new Error(`${this.name}: no ${test} container${await this.describeFailures()}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = (await Promise.race([
        c.container.wait(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${test} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
        }),
      ])) as { StatusCode: number };
      return { exitCode: result.StatusCode, log: await this.logsOf(test, 200) };
    } finally {
      clearTimeout(timer);
    }
  }
}
