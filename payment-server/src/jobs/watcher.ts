import type { ChannelService } from '../core/channel-service';
import type { Meta } from '../store/db';
import type { Rpc } from '../chain/rpc';

/**
 * Follows the contract's events from the last processed block and keeps the store current. The position is stored
 * in the same database, so after a restart the watcher continues where it stopped.
 */
export class Watcher {
  constructor(
    private readonly rpc: Rpc,
    private readonly service: ChannelService,
    private readonly meta: Meta,
    private readonly contract: string,
    private readonly startBlock: number,
    private readonly maxRange: number,
    private readonly onNewEvents: () => void,
  ) {}

  get lastBlock(): number {
    const v = this.meta.get('watcher.lastBlock');
    return v === undefined ? this.startBlock - 1 : Number(v);
  }

  async poll(): Promise<void> {
    const head = await this.rpc.blockNumber();
    let from = this.lastBlock + 1;
    let changed = false;
    while (from <= head) {
      const to = Math.min(head, from + this.maxRange - 1);
      const logs = await this.rpc.logs({ address: this.contract, fromBlock: from, toBlock: to });
      for (const log of logs) this.service.applyLog(log);
      this.meta.set('watcher.lastBlock', String(to));
      changed ||= logs.length > 0;
      from = to + 1;
    }
    if (changed) this.onNewEvents();
  }
}
