/**
 * The per-hop split on a span file recorded here and now: chain:2 (s0 → s1 → s2) started as processes with
 * every one tracing to one file (CHANPAY_TRACE_FILE), four /work requests after /init, in local mode and in
 * remote mode (where the payment servers' spans are in the same traces and must not count as hops). The same
 * checks as the fixture's (scripts/test/unit/trace-split.test.ts); UPDATE_FIXTURE=1 rewrites that fixture from
 * the local run (the four requests' traces, whole).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PaymentMode } from '@chanpay/protocol';
import { startTopology } from '@chanpay/topology';
import { readSpanFile } from '../bench/open/trace-split';
import { checkChainSplit, requestTraces } from './trace-split-checks';

jest.setTimeout(400_000);

const FIXTURE = path.join(__dirname, 'fixtures', 'trace-split-chain2-local.jsonl');
const REQUESTS = 4;

describe.each<PaymentMode>(['local', 'remote'])('chain:2 in %s mode, traced, split per hop', (mode) => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-trace-split-'));
    file = path.join(dir, 'spans.jsonl');
    const net = await startTopology('chain:2', {
      overrides: { mode, prepay: 1 },
      freePorts: true,
      chainProcess: true,
      init: true,
      dataDir: path.join(dir, 'net'),
      env: { CHANPAY_TRACE_FILE: file },
    });
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const res = await fetch(net.entries[0]!.url, { signal: AbortSignal.timeout(60_000) });
        expect(res.status).toBe(200);
        await res.text();
      }
    } finally {
      // Stopping flushes: every span is written as it ends, and the processes end after their last answer.
      await net.stop();
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every hop split, the parts adding up to the entry span; payment servers are no hops', () => {
    const spans = readSpanFile(file);
    const { samples, traces } = checkChainSplit(spans, 2, true);
    expect(traces).toBe(REQUESTS);
    expect(new Set(samples.map((s) => s.service))).toEqual(new Set(['s0', 's1', 's2']));
    if (mode === 'remote') expect(spans.some((s) => s.service.startsWith('payment-server'))).toBe(true);
    if (mode === 'local' && process.env.UPDATE_FIXTURE === '1') {
      const keep = new Set(requestTraces(spans, 's0'));
      writeFileSync(
        FIXTURE,
        `${spans
          .filter((s) => keep.has(s.traceId))
          .map((s) => JSON.stringify(s))
          .join('\n')}\n`,
      );
    }
  });
});
