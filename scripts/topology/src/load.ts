/** A topology from wherever one can come from: a generator spec (`chain:5`) or a JSON file's path. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TopologyError } from './errors';
import { generate, generatorOf, GENERATOR_USAGE } from './generators';
import type { ResolvedTopology } from './model';
import type { TopologyInput } from './schema';
import { parseTotalWork, withTotalWork } from './total-work';
import { parseTopology, type TopologyOverrides } from './validate';

export interface LoadOptions {
  overrides?: TopologyOverrides;
  /** `keccak:N` or `busy:N` per request, split over the workers (µBench's fair comparison of sizes). */
  totalWork?: string;
}

/** The topology input (unvalidated) of a generator spec or a file. */
export function topologyInput(spec: string): TopologyInput {
  if (generatorOf(spec)) return generate(spec);
  const file = path.resolve(spec);
  if (!existsSync(file)) throw new Error(`"${spec}" is neither a topology file nor a generator (${GENERATOR_USAGE})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TopologyError([{ path: [], message: `not JSON: ${(e as Error).message}` }], `topology ${spec}`);
  }
  return json as TopologyInput;
}

/** Loads, applies total work and overrides, and validates (throws a TopologyError naming every bad field). */
export function loadTopology(spec: string, opts: LoadOptions = {}): ResolvedTopology {
  let input = topologyInput(spec);
  if (opts.totalWork) input = withTotalWork(input, parseTotalWork(opts.totalWork));
  return parseTopology(input, { overrides: opts.overrides, source: spec });
}
