import { costTrees, sumWindows, type ChannelOriginRecord } from '../src/lib/costs';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';
const S = '0x00000000000000000000000000000000000000cc';
const D = '0x00000000000000000000000000000000000000dd';
const ETH = '0x0000000000000000000000000000000000000000';
const ch = (id: string, consumer: string, provider: string) => ({ id, consumer, provider, token: ETH });

describe('costTrees', () => {
  test('the diamond: each origin gets its own calls and, below them, what the shared provider paid for them', () => {
    const records = new Map<string, ChannelOriginRecord[]>([
      ['as', [{ role: 'provider', origins: [{ origin: 'front-a', calls: 3, amount: 3n }] }]],
      ['bs', [{ role: 'provider', origins: [{ origin: 'front-b', calls: 2, amount: 2n }] }]],
      [
        'sd',
        [
          // Both ends known: the provider's record is used, not added to the consumer's.
          { role: 'consumer', origins: [{ origin: 'front-a', calls: 99, amount: 99n }] },
          {
            role: 'provider',
            origins: [
              { origin: 'front-a', calls: 3, amount: 30n },
              { origin: 'front-b', calls: 2, amount: 20n },
            ],
          },
        ],
      ],
    ]);
    const trees = costTrees([ch('as', A, S), ch('bs', B, S), ch('sd', S, D), ch('none', A, D)], records);
    const flat = trees.map((t) => ({
      origin: t.origin,
      edges: t.edges,
      tree: t.roots.map((r) => [
        r.edge.channelId,
        r.edge.calls,
        r.edge.amount,
        r.children.map((c) => [c.edge.channelId, c.edge.calls, c.edge.amount]),
      ]),
    }));
    expect(flat).toEqual([
      { origin: 'front-a', edges: 2, tree: [['as', 3, 3n, [['sd', 3, 30n]]]] },
      { origin: 'front-b', edges: 2, tree: [['bs', 2, 2n, [['sd', 2, 20n]]]] },
    ]);
  });

  test('a shared provider seen alone (its consumer records only) and a cycle each draw every edge once', () => {
    const only = costTrees([ch('sd', S, D)], new Map([['sd', [{ role: 'consumer', origins: [{ origin: 'x', calls: 1, amount: 5n }] }]]]));
    expect(only.map((t) => [t.origin, t.roots.map((r) => [r.edge.from, r.edge.to, r.edge.amount])])).toEqual([['x', [[S, D, 5n]]]]);
    const cycle = costTrees(
      [ch('sd', S, D), ch('ds', D, S)],
      new Map([
        ['sd', [{ role: 'provider', origins: [{ origin: 'x', calls: 1, amount: 1n }] }]],
        ['ds', [{ role: 'provider', origins: [{ origin: 'x', calls: 1, amount: 2n }] }]],
      ]),
    );
    const count = (nodes: { children: unknown[] }[]): number =>
      nodes.reduce((n, c) => n + 1 + count(c.children as { children: unknown[] }[]), 0);
    expect(count(cycle[0]!.roots)).toBe(2);
  });

  test('sumWindows adds an origin over windows, to the wei', () => {
    expect(
      sumWindows([
        { origins: [{ origin: 'a', calls: 1, amount: '1000000000000000000000' }] },
        {
          origins: [
            { origin: 'a', calls: 2, amount: '1' },
            { origin: 'b', calls: 1, amount: '7' },
          ],
        },
      ]),
    ).toEqual([
      { origin: 'a', calls: 3, amount: 1000000000000000000001n },
      { origin: 'b', calls: 1, amount: 7n },
    ]);
  });
});
