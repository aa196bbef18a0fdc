import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Wallet, hexlify, randomBytes } from 'ethers';
import { freePort } from '@chanpay/devkit';
import type { TextCollector } from './secret-scan';

const REPO = path.resolve(__dirname, '../../../..');
const PAYMENT_SERVER_MAIN = path.join(REPO, 'payment-server/src/main.ts');

/** A child process whose output is kept line by line (and fed to a collector for the secret scan). */
export class LoggedProcess {
  readonly lines: string[] = [];
  private partial = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly collector?: TextCollector,
  ) {
    const onData = (d: Buffer) => {
      const text = this.partial + d.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.line(line);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        if (this.partial) this.line(this.partial);
        this.partial = '';
        resolve(code);
      }),
    );
  }

  private line(line: string): void {
    if (this.lines.length < 200_000) this.lines.push(line);
    this.collector?.add(`log ${this.name}`, line);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` (SIGKILL by default: kill -9) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** Lines parsed as JSON (pino); other lines are skipped. */
  json(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    }
    return out;
  }

  output(): string {
    return this.lines.join('\n');
  }
}

async function waitUntil(what: string, proc: LoggedProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive) throw new Error(`${proc.name} exited before ${what}:\n${proc.output().slice(-4000)}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`${proc.name}: timed out waiting for ${what}:\n${proc.output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function jsonRpc<T = any>(url: string, method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

// ------------------------------------------------------------------------------------------------ the chain node

export interface AnvilNode {
  name: string;
  rpcUrl: string;
  port: number;
  chainId: bigint;
  accounts: { address: string; privateKey: string }[];
  process: LoggedProcess;
  /** kill -9 of the node. With a state file, what was dumped last (see `dumpState`) survives. */
  kill9(): Promise<void>;
  /** Writes the chain state to the state file now (anvil_dumpState), so a kill -9 right after loses nothing. */
  dumpState(): Promise<void>;
  /** Starts the node again on the same port, from the state file when there is one. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  name?: string;
  port?: number;
  chainId?: number;
  accounts?: number;
  /** Fund these keys instead of fresh random ones. */
  privateKeys?: string[];
  balanceEth?: number;
  /** Keep the chain in this file (anvil --state): it is loaded on (re)start and dumped on a clean exit. */
  stateFile?: string;
  /** With a state file: also dump every this many seconds (anvil --state-interval). */
  stateIntervalSeconds?: number;
  collector?: TextCollector;
}

function anvilBinary(): string {
  return require.resolve('@foundry-rs/anvil-linux-amd64/bin/anvil');
}

/**
 * Runs anvil as a child process on 127.0.0.1 that a test can kill -9 and restart on the same port (unlike
 * `startAnvil`, whose process is private). Its output is not silenced, so the secret scan can read it.
 */
export async function startAnvilNode(opts: AnvilOptions = {}): Promise<AnvilNode> {
  const name = opts.name ?? 'anvil';
  const port = opts.port ?? (await freePort());
  const chainId = opts.chainId ?? 31337;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const keys = opts.privateKeys ?? Array.from({ length: opts.accounts ?? 5 }, () => hexlify(randomBytes(32)));
  const accounts = keys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() }));
  const balance = '0x' + (BigInt(Math.round((opts.balanceEth ?? 1000) * 1e6)) * 10n ** 12n).toString(16);

  const launch = async (): Promise<LoggedProcess> => {
    const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--accounts', '0'];
    if (opts.stateFile) {
      mkdirSync(path.dirname(opts.stateFile), { recursive: true });
      args.push('--state', opts.stateFile, '--preserve-historical-states');
      if (opts.stateIntervalSeconds) args.push('--state-interval', String(opts.stateIntervalSeconds));
    }
    const proc = new LoggedProcess(name, spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] }), opts.collector);
    await waitUntil('the chain node to answer', proc, async () => Boolean(await jsonRpc(rpcUrl, 'eth_chainId', [], 1000)), 20_000);
    return proc;
  };

  let proc = await launch();
  for (const a of accounts) await jsonRpc(rpcUrl, 'anvil_setBalance', [a.address, balance]);
  const node: AnvilNode = {
    name,
    rpcUrl,
    port,
    chainId: BigInt(chainId),
    accounts,
    get process() {
      return proc;
    },
    kill9: () => proc.kill('SIGKILL'),
    async dumpState() {
      if (!opts.stateFile) throw new Error('dumpState needs a stateFile');
      const state = await jsonRpc<string>(rpcUrl, 'anvil_dumpState');
      // anvil_dumpState returns the state JSON gzipped; --state reads it plain.
      const raw = Buffer.from(state.slice(2), 'hex');
      writeFileSync(opts.stateFile, raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
    },
    async restart() {
      if (proc.alive) throw new Error(`${name} is still running`);
      proc = await launch();
    },
    stop: () => proc.kill('SIGTERM'),
  };
  return node;
}

// ------------------------------------------------------------------------------------------ payment server

export interface PaymentServerSpec {
  name: string;
  rpcUrl: string;
  dbPath: string;
  accounts: { name: string; privateKey: string; voucherKey?: string }[];
  tokens: { token: string; accounts: string[] }[];
  contractAddress?: string;
  /** Any other configuration (claim policy, watcher, defaults, chain timeouts…), merged into the config file. */
  config?: Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'trace';
  port?: number;
  collector?: TextCollector;
}

/**
 * Runs the payment server binary once with the given environment and returns its output when it exits (for
 * configurations that must make it refuse to start). Killed after `timeoutMs`.
 */
export async function runPaymentServerToExit(
  env: Record<string, string>,
  collector?: TextCollector,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', PAYMENT_SERVER_MAIN], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new LoggedProcess('payment-server (bad config)', child, collector);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, output: proc.output() };
}

export interface PaymentServerProcess {
  name: string;
  url: string;
  port: number;
  spec: PaymentServerSpec;
  process: LoggedProcess;
  /** Every process this server has run as, oldest first (restarts add one). */
  history: LoggedProcess[];
  kill9(): Promise<void>;
  /** Starts it again with the same port, database and configuration. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the real payment server binary (`payment-server/src/main.ts`) as a child process, so that it can be killed
 * with SIGKILL mid-load and restarted on the same port and database. Keys and tokens go through the environment
 * (PS_ACCOUNTS, PS_TOKENS), the rest through a PS_CONFIG file.
 */
export async function startPaymentServerProcess(spec: PaymentServerSpec): Promise<PaymentServerProcess> {
  const port = spec.port ?? (await freePort());
  const dir = path.dirname(spec.dbPath);
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, `${spec.name}.config.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      host: '127.0.0.1',
      port,
      rpcUrl: spec.rpcUrl,
      dbPath: spec.dbPath,
      logLevel: spec.logLevel ?? 'info',
      ...(spec.contractAddress ? { contractAddress: spec.contractAddress } : {}),
      ...spec.config,
    }),
  );
  const env = {
    ...process.env,
    PS_CONFIG: configFile,
    PS_ACCOUNTS: spec.accounts.map((a) => `${a.name}:${a.privateKey}${a.voucherKey ? `:${a.voucherKey}` : ''}`).join(','),
    PS_TOKENS: spec.tokens.map((t) => `${t.token}:${t.accounts.join('+')}`).join(','),
  };
  const url = `http://127.0.0.1:${port}`;
  const history: LoggedProcess[] = [];
  const launch = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', PAYMENT_SERVER_MAIN], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new LoggedProcess(`${spec.name}#${history.length + 1}`, child, spec.collector);
    history.push(proc);
    await waitUntil(
      'the payment server to listen',
      proc,
      async () => (await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) })).status === 200,
      60_000,
    );
    return proc;
  };
  let proc = await launch();
  return {
    name: spec.name,
    url,
    port,
    spec,
    history,
    get process() {
      return proc;
    },
    kill9: () => proc.kill('SIGKILL'),
    async restart() {
      if (proc.alive) throw new Error(`${spec.name} is still running`);
      proc = await launch();
    },
    stop: () => proc.kill('SIGTERM'),
  };
}
