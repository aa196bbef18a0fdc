/** Balances of chosen addresses over blocks. */

export interface BalancePoint {
  block: number;
  balance: bigint;
}

/** Up to `maxPoints` block numbers evenly spread over [from, to], both ends included. */
export function sampleBlocks(from: number, to: number, maxPoints: number): number[] {
  if (to < from || maxPoints < 1) return [];
  const span = to - from;
  if (span + 1 <= maxPoints) return Array.from({ length: span + 1 }, (_, i) => from + i);
  if (maxPoints === 1) return [to];
  const blocks = new Set<number>();
  for (let i = 0; i < maxPoints; i++) blocks.add(from + Math.round((i * span) / (maxPoints - 1)));
  return [...blocks].sort((a, b) => a - b);
}

/** Balance samples per address, kept sorted by block, bounded in size (oldest dropped first). */
export class BalanceHistory {
  private readonly series = new Map<string, Map<number, bigint>>();

  constructor(private readonly maxPointsPerAddress = 400) {}

  add(address: string, block: number, balance: bigint): void {
    const key = address.toLowerCase();
    const points = this.series.get(key) ?? new Map<number, bigint>();
    points.set(block, balance);
    if (points.size > this.maxPointsPerAddress) {
      const oldest = Math.min(...points.keys());
      points.delete(oldest);
    }
    this.series.set(key, points);
  }

  points(address: string): BalancePoint[] {
    const points = this.series.get(address.toLowerCase());
    if (!points) return [];
    return [...points.entries()].map(([block, balance]) => ({ block, balance })).sort((a, b) => a.block - b.block);
  }

  /** Balance change against the first sample, which shows the flows rather than the (large) starting funds. */
  deltas(address: string): BalancePoint[] {
    const points = this.points(address);
    const first = points[0]?.balance ?? 0n;
    return points.map((p) => ({ block: p.block, balance: p.balance - first }));
  }
}
