import type { ChainLedger } from '../core/chain-ledger';
import type { MetaStore } from '../store/meta-store';
import type { Rpc } from '../chain/rpc';

const REWIND_DEPTH = 64;

/**
 * Follows the contract's events from the last processed block and keeps the store current. The position is stored
 * in the same database, so after a restart the watcher continues where it stopped.
 */
export class Watcher {
  constructor(
    private readonly rpc: Rpc,
    private readonly ledger: ChainLedger,
    private readonly meta: MetaStore,
    private readonly contract: string,
    private readonly startBlock: number,
    private readonly maxRange: number,
    private readonly onNewEvents: () => void,
    private readonly onRewind?: (was: number, now: number) => void,
  ) {}

  async lastBlock(): Promise<number> {
    const v = await this.meta.get('watcher.lastBlock');
    return v === undefined ? this.startBlock - 1 : Number(v);
  }

  async poll(): Promise<void> {
    const head = await this.rpc.blockNumber();
    const last = await this.lastBlock();
    if (head < last) {
      // The node went back in time (restarted from an older state, or a reorg): what we learnt from the lost
      // blocks may not hold. Re-read every channel from the contract and scan again from a safe depth.
      this.onRewind?.(last, head);
      await this.meta.set('watcher.lastBlock', String(Math.max(this.startBlock - 1, head - REWIND_DEPTH)));
      await this.ledger.refreshAll();
    }
    let from = (await this.lastBlock()) + 1;
    let changed = false;
    while (from <= head) {
      const to = Math.min(head, from + this.maxRange - 1);
      const logs = await this.rpc.logs({ address: this.contract, fromBlock: from, toBlock: to });
      for (const log of logs) await this.ledger.applyLog(log);
      await this.meta.set('watcher.lastBlock', String(to));
      changed ||= logs.length > 0;
      from = to + 1;
    }
    if (changed) this.onNewEvents();
  }
}
