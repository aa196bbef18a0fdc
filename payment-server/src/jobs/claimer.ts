import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { ChannelService } from '../core/channel-service';
import { inBatches, isClaimDue } from '../core/claim-rules';
import { nowSeconds } from '../core/clock';
import type { Logger } from '../logger';
import type { Rpc } from '../chain/rpc';

const MAX_BACKOFF_MS = 60_000;

/**
 * Provider side: claims accepted vouchers on chain by threshold or interval, at once for channels whose consumer
 * started a close (before the challenge period ends), in batches per provider account.
 * Consumer side: withdraws the refund of channels whose challenge period is over.
 * Everything it decides comes from the store and the chain's clock, so it picks up after a restart.
 */
export class Claimer {
  /** Per channel, until when to leave it alone after failed attempts (doubling, at most a minute). */
  private readonly backoff = new Map<string, { until: number; failures: number }>();

  constructor(
    private readonly claim: Config['claim'],
    private readonly accounts: Accounts,
    private readonly service: ChannelService,
    private readonly rpc: Rpc,
    private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    const chainNow = await this.rpc.latestTimestamp();
    await this.claimDue(chainNow);
    await this.withdrawExpired(chainNow);
  }

  private async claimDue(chainNow: number): Promise<void> {
    const now = Date.now();
    for (const account of this.accounts.all()) {
      const due = (await this.service.store.all())
        .filter(
          (r) => r.terms.provider === account.address && isClaimDue(r, this.claim, chainNow, nowSeconds()) && !this.backingOff(r.id, now),
        )
        // Closing channels first: their deadline is real.
        .sort((a, b) => (a.state === 'closing' ? 0 : 1) - (b.state === 'closing' ? 0 : 1));
      for (const batch of inBatches(due, this.claim.batchMax)) {
        try {
          const sent = await this.service.claims.claim(account, batch);
          batch.forEach((r) => this.backoff.delete(r.id));
          if (sent)
            this.log.info(
              { account: account.name, channels: batch.length, txHash: sent.hash, gasUsed: sent.gasUsed.toString() },
              'claimed',
            );
        } catch (e) {
          for (const r of batch) this.failed(r.id, now);
          this.log.warn({ err: (e as Error).message, account: account.name }, 'claim failed; will retry');
          if ((e as { code?: string }).code === 'CHAIN_UNAVAILABLE') throw e;
        }
      }
    }
  }

  private async withdrawExpired(chainNow: number): Promise<void> {
    for (const rec of await this.service.store.all()) {
      if (rec.state !== 'closing' || rec.closesAt === null || chainNow < rec.closesAt) continue;
      const account = this.accounts.byAddr(rec.terms.consumer);
      if (!account || this.backingOff(rec.id, Date.now())) continue;
      try {
        const sent = await this.service.consumer.withdraw(rec, account);
        this.log.info({ channelId: rec.id, txHash: sent.hash }, 'withdrew refund after the challenge period');
      } catch (e) {
        this.failed(rec.id, Date.now());
        // Someone else may have settled it meanwhile: re-read the chain.
        await this.service.ledger.refresh(rec.id).catch(() => undefined);
        this.log.warn({ err: (e as Error).message, channelId: rec.id }, 'withdraw failed; will retry');
      }
    }
  }

  private backingOff(channelId: string, now: number): boolean {
    return (this.backoff.get(channelId)?.until ?? 0) > now;
  }

  private failed(channelId: string, now: number): void {
    const failures = (this.backoff.get(channelId)?.failures ?? 0) + 1;
    this.backoff.set(channelId, { failures, until: now + Math.min(1000 * 2 ** failures, MAX_BACKOFF_MS) });
  }
}
