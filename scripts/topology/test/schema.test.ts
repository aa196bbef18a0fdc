/** The committed JSON Schema is what the zod schema gives, and it accepts what the generators write. */
import { readFileSync } from 'node:fs';
import { loadTopology, parseTopology, SCHEMA_FILE, topologyJsonSchema, topologyJsonSchemaText, TopologySchema } from '../src';

test('topology.schema.json is up to date (npm run topology -- schema --write)', () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(topologyJsonSchemaText());
});

test('the JSON Schema describes the file: required fields, kinds, no unknown keys', () => {
  const schema = topologyJsonSchema() as { required: string[]; additionalProperties: boolean; properties: Record<string, any> };
  expect(schema.required).toEqual(['teams', 'services', 'entry']);
  expect(schema.additionalProperties).toBe(false);
  const service = schema.properties.services.items;
  expect(service.properties.kind.enum).toEqual(['public', 'random-number', 'persistence', 'worker']);
  expect(service.properties.price.description).toMatch(/"2 gwei"/);
  expect(service.required).toEqual(['name', 'kind', 'team']);
  expect(schema.properties.calls.additionalProperties.items.properties.calls.items.properties.payment.properties.mode.enum).toEqual([
    'local',
    'remote',
    'off',
  ]);
});

test('the worked example of docs/topologies.md is valid and names the schema', () => {
  const t = loadTopology('scripts/topology/examples/shop.json');
  expect(t.source.$schema).toBe('../topology.schema.json');
  expect(t.edges.map((e) => [e.from, e.to, e.payment.mode, e.payment.prepay])).toEqual([
    ['web', 'catalog', 'local', 1],
    ['web', 'orders', 'remote', 10],
    ['catalog', 'pricing', 'local', 1],
  ]);
});

test.each(['thesis', 'chain:3', 'fanout:2,2', 'ba:12,7', 'diamond'])(
  'what `npm run topology -- json %s` writes reads back as the same topology',
  (spec) => {
    const t = loadTopology(spec);
    const file = JSON.parse(JSON.stringify(t.source));
    expect(TopologySchema.safeParse(file).success).toBe(true);
    const again = parseTopology(file);
    expect(again.edges.map((e) => [e.from, e.to, e.payment])).toEqual(t.edges.map((e) => [e.from, e.to, e.payment]));
    expect(again.services).toEqual(t.services);
  },
);
