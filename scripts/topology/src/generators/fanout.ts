import type { TopologyInput } from '../schema';
import { intIn, noOtherOptions, parseParams, workerTopology, type GeneratedNode } from './workers';

/**
 * `fanout:F,D`: a tree of depth D where every inner service calls F others: 1 + F + … + F^D services, numbered
 * breadth first. Option `groups=G` (default F: all calls of a service in parallel; 1: all in sequence) spreads
 * each service's calls over G groups round-robin, as µBench does.
 */
export function fanoutTopology(args: string): TopologyInput {
  const spec = `fanout:${args}`;
  const { values, common, extra } = parseParams(spec, args, [
    { name: 'F (fan-out)', min: 1, max: 20, required: true },
    { name: 'D (depth)', min: 1, max: 10, required: true },
  ]);
  noOtherOptions(spec, extra, ['groups']);
  const [fan, depth] = values as [number, number];
  const size = fan === 1 ? depth + 1 : (fan ** (depth + 1) - 1) / (fan - 1);
  if (size > 500) throw new Error(`${spec}: ${size} services is more than 500`);
  const groups = extra.has('groups') ? intIn(spec, 'groups', extra.get('groups')!, 1, fan) : fan;
  const nodes: GeneratedNode[] = [];
  let next = 1;
  for (let i = 0; i < size; i++) {
    const children: string[] = [];
    if (levelOf(i, fan) < depth) for (let k = 0; k < fan; k++) children.push(`s${next++}`);
    nodes.push({ name: `s${i}`, groups: spread(children, groups) });
  }
  return workerTopology(
    `fanout-${fan}-${depth}`,
    `A tree: every service down to depth ${depth} calls ${fan} others (${size} services)`,
    nodes,
    ['s0'],
    common,
    1,
  );
}

/** Depth of node i in a breadth-first numbered F-ary tree. */
function levelOf(i: number, fan: number): number {
  let level = 0;
  let first = 0;
  let width = 1;
  while (i >= first + width) {
    first += width;
    width *= fan;
    level++;
  }
  return level;
}

/** µBench's water filling: call k goes into group k mod G. */
export function spread(calls: string[], groups: number): string[][] {
  const out: string[][] = Array.from({ length: Math.min(groups, calls.length) }, () => []);
  calls.forEach((c, k) => out[k % out.length]!.push(c));
  return out;
}
