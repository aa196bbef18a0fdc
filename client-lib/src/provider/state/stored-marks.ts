import type { Logger } from '../../logger';
import type { SharedState } from './provider-state';

/**
 * What the payment server now holds, told to the shared state in one query per turn of the event loop (the
 * outbox reports channel by channel). Only an optimisation of the sweep: a mark lost here means a voucher is
 * sent to the payment server once more, which it answers as already held.
 */
export class StoredMarks {
  private pending = new Map<string, bigint>();
  private scheduled: Promise<void> | null = null;

  constructor(
    private readonly shared: SharedState,
    private readonly log: Logger,
  ) {}

  add(channelId: string, amount: bigint): void {
    const before = this.pending.get(channelId);
    if (before === undefined || amount > before) this.pending.set(channelId, amount);
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  async flush(): Promise<void> {
    this.scheduled = null;
    if (this.pending.size === 0) return;
    const batch = [...this.pending].map(([channelId, amount]) => ({ channelId, amount }));
    this.pending = new Map();
    await this.shared.markStored(batch).catch((e: Error) => this.log.warn({ err: e.message }, 'marking stored vouchers failed'));
  }
}
