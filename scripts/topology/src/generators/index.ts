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

export const GENERATOR_USAGE = `${Object.values(GENERATORS)
  .map((g) => g.usage)
  .join(', ')}; every generator but thesis also takes teams=K, price=A, keccak=R, busy=US, bytes=B, mode=M, prepay=N, deposit=A, probability=P|random, total=keccak:R|busy:US`;

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
