/**
 * What a provider has been paid for on one channel, as disjoint ranges (lo, hi] of the cumulative amount.
 *
 * A voucher with cumulative amount `a` for a call of price `p` pays for the range (a - p, a]. It is accepted
 * when that range does not overlap anything already paid for. In order this is simply `a >= highest + p`;
 * when voucher N+1 overtakes voucher N on the way, N still fits into the gap that N+1 left below itself, so
 * both calls are served and each is charged once. A replayed voucher overlaps its own range and is refused.
 *
 * Gaps are remembered only up to `maxGaps`; beyond that the lowest gap is given up (treated as paid), which
 * can only make a very late voucher be refused (the consumer then pays that call again), never serve one free.
 */
export class PaidRanges {
  /** Sorted, disjoint, non-adjacent ranges [lo, hi] meaning (lo, hi]. */
  private ranges: { lo: bigint; hi: bigint }[];

  constructor(
    base: bigint,
    private readonly maxGaps = 64,
  ) {
    this.ranges = [{ lo: 0n, hi: base }];
  }

  /** The highest cumulative amount accepted: what the provider can claim. */
  get highest(): bigint {
    return this.ranges[this.ranges.length - 1]!.hi;
  }

  /** Everything up to here is paid (the top of the lowest range). */
  get floor(): bigint {
    return this.ranges[0]!.hi;
  }

  get gaps(): number {
    return this.ranges.length - 1;
  }

  /** Whether (amount - price, amount] is free. `price` must be positive. */
  fits(amount: bigint, price: bigint): boolean {
    const lo = amount - price;
    if (lo < 0n) return false;
    for (const r of this.ranges) {
      if (r.lo < amount && lo < r.hi) return false;
      if (r.lo >= amount) break;
    }
    return true;
  }

  /** Records (amount - price, amount] as paid; call only after `fits` said yes. */
  add(amount: bigint, price: bigint): void {
    const lo = amount - price;
    let i = 0;
    while (i < this.ranges.length && this.ranges[i]!.hi < lo) i++;
    const at = this.ranges[i];
    if (at && at.hi === lo) {
      at.hi = amount;
      const next = this.ranges[i + 1];
      if (next && next.lo === amount) {
        at.hi = next.hi;
        this.ranges.splice(i + 1, 1);
      }
    } else if (at && at.lo === amount) {
      at.lo = lo;
    } else {
      this.ranges.splice(i, 0, { lo, hi: amount });
    }
    while (this.ranges.length - 1 > this.maxGaps) {
      const [first, second] = this.ranges as [{ lo: bigint; hi: bigint }, { lo: bigint; hi: bigint }];
      this.ranges.splice(0, 2, { lo: first.lo, hi: second.hi });
    }
  }

  /** The ranges as text (`lo:hi,lo:hi`, decimal wei), to keep them in a shared store; `PaidRanges.parse` reads it back. */
  serialize(): string {
    return this.ranges.map((r) => `${r.lo}:${r.hi}`).join(',');
  }

  /** Reads what `serialize` wrote. Throws on anything else: a corrupt store must not serve calls. */
  static parse(text: string, maxGaps = 64): PaidRanges {
    const ranges = text.split(',').map((part) => {
      const m = /^(\d+):(\d+)$/.exec(part);
      if (!m) throw new Error(`not paid ranges: ${text.slice(0, 80)}`);
      return { lo: BigInt(m[1]!), hi: BigInt(m[2]!) };
    });
    if (ranges[0]!.lo !== 0n) throw new Error('paid ranges must start at 0');
    const paid = new PaidRanges(0n, maxGaps);
    paid.ranges = ranges;
    return paid;
  }

  /** Treats everything up to `amount` as paid (what the payment server already holds, e.g. after a restart). */
  raiseFloor(amount: bigint): void {
    if (amount <= this.ranges[0]!.hi) return;
    let i = 0;
    while (i < this.ranges.length && this.ranges[i]!.lo <= amount) i++;
    const hi = amount > this.ranges[i - 1]!.hi ? amount : this.ranges[i - 1]!.hi;
    this.ranges.splice(0, i, { lo: 0n, hi });
  }
}
