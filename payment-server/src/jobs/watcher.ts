import type { ChainLedger } from '../core/chain-ledger';
import type { Meta } from '../store/db';
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
    private readonly meta: Meta,
    private readonly contract: string,
    private readonly startBlock: number,
    private readonly maxRange: number,
    private readonly onNewEvents: () => void,
    private readonly onRewind?: (was: number, now: number) => void,
  ) {}

  get lastBlock(): number {
    const v = this.meta.get('watcher.lastBlock');
    return v === undefined ? this.startBlock - 1 : Number(v);
  }

  async poll(): Promise<void> {
    const head = await this.rpc.blockNumber();
    if (head < this.lastBlock) {
      // The node went back in time (restarted from an older state, or a reorg): what we learnt from the lost
      // blocks may not hold. Re-read every channel from the contract and scan again from a safe depth.
      this.onRewind?.(this.lastBlock, head);
      this.meta.set('watcher.lastBlock', String(Math.max(this.startBlock - 1, head - REWIND_DEPTH)));
      await this.ledger.refreshAll();
    }
    let from = this.lastBlock + 1;
    let changed = false;
    while (from <= head) {
      const to = Math.min(head, from + this.maxRange - 1);
      const logs = await this.rpc.logs({ address: this.contract, fromBlock: from, toBlock: to });
      for (const log of logs) this.ledger.applyLog(log);
      this.meta.set('watcher.lastBlock', String(to));
      changed ||= logs.length > 0;
      from = to + 1;
    }
    if (changed) this.onNewEvents();
  }
}
