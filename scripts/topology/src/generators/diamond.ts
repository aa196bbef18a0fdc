import type { TopologyInput } from '../schema';
import { noOtherOptions, parseParams, workerTopology } from './workers';

/**
 * `diamond`: two entry services share a provider that itself pays another (the thesis's §3.4 transitive-cost
 * case): front-a → shared ← front-b, shared → back. What each front pays covers part of what shared pays back.
 */
export function diamondTopology(args: string): TopologyInput {
  const spec = args ? `diamond:${args}` : 'diamond';
  const { common, extra } = parseParams(spec, args, []);
  noOtherOptions(spec, extra);
  const nodes = [
    { name: 'front-a', groups: [['shared']] },
    { name: 'front-b', groups: [['shared']] },
    { name: 'shared', groups: [['back']] },
    { name: 'back', groups: [] },
  ];
  return workerTopology(
    'diamond',
    'Two entries share a provider that pays another: front-a → shared ← front-b, shared → back',
    nodes,
    ['front-a', 'front-b'],
    common,
    1,
  );
}
