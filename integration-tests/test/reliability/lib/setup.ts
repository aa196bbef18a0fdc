import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Address } from '@chanpay/protocol';
import { startPostgres, type ThrowawayPostgres } from '@chanpay/devkit';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import { jsonApi, type JsonApi } from './http';
import {
  startAnvilNode,
  startPaymentServerProcess,
  type AnvilNode,
  type AnvilOptions,
  type PaymentServerProcess,
  type PaymentServerSpec,
} from './processes';
import type { TextCollector } from './secret-scan';

export const GWEI = 1_000_000_000n;

/** Bearer tokens of the reliability tests (16+ characters of the allowed alphabet). */
export const TOKENS = {
  consumer: 'rel-consumer-token-00000000001',
  provider: 'rel-provider-token-00000000002',
  other: 'rel-other-token-000000000000003',
  /** Bound to consumer and provider: requests must name the account. */
  both: 'rel-both-token-0000000000000004',
} as const;

/**
 * Where the payment servers of these fixtures keep their state: SQLite files (default), or, with
 * CHANPAY_FAULTS_STORE=postgres (the integration-tests-pg jest project), a database each on a throwaway
 * PostgreSQL server per fixture (fsync on: the crash tests count on it).
 */
export const FAULTS_STORE: 'sqlite' | 'postgres' = process.env.CHANPAY_FAULTS_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The store settings of one server of a fixture: a database on `pg` (started on first use), or nothing (SQLite). */
export async function storeConfig(pg: { server: ThrowawayPostgres | null }, name: string): Promise<Record<string, unknown>> {
  if (FAULTS_STORE !== 'postgres') return {};
  pg.server ??= await startPostgres();
  return { dbUrl: await pg.server.createDatabase(name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()) };
}

