import { seededRandom } from '@chanpay/service-worker';
import type { TopologyInput } from '../schema';
import { spread } from './fanout';
import { intIn, noOtherOptions, numberIn, parseParams, workerTopology, type GeneratedNode } from './workers';

/**
 * `ba:N,seed`: a Barabási–Albert service graph as µBench's ServiceGraphGenerator makes it (igraph's
 * `Graph.Barabasi(n, power, m=1, zero_appeal, directed)`, edges then reversed): services are added one by one and
 * each new one becomes an upstream of one parent already there, chosen with weight d^power + zero_appeal, where d
 * is how many services already chose that parent. The result is a tree rooted at s0 (the entry), calls pointing
 * from parent to child, so acyclic and connected. Options as µBench names them: `power` (default 0.05),
 * `zeroAppeal` (3.25), `groups` (external service groups, default 1: all calls in sequence), `seqLen` (calls
 * per group per request, default all).
 */
export function baTopology(args: string): TopologyInput {
  const spec = `ba:${args}`;
  const { values, common, extra } = parseParams(spec, args, [
    { name: 'N (services)', min: 2, max: 500, required: true },
    { name: 'seed', min: 0, max: 2 ** 31, required: true },
  ]);
  noOtherOptions(spec, extra, ['power', 'zeroAppeal', 'groups', 'seqLen']);
  const [n, seed] = values as [number, number];
  const power = extra.has('power') ? numberIn(spec, 'power', extra.get('power')!, 0, 10) : 0.05;
  const zeroAppeal = extra.has('zeroAppeal') ? numberIn(spec, 'zeroAppeal', extra.get('zeroAppeal')!, 0.0001, 1000) : 3.25;
  const groups = extra.has('groups') ? intIn(spec, 'groups', extra.get('groups')!, 1, 64) : 1;
  const seqLen = extra.has('seqLen') ? intIn(spec, 'seqLen', extra.get('seqLen')!, 1, 500) : null;
  const children = barabasiAlbertTree(n, power, zeroAppeal, seed);
  const nodes: GeneratedNode[] = children.map((c, i) => ({
    name: `s${i}`,
    groups: spread(
      c.map((k) => `s${k}`),
      groups,
    ),
  }));
  const t = workerTopology(
    `ba-${n}-${seed}`,
    `A Barabási–Albert service graph of ${n} services (seed ${seed}, power ${power}, zero appeal ${zeroAppeal})`,
    nodes,
    ['s0'],
    common,
    seed,
  );
  if (seqLen !== null) for (const g of Object.values(t.calls ?? {}).flat()) g.seqLen = seqLen;
  return t;
}

/** children[i]: the services that chose i as their parent, in the order they were added. */
export function barabasiAlbertTree(n: number, power: number, zeroAppeal: number, seed: number): number[][] {
  const random = seededRandom('barabasi-albert', seed);
  const children: number[][] = [[]];
  for (let v = 1; v < n; v++) {
    const weights = children.map((c) => c.length ** power + zeroAppeal);
    const total = weights.reduce((a, b) => a + b, 0);
    let r = random() * total;
    let parent = 0;
    while (parent < weights.length - 1 && r >= weights[parent]!) r -= weights[parent++]!;
    children[parent]!.push(v);
    children.push([]);
  }
  return children;
}
