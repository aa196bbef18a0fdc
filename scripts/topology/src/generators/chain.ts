import type { TopologyInput } from '../schema';
import { noOtherOptions, parseParams, workerTopology } from './workers';

/** `chain:D`: a line of D paid hops, s0 (the entry) → s1 → … → sD. */
export function chainTopology(args: string): TopologyInput {
  const spec = `chain:${args}`;
  const { values, common, extra } = parseParams(spec, args, [{ name: 'D (hops)', min: 1, max: 200, required: true }]);
  noOtherOptions(spec, extra);
  const hops = values[0]!;
  const nodes = Array.from({ length: hops + 1 }, (_, i) => ({ name: `s${i}`, groups: i < hops ? [[`s${i + 1}`]] : [] }));
  return workerTopology(`chain-${hops}`, `A line of ${hops} paid hops: ${nodes.map((n) => n.name).join(' → ')}`, nodes, ['s0'], common, 1);
}
