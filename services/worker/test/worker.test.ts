/** The worker without payment (PAYMENT=off): its configuration, its decisions per request id, its work and its answer. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from '@chanpay/protocol/node';
import { startPersistenceService } from '@chanpay/service-persistence';
import { startRandomNumberService } from '@chanpay/service-random-number';
import {
  doWork,
  parseWorkerConfig,
  planCalls,
  startWorkerService,
  workerConfigFromEnv,
  type HopTrace,
  type RunningWorkerService,
  type WorkerConfigInput,
} from '../src';

const off = { payment: { mode: 'off' as const }, consumer: { mode: 'off' as const } };

async function worker(config: WorkerConfigInput): Promise<RunningWorkerService> {
  return startWorkerService({ port: 0, config: parseWorkerConfig(config), ...off });
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

describe('configuration', () => {
  test('WORKER_CONFIG or WORKER_CONFIG_FILE, validated with the field that is wrong', () => {
    const json = JSON.stringify({ name: 'w', work: { keccakRounds: 5 } });
    expect(workerConfigFromEnv({ WORKER_CONFIG: json }).work).toEqual({ keccakRounds: 5, busyMicros: 0, responseBytes: 0 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-worker-')), 'w.json');
    writeFileSync(file, json);
    expect(workerConfigFromEnv({ WORKER_CONFIG_FILE: file }).name).toBe('w');
    expect(() => workerConfigFromEnv({})).toThrow(
      'the worker needs its configuration: WORKER_CONFIG (JSON) or WORKER_CONFIG_FILE (a JSON file)',
    );
    expect(() => workerConfigFromEnv({ WORKER_CONFIG: '{' })).toThrow(/WORKER_CONFIG is not JSON/);
    expect(() => parseWorkerConfig({ name: 'w', groups: [{ calls: [{ to: 'x', kind: 'public', url: 'http://127.0.0.1:1' }] }] })).toThrow(
      /groups\.0\.calls\.0\.kind: Invalid option/,
    );
    expect(() => parseWorkerConfig({ name: 'w', price: '1 gwei' })).toThrow(/price: wei as a decimal string/);
  });
});

describe('decisions per request id', () => {
  const config = parseWorkerConfig({
    name: 'w',
    seed: 7,
    groups: [
      {
        calls: [
          { to: 'a', kind: 'worker', url: 'http://127.0.0.1:1', probability: 0.5 },
          { to: 'b', kind: 'worker', url: 'http://127.0.0.1:2', probability: 0.25 },
        ],
      },
      { seqLen: 2, calls: ['c', 'd', 'e', 'f'].map((to) => ({ to, kind: 'worker' as const, url: 'http://127.0.0.1:3' })) },
    ],
  });
  const names = (id: string) => planCalls(config, id).map((g) => g.map((p) => p.call.to));

  test('the same request id makes the same calls; the seed changes them', () => {
    for (const id of ['1', '2', 'abc']) expect(names(id)).toEqual(names(id));
    const all = Array.from({ length: 50 }, (_, i) => JSON.stringify(names(String(i))));
    const reseeded = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify(planCalls({ ...config, seed: 8 }, String(i)).map((g) => g.map((p) => p.call.to))),
    );
    expect(reseeded).not.toEqual(all);
  });

  test("each call with its probability, seqLen calls of a group picked at random, in the group's order", () => {
    const runs = 4000;
    let a = 0;
    let b = 0;
    let misshapen = 0;
    const picked = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const [first, second] = names(String(i));
      if (first!.includes('a')) a++;
      if (first!.includes('b')) b++;
      if (second!.length !== 2 || second!.join() !== [...second!].sort().join()) misshapen++;
      for (const n of second!) picked.set(n, (picked.get(n) ?? 0) + 1);
    }
    expect(misshapen).toBe(0);
    expect(Math.abs(a / runs - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(b / runs - 0.25)).toBeLessThan(0.03);
    for (const n of ['c', 'd', 'e', 'f']) expect(Math.abs(picked.get(n)! / runs - 0.5)).toBeLessThan(0.03);
  });
});

test('the work is real: chained keccak-256 from the request id, and a busy loop at least as long as asked', () => {
  let h: Buffer = Buffer.from('42');
  for (let i = 0; i < 3; i++) h = keccak256(h);
  expect(doWork('42', { keccakRounds: 3, busyMicros: 0 }).digest).toBe('0x' + h.toString('hex'));
  expect(doWork('42', { keccakRounds: 0, busyMicros: 2000 }).ms).toBeGreaterThanOrEqual(2);
});

describe('a network of workers without payment', () => {
  const stops: (() => Promise<void>)[] = [];
  let entry: RunningWorkerService;
  let leafUrl: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-worker-'));
    const rn = await startRandomNumberService({ port: 0, payment: { mode: 'off' } });
    stops.push(() => rn.stop());
    const ps = await startPersistenceService({ port: 0, payment: { mode: 'off' }, dbPath: path.join(dir, 'p.db') });
    stops.push(() => ps.stop());
    const leaf = await worker({ name: 'leaf', work: { keccakRounds: 10, responseBytes: 100 } });
    stops.push(() => leaf.stop());
    leafUrl = leaf.url;
    const mid = await worker({
      name: 'mid',
      groups: [
        {
          calls: [
            { to: 'leaf', kind: 'worker', url: leaf.url },
            { to: 'persistence', kind: 'persistence', url: ps.url },
          ],
        },
      ],
    });
    stops.push(() => mid.stop());
    entry = await worker({
      name: 'entry',
      work: { busyMicros: 100, responseBytes: 10 },
      groups: [
        { calls: [{ to: 'mid', kind: 'worker', url: mid.url }] },
        {
          calls: [
            { to: 'random-number', kind: 'random-number', url: rn.url },
            { to: 'never', kind: 'worker', url: 'http://127.0.0.1:9', probability: 0 },
          ],
        },
      ],
    });
    stops.push(() => entry.stop());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  test('answers with its payload, the request id it passed on, and a trace of every hop below it', async () => {
    const { status, body } = await get(`${entry.url}/work`, { 'x-request-id': 'req-1' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'entry', requestId: 'req-1', digest: null, receipts: [] });
    expect(body.payload).toHaveLength(10);
    const trace = body.trace as HopTrace[];
    expect(trace.map((h) => h.service)).toEqual(['entry', 'mid', 'leaf']);
    // Two groups in parallel: mid and random-number; the call with probability 0 is never made.
    expect(trace[0]!.calls.map((c) => [c.to, c.group, c.status]).sort()).toEqual([
      ['mid', 0, 200],
      ['random-number', 1, 200],
    ]);
    // In mid's one group, leaf then persistence, in sequence.
    const [first, second] = trace[1]!.calls;
    expect([first!.to, second!.to, second!.status]).toEqual(['leaf', 'persistence', 201]);
    expect(second!.start).toBeGreaterThanOrEqual(first!.end);
    for (const hop of trace) for (const c of hop.calls) expect(c.end - c.start).toBeCloseTo(c.ms, 2);
    expect(trace[0]!.handlerMs).toBeGreaterThanOrEqual(trace[0]!.workMs);
  });

  test('the request id reaches every worker: the leaf computed its digest from it', async () => {
    const direct = await get(`${leafUrl}/work`, { 'x-request-id': 'req-2' });
    expect(direct.body.digest).toBe(doWork('req-2', { keccakRounds: 10, busyMicros: 0 }).digest);
    expect(direct.body.payload).toHaveLength(100);
    // Without a header, requests are numbered, so that a run of the same load repeats.
    expect((await get(`${leafUrl}/work`)).body.requestId).toMatch(/^\d+$/);
  });

  test('a malformed request id is refused with 400 before anything is done', async () => {
    const bad = await get(`${entry.url}/work`, { 'x-request-id': 'x'.repeat(129) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  });

  test('status says what it is and that it runs without payment; the paid routes are not there', async () => {
    expect((await get(`${entry.url}/status`)).body).toMatchObject({ status: 'ok', service: 'entry', kind: 'worker', payment: 'off' });
    expect((await fetch(`${entry.url}/init`)).status).toBe(404);
    expect((await fetch(`${entry.url}/redeem`)).status).toBe(404);
  });

  test('an upstream that cannot be reached: 502 with its code, its name, and the trace so far', async () => {
    const broken = await worker({
      name: 'broken',
      groups: [
        {
          calls: [
            { to: 'leaf', kind: 'worker', url: leafUrl },
            { to: 'gone', kind: 'worker', url: 'http://127.0.0.1:9' },
          ],
        },
      ],
    });
    try {
      const r = await get(`${broken.url}/work`);
      expect(r.status).toBe(502);
      expect(r.body.error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', details: { upstream: 'gone' } });
      expect(r.body.trace.map((h: HopTrace) => h.service)).toEqual(['broken', 'leaf']);
    } finally {
      await broken.stop();
    }
  });
});
