import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizeAddress, type Address } from '@chanpay/protocol';
import { VoucherHasher } from '@chanpay/protocol/node';
import { Accounts } from './accounts';
import { parseConfig, type Config, type ConfigInput } from './config';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { openDb, Meta } from './store/db';
import { ChannelStore } from './store/channel-store';
import { Rpc, RpcUnavailableError } from './chain/rpc';
import { TxSender } from './chain/tx-sender';
import { PAYMENT_CHANNELS_BYTECODE, buildOpenApi } from '@chanpay/protocol';
import { GAS } from './chain/contract';
import { startDevChain, type DevChain } from './chain/dev-chain';
import { ChannelService } from './core/channel-service';
import { EventBus } from './core/events';
import { Watcher } from './jobs/watcher';
import { Claimer } from './jobs/claimer';
import { Webhooks } from './jobs/webhooks';
import { Loop } from './jobs/loop';
import { TokenRegistry } from './http/auth';
import { createApp } from './http/app';

export const VERSION = '0.1.0';

export interface PaymentServer {
  /** Base URL, e.g. http://127.0.0.1:3001 */
  url: string;
  contract: Address;
  chainId: bigint;
  rpcUrl: string;
  /** The development chain this server started, when no rpcUrl was given. */
  embeddedChain?: DevChain;
  service: ChannelService;
  config: Config;
  /** Runs the watcher and the claimer once now (tests, and after a manual action). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Check every answer against its response schema; default from PS_VALIDATE_RESPONSES=1 (the test suites set it). */
  validateResponses?: boolean;
}

/**
 * Starts a payment server: opens the store, connects to (or starts) the chain, deploys or attaches to the
 * contract, catches up with its events, then serves the API and runs the background jobs.
 */
