/**
 * Starts the example network as separate processes, as the thesis ran it: an embedded ganache chain (in this
 * process), payment-server-1 (team of the providers), payment-server-2 (team of the public service),
 * random-number, persistence and public. Used by `npm start`, the benchmark and the integration tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { startEmbeddedChain, freePort, type EmbeddedChain } from '@chanpay/devkit';

export type NetworkMode = 'local' | 'remote' | 'off';

export interface NetworkOptions {
  mode: NetworkMode;
  /** Fixed ports; 0 (or `freePorts`) picks free ones. */
  ports?: Partial<Record<PortName, number>>;
  freePorts?: boolean;
  /** Where databases and logs go; wiped at start. */
  dataDir?: string;
  /** Consumer's challenge period in seconds. */
  challengePeriod?: number;
  /** Local-mode provider acknowledges only stored vouchers. */
  sync?: boolean;
  /** Open both channels (GET /init) before returning. */
  init?: boolean;
  /** Forward child output to this process (prefixed). */
  verbose?: boolean;
  /** Extra environment for every child. */
  env?: Record<string, string>;
  /** Payment servers' claim interval in seconds (0 = only on close or request). */
  claimIntervalSeconds?: number;
  /**
   * Run the chain as a child process of its own (listed in `processes` as `chain`) instead of in this process,
   * so that its CPU time can be measured apart (the benchmark). Default false.
   */
  chainProcess?: boolean;
  /**
   * Use this chain instead of starting one (e.g. an anvil node with a state file that a fault test kills and
   * restarts, or a proxy in front of it): called with the keys to fund; `stop()` stops it too.
   */
  startChain?: (privateKeys: string[]) => Promise<EmbeddedChain>;
  /** Log level of every child (LOG_LEVEL of the services, PS_LOG_LEVEL of the payment servers); default those variables, else warn. */
  logLevel?: string;
  /** Called with everything any child writes, across restarts (e.g. for a secret scan over the whole run). */
  onOutput?: (name: string, text: string) => void;
  /**
   * The services' admin token (ADMIN_TOKEN): `/redeem`, `/init` and `/terminate` then need
   * `authorization: Bearer <token>`. Default: none, the routes are open (as in the original prototype).
   */
  adminToken?: string;
}

export type PortName = 'chain' | 'paymentServer1' | 'paymentServer2' | 'persistence' | 'randomNumber' | 'public';

export const DEFAULT_PORTS: Record<PortName, number> = {
  chain: 8545,
  paymentServer1: 3001,
  paymentServer2: 3002,
  persistence: 8001,
  randomNumber: 8002,
  public: 8003,
};

export interface NetworkProcess {
  name: string;
  url: string;
  child: ChildProcess;
  output(): string;
}

export interface Network {
  mode: NetworkMode;
  urls: Record<PortName, string | null>;
  processes: NetworkProcess[];
  chain: EmbeddedChain | null;
  contract: string | null;
  /** Addresses of the services' accounts, for balances and the visualizer. */
  addresses: Record<'public' | 'randomNumber' | 'persistence', string> | null;
  tokens: Record<'paymentServer1' | 'paymentServer2', string> | null;
  /** Every secret of the run (private keys, payment-server tokens), for tests that check none of them leaks. */
  credentials: NetworkCredentials | null;
  /** Restarts one process with the same settings (fault tests). */
  restart(name: string): Promise<NetworkProcess>;
  stop(): Promise<void>;
}

export interface NetworkCredentials {
  privateKeys: Record<'public' | 'randomNumber' | 'persistence' | 'publicVoucher', string>;
  /** Bearer tokens: random-number's and persistence's at payment-server-1, public's at payment-server-2. */
  tokens: Record<'randomNumber' | 'persistence' | 'public', string>;
}

const ROOT = path.resolve(__dirname, '..');

