/**
 * The network one open-loop cell loads, whatever the mode: the topology with payment set on its edges (ours),
 * the naive network (thesis shape, one ETH transfer per paid call), or x402 `exact` on the topology's entry edge
 * (the load generator pays each request through the SDK's paying fetch to an x402 gateway, the SDK's resource
 * server, in front of the topology's entry; the topology runs unpaid behind it). Each hands back its processes
 * (for CPU, memory and event-loop lag), the URLs to load, how to send, paid calls per request and the chain's cost.
 */
import { expectedCalls, startTopology, type RunningTopology } from '@chanpay/topology';
import type { Sender } from '../load/http-sender';
import { blockNumber, collectTransactions, costByOperation } from '../gas';
import { chainCost } from '../mode-run';
import { startNaiveNetwork } from '../naive';
import type { ChainKind } from '../peers/x402/chain';
import { startX402Network, type X402Network } from '../peers/x402/network';
import { round } from '../stats';
import { overridesOf, unpaid, type OpenMode } from './modes';
import type { ComponentKind, NetworkRecord } from './types';

export interface LoadedProcess {
  name: string;
  kind: ComponentKind;
  pid: number | undefined;
}

export interface LoadedNetwork {
  processes: LoadedProcess[];
  /** Where the load goes, one URL per entry. */
  urls: string[];
  /** How requests are sent, when not a plain GET (x402: the SDK's paying fetch). */
  makeSender?: (url: string, connections: number) => Sender;
  /** Paid calls one request makes on average. */
  paidHopsPerRequest: number;
  /** Gas of the transactions the paid calls caused, spread over `paidCalls`; null without payment. */
  chainCost(paidCalls: number): Promise<NetworkRecord['chain']>;
  stop(): Promise<void>;
}

export interface NetworkSpec {
  topology: string;
  mode: OpenMode;
  totalWork: string | null;
  x402Chain: ChainKind;
  dataDir: string;
  verbose: boolean;
  /** Environment of every child (the probes' preload). */
  env: Record<string, string>;
}

/** Paid calls one request makes on average (every call below an entry is paid unless the mode is off). */
export function paidHopsOfTopology(net: RunningTopology, mode: OpenMode): number {
  if (unpaid(mode)) return 0;
  const visits = expectedCalls(net.topology);
  const entries = new Set(net.topology.entry);
  let hops = 0;
  for (const [name, v] of visits) if (!entries.has(name)) hops += v;
  return round(hops, 4);
}

function topologyKind(net: RunningTopology, name: string): ComponentKind {
  if (name === 'chain') return 'chain';
  if (name in net.urls.paymentServers) return 'payment-server';
  return 'service';
}

async function topologyNetwork(spec: NetworkSpec, mode: OpenMode): Promise<RunningTopology> {
  return startTopology(spec.topology, {
    overrides: overridesOf(mode),
    ...(spec.totalWork ? { totalWork: spec.totalWork } : {}),
    freePorts: true,
    chainProcess: true,
    dataDir: spec.dataDir,
    init: true,
    verbose: spec.verbose,
    env: spec.env,
  });
}

async function ours(spec: NetworkSpec): Promise<LoadedNetwork> {
  const net = await topologyNetwork(spec, spec.mode);
  return {
    processes: net.processes.map((p) => ({ name: p.name, kind: topologyKind(net, p.name), pid: p.child.pid })),
    urls: net.entries.map((e) => e.url),
    paidHopsPerRequest: paidHopsOfTopology(net, spec.mode),
    async chainCost(paidCalls) {
      if (!net.urls.chain || unpaid(spec.mode)) return null;
      const cost = await chainCost(net.urls.chain, net.contract, paidCalls);
      return {
        paidCalls: cost.paidCalls,
        totalGas: cost.totalGas,
        gasPerPaidCall: cost.perPaidCall.gas,
        totalEther: cost.totalEther,
        operations: cost.operations.map((o) => ({ operation: o.operation, count: o.count })),
      };
    },
    stop: () => net.stop(),
  };
}

/** Public pays random-number and persistence once each per /action. */
const NAIVE_PAID_HOPS = 2;

