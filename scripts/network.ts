/**
 * The thesis network as processes, in the shape its users (the benchmark, the fault suite, `npm start`'s
 * history) know: chain, payment-server-1 (the providers' team), payment-server-2 (the public service's),
 * random-number, persistence and public. Built by the topology builder (`@chanpay/topology`, the `thesis`
 * topology); this module only maps options and results.
 */
import path from 'node:path';
import type { EmbeddedChain } from '@chanpay/devkit';
import {
  startTopology,
  thesisTopology,
  type NetworkProcess,
  type RunningTopology,
  type StartTopologyOptions,
  type TopologyOverrides,
} from '@chanpay/topology';

export { spawnTs, waitHealthy, stopChild, type NetworkProcess } from '@chanpay/topology';

export type NetworkMode = 'local' | 'remote' | 'off';

/** The builder's options that the thesis network passes through as they are. */
type PassedThrough =
  | 'freePorts'
  | 'init'
  | 'verbose'
  | 'env'
  | 'claimIntervalSeconds'
  | 'chainProcess'
  | 'startChain'
  | 'logLevel'
  | 'onOutput'
  | 'adminToken';

export interface NetworkOptions extends Pick<StartTopologyOptions, PassedThrough> {
  mode: NetworkMode;
  /** Fixed ports; 0 (or `freePorts`) picks free ones. */
  ports?: Partial<Record<PortName, number>>;
  /** Where databases and logs go; wiped at start. Default data/network. */
  dataDir?: string;
  /** Consumer's challenge period in seconds. */
  challengePeriod?: number;
  /** Local-mode provider acknowledges only stored vouchers. */
  sync?: boolean;
}

export type PortName = 'chain' | 'paymentServer1' | 'paymentServer2' | 'persistence' | 'randomNumber' | 'public';

/** The process name of each port, in the thesis topology. */
export const PROCESS_OF_PORT: Record<PortName, string> = {
  chain: 'chain',
  paymentServer1: 'payment-server-1',
  paymentServer2: 'payment-server-2',
  persistence: 'persistence',
  randomNumber: 'random-number',
  public: 'public',
};

export const DEFAULT_PORTS: Record<PortName, number> = {
  chain: 8545,
  paymentServer1: 3001,
  paymentServer2: 3002,
  persistence: 8001,
  randomNumber: 8002,
  public: 8003,
};

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
  /** The topology run behind it. */
  topology: RunningTopology;
  /** Restarts one process with the same settings (fault tests). */
  restart(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface NetworkCredentials {
  privateKeys: Record<'public' | 'randomNumber' | 'persistence' | 'publicVoucher', string>;
  /** Bearer tokens: random-number's and persistence's at payment-server-1, public's at payment-server-2. */
  tokens: Record<'randomNumber' | 'persistence' | 'public', string>;
}

/** The thesis network's options as topology overrides (PREPAY_CALLS and DEPOSIT_WEI in `env` are edge settings now). */
export function overridesOf(opts: NetworkOptions): TopologyOverrides {
  const o: TopologyOverrides = { mode: opts.mode };
  if (opts.sync) o.sync = true;
  if (opts.challengePeriod !== undefined) o.challengePeriod = opts.challengePeriod;
  if (opts.env?.PREPAY_CALLS) o.prepay = Number(opts.env.PREPAY_CALLS);
  if (opts.env?.DEPOSIT_WEI) o.deposit = opts.env.DEPOSIT_WEI;
  return o;
}

export async function startNetwork(opts: NetworkOptions): Promise<Network> {
  const ports: Record<string, number> = {};
  for (const [name, port] of Object.entries(opts.ports ?? {}) as [PortName, number][]) if (port) ports[PROCESS_OF_PORT[name]] = port;
  const net = await startTopology(thesisTopology(), {
    overrides: overridesOf(opts),
    ports,
    freePorts: opts.freePorts,
    dataDir: opts.dataDir ?? path.join(__dirname, '..', 'data', 'network'),
    init: opts.init,
    verbose: opts.verbose,
    env: opts.env,
    claimIntervalSeconds: opts.claimIntervalSeconds,
    chainProcess: opts.chainProcess,
    startChain: opts.startChain,
    logLevel: opts.logLevel,
    onOutput: opts.onOutput,
    adminToken: opts.adminToken,
  });
  const paid = opts.mode !== 'off';
  const account = (service: string) => net.accountOfService(service)!;
  return {
    mode: opts.mode,
    urls: {
      chain: net.urls.chain,
      paymentServer1: net.urls.paymentServers['payment-server-1'] ?? null,
      paymentServer2: net.urls.paymentServers['payment-server-2'] ?? null,
      persistence: net.urls.services.persistence!,
      randomNumber: net.urls.services['random-number']!,
      public: net.urls.services.public!,
    },
    processes: net.processes,
    chain: net.chain,
    contract: net.contract,
    addresses: paid
      ? { public: account('public').address, randomNumber: account('random-number').address, persistence: account('persistence').address }
      : null,
    tokens: paid ? { paymentServer1: account('random-number').token, paymentServer2: account('public').token } : null,
    credentials: paid
      ? {
          privateKeys: {
            public: account('public').privateKey,
            randomNumber: account('random-number').privateKey,
            persistence: account('persistence').privateKey,
            publicVoucher: account('public').voucherKey!,
          },
          tokens: {
            randomNumber: account('random-number').token,
            persistence: account('persistence').token,
            public: account('public').token,
          },
        }
      : null,
    topology: net,
    restart: (name) => net.restart(name),
    stop: () => net.stop(),
  };
}
