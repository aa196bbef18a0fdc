import { buildOpenApi, type Address } from '@chanpay/protocol';
import { Accounts } from './accounts';
import { parseConfig, type Config, type ConfigInput } from './config';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { openStore } from './store/open-store';
import { TxSender } from './chain/tx-sender';
import type { DevChain } from './chain/dev-chain';
import type { ChannelService } from './core/channel-service';
import { createApp } from './http/app';
import { connectToNode } from './startup/chain';
import { attachContract } from './startup/contract';
import { listen } from './startup/listen';
import { wireServer } from './startup/services';
import { Teardown } from './startup/teardown';

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
 * contract, catches up with its events, then serves the API and runs the background jobs. Whatever was set up
 * before a step failed is undone.
 */
export async function createPaymentServer(input: Config | ConfigInput, opts: StartOptions = {}): Promise<PaymentServer> {
  const config = parseConfig(input);
  const log = opts.logger ?? createLogger(config.logLevel);
  const accounts = await Accounts.load(config, opts.env);
  const store = await openStore(config, log);
  const teardown = new Teardown();
  teardown.add(() => store.close());
  try {
    const node = await connectToNode(config, accounts, log, teardown);
    const { rpc, chainId } = node;
    const metrics = createMetrics();
    const tx = new TxSender(
      rpc,
      chainId,
      config.chain,
      (kind, sent) => {
        metrics.transactions.inc({ kind });
        metrics.gasUsed.inc({ kind }, Number(sent.gasUsed));
      },
      store.coordination,
    );
    const choice = {
      configured: config.contractAddress as Address | undefined,
      fromBlock: config.fromBlock,
      freshChain: node.embeddedChain !== undefined,
      deployer: accounts.all()[0]!.wallet,
      dbPath: store.where,
    };
    // Replicas starting together on an empty database must not each deploy a contract.
    const { contract, startBlock } = await store.coordination.exclusive(['attach-contract'], () =>
      attachContract(choice, { meta: store.meta, rpc, tx, chainId, log }),
    );

    const wired = wireServer({ config, accounts, store, chain: { rpc, tx, chainId, contract }, startBlock, metrics, log });
    if (await store.coordination.lead()) await wired.watcher.poll();
    const openapi = buildOpenApi(VERSION);
    const validateResponses = opts.validateResponses ?? (opts.env ?? process.env).PS_VALIDATE_RESPONSES === '1';
    const routeContext = {
      service: wired.service,
      webhooks: wired.webhooks,
      metrics,
      config,
      rpc,
      origins: store.origins,
      version: VERSION,
      startedAt: Date.now(),
      openapi: () => openapi,
      validateResponses,
    };
    const http = await listen(createApp(routeContext, wired.tokens, log), config.host, config.port);
    teardown.add(() => http.close());
    const { watch, claim, webhooks } = wired.loops;
    for (const loop of [watch, claim, webhooks]) {
      loop.start();
      teardown.add(() => loop.stop());
    }

    log.info(
      { url: http.url, contract, chainId: chainId.toString(), accounts: accounts.all().map((a) => ({ name: a.name, address: a.address })) },
      'payment server listening',
    );
    return {
      url: http.url,
      contract,
      chainId,
      rpcUrl: node.rpcUrl,
      embeddedChain: node.embeddedChain,
      service: wired.service,
      config,
      async sync() {
        await watch.kick();
        await claim.kick();
      },
      stop: () => teardown.run(),
    };
  } catch (e) {
    await teardown.run();
    throw e;
  }
}
