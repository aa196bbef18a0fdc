/**
 * The per-hop split on spans recorded from a real run: chain:2 in local mode (s0 → s1 → s2, both edges paid),
 * four /work requests after /init, every process tracing to one file (the fixture keeps those four requests'
 * traces whole). scripts/test/trace-split-live.test.ts records a fresh file the same way and checks it alike
 * (UPDATE_FIXTURE=1 rewrites this fixture from it).
 */
import path from 'node:path';
import { readSpanFile, splitByHop, unionUs } from '../../bench/open/trace-split';
import { checkChainSplit } from '../trace-split-checks';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'trace-split-chain2-local.jsonl');

test('chain:2 local: every hop split into payment, handler, network and framework, adding up to the entry span', () => {
  const spans = readSpanFile(FIXTURE);
  const { samples, traces } = checkChainSplit(spans, 2, true);
  expect(traces).toBe(4);
  const split = splitByHop(samples);
  for (const h of split) for (const f of Object.values(h.parts)) if (f) expect(f.p90).toBeGreaterThanOrEqual(f.p50);
});

test('the union of parallel upstream calls counts overlapping time once', () => {
  const span = (startUs: number, durationUs: number) =>
    ({ startUs, durationUs, endUs: startUs + durationUs }) as Parameters<typeof unionUs>[0][number];
  expect(unionUs([span(0, 10), span(5, 10), span(30, 5)])).toBe(20);
  expect(unionUs([span(7, 3.5)])).toBe(3.5);
});
