import { layoutGraph, ratio, type GraphChannel } from '../src/lib/graph';

const ETH = '0x0000000000000000000000000000000000000000';
const TOKEN = '0x9999999999999999999999999999999999999999';
const PUBLIC = '0x1111111111111111111111111111111111111111';
const RANDOM = '0x2222222222222222222222222222222222222222';
const STORE = '0x3333333333333333333333333333333333333333';
const names: Record<string, string> = { [PUBLIC]: 'public', [RANDOM]: 'random-number', [STORE]: 'persistence' };
const label = (a: string) => names[a] ?? a;

function channel(id: string, consumer: string, provider: string, deposit: bigint, claimed: bigint, token = ETH): GraphChannel {
  return { id, consumer, provider, token, deposit, claimed };
}

const numbers = (s: string) => (s.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);

describe('layoutGraph', () => {
  const channels = [
    channel('0x01', PUBLIC, RANDOM, 100n, 40n),
    channel('0x02', PUBLIC, RANDOM, 100n, 60n),
    channel('0x03', PUBLIC, STORE, 100n, 25n),
    channel('0x04', RANDOM, STORE, 50n, 0n),
  ];
  const layout = layoutGraph(channels, { width: 600, height: 300, label });

  it('aggregates channels into one edge per consumer, provider and token', () => {
    const edges = layout.edges.map((e) => [label(e.from), label(e.to), e.channels, e.deposit, e.claimed, e.flow]);
    expect(edges).toEqual([
      ['public', 'random-number', 2, 200n, 100n, 100n],
      ['public', 'persistence', 1, 100n, 25n, 25n],
      ['random-number', 'persistence', 1, 50n, 0n, 0n],
    ]);
  });

  it('sizes edges by the square root of their share of the largest flow', () => {
    const [big, quarter, idle] = layout.edges;
    expect(big!.width).toBeCloseTo(12);
    expect(quarter!.width).toBeCloseTo(1.5 + 10.5 * 0.5);
    expect(idle!.width).toBeCloseTo(1.5);
  });

  it('lays services out left to right, payers before payees, inside the canvas', () => {
    const x = Object.fromEntries(layout.nodes.map((n) => [label(n.address), n.x]));
    expect(x.public).toBeLessThan(x['random-number']!);
    expect(x['random-number']).toBeLessThan(x.persistence!);
    for (const n of layout.nodes) {
      expect(n.x - n.r).toBeGreaterThanOrEqual(0);
      expect(n.x + n.r).toBeLessThanOrEqual(600);
      expect(n.y - n.r).toBeGreaterThanOrEqual(0);
      expect(n.y + n.r).toBeLessThanOrEqual(300);
    }
    for (const e of layout.edges) {
      expect(numbers(e.path).every(Number.isFinite)).toBe(true);
      expect(numbers(e.arrow)).toHaveLength(6);
    }
    expect(layout.nodes.map((n) => n.label).sort()).toEqual(['persistence', 'public', 'random-number']);
  });

  it('puts the arrowhead tip on the provider’s rim', () => {
    const edge = layout.edges[0]!;
    const provider = layout.nodes.find((n) => n.address === edge.to)!;
    const [tipX, tipY] = numbers(edge.arrow);
    expect(Math.hypot(tipX! - provider.x, tipY! - provider.y)).toBeCloseTo(provider.r + 1, 0);
  });

  it('counts an off-chain voucher above the claimed amount as flow', () => {
    const withVouchers = layoutGraph(channels, {
      width: 600,
      height: 300,
      label,
      vouchers: new Map([
        ['0x04', 300n],
        ['0x01', 10n],
      ]),
    });
    const flows = withVouchers.edges.map((e) => e.flow);
    expect(flows).toEqual([100n, 25n, 300n]);
    expect(withVouchers.edges[2]!.width).toBeCloseTo(12);
  });

  it('bends edges between the same two services in opposite directions apart', () => {
    const mutual = layoutGraph([channel('0x05', PUBLIC, RANDOM, 10n, 5n), channel('0x06', RANDOM, PUBLIC, 10n, 5n)], {
      width: 600,
      height: 300,
      label,
    });
    expect(mutual.nodes).toHaveLength(2);
    const [there, back] = mutual.edges;
    const [a, b] = mutual.nodes;
    expect(a!.y).toBe(b!.y);
    // Both are curves, their midpoints on either side of the straight line between the two nodes.
    expect((there!.labelY - a!.y) * (back!.labelY - a!.y)).toBeLessThan(0);
  });

  it('keeps tokens apart and scales each against its own largest flow', () => {
    const mixed = layoutGraph([channel('0x07', PUBLIC, RANDOM, 10n ** 18n, 10n ** 18n), channel('0x08', PUBLIC, RANDOM, 5n, 5n, TOKEN)], {
      width: 600,
      height: 300,
      label,
    });
    expect(mixed.edges).toHaveLength(2);
    expect(mixed.edges.map((e) => e.width)).toEqual([12, 12]);
    expect(mixed.edges[0]!.path).not.toBe(mixed.edges[1]!.path);
  });

  it('terminates on cycles and returns nothing for no channels', () => {
    const cycle = layoutGraph(
      [channel('0x09', PUBLIC, RANDOM, 1n, 1n), channel('0x0a', RANDOM, STORE, 1n, 1n), channel('0x0b', STORE, PUBLIC, 1n, 1n)],
      { width: 600, height: 300, label },
    );
    expect(cycle.nodes).toHaveLength(3);
    expect(cycle.edges).toHaveLength(3);
    expect(layoutGraph([], { width: 600, height: 300, label })).toEqual({ width: 600, height: 300, nodes: [], edges: [] });
  });
});

