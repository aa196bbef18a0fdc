/**
 * The worker's configuration: one JSON document (WORKER_CONFIG, or the file WORKER_CONFIG_FILE names). It holds
 * no secret: the payment server's token and the voucher key come from the environment like every service's.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ChanpayError, MAX_PREPAY_CALLS } from '@chanpay/protocol';

const wei = z.string().regex(/^\d{1,78}$/, 'wei as a decimal string');

/** The kinds of service a worker can call, and the route it calls on each. */
export const UPSTREAM_KINDS = ['worker', 'random-number', 'persistence'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

export const UpstreamCallSchema = z.strictObject({
  /** The upstream's name (receipts and traces name hops by it). */
  to: z.string().min(1).max(40),
  kind: z.enum(UPSTREAM_KINDS),
  /** Base URL, e.g. http://127.0.0.1:8101. */
  url: z.url(),
  probability: z.number().min(0).max(1).default(1),
  payment: z
    .strictObject({
      /** Unset: the worker's own PAYMENT mode (so that one variable switches a compose file between modes). */
      mode: z.enum(['local', 'remote', 'off']).optional(),
      prepay: z.number().int().min(1).max(MAX_PREPAY_CALLS).default(1),
      deposit: wei.default('5000000000000000'),
      challengePeriod: z.number().int().positive().optional(),
      idempotencyKeys: z.boolean().default(false),
    })
    .prefault({}),
});

export const WorkerConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  /** Per call, wei; 0 serves free (an entry). */
  price: wei.default('0'),
  /** Seeds the per-request decisions (which calls are made). */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  work: z
    .strictObject({
      keccakRounds: z.number().int().min(0).max(100_000_000).default(0),
      busyMicros: z.number().int().min(0).max(10_000_000).default(0),
      responseBytes: z.number().int().min(0).max(10_000_000).default(0),
    })
    .prefault({}),
  /** Groups run in parallel; the calls of a group in sequence. */
  groups: z
    .array(
      z.strictObject({
        /** µBench's seq_len: at most this many of the group's calls, picked at random per request. */
        seqLen: z.number().int().min(1).nullable().default(null),
        calls: z.array(UpstreamCallSchema).min(1),
      }),
    )
    .default([]),
  /** Per upstream call. */
  upstreamTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
});

export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;
export type WorkerConfig = z.output<typeof WorkerConfigSchema>;
export type UpstreamCall = z.output<typeof UpstreamCallSchema>;

export function parseWorkerConfig(input: unknown, source = 'WORKER_CONFIG'): WorkerConfig {
  const r = WorkerConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ChanpayError('VALIDATION_ERROR', `invalid ${source}:\n${lines.join('\n')}`);
}

/** WORKER_CONFIG (JSON) or, when unset, the JSON file WORKER_CONFIG_FILE names. */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv): WorkerConfig {
  const [source, text] = env.WORKER_CONFIG
    ? ['WORKER_CONFIG', env.WORKER_CONFIG]
    : env.WORKER_CONFIG_FILE
      ? [`WORKER_CONFIG_FILE ${env.WORKER_CONFIG_FILE}`, readText(env.WORKER_CONFIG_FILE)]
      : (() => {
          throw new ChanpayError(
            'VALIDATION_ERROR',
            'the worker needs its configuration: WORKER_CONFIG (JSON) or WORKER_CONFIG_FILE (a JSON file)',
          );
        })();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ChanpayError('VALIDATION_ERROR', `${source} is not JSON: ${(e as Error).message}`);
  }
  return parseWorkerConfig(json, source);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ChanpayError('VALIDATION_ERROR', `cannot read WORKER_CONFIG_FILE ${file}: ${(e as Error).message}`);
  }
}
