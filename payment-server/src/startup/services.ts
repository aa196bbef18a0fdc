import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store } from '../store/store';
import { ChannelService, type ChainConnection } from '../core/channel-service';
import { EventBus } from '../core/events';
import { Claimer } from '../jobs/claimer';
import { Loop } from '../jobs/loop';
import { Watcher } from '../jobs/watcher';
import { Webhooks } from '../jobs/webhooks';
import { TokenRegistry } from '../http/auth';

const WEBHOOK_DISPATCH_MS = 500;

export interface WiredServer {
  service: ChannelService;
  tokens: TokenRegistry;
  webhooks: Webhooks;
  watcher: Watcher;
  /** The background jobs, not started yet. */
  loops: { watch: Loop; claim: Loop; webhooks: Loop };
}

/**
 * Builds the server's parts on an open database and an attached contract: the channel service, the bearer
 * tokens, webhooks fed by the service's events, and the loops of the watcher, the claimer and the webhook
 * dispatcher (a new event kicks the claimer, so that a close started on chain gets its claim at once).
 */
export function wireServer({
  config,
  accounts,
  store,
  chain,
  startBlock,
  metrics,
  log,
}: {
  config: Config;
  accounts: Accounts;
  store: Store;
  chain: ChainConnection;
  startBlock: number;
  metrics: Metrics;
  log: Logger;
}): WiredServer {
  const { coordination } = store;
  const events = new EventBus();
  const service = new ChannelService({ config, accounts, store: store.channels, coordination, chain, events, metrics, log });
  const tokens = new TokenRegistry(config, accounts);
  const webhooks = new Webhooks(store.webhooks, (owner) => tokens.accountsOf(owner), config.webhooks, metrics, log);
  events.on(
    (e) =>
      void webhooks
        .enqueue(e)
        .catch((err: unknown) => log.error({ err: (err as Error).message, type: e.type }, 'could not store a webhook event')),
  );

  const onError = (name: string, e: unknown, failures: number) => {
    metrics.chainErrors.inc({ operation: name });
    if (failures === 1 || failures % 10 === 0) log.warn({ err: (e as Error).message, failures }, `${name} failed; retrying with backoff`);
  };
  const claimer = new Claimer(config.claim, accounts, service, chain.rpc, log);
  // Only the leader among the processes on the store watches, claims and delivers webhooks.
  const asLeader = (job: () => Promise<void>) => async () => {
    if (await coordination.lead()) await job();
  };
  const claim = new Loop(
    'claimer',
    config.claim.checkIntervalMs,
    asLeader(() => claimer.run()),
    onError,
  );
  const watcher = new Watcher(
    chain.rpc,
    service.ledger,
    store.meta,
    chain.contract,
    startBlock,
    config.watcher.maxBlockRange,
    () => void claim.kick(),
    (was, now) => log.warn({ was, now }, 'the node is behind the last block we processed; re-reading every channel'),
  );
  const watch = new Loop(
    'watcher',
    config.watcher.pollIntervalMs,
    asLeader(() => watcher.poll()),
    onError,
  );
  const webhookLoop = new Loop(
    'webhooks',
    WEBHOOK_DISPATCH_MS,
    asLeader(() => webhooks.dispatch()),
    onError,
  );
  return { service, tokens, webhooks, watcher, loops: { watch, claim, webhooks: webhookLoop } };
}
