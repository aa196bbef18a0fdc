import type { JsonApi } from './http';
import { sleep } from './load';

/**
 * A load of paid calls in the thesis's remote mode, straight against two payment servers: for each call the
 * consumer's server signs the next voucher (`POST /channels/:id/vouchers`) and the provider's server verifies and
 * records it (`POST /vouchers/verify`). Several calls per channel run at once, so vouchers overtake one another.
 * Every outcome is kept, so a fault scenario can check afterwards that nothing acknowledged was lost.
 */

export interface ChannelLoad {
  id: string;
  /** Every voucher the consumer's server handed out, in the order the answers came back. */
  signed: bigint[];
  /** Amounts the provider's server acknowledged (200). */
  acked: bigint[];
  /** Highest acknowledged amount. */
  highestAcked: bigint;
}

export interface PaidLoadStats {
  calls: number;
  acked: number;
  /** Failures by where and what: "sign 503 CHAIN_UNAVAILABLE", "verify ECONNREFUSED", … */
  failures: Record<string, number>;
  /** Calls acknowledged inside each marked phase ("outage", "after restart", …). */
  byPhase: Record<string, number>;
  latenciesMs: number[];
}

export interface PaidLoad {
  channels: Map<string, ChannelLoad>;
  stats: PaidLoadStats;
  /** Names the current phase: acknowledged calls are counted under it from now on. */
  phase(name: string): void;
  /** Starts no new call until `resume`; resolves when the calls in flight have finished or failed. */
  pause(): Promise<void>;
  resume(): void;
  /** Stops after the calls in flight and returns the stats. */
  stop(): Promise<PaidLoadStats>;
}

export interface PaidLoadOptions {
  consumer: JsonApi | (() => JsonApi);
  provider: JsonApi | (() => JsonApi);
  consumerToken: string;
  providerToken: string;
  channelIds: string[];
  price: bigint;
  /** Calls in flight per channel. */
  concurrency?: number;
  /** Stop after this many calls in all (a bound, whatever happens). */
  maxCalls?: number;
  /** Pause after a failed call (a server may be down). */
  backoffMs?: number;
}

export function startPaidLoad(opts: PaidLoadOptions): PaidLoad {
  const stats: PaidLoadStats = { calls: 0, acked: 0, failures: {}, byPhase: {}, latenciesMs: [] };
  const channels = new Map(opts.channelIds.map((id) => [id, { id, signed: [], acked: [], highestAcked: 0n } as ChannelLoad]));
  const consumer = () => (typeof opts.consumer === 'function' ? opts.consumer() : opts.consumer);
  const provider = () => (typeof opts.provider === 'function' ? opts.provider() : opts.provider);
  const maxCalls = opts.maxCalls ?? 100_000;
  let current = 'start';
  let stopped = false;
  let paused = false;
  let inFlight = 0;
  const fail = (what: string) => (stats.failures[what] = (stats.failures[what] ?? 0) + 1);
  const describe = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message.slice(0, 40);

  async function oneCall(ch: ChannelLoad): Promise<boolean> {
    const started = Date.now();
    let header: string;
    try {
      const s = await consumer().call('POST', `/channels/${ch.id}/vouchers`, opts.consumerToken, { price: opts.price.toString() });
      if (s.status !== 201) {
        fail(`sign ${s.status} ${s.body?.error?.code ?? ''}`.trim());
        return false;
      }
      header = s.body.header as string;
      ch.signed.push(BigInt(s.body.voucher.amount));
    } catch (e) {
      fail(`sign ${describe(e)}`);
      return false;
    }
    try {
      const v = await provider().call('POST', '/vouchers/verify', opts.providerToken, { voucher: header, price: opts.price.toString() });
      if (v.status !== 200) {
        fail(`verify ${v.status} ${v.body?.error?.code ?? ''}`.trim());
        return false;
      }
      const amount = BigInt(v.body.amount);
      ch.acked.push(amount);
      if (amount > ch.highestAcked) ch.highestAcked = amount;
      stats.acked++;
      stats.byPhase[current] = (stats.byPhase[current] ?? 0) + 1;
      stats.latenciesMs.push(Date.now() - started);
      return true;
    } catch (e) {
      fail(`verify ${describe(e)}`);
      return false;
    }
  }

  const workers = [...channels.values()].flatMap((ch) =>
    Array.from({ length: opts.concurrency ?? 3 }, async () => {
      while (!stopped && stats.calls < maxCalls) {
        if (paused) {
          await sleep(20);
          continue;
        }
        stats.calls++;
        inFlight++;
        const ok = await oneCall(ch).finally(() => inFlight--);
        if (!ok) await sleep(opts.backoffMs ?? 50);
      }
    }),
  );
  const done = Promise.all(workers);
  return {
    channels,
    stats,
    phase(name) {
      current = name;
    },
    async pause() {
      paused = true;
      while (inFlight > 0) await sleep(10);
    },
    resume() {
      paused = false;
    },
    async stop() {
      stopped = true;
      await done;
      return stats;
    },
  };
}

/** The p-th percentile of some numbers (0 when there are none). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