/** Runs a .ts entry with tsx as a child of this process, keeping the tail of its output. */
export function spawnTs(
  name: string,
  entry: string,
  env: Record<string, string>,
  verbose: boolean,
  onOutput?: (name: string, text: string) => void,
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

export async function waitHealthy(p: { name: string; url: string; child: ChildProcess; output(): string }, timeoutMs = 60_000): Promise<void> {
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

const token = () => randomBytes(24).toString('base64url');

export async function startNetwork(opts: NetworkOptions): Promise<Network> {
  const verbose = opts.verbose ?? false;
  const ports = { ...DEFAULT_PORTS, ...opts.ports };
  if (opts.freePorts) for (const k of Object.keys(ports) as PortName[]) ports[k] = opts.ports?.[k] || (await freePort());
  const dataDir = path.resolve(opts.dataDir ?? path.join(ROOT, 'data', 'network'));
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const url = (port: number) => `http://127.0.0.1:${port}`;

  const processes: NetworkProcess[] = [];
  const specs = new Map<string, { entry: string; env: Record<string, string>; url: string }>();
  let chain: EmbeddedChain | null = null;
  const launch = async (name: string, entry: string, env: Record<string, string>, port: number) => {
    const spec = { entry, env: { ...opts.env, ...env, PORT: String(port) }, url: url(port) };
    specs.set(name, spec);
    const p = { name, url: spec.url, ...spawnTs(name, entry, spec.env, verbose, opts.onOutput) };
    processes.push(p);
    await waitHealthy(p);
    return p;
  };
  const stop = async () => {
    for (const p of [...processes].reverse()) await stopChild(p.child);
    await chain?.stop();
  };
  /** `scripts/chain.ts` as a child: the same embedded chain, in a process of its own. */
  const startChainProcess = async (port: number, privateKeys: string[]): Promise<EmbeddedChain> => {
    const spawned = spawnTs('chain', 'scripts/chain.ts', { ...opts.env, CHAIN_PORT: String(port), CHAIN_PRIVATE_KEYS: privateKeys.join(',') }, verbose, opts.onOutput);
    const p: NetworkProcess = { name: 'chain', url: url(port), ...spawned };
    processes.push(p);
    const deadline = Date.now() + 60_000;
    let ready: RegExpExecArray | null = null;
    while (!(ready = /CHAIN_READY (http:\/\/\S+)/.exec(p.output()))) {
      if (p.child.exitCode !== null) throw new Error(`chain exited with code ${p.child.exitCode}:\n${p.output().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`chain did not start in 60 s:\n${p.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    p.url = ready[1]!;
    return {
      rpcUrl: p.url,
      chainId: 1337n,
      accounts: privateKeys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() })),
      stop: () => stopChild(p.child),
    };
  };

  try {
    const common = { HOST: '127.0.0.1', LOG_LEVEL: opts.logLevel ?? process.env.LOG_LEVEL ?? 'warn', ...(opts.adminToken ? { ADMIN_TOKEN: opts.adminToken } : {}) };
    if (opts.mode === 'off') {
      const svcEnv = { ...common, PAYMENT: 'off' };
      await launch('persistence', 'services/persistence/src/main.ts', { ...svcEnv, DB_PATH: path.join(dataDir, 'persistence.db') }, ports.persistence);
      await launch('random-number', 'services/random-number/src/main.ts', svcEnv, ports.randomNumber);
      await launch('public', 'services/public/src/main.ts', { ...svcEnv, RANDOM_NUMBER_URL: url(ports.randomNumber), PERSISTENCE_URL: url(ports.persistence) }, ports.public);
      return network();
    }

    const keys = { public: Wallet.createRandom(), randomNumber: Wallet.createRandom(), persistence: Wallet.createRandom(), publicVoucher: Wallet.createRandom() };
    const chainKeys = [keys.public.privateKey, keys.randomNumber.privateKey, keys.persistence.privateKey];
    chain = opts.startChain
      ? await opts.startChain(chainKeys)
      : opts.chainProcess
        ? await startChainProcess(ports.chain, chainKeys)
        : await startEmbeddedChain({ port: ports.chain, privateKeys: chainKeys });
    const tokens = { paymentServer1: { randomNumber: token(), persistence: token() }, paymentServer2: { public: token() } };
    const psCommon = {
      PS_HOST: '127.0.0.1',
      PS_RPC_URL: chain.rpcUrl,
      PS_LOG_LEVEL: opts.logLevel ?? process.env.PS_LOG_LEVEL ?? 'warn',
      PS_WATCH_INTERVAL_MS: '200',
      PS_MIN_CHALLENGE_PERIOD: '30',
      PS_CLAIM_INTERVAL_SECONDS: String(opts.claimIntervalSeconds ?? 300),
    };
    const ps1 = await launch('payment-server-1', 'payment-server/src/main.ts', {
      ...psCommon,
      PS_PORT: String(ports.paymentServer1),
      PS_DB_PATH: path.join(dataDir, 'payment-server-1.db'),
      PS_ACCOUNTS: `random-number:${keys.randomNumber.privateKey},persistence:${keys.persistence.privateKey}`,
      PS_TOKENS: `${tokens.paymentServer1.randomNumber}:random-number,${tokens.paymentServer1.persistence}:persistence`,
    }, ports.paymentServer1);
    const contract = ((await (await fetch(`${ps1.url}/status`)).json()) as { contract: string }).contract;
    await launch('payment-server-2', 'payment-server/src/main.ts', {
      ...psCommon,
      PS_PORT: String(ports.paymentServer2),
      PS_CONTRACT_ADDRESS: contract,
      PS_DB_PATH: path.join(dataDir, 'payment-server-2.db'),
      // In remote mode the public service's payment server signs with a hot voucher key of its own.
      PS_ACCOUNTS: `public:${keys.public.privateKey}:${keys.publicVoucher.privateKey}`,
      PS_TOKENS: `${tokens.paymentServer2.public}:public`,
    }, ports.paymentServer2);

    const provider = (t: string) => ({ ...common, PAYMENT: opts.mode, PAYMENT_SERVER_URL: url(ports.paymentServer1), PAYMENT_SERVER_TOKEN: t, ...(opts.sync ? { PAYMENT_SYNC: 'true' } : {}) });
    await launch('persistence', 'services/persistence/src/main.ts', { ...provider(tokens.paymentServer1.persistence), DB_PATH: path.join(dataDir, 'persistence.db') }, ports.persistence);
    await launch('random-number', 'services/random-number/src/main.ts', provider(tokens.paymentServer1.randomNumber), ports.randomNumber);
    await launch('public', 'services/public/src/main.ts', {
      ...common,
      PAYMENT: opts.mode,
      PAYMENT_SERVER_URL: url(ports.paymentServer2),
      PAYMENT_SERVER_TOKEN: tokens.paymentServer2.public,
      // Local mode: the service signs with the same hot key (it never crosses HTTP; only its address does).
      VOUCHER_KEY: keys.publicVoucher.privateKey,
      CHALLENGE_PERIOD: String(opts.challengePeriod ?? 120),
      RANDOM_NUMBER_URL: url(ports.randomNumber),
      PERSISTENCE_URL: url(ports.persistence),
    }, ports.public);

    if (opts.init ?? true) {
      const res = await fetch(`${url(ports.public)}/init`, { headers: opts.adminToken ? { authorization: `Bearer ${opts.adminToken}` } : {}, signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`GET /init failed: HTTP ${res.status} ${await res.text()}`);
    }
    return network(contract, {
      public: keys.public.address.toLowerCase(),
      randomNumber: keys.randomNumber.address.toLowerCase(),
      persistence: keys.persistence.address.toLowerCase(),
    }, { paymentServer1: tokens.paymentServer1.randomNumber, paymentServer2: tokens.paymentServer2.public }, {
      privateKeys: { public: keys.public.privateKey, randomNumber: keys.randomNumber.privateKey, persistence: keys.persistence.privateKey, publicVoucher: keys.publicVoucher.privateKey },
      tokens: { randomNumber: tokens.paymentServer1.randomNumber, persistence: tokens.paymentServer1.persistence, public: tokens.paymentServer2.public },
    });
  } catch (e) {
    await stop();
    throw e;
  }

  function network(
    contract: string | null = null,
    addresses: Network['addresses'] = null,
    tokens: Network['tokens'] = null,
    credentials: Network['credentials'] = null,
  ): Network {
    const paid = opts.mode !== 'off';
    return {
      mode: opts.mode,
      urls: {
        chain: chain?.rpcUrl ?? null,
        paymentServer1: paid ? url(ports.paymentServer1) : null,
        paymentServer2: paid ? url(ports.paymentServer2) : null,
        persistence: url(ports.persistence),
        randomNumber: url(ports.randomNumber),
        public: url(ports.public),
      },
      processes,
      chain,
      contract,
      addresses,
      tokens,
      credentials,
      async restart(name) {
        const spec = specs.get(name);
        const i = processes.findIndex((p) => p.name === name);
        if (!spec || i < 0) throw new Error(`no process ${name}`);
        await stopChild(processes[i]!.child, 5_000);
        const p = { name, url: spec.url, ...spawnTs(name, spec.entry, spec.env, verbose, opts.onOutput) };
        processes[i] = p;
        await waitHealthy(p);
        return p;
      },
      stop,
    };
  }
}
