/** The topology file's JSON Schema (for editors), generated from the zod schema; committed as topology.schema.json. */
import path from 'node:path';
import { z } from 'zod';
import { TopologySchema } from './schema';

export const SCHEMA_FILE = path.join(__dirname, '..', 'topology.schema.json');

export function topologyJsonSchema(): Record<string, unknown> {
  // `input`: what a file may say (defaults make fields optional), not what parsing returns.
  const schema = z.toJSONSchema(TopologySchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://chanpay.dev/topology.schema.json', title: 'chanpay topology' };
}

/** The file's exact text (what the staleness test compares). */
export function topologyJsonSchemaText(): string {
  return JSON.stringify(topologyJsonSchema(), null, 2) + '\n';
}
