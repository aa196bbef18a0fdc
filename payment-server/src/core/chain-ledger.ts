import { ChanpayError, normalizeTerms, type Address } from '@chanpay/protocol';
import type { Accounts } from '../accounts';
import type { Metrics } from '../metrics';
import { TOPICS, decodeChannelState, encode, parseLog, FINALIZED } from '../chain/contract';
import { chainError, type SentTx } from '../chain/tx-sender';
import type { Rpc } from '../chain/rpc';
import type { ChannelRecord, ChannelStore } from '../store/channel-store';
import type { ChannelEvents } from './channel-events';

type ContractLog = { topics: string[]; data: string; blockNumber: string };

/** How long an id found unknown is answered from memory, and how many such ids are remembered. */
const UNKNOWN_ID_TTL_MS = 3_000;
const UNKNOWN_IDS_MAX = 10_000;

export interface ChainLedgerDeps {
  store: ChannelStore;
  rpc: Rpc;
  accounts: Accounts;
  contract: Address;
  /** The first block to search for a channel's ChannelOpened event. */
  fromBlock: number;
  events: ChannelEvents;
  metrics: Metrics;
}

/**
 * The store's copy of the contract's channels: finds channels on chain, re-reads their state, and applies the
 * contract's events (from our own receipts at once, and from the watcher), keeping per channel the newest
 * block applied so that an older read cannot undo a newer event.
 */
export class ChainLedger {
  private readonly unknownIds = new Map<string, number>();
  private readonly discovering = new Map<string, Promise<ChannelRecord | undefined>>();
  /** Per channel, the newest block whose events were applied (so that an older contract read cannot undo them). */
  private readonly appliedBlock = new Map<string, number>();

  constructor(private readonly deps: ChainLedgerDeps) {}

  /** A channel from the store, or discovered on chain when this server has not seen it yet. */
  async lookup(id: string): Promise<ChannelRecord | undefined> {
    if (!/^0x[0-9a-f]{64}$/.test(id))
      throw new ChanpayError('VALIDATION_ERROR', 'channel id must be 0x followed by 64 lower-case hex digits');
    return (await this.deps.store.get(id)) ?? this.discover(id);
  }

  /**
   * Finds a channel that the watcher has not seen yet by its ChannelOpened event. Ids recently found unknown are
   * remembered for a few seconds, so that a flood of made-up ids cannot turn into a flood of log queries.
   */
  private discover(id: string): Promise<ChannelRecord | undefined> {
    const until = this.unknownIds.get(id);
    if (until && until > Date.now()) return Promise.resolve(undefined);
    const pending = this.discovering.get(id);
    if (pending) return pending;
    const { rpc, contract, fromBlock } = this.deps;
    const job = (async () => {
      try {
        const head = await rpc.blockNumber();
        const logs = await rpc.logs({ address: contract, fromBlock, toBlock: head, topics: [TOPICS.ChannelOpened, id] });
        const first = logs[0];
        if (!first) {
          if (this.unknownIds.size > UNKNOWN_IDS_MAX) this.unknownIds.clear();
          this.unknownIds.set(id, Date.now() + UNKNOWN_ID_TTL_MS);
          return undefined;
        }
        await this.applyOpened(first);
        return this.refresh(id);
      } catch (e) {
        throw chainError('channel lookup', e);
      } finally {
        this.discovering.delete(id);
      }
    })();
    this.discovering.set(id, job);
    return job;
  }

  /**
   * Reads the channel's on-chain state into the store. The read is pinned to a block; if an event of a later block
   * was applied while it was in flight (a top-up's receipt, say), the read is older news and may only move the
   * channel forward, never back.
   */
  async refresh(id: string): Promise<ChannelRecord | undefined> {
    const { rpc, store, contract } = this.deps;
    let chainState;
    let block: number;
    try {
      block = await rpc.blockNumber();
      chainState = decodeChannelState(await rpc.ethCall({ to: contract, data: encode.channel(id) }, block));
    } catch (e) {
      throw chainError('channel read', e);
    }
    const applied = this.appliedBlock.get(id) ?? -1;
    let authoritative = applied <= block;
    if (!authoritative) {
      // Either a newer event arrived during the read (keep it), or the node lost the blocks it came from.
      const head = await rpc.blockNumber().catch(() => applied);
      if (head < applied) {
        authoritative = true;
        this.appliedBlock.set(id, block);
      }
    }
    const state = chainState.closesAt === FINALIZED ? 'settled' : chainState.closesAt > 0n ? 'closing' : 'open';
    const closesAt =
      state === 'closing'
        ? Number(chainState.closesAt)
        : state === 'open' && authoritative
          ? null
          : ((await store.get(id))?.closesAt ?? null);
    return (await store.updateChain(id, { deposit: chainState.deposit, claimed: chainState.claimed, state, closesAt }, authoritative))?.rec;
  }

