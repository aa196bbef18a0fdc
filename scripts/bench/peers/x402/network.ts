/**
 * `startX402Network`: x402's `exact` scheme, ready for load. Starts (or joins) a local chain, deploys the
 * EIP-3009 test token and Multicall3, mints to a fresh payer, starts the facilitator and the paid service
 * (children of this process by default, so their CPU can be measured apart, or in this process), and hands back
 * the entry URL with a paying fetch, the processes, the addresses and a balance reader.
 */
import { randomBytes } from 'node:crypto';
import { getAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { spawnTs, stopChild } from '../../../network';
import { caip2, externalChain, localPublicClient, startLocalChain, waitForLine, type ChainKind, type LocalChain } from './chain';
import { createPayingFetch, type PayingClientOptions, type PayingFetch } from './client';
import { startFacilitatorServer } from './facilitator-server';
import { PAID_PATH, startPaidService, type SettlementOrder } from './paid-service';
import type { SettlementCounts } from './koa-adapter';
import { deployToken, installMulticall3, mintToken, tokenBalance } from './token';

export interface X402NetworkOptions {
  /** Which node to start; default anvil (ganache works too, ten times slower per call). Ignored with `rpcUrl`. */
  chain?: ChainKind;
  /** Ganache as a child process of its own (anvil always is one). Default false. */
  chainProcess?: boolean;
  /** Join this chain (127.0.0.1) instead of starting one; `fundedKeys[0]` deploys, `fundedKeys[1]` settles. */
  rpcUrl?: string;
  fundedKeys?: Hex[];
  /** Default settle-before (x402's default). */
  order?: SettlementOrder;
  /** Per call, in token units (6 decimals); default 1000 (0.001 tUSD). */
  price?: bigint;
  /** Minted to the payer; default 1,000,000,000 (1000 tUSD, a million calls at the default price). */
  clientFunds?: bigint;
  /** Facilitator and paid service as child processes (default) or in this process. */
  processes?: 'children' | 'in-process';
  /** Fixed ports; default free ones. */
  ports?: { facilitator?: number; service?: number };
  /** Forward the children's output, prefixed. */
  verbose?: boolean;
  /** The paid route forwards to this URL (x402 on a topology's entry edge); see paid-service.ts. */
  upstream?: string;
  /** Extra environment of every child (the chain, the facilitator, the paid service). */
  env?: Record<string, string>;
}

export interface X402Process {
  name: 'chain' | 'x402-facilitator' | 'x402-paid-service';
  /** null when it runs in this process. */
  pid: number | null;
  url: string;
}

export interface X402Addresses {
  token: Address;
  /** The payer (signs EIP-3009 authorizations; holds tokens, no ether). */
  client: Address;
  /** `payTo` of the paid route. */
  provider: Address;
  /** Sends the settlement transactions and pays their gas. */
  facilitator: Address;
  /** Deployed the token and minted. */
  deployer: Address;
}

export interface X402Balances {
  client: bigint;
  provider: bigint;
}

export interface X402Network {
  /** The paid route: `GET` it through `fetchWithPayment`. */
  entryUrl: string;
  serviceUrl: string;
  facilitatorUrl: string;
  rpcUrl: string;
  chainId: number;
  /** CAIP-2, e.g. eip155:1337. */
  network: `eip155:${number}`;
  chainKind: ChainKind | 'external';
  order: SettlementOrder;
  price: bigint;
  /** @x402/fetch's wrapper for the payer: pays each call it makes to the entry URL. */
  fetchWithPayment: PayingFetch;
  /** What `createPayingFetch` was given, for more payers or crafted payments (holds the payer's key). */
  payer: PayingClientOptions;
  processes: X402Process[];
  addresses: X402Addresses;
  readBalances(): Promise<X402Balances>;
  /** After-response settlements of the paid service (all zero unless order is settle-after). */
  settlements(): Promise<SettlementCounts>;
  /** Waits until no after-response settlement is pending (bounded); returns the counts. */
  drainSettlements(timeoutMs?: number): Promise<SettlementCounts>;
  stop(): Promise<void>;
}

const freshKey = (): Hex => `0x${randomBytes(32).toString('hex')}`;

export async function startX402Network(opts: X402NetworkOptions = {}): Promise<X402Network> {
  const order = opts.order ?? 'settle-before';
  const price = opts.price ?? 1000n;
  if (price <= 0n) throw new Error('price must be positive');
  const clientFunds = opts.clientFunds ?? 1_000_000_000n;
  const verbose = opts.verbose ?? false;
  const inProcess = opts.processes === 'in-process';
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const chain: LocalChain = opts.rpcUrl
      ? await externalChain(opts.rpcUrl, opts.fundedKeys ?? [])
      : await startLocalChain({
          kind: opts.chain ?? 'anvil',
          process: opts.chainProcess ?? false,
          verbose,
          ...(opts.env ? { env: opts.env } : {}),
        });
    stops.push(chain.stop);
    const [deployerKey, facilitatorKey] = chain.fundedKeys as [Hex, Hex];
    const target = { rpcUrl: chain.rpcUrl, chainId: chain.chainId };
    const network = caip2(chain.chainId);
    const clientKey = freshKey();
    const addresses: X402Addresses = {
      token: await deployToken(target, deployerKey),
      client: privateKeyToAccount(clientKey).address,
      provider: privateKeyToAccount(freshKey()).address,
      facilitator: privateKeyToAccount(facilitatorKey).address,
      deployer: privateKeyToAccount(deployerKey).address,
    };
    await installMulticall3(target, deployerKey);
    await mintToken(target, deployerKey, addresses.token, addresses.client, clientFunds);

    const processes: X402Process[] = [];
    if (chain.kind !== 'external') processes.push({ name: 'chain', pid: chain.pid, url: chain.rpcUrl });
    const serviceSettings = {
      network,
      token: addresses.token,
      payTo: addresses.provider,
      price,
      order,
      ...(opts.upstream ? { upstream: opts.upstream } : {}),
    };
    let facilitatorUrl: string;
    let serviceUrl: string;
    if (inProcess) {
      const facilitator = await startFacilitatorServer({ ...target, privateKey: facilitatorKey, port: opts.ports?.facilitator ?? 0 });
      stops.push(facilitator.stop);
      facilitatorUrl = facilitator.url;
      const service = await startPaidService({ ...serviceSettings, facilitatorUrl, port: opts.ports?.service ?? 0 });
      stops.push(service.stop);
      serviceUrl = service.url;
      processes.push(
        { name: 'x402-facilitator', pid: null, url: facilitatorUrl },
        { name: 'x402-paid-service', pid: null, url: serviceUrl },
      );
    } else {
      const launch = async (name: X402Process['name'], entry: string, env: Record<string, string>, ready: RegExp) => {
        const spawned = spawnTs(name, entry, { ...opts.env, HOST: '127.0.0.1', ...env }, verbose);
        stops.push(() => stopChild(spawned.child));
        const url = await waitForLine(spawned.child, spawned.output, ready, 60_000);
        processes.push({ name, pid: spawned.child.pid ?? null, url });
        return url;
      };
      facilitatorUrl = await launch(
        'x402-facilitator',
        'scripts/bench/peers/x402/facilitator-main.ts',
        {
          X402_RPC_URL: chain.rpcUrl,
          X402_CHAIN_ID: String(chain.chainId),
          X402_FACILITATOR_KEY: facilitatorKey,
          PORT: String(opts.ports?.facilitator ?? 0),
        },
        /X402_FACILITATOR_READY (http:\/\/\S+)/,
      );
      serviceUrl = await launch(
        'x402-paid-service',
        'scripts/bench/peers/x402/paid-service-main.ts',
        {
          X402_FACILITATOR_URL: facilitatorUrl,
          X402_NETWORK: network,
          X402_TOKEN: addresses.token,
          X402_PAY_TO: addresses.provider,
          X402_PRICE: price.toString(),
          X402_ORDER: order,
          ...(opts.upstream ? { X402_UPSTREAM: opts.upstream } : {}),
          PORT: String(opts.ports?.service ?? 0),
        },
        /X402_SERVICE_READY (http:\/\/\S+)/,
      );
    }

    const payer: PayingClientOptions = { privateKey: clientKey, network, token: addresses.token, maxAmountPerPayment: price };
    const client = localPublicClient(chain.chainId, chain.rpcUrl);
    const settlements = async (): Promise<SettlementCounts> => {
      const res = await fetch(`${serviceUrl}/x402/settlements`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /x402/settlements: HTTP ${res.status}`);
      return (await res.json()) as SettlementCounts;
    };
    return {
      entryUrl: `${serviceUrl}${PAID_PATH}`,
      serviceUrl,
      facilitatorUrl,
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      network,
      chainKind: chain.kind,
      order,
      price,
      fetchWithPayment: createPayingFetch(payer),
      payer,
      processes,
      addresses: { ...addresses, token: getAddress(addresses.token) },
      async readBalances() {
        const [c, p] = await Promise.all([
          tokenBalance(client, addresses.token, addresses.client),
          tokenBalance(client, addresses.token, addresses.provider),
        ]);
        return { client: c, provider: p };
      },
      settlements,
      async drainSettlements(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const counts = await settlements();
          if (counts.pending === 0 || Date.now() > deadline) return counts;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
