import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ATTR, inSpan, startSpan, startTracing, tracingActive, type SpanLine } from '@chanpay/telemetry';

/** chanpay's span helpers skip the OpenTelemetry API while no SDK runs, and record through it once one does. */
describe('span helpers', () => {
  test('without an SDK: no tracing, fn runs with a span that records nothing, its result and errors pass through', async () => {
    expect(tracingActive()).toBe(false);
    let built = 0;
    const span = startSpan('chanpay.ticket_check', () => {
      built++;
      return { [ATTR.channel]: '0x01' };
    });
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(built).toBe(0);
    await expect(inSpan('chanpay.sign', {}, async (s) => (s.isRecording() ? 'recording' : 'off'))).resolves.toBe('off');
    await expect(
      inSpan('chanpay.sign', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  test('with the SDK started: the same calls record spans with their attributes, nested under the active one', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spans-')), 'trace.jsonl');
    const running = startTracing({ traceFile: file, serviceName: 'spans-test' });
    expect(tracingActive()).toBe(true);
    await inSpan('chanpay.payment', { [ATTR.mode]: 'local' }, async (outer) => {
      expect(outer.isRecording()).toBe(true);
      await inSpan('chanpay.sign', { [ATTR.price]: '1000' }, async () => undefined);
      const ticket = startSpan('chanpay.ticket_check', () => ({ [ATTR.channel]: '0x02' }));
      ticket.end();
    });
    await expect(inSpan('chanpay.verify', {}, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await running.shutdown();
    const spans = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SpanLine);
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['chanpay.payment', 'chanpay.sign', 'chanpay.ticket_check', 'chanpay.verify']);
    const outer = byName.get('chanpay.payment')!;
    expect(byName.get('chanpay.sign')!.parentSpanId).toBe(outer.spanId);
    expect(byName.get('chanpay.sign')!.attributes).toMatchObject({ [ATTR.price]: '1000' });
    expect(byName.get('chanpay.ticket_check')!.attributes).toMatchObject({ [ATTR.channel]: '0x02' });
    expect(byName.get('chanpay.verify')!.status).toMatchObject({ code: 2 });
  });
});