  /** Re-reads every channel that is not settled (after the node went back in time). */
  async refreshAll(): Promise<void> {
    for (const rec of await this.deps.store.all()) {
      if (rec.state !== 'settled') await this.refresh(rec.id);
    }
  }

  /** Applies the contract events of our own transaction at once, without waiting for the watcher. */
  async applyReceipt(sent: SentTx): Promise<void> {
    for (const log of sent.receipt.logs) {
      if (log.address.toLowerCase() === this.deps.contract) await this.applyLog(log);
    }
  }

  /** Applies one contract log to the store (idempotent: the watcher may apply the same log again). */
  async applyLog(log: ContractLog): Promise<void> {
    const parsed = parseLog(log);
    if (!parsed) return;
    if (parsed.name === 'ChannelOpened') {
      await this.applyOpened(log);
      return;
    }
    const { store, events, metrics } = this.deps;
    const id = (parsed.args[0] as string).toLowerCase();
    const rec = await store.get(id);
    if (!rec) return;
    const block = Number(log.blockNumber);
    if (block > (this.appliedBlock.get(id) ?? -1)) this.appliedBlock.set(id, block);
    switch (parsed.name) {
      case 'ChannelToppedUp': {
        const u = await store.updateChain(id, { deposit: parsed.args.deposit as bigint });
        // Compared under the row's lock: of several processes applying one event, one publishes it.
        if (u && rec.deposit > u.was.deposit)
          events.publish('channel.topped_up', rec, { deposit: rec.deposit.toString(), amount: (parsed.args.amount as bigint).toString() });
        break;
      }
      case 'ChannelClaimed': {
        const u = await store.updateChain(id, { claimed: parsed.args.claimed as bigint });
        if (u && rec.claimed > u.was.claimed) {
          metrics.claimedWei.inc(Number(rec.claimed - u.was.claimed));
          events.publish('channel.claimed', rec, { claimed: rec.claimed.toString(), amount: (parsed.args.amount as bigint).toString() });
        }
        break;
      }
      case 'ChannelCloseStarted': {
        const u = await store.updateChain(id, { state: 'closing', closesAt: Number(parsed.args.closesAt) });
        if (u?.was.state === 'open' && rec.state === 'closing') events.publish('channel.closing', rec, { closesAt: rec.closesAt });
        break;
      }
      case 'ChannelSettled': {
        const u = await store.updateChain(id, { state: 'settled', claimed: parsed.args.providerTotal as bigint });
        if (u && u.was.state !== 'settled') {
          events.publish('channel.settled', rec, {
            providerTotal: (parsed.args.providerTotal as bigint).toString(),
            consumerRefund: (parsed.args.consumerRefund as bigint).toString(),
          });
        }
        break;
      }
    }
  }

  /** Stores a ChannelOpened log if one of our accounts is a party. */
  private async applyOpened(log: ContractLog): Promise<void> {
    const parsed = parseLog(log);
    if (parsed?.name !== 'ChannelOpened') return;
    const { store, accounts, events } = this.deps;
    const a = parsed.args;
    const terms = normalizeTerms({
      consumer: a.consumer as string,
      provider: a.provider as string,
      signer: a.signer as string,
      token: a.token as string,
      challengePeriod: a.challengePeriod as bigint,
      salt: a.salt as string,
    });
    if (!accounts.byAddr(terms.consumer) && !accounts.byAddr(terms.provider)) return;
    const id = (a.channelId as string).toLowerCase();
    const { rec, inserted } = await store.insert(id, terms, a.deposit as bigint, Number(log.blockNumber));
    this.unknownIds.delete(id);
    if (inserted) events.publish('channel.opened', rec, { deposit: (a.deposit as bigint).toString(), terms });
  }
}
