import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { ChannelService } from '../core/channel-service';
import type { ChannelRecord } from '../store/channel-store';
import type { Logger } from '../logger';
import type { Rpc } from '../chain/rpc';

/**
 * Provider side: claims accepted vouchers on chain by threshold or interval, at once for channels whose consumer
 * started a close (before the challenge period ends), in batches per provider account.
 * Consumer side: withdraws the refund of channels whose challenge period is over.
 * Everything it decides comes from the store and the chain's clock, so it picks up after a restart.
 */
export class Claimer {
  private readonly backoff = new Map<string, { until: number; failures: number }>();

  constructor(
    private readonly config: Config,
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

  isDue(rec: ChannelRecord, chainNow: number): boolean {
    if (rec.state === 'settled' || !rec.acceptedSignature || rec.acceptedAmount <= rec.claimed) return false;
    if (rec.state === 'closing') return rec.closesAt === null || chainNow < rec.closesAt;
    const { thresholdWei, intervalSeconds } = this.config.claim;
    if (thresholdWei > 0n && rec.acceptedAmount - rec.claimed >= thresholdWei) return true;
    if (intervalSeconds > 0) {
      const since = rec.lastClaimAt ?? rec.acceptedAt ?? 0;
      return Math.floor(Date.now() / 1000) - since >= intervalSeconds;
    }
    return false;
  }

  private async claimDue(chainNow: number): Promise<void> {
    const now = Date.now();
    for (const account of this.accounts.all()) {
      const due = this.service.store
        .all()
        .filter((r) => r.terms.provider === account.address && this.isDue(r, chainNow) && (this.backoff.get(r.id)?.until ?? 0) <= now)
        // Closing channels first: their deadline is real.
        .sort((a, b) => (a.state === 'closing' ? 0 : 1) - (b.state === 'closing' ? 0 : 1));
      for (let i = 0; i < due.length; i += this.config.claim.batchMax) {
        const batch = due.slice(i, i + this.config.claim.batchMax);
        try {
          const sent = await this.service.claim(account, batch);
          batch.forEach((r) => this.backoff.delete(r.id));
          if (sent) this.log.info({ account: account.name, channels: batch.length, txHash: sent.hash, gasUsed: sent.gasUsed.toString() }, 'claimed');
        } catch (e) {
          for (const r of batch) {
            const failures = (this.backoff.get(r.id)?.failures ?? 0) + 1;
            this.backoff.set(r.id, { failures, until: now + Math.min(1000 * 2 ** failures, 60_000) });
          }
          this.log.warn({ err: (e as Error).message, account: account.name }, 'claim failed; will retry');
          if ((e as { code?: string }).code === 'CHAIN_UNAVAILABLE') throw e;
        }
      }
    }
  }

  private async withdrawExpired(chainNow: number): Promise<void> {
    for (const rec of this.service.store.all()) {
      if (rec.state !== 'closing' || rec.closesAt === null || chainNow < rec.closesAt) continue;
      const account = this.accounts.byAddr(rec.terms.consumer);
      if (!account || (this.backoff.get(rec.id)?.until ?? 0) > Date.now()) continue;
      try {
        const sent = await this.service.withdraw(rec, account);
        this.log.info({ channelId: rec.id, txHash: sent.hash }, 'withdrew refund after the challenge period');
      } catch (e) {
        const failures = (this.backoff.get(rec.id)?.failures ?? 0) + 1;
        this.backoff.set(rec.id, { failures, until: Date.now() + Math.min(1000 * 2 ** failures, 60_000) });
        // Someone else may have settled it meanwhile: re-read the chain.
        await this.service.refresh(rec.id).catch(() => undefined);
        this.log.warn({ err: (e as Error).message, channelId: rec.id }, 'withdraw failed; will retry');
      }
    }
  }
}
