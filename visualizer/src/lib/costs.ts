/**
 * The cost view's model: for each origin (the root caller each paid call named, `chanpay.origin`), the tree of
 * what it caused downstream, one edge per channel with the calls and amount attributed to that origin, drawn
 * from the payment server's per-origin records (`GET /channels/:id/origins`).
 */

export interface OriginAmount {
  origin: string;
  calls: number;
  amount: bigint;
}

/** One channel's records in one role, summed over the windows fetched. */
export interface ChannelOriginRecord {
  role: 'consumer' | 'provider';
  origins: OriginAmount[];
}

export interface CostEdge {
  channelId: string;
  from: string;
  to: string;
  token: string;
  calls: number;
  amount: bigint;
}

export interface CostNode {
  edge: CostEdge;
  /** The edges out of `edge.to` that the same origin caused. */
  children: CostNode[];
}

export interface OriginCosts {
  origin: string;
  /** Edges that start where no other edge of this origin ends: the origin's own calls. */
  roots: CostNode[];
  edges: number;
}

/**
 * Builds one tree per origin. A channel's provider record is preferred to its consumer record (when the token
 * holds both ends they describe the same calls); channels without records are left out.
 */
export function costTrees(
  channels: readonly { id: string; consumer: string; provider: string; token: string }[],
  records: ReadonlyMap<string, readonly ChannelOriginRecord[]>,
): OriginCosts[] {
  const byOrigin = new Map<string, CostEdge[]>();
  for (const ch of channels) {
    const recs = records.get(ch.id) ?? [];
    const rec = recs.find((r) => r.role === 'provider') ?? recs.find((r) => r.role === 'consumer');
    for (const o of rec?.origins ?? []) {
      if (o.calls === 0 && o.amount === 0n) continue;
      const edge = {
        channelId: ch.id,
        from: ch.consumer.toLowerCase(),
        to: ch.provider.toLowerCase(),
        token: ch.token,
        calls: o.calls,
        amount: o.amount,
      };
      byOrigin.set(o.origin, [...(byOrigin.get(o.origin) ?? []), edge]);
    }
  }
  return [...byOrigin]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([origin, edges]) => ({ origin, roots: treeOf(edges), edges: edges.length }));
}

function treeOf(edges: CostEdge[]): CostNode[] {
  const reached = new Set(edges.map((e) => e.to));
  // In a cycle every node is reached: start from all of its edges then, each drawn once.
  const starts = edges.filter((e) => !reached.has(e.from));
  const drawn = new Set<CostEdge>();
  const grow = (edge: CostEdge): CostNode => {
    drawn.add(edge);
    const children: CostNode[] = [];
    for (const e of edges) if (e.from === edge.to && !drawn.has(e)) children.push(grow(e));
    return { edge, children };
  };
  const roots: CostNode[] = [];
  for (const e of [...starts, ...edges]) if (!drawn.has(e)) roots.push(grow(e));
  return roots;
}

/** Sums an origin's windows, as the page shows them. */
export function sumWindows(windows: readonly { origins: readonly { origin: string; calls: number; amount: string }[] }[]): OriginAmount[] {
  const sums = new Map<string, OriginAmount>();
  for (const w of windows)
    for (const o of w.origins) {
      const s = sums.get(o.origin) ?? { origin: o.origin, calls: 0, amount: 0n };
      s.calls += o.calls;
      s.amount += BigInt(o.amount);
      sums.set(o.origin, s);
    }
  return [...sums.values()];
}
