/**
 * Child processes of a network: .ts entries run as compiled JavaScript (compiled.ts; tsx where an entry cannot
 * be bundled, or when CHANPAY_RUN_TS=1), their output kept, health waited for, stopped in bounded time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { compiledEntry } from './compiled';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export interface NetworkProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** The last 200 kB of what it wrote. */
  output(): string;
}

/**
 * V8 flags of every payment server and service a network starts (start.ts), unless its caller names others:
 * young generation capped at 2 × 2 MB semi-spaces instead of 2 × 16 MB, and the old generation allowed to grow to
 * 1.5 × what survived the last full collection instead of V8's adaptive 1.1–4 ×. Opening 1,500 channels with
 * V8's defaults took a payment server to 210 MB of RSS with 31 MB of live heap; with these, 120 MB
 * (`npm run bench:memory`, docs/benchmarks.md, which also gives their CPU cost).
 */
export const DEFAULT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=50'];

/** DEFAULT_NODE_FLAGS, or CHANPAY_NODE_FLAGS when set (space-separated; empty: V8's defaults), for A/B runs. */
export function defaultNodeFlags(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const given = env.CHANPAY_NODE_FLAGS;
  return given === undefined ? DEFAULT_NODE_FLAGS : given.split(/\s+/).filter(Boolean);
}

/** Every child spawnTs started that has not exited yet. */
const live = new Set<ChildProcess>();
let exitHook = false;

/**
 * Kills every child spawnTs started that is still running: for a program interrupted before it holds the
 * network it was starting (Ctrl-C during start-up), so that no process outlives it. Also run when this process
 * exits, with SIGKILL (an exit handler cannot wait).
 */
export function killSpawnedChildren(signal: NodeJS.Signals = 'SIGTERM'): number {
  let n = 0;
  for (const child of live) if (child.exitCode === null && child.signalCode === null && child.kill(signal)) n++;
  return n;
}

/**
 * How `node` runs a .ts entry (relative to the repository): its bundle, or with tsx (see the module comment).
 * Exported for the tests, which check that both ways start the same program.
 */
export function nodeArgsFor(entry: string, runTs = process.env.CHANPAY_RUN_TS === '1'): string[] {
  const compiled = runTs ? null : compiledEntry(REPO_ROOT, entry);
  return compiled ? [compiled] : ['--import', 'tsx', path.join(REPO_ROOT, entry)];
}

/** Runs a .ts entry (relative to the repository) as a child of this process (nodeArgsFor), keeping the tail of its output. */
export function spawnTs(
  name: string,
  entry: string,
  env: Record<string, string>,
  verbose: boolean,
  onOutput?: (name: string, text: string) => void,
  nodeFlags: readonly string[] = [],
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [...nodeFlags, ...nodeArgsFor(entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => killSpawnedChildren('SIGKILL'));
  }
  const collect = (d: Buffer) => {
    const text = d.toString();
    output = (output + text).slice(-200_000);
    onOutput?.(name, text);
    if (verbose) for (const line of text.split('\n').filter(Boolean)) process.stdout.write(`[${name}] ${line}\n`);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output: () => output };
}

/** Polls `GET <url>/status` until it answers 2xx; fails at once when the process exits. */
export async function waitHealthy(p: NetworkProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with code ${p.child.exitCode}:\n${p.output().slice(-3000)}`);
    try {
      const res = await fetch(`${p.url}/status`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${p.name} did not become healthy in ${timeoutMs} ms:\n${p.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after `timeoutMs`. */
export function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs `jobs` with at most `limit` at a time; rejects with the first failure after all started ones settled. */
export async function limited<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && failure === null) {
        const item = items[next++]!;
        try {
          await job(item);
        } catch (e) {
          failure ??= e;
        }
      }
    }),
  );
  if (failure !== null) throw failure;
}