export function tempDir(prefix = 'chanpay-rel-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Settings that keep background jobs quiet unless a test wants them: no claims by time or threshold. */
export const QUIET_JOBS = {
  claim: { intervalSeconds: 0, thresholdWei: '0', checkIntervalMs: 100 },
  watcher: { pollIntervalMs: 100 },
  defaults: { challengePeriod: 600, minChallengePeriod: 60 },
  chain: { rpcTimeoutMs: 3000, txTimeoutMs: 60_000 },
};

export interface Party {
  name: 'consumer' | 'provider' | 'other';
  address: string;
  privateKey: string;
}

export interface OneServer {
  dir: string;
  chain: AnvilNode;
  server: PaymentServerProcess;
  api: JsonApi;
  contract: Address;
  chainId: bigint;
  consumer: Party;
  provider: Party;
  other: Party;
  /** A funded account of the chain that this server does not serve. */
  outsider: { address: string; privateKey: string };
  /** Signs vouchers as the consumer (the default channel signer is the consumer's account key). */
  signer: VoucherSigner;
  /** Opens a channel consumer -> provider through the API and returns its id. */
  open(deposit: bigint, extra?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export interface OneServerOptions {
  collector?: TextCollector;
  logLevel?: PaymentServerSpec['logLevel'];
  config?: Record<string, unknown>;
  anvil?: AnvilOptions;
  /** Point the server at this URL instead of the node (e.g. a TcpProxy in front of it). */
  rpcUrlFor?: (chain: AnvilNode) => Promise<string> | string;
}

/** One anvil node and one payment server (child process) serving a consumer, a provider and an unrelated account. */
export async function startOneServer(opts: OneServerOptions = {}): Promise<OneServer> {
  const dir = tempDir();
  const chain = await startAnvilNode({ accounts: 5, collector: opts.collector, ...opts.anvil });
  const [c, p, o, x] = chain.accounts as [Party, Party, Party, Party];
  const pg: { server: ThrowawayPostgres | null } = { server: null };
  const consumer: Party = { name: 'consumer', address: c.address, privateKey: c.privateKey };
  const provider: Party = { name: 'provider', address: p.address, privateKey: p.privateKey };
  const other: Party = { name: 'other', address: o.address, privateKey: o.privateKey };
  let server: PaymentServerProcess;
  try {
    server = await startPaymentServerProcess({
      name: 'ps',
      rpcUrl: opts.rpcUrlFor ? await opts.rpcUrlFor(chain) : chain.rpcUrl,
      dbPath: path.join(dir, 'ps.db'),
      accounts: [consumer, provider, other].map((a) => ({ name: a.name, privateKey: a.privateKey })),
      tokens: [
        { token: TOKENS.consumer, accounts: ['consumer'] },
        { token: TOKENS.provider, accounts: ['provider'] },
        { token: TOKENS.other, accounts: ['other'] },
        { token: TOKENS.both, accounts: ['consumer', 'provider'] },
      ],
      logLevel: opts.logLevel ?? 'info',
      config: { ...QUIET_JOBS, ...(await storeConfig(pg, 'ps')), ...opts.config },
      collector: opts.collector,
    });
  } catch (e) {
    await chain.stop();
    await pg.server?.stop();
    throw e;
  }
  const api = jsonApi(server.url, opts.collector);
  const status = (await api.call('GET', '/status', null)).body;
  const chainId = BigInt(status.chainId);
  const contract = status.contract as Address;
  const signer = new VoucherSigner(new VoucherHasher({ chainId, contract }), hexToBuffer(consumer.privateKey));
  return {
    dir,
    chain,
    server,
    api,
    contract,
    chainId,
    consumer,
    provider,
    other,
    outsider: x,
    signer,
    async open(deposit, extra = {}) {
      const r = await api.call('POST', '/channels', TOKENS.consumer, { provider: provider.address, deposit: deposit.toString(), ...extra });
      if (r.status !== 201) throw new Error(`open failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.channel.id as string;
    },
    async stop() {
      await server.stop().catch(() => undefined);
      await chain.stop().catch(() => undefined);
      await pg.server?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TwoServers {
  dir: string;
  chain: AnvilNode;
  /** The consumer's payment server (signs vouchers) and the provider's (verifies, records, claims). */
  consumerServer: PaymentServerProcess;
  providerServer: PaymentServerProcess;
  /** Clients that follow a restarted server (same port). */
  consumerApi: JsonApi;
  providerApi: JsonApi;
  contract: Address;
  chainId: bigint;
  consumer: { address: string; privateKey: string };
  provider: { address: string; privateKey: string };
  open(deposit: bigint, extra?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export interface TwoServersOptions {
  collector?: TextCollector;
  consumerConfig?: Record<string, unknown>;
  providerConfig?: Record<string, unknown>;
  /** Where each server reaches the node (e.g. through a TcpProxy); default: the node itself. */
  consumerRpcUrl?: (chain: AnvilNode) => Promise<string> | string;
  providerRpcUrl?: (chain: AnvilNode) => Promise<string> | string;
  logLevel?: PaymentServerSpec['logLevel'];
  anvil?: AnvilOptions;
}

/** The thesis topology without the services: one node, the consumer's payment server and the provider's. */
export async function startTwoServers(opts: TwoServersOptions = {}): Promise<TwoServers> {
  const dir = tempDir();
  const chain = await startAnvilNode({ accounts: 3, collector: opts.collector, ...opts.anvil });
  const [consumer, provider] = chain.accounts as [Party, Party];
  const pg: { server: ThrowawayPostgres | null } = { server: null };
  const stops: (() => Promise<void>)[] = [() => chain.stop(), async () => void (await pg.server?.stop())];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const consumerServer = await startPaymentServerProcess({
      name: 'ps-consumer',
      rpcUrl: opts.consumerRpcUrl ? await opts.consumerRpcUrl(chain) : chain.rpcUrl,
      dbPath: path.join(dir, 'consumer.db'),
      accounts: [{ name: 'consumer', privateKey: consumer.privateKey }],
      tokens: [{ token: TOKENS.consumer, accounts: ['consumer'] }],
      logLevel: opts.logLevel ?? 'info',
      config: { ...QUIET_JOBS, ...(await storeConfig(pg, 'ps_consumer')), ...opts.consumerConfig },
      collector: opts.collector,
    });
    stops.push(() => consumerServer.stop());
    const consumerApi = jsonApi(consumerServer.url, opts.collector);
    const status = (await consumerApi.call('GET', '/status', null)).body;
    const providerServer = await startPaymentServerProcess({
      name: 'ps-provider',
      rpcUrl: opts.providerRpcUrl ? await opts.providerRpcUrl(chain) : chain.rpcUrl,
      dbPath: path.join(dir, 'provider.db'),
      contractAddress: status.contract,
      accounts: [{ name: 'provider', privateKey: provider.privateKey }],
      tokens: [{ token: TOKENS.provider, accounts: ['provider'] }],
      logLevel: opts.logLevel ?? 'info',
      config: { ...QUIET_JOBS, ...(await storeConfig(pg, 'ps_provider')), ...opts.providerConfig },
      collector: opts.collector,
    });
    stops.push(() => providerServer.stop());
    return {
      dir,
      chain,
      consumerServer,
      providerServer,
      consumerApi,
      providerApi: jsonApi(providerServer.url, opts.collector),
      contract: status.contract as Address,
      chainId: BigInt(status.chainId),
      consumer,
      provider,
      async open(deposit, extra = {}) {
        const r = await consumerApi.call('POST', '/channels', TOKENS.consumer, {
          provider: provider.address,
          deposit: deposit.toString(),
          ...extra,
        });
        if (r.status !== 201) throw new Error(`open failed: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body.channel.id as string;
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