export async function createPaymentServer(input: Config | ConfigInput, opts: StartOptions = {}): Promise<PaymentServer> {
  const config = parseConfig(input);
  const log = opts.logger ?? createLogger(config.logLevel);
  const accounts = await Accounts.load(config, opts.env);
  const db = openDb(config.dbPath, config.dbSync);
  const meta = new Meta(db);
  const cleanups: (() => Promise<void> | void)[] = [() => void db.close()];
  try {
    let embeddedChain: DevChain | undefined;
    let rpcUrl = config.rpcUrl;
    if (!rpcUrl) {
      // No node given: run ganache here and fund this server's accounts so it works with no set-up.
      embeddedChain = await startDevChain({
        port: config.embeddedChain.port,
        chainId: config.embeddedChain.chainId,
        balanceEth: config.embeddedChain.balanceEth,
        privateKeys: accounts.all().map((a) => a.wallet.privateKey),
      });
      rpcUrl = embeddedChain.rpcUrl;
      cleanups.push(() => embeddedChain!.stop());
      log.info({ rpcUrl }, 'started embedded ganache chain');
    }
    const rpc = new Rpc(rpcUrl, config.chain.rpcTimeoutMs);
    const chainId = await rpc.chainId().catch((e: unknown) => {
      throw new RpcUnavailableError(`cannot reach the Ethereum node at ${rpcUrl}: ${(e as Error).message}`);
    });
    const storedChain = meta.get('chainId');
    if (storedChain && storedChain !== chainId.toString()) {
      throw new Error(`the database ${config.dbPath} belongs to chain ${storedChain}, but the node is chain ${chainId}`);
    }
    const metrics = createMetrics();
    const tx = new TxSender(rpc, chainId, config.chain, (kind, _req, sent) => {
      metrics.transactions.inc({ kind });
      metrics.gasUsed.inc({ kind }, Number(sent.gasUsed));
      db.prepare('INSERT OR REPLACE INTO transactions (hash, kind, account, channel_ids, status, gas_used, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        sent.hash, kind, _req.wallet.address.toLowerCase(), '[]', sent.receipt.status === '0x1' ? 'success' : 'reverted', sent.gasUsed.toString(), Math.floor(Date.now() / 1000),
      );
    });

    let contract = config.contractAddress as Address | undefined;
    let startBlock = config.fromBlock;
    const storedContract = meta.get('contract');
    if (!contract && storedContract && embeddedChain === undefined) {
      contract = storedContract as Address;
      startBlock = Number(meta.get('contractBlock') ?? 0);
    }
    if (!contract) {
      const deployer = accounts.all()[0]!;
      const sent = await tx.send({ wallet: deployer.wallet, data: PAYMENT_CHANNELS_BYTECODE, gasLimit: GAS.deploy, kind: 'deploy' });
      contract = normalizeAddress(sent.receipt.contractAddress!);
      startBlock = Number(sent.receipt.blockNumber);
      log.info({ contract, gasUsed: sent.gasUsed.toString() }, 'deployed PaymentChannels');
    } else if ((await rpc.code(contract)) === '0x') {
      throw new Error(`no contract at ${contract} on chain ${chainId}`);
    }
    if (storedContract && storedContract !== contract) {
      // A fresh chain (e.g. a restarted embedded one) or another contract: channel state from before does not apply.
      throw new Error(`the database ${config.dbPath} tracks contract ${storedContract}; use another dbPath for ${contract}`);
    }
    if (!storedContract) {
      meta.set('contract', contract);
      meta.set('contractBlock', String(startBlock));
      meta.set('chainId', chainId.toString());
    } else {
      startBlock = Number(meta.get('contractBlock') ?? startBlock);
    }

    const store = new ChannelStore(db, config.statsWindowSeconds);
    const events = new EventBus();
    const hasher = new VoucherHasher({ chainId, contract });
    const service = new ChannelService(config, accounts, store, rpc, tx, hasher, contract, chainId, events, metrics, log);
    const tokens = new TokenRegistry(config, accounts);
    const webhooks = new Webhooks(db, (owner) => tokens.accountsOf(owner), config.webhooks, metrics, log);
    events.on((e) => webhooks.enqueue(e));

    const onError = (name: string, e: unknown, failures: number) => {
      metrics.chainErrors.inc({ operation: name });
      if (failures === 1 || failures % 10 === 0) log.warn({ err: (e as Error).message, failures }, `${name} failed; retrying with backoff`);
    };
    const claimer = new Claimer(config, accounts, service, rpc, log);
    const claimLoop = new Loop('claimer', config.claim.checkIntervalMs, () => claimer.run(), onError);
    const watcher = new Watcher(rpc, service, meta, contract, startBlock, config.watcher.maxBlockRange, () => void claimLoop.kick(), (was, now) =>
      log.warn({ was, now }, 'the node is behind the last block we processed; re-reading every channel'),
    );
    const watchLoop = new Loop('watcher', config.watcher.pollIntervalMs, () => watcher.poll(), onError);
    const webhookLoop = new Loop('webhooks', 500, () => webhooks.dispatch(), onError);

    await watcher.poll();
    const startedAt = Date.now();
    const openapi = buildOpenApi(VERSION);
    const app = createApp({ service, webhooks, metrics, config, rpc, version: VERSION, startedAt, openapi: () => openapi, validateResponses: opts.validateResponses ?? (opts.env ?? process.env).PS_VALIDATE_RESPONSES === '1' }, tokens, log);
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    server.keepAliveTimeout = 65_000;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    watchLoop.start();
    claimLoop.start();
    webhookLoop.start();
    cleanups.push(() => watchLoop.stop(), () => claimLoop.stop(), () => webhookLoop.stop());

    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    log.info({ url, contract, chainId: chainId.toString(), accounts: accounts.all().map((a) => ({ name: a.name, address: a.address })) }, 'payment server listening');
    let stopped = false;
    return {
      url,
      contract,
      chainId,
      rpcUrl,
      embeddedChain,
      service,
      config,
      async sync() {
        await watchLoop.kick();
        await claimLoop.kick();
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await closeAll(cleanups);
      },
    };
  } catch (e) {
    await closeAll(cleanups);
    throw e;
  }
}

async function closeAll(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* keep closing the rest */
    }
  }
}
