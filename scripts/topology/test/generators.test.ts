/** The generators: deterministic for a seed, the shapes their names promise, and µBench's rules. */
import {
  barabasiAlbertTree,
  depths,
  expectedCalls,
  findCycle,
  generate,
  loadTopology,
  parseTopology,
  workPerCall,
  type ResolvedTopology,
} from '../src';

const edges = (t: ResolvedTopology) => t.edges.map((e) => `${e.from}>${e.to}`);
const childrenOf = (t: ResolvedTopology, name: string) => t.edges.filter((e) => e.from === name).map((e) => e.to);

describe('determinism', () => {
  test.each(['chain:5', 'fanout:3,2', 'ba:12,7', 'ba:40,123,groups=3,probability=random', 'diamond', 'thesis'])(
    '%s gives the same topology every time',
    (spec) => {
      expect(generate(spec)).toEqual(generate(spec));
    },
  );

  test('another seed gives another Barabási–Albert graph, the same seed the same one', () => {
    const graphs = [1, 2, 3, 4].map((seed) => edges(loadTopology(`ba:20,${seed}`)).join(' '));
    expect(new Set(graphs).size).toBe(4);
    expect(edges(loadTopology('ba:20,3'))).toEqual(graphs[2]!.split(' '));
  });
});

describe('shapes', () => {
  test('chain:D is a line of D paid hops from the entry', () => {
    const t = loadTopology('chain:5');
    expect(t.services.map((s) => s.name)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(edges(t)).toEqual(['s0>s1', 's1>s2', 's2>s3', 's3>s4', 's4>s5']);
    expect(t.entry).toEqual(['s0']);
    expect(t.services.map((s) => s.price)).toEqual([0n, ...Array(5).fill(1_000_000_000n)]);
    expect(t.edges.every((e) => e.payment.mode === 'local' && e.probability === 1)).toBe(true);
  });

  test('fanout:F,D is a tree of depth D in which every inner service calls F others, in parallel by default', () => {
    const t = loadTopology('fanout:3,2');
    expect(t.services).toHaveLength(1 + 3 + 9);
    const depth = depths(t);
    expect(Math.max(...depth.values())).toBe(2);
    for (const s of t.services) {
      const d = depth.get(s.name)!;
      expect(childrenOf(t, s.name)).toHaveLength(d < 2 ? 3 : 0);
      if (d < 2) expect(s.groups.map((g) => g.calls.length)).toEqual([1, 1, 1]);
    }
    expect(t.edges.every((e) => t.edges.filter((x) => x.to === e.to).length === 1)).toBe(true);
    expect(loadTopology('fanout:3,2,groups=1').services[0]!.groups.map((g) => g.calls.length)).toEqual([3]);
    expect(loadTopology('fanout:2,4').services).toHaveLength(31);
  });

  test.each([
    [12, 7],
    [12, 99],
    [50, 1],
  ])('ba:%i,%i has that many services, and is acyclic and connected: a tree rooted at the entry', (n, seed) => {
    const t = loadTopology(`ba:${n},${seed}`);
    expect(t.services).toHaveLength(n);
    expect(t.edges).toHaveLength(n - 1);
    expect(
      findCycle(
        t.services.map((s) => s.name),
        t.edges,
      ),
    ).toBeNull();
    const reached = depths(t);
    expect(reached.size).toBe(n);
    for (const s of t.services.slice(1)) expect(t.edges.filter((e) => e.to === s.name)).toHaveLength(1);
    // Every edge points from an older service to a newer one, as in the BA process.
    for (const e of t.edges) expect(Number(e.from.slice(1))).toBeLessThan(Number(e.to.slice(1)));
  });

  test("ba picks parents with weight d^power + zeroAppeal (igraph's rule): the second child joins s0 with (1 + a) / (1 + 2a)", () => {
    const runs = 4000;
    let joined = 0;
    for (let seed = 0; seed < runs; seed++) if (barabasiAlbertTree(3, 0.05, 3.25, seed)[0]!.length === 2) joined++;
    expect(Math.abs(joined / runs - 4.25 / 7.5)).toBeLessThan(0.03);
    // A tiny zero appeal and a strong power: a hub takes (nearly) everything (µBench's "centralised" example).
    expect(Math.max(...barabasiAlbertTree(50, 0.9, 0.01, 1).map((c) => c.length))).toBeGreaterThan(40);
  });

  test('ba groups its calls round-robin into external service groups and passes seqLen on', () => {
    const t = loadTopology('ba:30,5,groups=2,seqLen=1');
    const hub = t.services.reduce((a, b) => (childrenOf(t, b.name).length > childrenOf(t, a.name).length ? b : a));
    // In the order the children joined (µBench's water filling goes by that order).
    const calls = childrenOf(t, hub.name).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    expect(hub.groups.map((g) => g.calls.map((e) => e.to))).toEqual([
      calls.filter((_, i) => i % 2 === 0),
      calls.filter((_, i) => i % 2 === 1),
    ]);
    expect(hub.groups.every((g) => g.seqLen === 1)).toBe(true);
  });

  test('diamond: two entries share a provider that pays another', () => {
    const t = loadTopology('diamond');
    expect(t.entry).toEqual(['front-a', 'front-b']);
    expect(edges(t)).toEqual(['front-a>shared', 'front-b>shared', 'shared>back']);
  });

  test('options: teams, price, mode, prepay', () => {
    const t = loadTopology('chain:4,teams=5,price=3 gwei,mode=remote,prepay=10');
    expect(new Set(t.services.map((s) => s.team)).size).toBe(5);
    expect(t.services[1]!.price).toBe(3_000_000_000n);
    expect(t.edges.every((e) => e.payment.mode === 'remote' && e.payment.prepay === 10)).toBe(true);
  });

  test('bad generator input says what is wrong', () => {
    expect(() => generate('chain:0')).toThrow('chain:0: D (hops) must be a whole number from 1 to 200, got "0"');
    expect(() => generate('fanout:3')).toThrow('fanout:3: D (depth) is missing (F (fan-out), D (depth))');
    expect(() => generate('ba:12,7,colour=blue')).toThrow(
      /ba:12,7,colour=blue: unknown option "colour"; options: power, zeroAppeal, groups, seqLen, teams/,
    );
    expect(() => generate('ba:12,7,price=lots')).toThrow(/price: "lots" is not an amount/);
    expect(() => loadTopology('no-such-file.json')).toThrow(
      /"no-such-file.json" is neither a topology file nor a generator \(thesis, chain:D/,
    );
  });
});

describe('total work is held constant whatever the size (µBench)', () => {
  test.each(['chain:1', 'chain:9', 'fanout:3,2', 'ba:12,7', 'diamond'])(
    '%s with total=keccak:120000 burns 120000 rounds per request, split evenly',
    (spec) => {
      const t = loadTopology(`${spec},total=keccak:120000`.replace(/^diamond,/, 'diamond:'));
      const visits = expectedCalls(t);
      const total = t.services.reduce((sum, s) => sum + visits.get(s.name)! * s.work!.keccakRounds, 0);
      expect(Math.abs(total - 120_000)).toBeLessThanOrEqual(t.services.length);
      expect(new Set(t.services.map((s) => s.work!.keccakRounds)).size).toBe(1);
    },
  );

  test('expected calls weigh probabilities and seqLen: half the work goes where half the calls go', () => {
    const input = generate('chain:2,probability=0.5');
    const t = parseTopology(input);
    expect([...expectedCalls(t).values()]).toEqual([1, 0.5, 0.25]);
    expect(workPerCall(input, { kind: 'busy', amount: 1750 })).toEqual({ perCall: 1000, callsPerRequest: 1.75 });
    const star = loadTopology('fanout:4,1,groups=1,total=busy:3000');
    expect(star.services[0]!.work!.busyMicros).toBe(600);
  });

  test('--total-work applies to any topology with workers, and says so when it has none', () => {
    expect(loadTopology('chain:3', { totalWork: 'busy:4000' }).services.map((s) => s.work!.busyMicros)).toEqual([1000, 1000, 1000, 1000]);
    expect(() => loadTopology('thesis', { totalWork: 'keccak:10' })).toThrow(
      'total work is spread over the workers, and this topology has none',
    );
    expect(() => loadTopology('chain:3', { totalWork: 'lots' })).toThrow(
      'total work must be keccak:<rounds> or busy:<microseconds> per request, got "lots"',
    );
  });
});
