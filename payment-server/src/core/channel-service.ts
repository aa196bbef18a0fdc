import type { Address } from '@chanpay/protocol';
import { VoucherHasher } from '@chanpay/protocol/node';
import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { TxSender } from '../chain/tx-sender';
import type { Rpc } from '../chain/rpc';
import type { ChannelStore } from '../store/channel-store';
import type { Coordination } from '../store/coordination';
import { ChannelAccess } from './access';
import { ChainLedger } from './chain-ledger';
import { ChannelEvents } from './channel-events';
import { ClaimsAndCloses } from './claims-and-closes';
import { ConsumerOperations } from './consumer-operations';
import type { EventBus } from './events';
import { VoucherVerification } from './voucher-verification';

/** The chain this server works on: its node, its transaction sender and the PaymentChannels contract. */
export interface ChainConnection {
  rpc: Rpc;
  tx: TxSender;
  chainId: bigint;
  contract: Address;
}

export interface ChannelServiceDeps {
  config: Config;
  accounts: Accounts;
  store: ChannelStore;
  /** Locks across the processes sharing the store (claims of a channel run in one at a time). */
  coordination: Coordination;
  chain: ChainConnection;
  events: EventBus;
  metrics: Metrics;
  log: Logger;
}

/**
 * The payment server's business logic, in one part per job: who may act on which channel (`access`), the store's
 * copy of the contract (`ledger`), the consumer's operations (`consumer`), the provider's voucher verification
 * (`provider`), and claims and closes (`claims`). HTTP handlers, the watcher and the claimer all go through here.
 */
export class ChannelService {
  readonly access: ChannelAccess;
  readonly ledger: ChainLedger;
  readonly consumer: ConsumerOperations;
  readonly provider: VoucherVerification;
  readonly claims: ClaimsAndCloses;
  readonly store: ChannelStore;
  /** The EIP-712 domain of this chain and contract (what vouchers are signed for). */
  readonly hasher: VoucherHasher;
  readonly chainId: bigint;
  readonly contract: Address;

  constructor({ config, accounts, store, coordination, chain, events, metrics, log }: ChannelServiceDeps) {
    const { rpc, tx, chainId, contract } = chain;
    this.store = store;
    this.chainId = chainId;
    this.contract = contract;
    this.hasher = new VoucherHasher({ chainId, contract });
    const channelEvents = new ChannelEvents(events, accounts);
    this.ledger = new ChainLedger({ store, rpc, accounts, contract, fromBlock: config.fromBlock, events: channelEvents, metrics });
    this.access = new ChannelAccess(accounts, this.ledger);
    const common = { access: this.access, ledger: this.ledger, store };
    this.consumer = new ConsumerOperations({
      ...common,
      defaults: config.defaults,
      accounts,
      rpc,
      tx,
      hasher: this.hasher,
      contract,
      metrics,
      log,
    });
    this.provider = new VoucherVerification({
      ...common,
      defaults: config.defaults,
      hasher: this.hasher,
      chainId,
      contract,
      events: channelEvents,
      metrics,
    });
    this.claims = new ClaimsAndCloses({
      ...common,
      batchMax: config.claim.batchMax,
      consumer: this.consumer,
      coordination,
      rpc,
      tx,
      contract,
      log,
    });
  }
}
