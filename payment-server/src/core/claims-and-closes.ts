import { ChanpayError, type Address } from '@chanpay/protocol';
import type { Account } from '../accounts';
import type { Logger } from '../logger';
import { GAS, encode, type ClaimEntry } from '../chain/contract';
import type { SentTx, TxSender } from '../chain/tx-sender';
import type { Rpc } from '../chain/rpc';
import type { ChannelRecord, ChannelState, ChannelStore } from '../store/channel-store';
import type { Coordination } from '../store/coordination';
import type { ChannelAccess, Principal } from './access';
import type { ChainLedger } from './chain-ledger';
import { hasUnclaimedVoucher, inBatches } from './claim-rules';
import { nowSeconds } from './clock';
import type { ConsumerOperations } from './consumer-operations';

export interface ClaimsAndClosesDeps {
  /** The most channels one claim transaction carries. */
  batchMax: number;
  access: ChannelAccess;
  ledger: ChainLedger;
  consumer: ConsumerOperations;
  store: ChannelStore;
  coordination: Coordination;
  rpc: Rpc;
  tx: TxSender;
  contract: Address;
  log: Logger;
}

export type CloseOutcome =
  /** The provider claimed what was unclaimed and settled the channel in one transaction. */
  | { by: 'provider'; rec: ChannelRecord; sent: SentTx }
  /** The consumer started the challenge period (no transaction when it had started already). */
  | { by: 'consumer'; rec: ChannelRecord; sent: SentTx | null };

export interface CloseStatus {
  state: ChannelState;
  closesAt: number | null;
  secondsLeft: number | null;
  canWithdraw: boolean;
}

/**
 * Getting paid and ending channels: claims of accepted vouchers (one, or batched), the provider's immediate close,
 * and the consumer's close. Claims and provider closes of a channel run one at a time (a channel lock in this
 * process, then the same lock across every process on the store), so that the claim policy and a request at
 * once cannot claim the same amount twice.
 */
