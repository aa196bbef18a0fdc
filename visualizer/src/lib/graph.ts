/** Layout of the payment graph: services as nodes, channels aggregated into edges sized by the money that flowed. */

export interface GraphChannel {
  id: string;
  consumer: string;
  provider: string;
  token: string;
  deposit: bigint;
  claimed: bigint;
}

export interface GraphNode {
  address: string;
  label: string;
  x: number;
  y: number;
  r: number;
  layer: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  token: string;
  channels: number;
  deposit: bigint;
  /** Paid on chain (claimed). */
  claimed: bigint;
  /** Money that flowed: the higher of claimed and the latest off-chain voucher, per channel. */
  flow: bigint;
  width: number;
  /** SVG path data of the curve, ending where the arrowhead starts. */
  path: string;
  /** SVG polygon points of the arrowhead, its tip on the provider's rim. */
  arrow: string;
  /** Centre of the amount label, beside the curve. */
  labelX: number;
  labelY: number;
}

export interface GraphLayout {
  width: number;
  /** At least the height asked for; more when a column holds more services than fit (each keeps room for its labels). */
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphOptions {
  width: number;
  height: number;
  /** Label of an address (its name or short form). */
  label: (address: string) => string;
  /** Latest off-chain voucher amount per channel id, when a payment server told us. */
  vouchers?: ReadonlyMap<string, bigint>;
  nodeRadius?: number;
  minEdgeWidth?: number;
  maxEdgeWidth?: number;
  /** Room below each circle for its name and address lines; default 34 px. */
  labelHeight?: number;
}

/** Aggregates channels into consumer→provider edges (one per token) and lays the graph out left to right. */
export function layoutGraph(channels: readonly GraphChannel[], opts: GraphOptions): GraphLayout {
  const r = opts.nodeRadius ?? 22;
  const minWidth = opts.minEdgeWidth ?? 1.5;
  const maxWidth = opts.maxEdgeWidth ?? 12;

  const edgeMap = new Map<string, Omit<GraphEdge, 'width' | 'path' | 'arrow' | 'labelX' | 'labelY'>>();
  for (const c of channels) {
    const key = `${c.consumer}>${c.provider}>${c.token}`;
    const edge = edgeMap.get(key) ?? {
      from: c.consumer,
      to: c.provider,
      token: c.token,
      channels: 0,
      deposit: 0n,
      claimed: 0n,
      flow: 0n,
    };
    const voucher = opts.vouchers?.get(c.id) ?? 0n;
    edge.channels++;
    edge.deposit += c.deposit;
    edge.claimed += c.claimed;
    edge.flow += voucher > c.claimed ? voucher : c.claimed;
    edgeMap.set(key, edge);
  }
  const rawEdges = [...edgeMap.values()];

  const addresses = [...new Set(rawEdges.flatMap((e) => [e.from, e.to]))];
  const layers = assignLayers(addresses, rawEdges);
  const tallest = Math.max(0, ...countBy(layers.values()).values());
  // A service, its two label lines and a gap between it and the next one in its column.
  const height = Math.max(opts.height, Math.ceil(tallest * (2 * r + (opts.labelHeight ?? 34) + 8) + 2 * (r + 24)));
  const nodes = placeNodes(addresses, layers, rawEdges, { ...opts, height }, r);
  const byAddress = new Map(nodes.map((n) => [n.address, n]));

  const maxFlowByToken = new Map<string, bigint>();
  for (const e of rawEdges) {
    if (e.flow > (maxFlowByToken.get(e.token) ?? 0n)) maxFlowByToken.set(e.token, e.flow);
  }

  const edges = rawEdges.map((e): GraphEdge => {
    const maxFlow = maxFlowByToken.get(e.token) ?? 0n;
    const share = maxFlow > 0n ? ratio(e.flow, maxFlow) : 0;
    const width = minWidth + (maxWidth - minWidth) * Math.sqrt(share);
    const from = byAddress.get(e.from)!;
    const to = byAddress.get(e.to)!;
    const parallel = rawEdges.filter((o) => (o.from === e.from && o.to === e.to) || (o.from === e.to && o.to === e.from));
    const index = parallel.filter((o) => o.from === e.from && o.to === e.to).indexOf(e);
    const span = Math.abs(to.layer - from.layer);
    let bend = 0;
    if (parallel.length > 1 || span === 0) bend = 36 + 26 * index;
    // An edge that skips columns bows away from the (raised) nodes in between.
    else if (span > 1) bend = -(40 + 20 * (span - 2)) * Math.sign(to.layer - from.layer);
    // Where several edges leave (or reach) one service, each label sits nearer the end that is spread out, so
    // that the labels of a fan-out (fan-in) do not pile up beside the hub.
    const fanOut = rawEdges.filter((o) => o.from === e.from).length;
    const fanIn = rawEdges.filter((o) => o.to === e.to).length;
    const at = fanOut > 2 && fanOut >= fanIn ? 0.68 : fanIn > 2 ? 0.32 : 0.5;
    const curve = curveBetween(from, to, bend, width, at);
    return { ...e, width, ...curve };
  });

  return { width: opts.width, height, nodes, edges };
}

function countBy<T>(values: Iterable<T>): Map<T, number> {
  const out = new Map<T, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Longest-path layering from the sources; cycles are cut by bounding the relaxation to n rounds. */
function assignLayers(addresses: string[], edges: { from: string; to: string }[]): Map<string, number> {
  const layer = new Map(addresses.map((a) => [a, 0]));
  for (let round = 0; round < addresses.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to) continue;
      const candidate = layer.get(e.from)! + 1;
      if (candidate > layer.get(e.to)! && candidate < addresses.length) {
        layer.set(e.to, candidate);
        changed = true;
      }
    }
    if (!changed) break;
  }
  // Close gaps left by cycles so that the columns are consecutive.
  const used = [...new Set(layer.values())].sort((a, b) => a - b);
  const compact = new Map(used.map((l, i) => [l, i]));
  for (const [a, l] of layer) layer.set(a, compact.get(l)!);
  return layer;
}