describe('ratio', () => {
  it('divides bigints beyond float precision', () => {
    expect(ratio(10n ** 30n, 4n * 10n ** 30n)).toBe(0.25);
    expect(ratio(1n, 0n)).toBe(0);
  });
});

describe('layoutGraph on a generated network of twelve services', () => {
  // The Barabási–Albert tree of `ba:12,7`: s0 pays s1, s3, s4, s6; s1 → s2; s3 → s10; s4 → s5, s7; s5 → s8 → s9 → s11.
  const tree: [number, number][] = [
    [0, 1],
    [0, 3],
    [0, 4],
    [0, 6],
    [1, 2],
    [3, 10],
    [4, 5],
    [4, 7],
    [5, 8],
    [8, 9],
    [9, 11],
  ];
  const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
  const layout = layoutGraph(
    tree.map(([a, b], k) => channel(`0x${k}`, address(a), address(b), 100n, 5n)),
    { width: 640, height: 296, label: (a) => `s${parseInt(a, 16) - 1}`, nodeRadius: 24 },
  );

  it('grows taller than asked when a column holds four services, so that circles and their two label lines never overlap', () => {
    expect(layout.nodes).toHaveLength(12);
    expect(layout.height).toBeGreaterThan(296);
    const LABELS = 34;
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b || a.x !== b.x) continue;
        expect(Math.abs(a.y - b.y)).toBeGreaterThanOrEqual(2 * a.r + LABELS);
      }
      expect(a.y + a.r + LABELS).toBeLessThanOrEqual(layout.height);
    }
  });

  it('spreads the labels of a fan-out apart, none of them on a service', () => {
    const hub = layout.nodes.find((n) => n.label === 's0')!;
    const fan = layout.edges.filter((e) => e.from === hub.address);
    expect(fan).toHaveLength(4);
    for (const e of layout.edges) for (const n of layout.nodes) expect(Math.hypot(e.labelX - n.x, e.labelY - n.y)).toBeGreaterThan(n.r);
    const ys = fan.map((e) => e.labelY).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThan(14);
  });
});