async function naive(spec: NetworkSpec): Promise<LoadedNetwork> {
  const net = await startNaiveNetwork({ dataDir: spec.dataDir, verbose: spec.verbose, env: spec.env });
  return {
    processes: net.processes.map((p) => ({ name: p.name, kind: p.name === 'chain' ? 'chain' : 'service', pid: p.child.pid })),
    urls: [`${net.urls.public}/action`],
    paidHopsPerRequest: NAIVE_PAID_HOPS,
    async chainCost(paidCalls) {
      const cost = await chainCost(net.urls.chain, null, paidCalls);
      return {
        paidCalls: cost.paidCalls,
        totalGas: cost.totalGas,
        gasPerPaidCall: cost.perPaidCall.gas,
        totalEther: cost.totalEther,
        operations: cost.operations.map((o) => ({ operation: o.operation, count: o.count })),
      };
    },
    stop: () => net.stop(),
  };
}

/** The SDK's paying fetch as a load sender: per request the 402, the signature and the paid retry. */
function x402Sender(x: X402Network, url: string): Sender {
  return {
    async send(wantBody) {
      try {
        const res = await x.fetchWithPayment(url, { signal: AbortSignal.timeout(30_000) });
        const body = await res.text();
        const ok = res.status >= 200 && res.status < 300;
        return wantBody || !ok ? { status: res.status, body } : { status: res.status };
      } catch (e) {
        return { status: 0, error: (e as Error).message.split('\n')[0]!.slice(0, 160) };
      }
    },
    close: async () => {},
  };
}

const X402_KIND: Record<string, ComponentKind> = {
  chain: 'chain',
  'x402-facilitator': 'payment-server',
  'x402-paid-service': 'service',
};

async function x402(spec: NetworkSpec): Promise<LoadedNetwork> {
  const net = await topologyNetwork(spec, 'off');
  if (net.entries.length !== 1) {
    await net.stop();
    throw new Error(`x402 mode puts one gateway in front of one entry; ${spec.topology} has ${net.entries.length}`);
  }
  let peer: X402Network;
  try {
    // Anvil by default: viem's settlement is ten times slower on ganache (docs/x402.md, "The chain"), which would
    // measure ganache rather than x402. Either way a process of its own, its CPU measured apart.
    peer = await startX402Network({
      chain: spec.x402Chain,
      chainProcess: true,
      order: 'settle-before',
      upstream: net.entries[0]!.url,
      env: spec.env,
      verbose: spec.verbose,
    });
  } catch (e) {
    await net.stop();
    throw e;
  }
  // Setup (token, Multicall3, mint) is before this block; what follows is settlement.
  const firstBlock = (await blockNumber(peer.rpcUrl)) + 1;
  return {
    processes: [
      ...net.processes.map((p) => ({ name: p.name, kind: topologyKind(net, p.name), pid: p.child.pid })),
      ...peer.processes.map((p) => ({ name: `x402-${p.name.replace(/^x402-/, '')}`, kind: X402_KIND[p.name]!, pid: p.pid ?? undefined })),
    ],
    urls: [peer.entryUrl],
    makeSender: (url) => x402Sender(peer, url),
    paidHopsPerRequest: 1,
    async chainCost(paidCalls) {
      const txs = (await collectTransactions(peer.rpcUrl, null, firstBlock, await blockNumber(peer.rpcUrl))).filter(
        (t) => t.from === peer.addresses.facilitator.toLowerCase(),
      );
      const ops = costByOperation(txs.map((t) => ({ ...t, operation: t.status ? 'transferWithAuthorization' : 'reverted settlement' })));
      const totalGas = ops.reduce((a, o) => a + o.gasUsed, 0);
      return {
        paidCalls,
        totalGas,
        gasPerPaidCall: paidCalls > 0 ? round(totalGas / paidCalls, 1) : 0,
        totalEther: ops.reduce((a, o) => a + o.ether, 0),
        operations: ops.map((o) => ({ operation: o.operation, count: o.count })),
      };
    },
    async stop() {
      await peer.stop();
      await net.stop();
    },
  };
}

export function startLoadedNetwork(spec: NetworkSpec): Promise<LoadedNetwork> {
  if (spec.mode === 'naive') return naive(spec);
  if (spec.mode === 'x402') return x402(spec);
  return ours(spec);
}