function placeNodes(
  addresses: string[],
  layers: Map<string, number>,
  edges: { from: string; to: string }[],
  opts: GraphOptions,
  r: number,
): GraphNode[] {
  const layerCount = Math.max(0, ...layers.values()) + 1;
  const columns: string[][] = Array.from({ length: layerCount }, () => []);
  for (const a of addresses) columns[layers.get(a)!]!.push(a);

  const marginX = Math.max(r + 40, 80);
  const marginY = r + 24;
  const position = new Map<string, number>();
  columns.forEach((column, l) => {
    // Order each column by where its payers sit, so that edges cross less; then by label for stability.
    const weight = (a: string) => {
      const payers = edges.filter((e) => e.to === a && position.has(e.from)).map((e) => position.get(e.from)!);
      return payers.length ? payers.reduce((s, p) => s + p, 0) / payers.length : Number.MAX_SAFE_INTEGER;
    };
    column.sort((a, b) => (l > 0 ? weight(a) - weight(b) : 0) || opts.label(a).localeCompare(opts.label(b)));
    column.forEach((a, i) => position.set(a, (i + 0.5) / column.length));
  });

  const nodes: GraphNode[] = [];
  columns.forEach((column, l) => {
    const x = layerCount === 1 ? opts.width / 2 : marginX + (l * (opts.width - 2 * marginX)) / (layerCount - 1);
    for (const address of column) {
      // Stagger columns a little, so an edge that skips a column does not run through its middle node.
      const stagger = layerCount > 2 && column.length === 1 ? (l % 2 === 1 ? -0.2 : 0.08) : 0;
      const y = marginY + (position.get(address)! + stagger) * (opts.height - 2 * marginY);
      nodes.push({ address, label: opts.label(address), x: round(x), y: round(y), r, layer: l });
    }
  });
  return nodes;
}

/**
 * A quadratic curve from the rim of `a` towards the rim of `b`, bent sideways by `bend` pixels, with an
 * arrowhead (sized for the stroke width) whose tip touches `b`; the label sits on the curve's midpoint.
 */
function curveBetween(
  a: GraphNode,
  b: GraphNode,
  bend: number,
  width: number,
  /** Where along the curve the label sits (0 at `a`, 1 at `b`). */
  at = 0.5,
): { path: string; arrow: string; labelX: number; labelY: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  // Normal to the left of the direction of travel.
  const nx = dy / length;
  const ny = -dx / length;
  const cx = (a.x + b.x) / 2 + nx * bend;
  const cy = (a.y + b.y) / 2 + ny * bend;
  const arrowLength = 7 + 1.3 * width;
  const arrowHalf = 4 + 0.8 * width;
  const start = towards(a, cx, cy, a.r);
  const tip = towards(b, cx, cy, b.r + 1);
  const end = towards(b, cx, cy, b.r + 1 + arrowLength);
  // Unit vector across the arrow's base.
  const bx = tip.x - end.x;
  const by = tip.y - end.y;
  const bl = Math.hypot(bx, by) || 1;
  const px = -by / bl;
  const py = bx / bl;
  const arrow = [
    [tip.x, tip.y],
    [end.x + px * arrowHalf, end.y + py * arrowHalf],
    [end.x - px * arrowHalf, end.y - py * arrowHalf],
  ]
    .map(([x, y]) => `${round(x!)},${round(y!)}`)
    .join(' ');
  // The label sits beside the curve's midpoint, on the outer side of the bend (above a straight edge).
  const side = bend < 0 ? -1 : 1;
  const offset = side * (width / 2 + 10);
  // The point of the quadratic Bézier at `at`.
  const [w0, w1, w2] = [(1 - at) ** 2, 2 * at * (1 - at), at ** 2];
  const labelX = w0 * start.x + w1 * cx + w2 * end.x + nx * offset;
  const labelY = w0 * start.y + w1 * cy + w2 * end.y + ny * offset;
  return {
    path: `M ${round(start.x)} ${round(start.y)} Q ${round(cx)} ${round(cy)} ${round(end.x)} ${round(end.y)}`,
    arrow,
    labelX: round(labelX),
    labelY: round(labelY),
  };
}

function towards(node: GraphNode, x: number, y: number, distance: number): { x: number; y: number } {
  const dx = x - node.x;
  const dy = y - node.y;
  const length = Math.hypot(dx, dy) || 1;
  return { x: node.x + (dx / length) * distance, y: node.y + (dy / length) * distance };
}

/** a / b for bigints as a float in [0, 1] without losing precision on large values. */
export function ratio(a: bigint, b: bigint): number {
  if (b === 0n) return 0;
  return Number((a * 1_000_000n) / b) / 1_000_000;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