export class ClaimsAndCloses {
  private readonly channelLocks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ClaimsAndClosesDeps) {}

  /** Claims the latest accepted vouchers of these channels (one provider account), batched when several. */
  async claim(account: Account, recs: ChannelRecord[]): Promise<SentTx | null> {
    const { ledger, store, log } = this.deps;
    const mine = recs.filter((r) => r.terms.provider === account.address);
    if (mine.length === 0) return null;
    // Decide what is due under the channels' locks, from the contract itself: a claim that ran meanwhile (the
    // claim policy and a request at once) or events a node lost must not make us claim the same amount again.
    return this.withChannelLocks(
      mine.map((r) => r.id),
      async () => {
        for (const r of mine) await ledger.refresh(r.id);
        const due = mine.filter(hasUnclaimedVoucher);
        if (due.length === 0) return null;
        const entries: ClaimEntry[] = due.map((r) => ({ terms: r.terms, amount: r.acceptedAmount, signature: r.acceptedSignature }));
        const now = nowSeconds();
        for (const r of due) await store.recordClaimAttempt(r, now);
        let sent: SentTx;
        try {
          sent = await this.sendClaim(account, entries);
        } catch (e) {
          if (entries.length === 1) throw e;
          // One bad entry reverts a batch: fall back to claiming one by one, so the rest still get paid.
          log.warn({ err: (e as Error).message, channels: due.length }, 'batch claim failed; claiming one by one');
          let last: SentTx | null = null;
          for (const entry of entries) {
            try {
              last = await this.sendClaim(account, [entry]);
              await ledger.applyReceipt(last);
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'claim failed');
            }
          }
          return last;
        }
        await ledger.applyReceipt(sent);
        return sent;
      },
    );
  }

  /** Claim on request of one channel; NOTHING_TO_CLAIM when no voucher is above the claimed amount. */
  async claimChannel(p: Principal, id: string): Promise<{ rec: ChannelRecord; sent: SentTx; amount: bigint }> {
    const { rec, account } = await this.deps.access.channelFor(p, id, 'provider');
    const before = rec.claimed;
    const sent = await this.claim(account, [rec]);
    if (!sent)
      throw new ChanpayError('NOTHING_TO_CLAIM', 'no voucher above the claimed amount', {
        claimed: rec.claimed.toString(),
        accepted: rec.acceptedAmount.toString(),
      });
    return { rec, sent, amount: rec.claimed - before };
  }

  /** Claim on request of every channel with unclaimed vouchers of the named account (or of all the token's). */
  async claimAll(p: Principal, accountName?: string): Promise<{ sent: SentTx; channels: string[] }[]> {
    const { access, store, batchMax } = this.deps;
    const claimed: { sent: SentTx; channels: string[] }[] = [];
    for (const account of access.actingAccounts(p, accountName)) {
      const due = (await store.all()).filter((r) => r.terms.provider === account.address && hasUnclaimedVoucher(r));
      for (const batch of inBatches(due, batchMax)) {
        const sent = await this.claim(account, batch);
        if (sent) claimed.push({ sent, channels: batch.map((r) => r.id) });
      }
    }
    return claimed;
  }

  /**
   * Close on request. The channel's provider claims and settles at once; its consumer starts the challenge
   * period (during which the provider may still claim), or is told when it runs already.
   */
  async close(principal: Principal, id: string, accountName?: string): Promise<CloseOutcome> {
    const { rec, account } = await this.deps.access.channelFor(this.deps.access.narrowedTo(principal, accountName), id);
    if (rec.state === 'settled') throw new ChanpayError('CHANNEL_CLOSED', 'the channel is already settled');
    if (account.address === rec.terms.provider) return { by: 'provider', rec, sent: await this.closeByProvider(rec, account) };
    if (rec.state === 'closing') return { by: 'consumer', rec, sent: null };
    return { by: 'consumer', rec, sent: await this.deps.consumer.startClose(rec, account) };
  }

  /** Where a close stands, by the chain's clock (the server's when the node cannot say). */
  async closeStatus(p: Principal, id: string): Promise<CloseStatus> {
    const { rec } = await this.deps.access.channelFor(p, id);
    const now = await this.deps.rpc.latestTimestamp().catch(() => nowSeconds());
    const secondsLeft = rec.state === 'closing' && rec.closesAt !== null ? Math.max(0, rec.closesAt - now) : null;
    return { state: rec.state, closesAt: rec.closesAt, secondsLeft, canWithdraw: rec.state === 'closing' && secondsLeft === 0 };
  }

  /** Provider close: claims the latest voucher (if any beyond the claimed) and refunds the rest, in one step. */
  private async closeByProvider(rec: ChannelRecord, account: Account): Promise<SentTx> {
    const { ledger, tx, contract } = this.deps;
    return this.withChannelLocks([rec.id], async () => {
      await ledger.refresh(rec.id);
      const voucher = hasUnclaimedVoucher(rec) ? { amount: rec.acceptedAmount, signature: rec.acceptedSignature } : undefined;
      const sent = await tx.send({
        wallet: account.wallet,
        to: contract,
        data: encode.closeByProvider(rec.terms, voucher),
        gasLimit: GAS.closeByProvider,
        kind: 'closeByProvider',
      });
      await ledger.applyReceipt(sent);
      return sent;
    });
  }

  private sendClaim(account: Account, entries: ClaimEntry[]): Promise<SentTx> {
    const { tx, contract } = this.deps;
    if (entries.length === 1)
      return tx.send({ wallet: account.wallet, to: contract, data: encode.claim(entries[0]!), gasLimit: GAS.claim, kind: 'claim' });
    const gasLimit = GAS.claimBatchBase + GAS.claimBatchPerChannel * BigInt(entries.length);
    return tx.send({ wallet: account.wallet, to: contract, data: encode.claimBatch(entries), gasLimit, kind: 'claimBatch' });
  }

  /**
   * Runs `job` once every earlier job holding any of these channels has finished (failed jobs too), here and in
   * the other processes on the store.
   */
  private async withChannelLocks<T>(ids: string[], job: () => Promise<T>): Promise<T> {
    const previous = ids.map((id) => this.channelLocks.get(id) ?? Promise.resolve());
    const keys = ids.map((id) => `claim:${id}`);
    const run = Promise.allSettled(previous).then(() => this.deps.coordination.exclusive(keys, job));
    const settled = run.catch(() => undefined);
    ids.forEach((id) => this.channelLocks.set(id, settled));
    try {
      return await run;
    } finally {
      ids.forEach((id) => {
        if (this.channelLocks.get(id) === settled) this.channelLocks.delete(id);
      });
    }
  }
}
