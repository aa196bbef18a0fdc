import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** The prometheus binary (Debian's package: `apt-get install prometheus`), or PROMETHEUS_BIN. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN || 'prometheus';

/** Why prometheus cannot run here (one line), or null when it can. */
export function prometheusUnavailableReason(): string | null {
  const r = spawnSync(PROMETHEUS_BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : `prometheus is not installed (apt-get install prometheus, or set PROMETHEUS_BIN)`;
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Starts prometheus on 127.0.0.1:`port` with `configFile`, its data under `dir`; resolves once it is ready. */
export async function startPrometheus(opts: {
  configFile: string;
  dir: string;
  port: number;
  onOutput?: (text: string) => void;
}): Promise<RunningPrometheus> {
  const data = path.join(opts.dir, 'data');
  mkdirSync(data, { recursive: true });
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${opts.configFile}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${opts.port}`,
      '--web.enable-lifecycle',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    opts.onOutput?.(b.toString());
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = () => stopChild(child);
  try {
    await waitReady(url, child);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output.join('').split('\n').slice(-10).join('\n')}`);
  }
  return { url, stop };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus was not ready within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** One instant query through Prometheus's HTTP API: the result vector's samples. */
export async function queryPrometheus(url: string, query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`prometheus query ${query} failed: ${body.error}`);
  return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Every active target's health (`up`, `down`, `unknown`) by its `part` label. */
export async function targetHealth(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/v1/targets?state=active`);
  const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } };
  return Object.fromEntries(body.data.activeTargets.map((t) => [t.labels.part ?? t.labels.instance ?? '?', t.health]));
}
