/** The generators by name: `thesis`, `chain:D`, `fanout:F,D`, `ba:N,seed`, `diamond` (each with key=value options). */
import type { TopologyInput } from '../schema';
import { baTopology } from './ba';
import { chainTopology } from './chain';
import { diamondTopology } from './diamond';
import { fanoutTopology } from './fanout';
import { thesisTopology } from './thesis';

export const GENERATORS: Record<string, { usage: string; make: (args: string) => TopologyInput }> = {
  thesis: {
    usage: 'thesis',
    make: (args) => {
      if (args) throw new Error('thesis takes no options: it is exactly the thesis network');
      return thesisTopology();
    },
  },
  chain: { usage: 'chain:D', make: chainTopology },
  fanout: { usage: 'fanout:F,D[,groups=G]', make: fanoutTopology },
  ba: { usage: 'ba:N,seed[,power=P,zeroAppeal=A,groups=G,seqLen=L]', make: baTopology },
  diamond: { usage: 'diamond', make: diamondTopology },
};

/** One line: the generators (their options: GENERATOR_HELP). */
export const GENERATOR_USAGE = `${Object.keys(GENERATORS)
  .map((name) => GENERATORS[name]!.usage.replace(/\[.*\]$/, ''))
  .join(', ')}`;

/** The generators and their options, for --help texts. */
export const GENERATOR_HELP = `Generators:
${Object.values(GENERATORS)
  .map((g) => `  ${g.usage}`)
  .join('\n')}
Options of every generator but thesis (key=value after its numbers, e.g. ba:12,7,teams=3,mode=remote):
  teams=K (2)  price=A (1 gwei)  deposit=A (5 finney)  mode=local|remote|off (local)  prepay=N (1)
  keccak=R (1000 rounds per call)  busy=US (0)  bytes=B (64 per answer)  probability=P|random (1)
  total=keccak:R|busy:US (the work of one request, split over the workers)`;

/** `name` or `name:args` when name is a generator, else null. */
export function generatorOf(spec: string): { name: string; args: string } | null {
  const m = /^([a-z]+)(?::(.*))?$/.exec(spec.trim());
  if (!m || !GENERATORS[m[1]!]) return null;
  return { name: m[1]!, args: m[2] ?? '' };
}

export function generate(spec: string): TopologyInput {
  const g = generatorOf(spec);
  if (!g) throw new Error(`"${spec}" is not a generator (${GENERATOR_USAGE})`);
  return GENERATORS[g.name]!.make(g.args);
}

export { thesisTopology } from './thesis';
export { barabasiAlbertTree } from './ba';
